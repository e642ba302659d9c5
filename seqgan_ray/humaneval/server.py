"""`humaneval serve`: the questionnaire as a web page, one item at a time (Starlette + uvicorn).

The server reads `items.json` and never `key.json`, so no page or response can carry a source
label. Each rater sees the items in an order of their own (a hash of name and item id: fixed
across visits, unrelated between raters, so order effects average out rather than fall on one
source) and continues where they stopped when they come back under the same name.

    GET  /             the page (page.py)
    GET  /health       {"ok": true, "items": N}: readiness
    POST /api/next     {"rater"} -> the rater's state (below)
    POST /api/answer   {"rater", "item", "human": true|false} -> the state after storing it
    state: {"rater", "done", "total", "item": {"id", "text"} | null when all are answered}

A bad request (malformed JSON, a body over MAX_BODY, no rater, an unknown item, a repeated
answer) gets a 4xx {"error": "..."} and changes nothing stored.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import socket
from collections.abc import Callable
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Route

from seqgan_ray.errors import UserError
from seqgan_ray.humaneval.page import PAGE
from seqgan_ray.humaneval.questionnaire import read_items
from seqgan_ray.humaneval.store import MAX_RATER, AlreadyAnswered, Store, rater_name

MAX_BODY = 4096  # bytes of a request body; an answer takes < 200


class Refused(Exception):
    """A request we answer with a 4xx JSON error."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


async def _refused(request: Request, exc: Refused) -> JSONResponse:
    return JSONResponse({"error": str(exc)}, status_code=exc.status)


async def _json_body(request: Request) -> dict:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise Refused(413, f"request body over {MAX_BODY} bytes")
    body = b""
    async for chunk in request.stream():  # a missing or false length cannot get past the cap
        body += chunk
        if len(body) > MAX_BODY:
            raise Refused(413, f"request body over {MAX_BODY} bytes")
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise Refused(400, "request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise Refused(400, "request body must be a JSON object")
    return data


def _rater(data: dict) -> str:
    raw = data.get("rater")
    name = rater_name(raw) if isinstance(raw, str) else ""
    if not name:
        raise Refused(400, f"rater: give a name or code of 1 to {MAX_RATER} characters")
    return name


def rater_order(rater: str, ids: list[str]) -> list[str]:
    """The order this rater sees the items in: fixed for the rater, unrelated between raters."""
    return sorted(ids, key=lambda i: hashlib.sha256(f"{rater}\0{i}".encode()).hexdigest())


def build_app(study: Path, on_ready: Callable[[], None] = lambda: None) -> Starlette:
    """The web app of one study directory; `on_ready` runs once the server is starting to
    accept connections."""
    items = {item["id"]: item["text"] for item in _checked(read_items(study), study)}
    store = Store(study)

    def state(rater: str) -> dict:
        done = store.answered(rater)
        left = [i for i in rater_order(rater, list(items)) if i not in done]
        item = {"id": left[0], "text": items[left[0]]} if left else None
        return {"rater": rater, "done": len(done), "total": len(items), "item": item}

    async def index(request: Request) -> HTMLResponse:
        return HTMLResponse(PAGE)

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"ok": True, "items": len(items)})

    async def next_item(request: Request) -> JSONResponse:
        return JSONResponse(state(_rater(await _json_body(request))))

    async def answer(request: Request) -> JSONResponse:
        data = await _json_body(request)
        rater, item, human = _rater(data), data.get("item"), data.get("human")
        if not isinstance(item, str) or item not in items:
            raise Refused(404, f"unknown item {item!r}")
        if not isinstance(human, bool):
            raise Refused(400, "human: true (written by a person) or false (by a machine)")
        try:
            store.record(rater, item, human)
        except AlreadyAnswered as exc:
            raise Refused(409, str(exc)) from None
        return JSONResponse(state(rater))

    routes = [
        Route("/", index),
        Route("/health", health),
        Route("/api/next", next_item, methods=["POST"]),
        Route("/api/answer", answer, methods=["POST"]),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app):
        on_ready()
        yield

    return Starlette(routes=routes, exception_handlers={Refused: _refused}, lifespan=lifespan)


def _checked(items, study: Path) -> list[dict]:
    ok = isinstance(items, list) and all(
        isinstance(i, dict) and isinstance(i.get("id"), str) and isinstance(i.get("text"), str)
        for i in items
    )
    if not ok or not items:
        raise UserError(f"{study / 'items.json'} is not a questionnaire written by humaneval make")
    return items


def serve(study: Path, host: str, port: int, echo: Callable[[str], None]) -> None:
    """Serve the study until interrupted; `echo` gets the URL once the port is listening."""
    import uvicorn

    sock = _listen(host, port)
    url = f"http://{host if ':' not in host else f'[{host}]'}:{sock.getsockname()[1]}/"
    where = (
        " on every interface: raters use this machine's address"
        if host in ("0.0.0.0", "::")
        else ""
    )
    # the socket already listens, so a browser opened on this line waits rather than fails
    app = build_app(study, lambda: echo(f"serving {study} at {url}{where} (Ctrl-C to stop)"))
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
    uvicorn.Server(config).run(sockets=[sock])


def _listen(host: str, port: int) -> socket.socket:
    """Bind the port ourselves so that --port 0 (any free port) can be printed."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a restart right after a kill
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise UserError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.listen(128)
    return sock
