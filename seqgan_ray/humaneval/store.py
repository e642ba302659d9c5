"""The raters' answers in SQLite (`answers.sqlite` in the study directory).

One row per (rater, item), written in its own transaction the moment it is given: a killed
server loses nothing that was answered, and a second answer to the same item is refused by the
primary key rather than overwriting the first. Each call opens its own connection, so the web
server's threads never share one.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import NamedTuple

DB = "answers.sqlite"
MAX_RATER = 64  # characters of a rater's name or code

_SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    rater TEXT NOT NULL,
    item TEXT NOT NULL,
    human INTEGER NOT NULL CHECK (human IN (0, 1)),  -- 1: judged written by a person
    answered_at REAL NOT NULL,                       -- Unix time
    PRIMARY KEY (rater, item)
)
"""


class AlreadyAnswered(Exception):
    """This rater has answered this item before; the first answer stands."""


class Answer(NamedTuple):
    rater: str
    item: str
    human: bool


def rater_name(raw: str) -> str:
    """The name a rater is stored under: inner whitespace collapsed and case folded, so that
    "Anna Lee " and "anna lee" continue the same questionnaire. Empty when unusable."""
    name = " ".join(raw.split()).casefold()
    return name if len(name) <= MAX_RATER and name.isprintable() else ""


class Store:
    """The answers of one study directory."""

    def __init__(self, study: Path):
        self.path = Path(study) / DB
        with self._connect() as con:
            con.execute("PRAGMA journal_mode=WAL")  # readers (score) never block a rater's write
            con.execute(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.path, timeout=10)
        con.execute("PRAGMA synchronous=FULL")  # durable at commit, not only at checkpoint
        return con

    def record(self, rater: str, item: str, human: bool) -> None:
        """Store one answer in one transaction; AlreadyAnswered if (rater, item) exists."""
        con = self._connect()
        try:
            with con:  # commits on success, rolls back on any error
                con.execute(
                    "INSERT INTO answers VALUES (?, ?, ?, ?)",
                    (rater, item, int(human), time.time()),
                )
        except sqlite3.IntegrityError:
            raise AlreadyAnswered(f"{rater!r} has already answered item {item}") from None
        finally:
            con.close()

    def answered(self, rater: str) -> set[str]:
        """The items this rater has answered."""
        return {item for (item,) in self._query("SELECT item FROM answers WHERE rater = ?", rater)}

    def answers(self) -> list[Answer]:
        """Every answer, in the order given."""
        rows = self._query("SELECT rater, item, human FROM answers ORDER BY answered_at, rowid")
        return [Answer(r, i, bool(h)) for r, i, h in rows]

    def _query(self, sql: str, *args) -> list[tuple]:
        con = self._connect()
        try:
            return con.execute(sql, args).fetchall()
        finally:
            con.close()
