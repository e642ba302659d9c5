"""humaneval's answer store: one row per (rater, item), the first answer stands, nothing lost
between connections."""

import sqlite3

import pytest

from seqgan_ray.humaneval.store import AlreadyAnswered, Answer, Store, rater_name


def test_answers_are_stored_as_given_and_survive_a_new_store(tmp_path):
    store = Store(tmp_path)
    store.record("ann", "i1", True)
    store.record("ann", "i2", False)
    store.record("bo", "i1", False)
    assert store.answered("ann") == {"i1", "i2"} and store.answered("bo") == {"i1"}
    assert store.answered("cy") == set()
    again = Store(tmp_path)  # a restarted server
    assert again.answers() == [
        Answer("ann", "i1", True), Answer("ann", "i2", False), Answer("bo", "i1", False)
    ]  # fmt: skip


def test_a_second_answer_to_the_same_item_is_refused_and_the_first_stands(tmp_path):
    store = Store(tmp_path)
    store.record("ann", "i1", True)
    with pytest.raises(AlreadyAnswered, match="already answered"):
        store.record("ann", "i1", False)
    assert store.answers() == [Answer("ann", "i1", True)]


def test_each_answer_is_committed_at_once(tmp_path):
    store = Store(tmp_path)
    store.record("ann", "i1", True)
    # another process (a scorer while the server runs) sees it without the store closing
    with sqlite3.connect(store.path) as con:
        assert con.execute("SELECT rater, item, human FROM answers").fetchall() == [
            ("ann", "i1", 1)
        ]
        assert con.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_rater_names_continue_whatever_the_spacing_and_case():
    assert rater_name("  Anna   Lee ") == rater_name("anna lee") == "anna lee"
    assert rater_name("   ") == "" and rater_name("x" * 65) == "" and rater_name("a\x00b") == ""
