"""`seqgan-ray humaneval` end to end on two tiny text runs: the questionnaire `make` writes, the
server's refusals, and a scripted rater in headless Chromium (Debian's /usr/bin/chromium driven
by Playwright) who stops half-way, finds everything kept after the server is killed, and
finishes; then the stored answers, the score and what the server ever sent are checked.

SEQGAN_HUMANEVAL_SCREENSHOT=docs/humaneval.png also writes the docs' screenshot."""

import json
import os
import random
import re
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

import pytest
from test_cli import main_code, run_cli
from test_cli_usage import ENTRY, run

from seqgan_ray.core.tables import from_table, read_table
from seqgan_ray.humaneval.store import Store
from seqgan_ray.tasks.text import detokenize, load_vocab, prepare_text

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WORDS = ["the", "cat", "dog", "sat", "on", "a", "mat", "ran", "far", "away", "home", "big"]
N = 4  # items per source: 12 in all


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> dict:
    """A prepared corpus, two tiny text runs and the study `humaneval make` writes from them."""
    root = tmp_path_factory.mktemp("humaneval")
    rng = random.Random(0)
    lines = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 8))) for _ in range(240)]
    (root / "corpus.txt").write_text("\n".join(lines) + "\n")
    prepare_text(root / "corpus.txt", root / "data", tokenizer="space", seq_len=10)
    # one tiny run, its copy standing in for a second model: the tool's mechanics, not a study
    train = ["train", "text", root / "data", "--preset", "text-tiny", "--out", root / "run1"]
    code = main_code(*train, "--no-progress", "--no-ray", "--threads", "1")
    assert code == 0
    shutil.copytree(root / "run1", root / "run2")
    args = ["humaneval", "make", "--real", "data", "--run", "seqgan=run1", "--run", "mle=run2"]
    done = run([*args, "-n", str(N), "--out", "study", "--seed", "0"], root)
    assert done.returncode == 0, done.stderr
    assert "12 items (4 real, 4 seqgan, 4 mle) written to study" in done.stdout
    return {"root": root, "study": root / "study", "make": args}


@pytest.fixture
def study(made, tmp_path) -> Path:
    """A fresh copy of the made study, without answers."""
    return Path(shutil.copytree(made["study"], tmp_path / "study"))


def test_make_writes_blinded_items_and_the_key_apart(made, capsys):
    study, root = made["study"], made["root"]
    items = json.loads((study / "items.json").read_text())
    key = json.loads((study / "key.json").read_text())
    assert all(set(item) == {"id", "text"} for item in items) and len(items) == 3 * N
    assert Counter(key.values()) == {"real": N, "seqgan": N, "mle": N}
    assert [item["id"] for item in items] == list(key)
    assert all(len(i) == 16 and int(i, 16) >= 0 for i in key)  # random hex, nothing of the source
    texts = {
        s: sorted(item["text"] for item in items if key[item["id"]] == s) for s in key.values()
    }
    # generated text exactly as `seqgan-ray sample RUN -n N --seed SEED` prints it
    seed = json.loads((study / "study.json").read_text())["sample_seeds"]["seqgan"]
    code, out, _ = run_cli(capsys, "sample", root / "run1", "-n", N, "--seed", seed)
    assert code == 0 and sorted(out.split("\n")[:-1]) == texts["seqgan"]
    # real items are drawn from the test split
    vocab = load_vocab(root / "data")
    test = Counter(detokenize(r, vocab) for r in from_table(read_table(root / "data/test.arrow")))
    assert not Counter(texts["real"]) - test


def test_make_refuses_bad_input_in_one_line(made, capsys, monkeypatch):
    root, make = made["root"], made["make"]
    monkeypatch.chdir(root)
    cases = [
        ([*make, "-n", "4", "--out", "study"], "study already holds a questionnaire"),
        ([*make, "-n", "25", "--out", "x"], "-n 25 is more than the 24 test items of data"),
        ([*make, "-n", "0", "--out", "x"], "-n must be >= 1"),
        ([*make[:3], "nodata", *make[4:], "--out", "x"], "data directory not found"),
        ([*make[:5], "seqgan", "--out", "x"], "--run takes NAME=RUN"),
        ([*make[:5], "real=run1", "--out", "x"], "'real' names the data's test items"),
        ([*make[:5], "Seq=run1", "--out", "x"], "lower-case letters, digits"),
        ([*make[:5], "a=run1", "--run", "a=run2", "--out", "x"], "'a' given twice"),
        ([*make[:5], "seqgan=data", "--out", "x"], "holds no run checkpoint"),
        (["humaneval", "score", "nothere"], "study directory not found"),
        (["humaneval", "score", "study"], "no answers yet in study"),
        (["humaneval", "score", "study", "--paper", "music"], "--paper takes poems"),
        (["humaneval", "serve", "nothere"], "study directory not found"),
        (["humaneval", "serve", "study", "--port", "70000"], "--port must be 0..65535"),
    ]
    for args, message in cases:
        code, _, err = run_cli(capsys, *args)
        assert code == 2 and err.startswith("error: ") and message in err, (args, err)
        assert err.count("\n") == 1 and "Traceback" not in err
    assert not (root / "x").exists()
    usage = run([*make, "-n", "four", "--out", "x"], root)  # typer's own check, exit 2
    assert usage.returncode == 2 and "'-n'" in usage.stderr and "Traceback" not in usage.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(study: Path, port: int):
    """`seqgan-ray humaneval serve` through the installed entry point, ready once /health
    answers (polled, never a fixed wait); killed (SIGKILL) on leaving."""
    proc = subprocess.Popen(
        [ENTRY, "humaneval", "serve", str(study), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 300  # a bound for a broken server, not a wait: 2 busy cores
        while True:
            assert proc.poll() is None, proc.communicate()[1]
            try:
                with urllib.request.urlopen(url + "health", timeout=1) as r:
                    assert json.load(r) == {"ok": True, "items": 3 * N}
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                assert time.monotonic() < deadline, "the server did not answer /health"
                time.sleep(0.05)  # the poll's interval
        yield url
    finally:
        proc.kill()
        out, _ = proc.communicate()
    assert f"at {url} (Ctrl-C to stop)" in out


def _post(url: str, body: bytes) -> tuple[int, dict]:
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as exc:
        return exc.code, json.load(exc)


def test_the_server_refuses_bad_requests_and_changes_nothing(study):
    items = json.loads((study / "items.json").read_text())
    with serving(study, _free_port()) as url:
        code, state = _post(url + "api/next", b'{"rater": "Ann"}')
        assert code == 200 and (state["done"], state["total"]) == (0, 3 * N)
        first = state["item"]["id"]
        good = json.dumps({"rater": "ann", "item": first, "human": True}).encode()
        assert _post(url + "api/answer", good)[0] == 200
        before = Store(study).answers()
        bad = [
            (b"{not json", 400, "not valid JSON"),
            (b"[1, 2]", 400, "must be a JSON object"),
            (b'{"rater": "ann", "item": "%s", "human": true, "pad": "%s"}' % (
                items[1]["id"].encode(), b"x" * 5000), 413, "over 4096 bytes"),  # fmt: skip
            (json.dumps({"item": items[1]["id"], "human": True}).encode(), 400, "rater"),
            (json.dumps({"rater": " ", "item": items[1]["id"], "human": True}).encode(), 400, "rater"),
            (json.dumps({"rater": "ann", "item": "0" * 16, "human": True}).encode(), 404, "unknown item"),
            (json.dumps({"rater": "ann", "item": items[1]["id"], "human": "yes"}).encode(), 400, "human"),
            (json.dumps({"rater": "ANN", "item": first, "human": False}).encode(), 409, "already answered"),
        ]  # fmt: skip
        for body, status, message in bad:
            code, answer = _post(url + "api/answer", body)
            assert code == status and message in answer["error"], (body[:60], code, answer)
        assert _post(url + "api/next", b"{}")[0] == 400
        assert Store(study).answers() == before


def _judge(text: str, rater: str) -> bool:
    """The scripted rater's rule (it sees only the text): rater one calls an even number of
    words human, rater two a text with "the" in it."""
    words = text.split()
    return len(words) % 2 == 0 if rater == "one" else "the" in words


def _answer(page, rater: str, count: int, total: int, expect) -> None:
    for _ in range(count):
        # an item is on the page (the first one comes after the rater's name is sent)
        expect(page.locator("#progress")).to_have_text(re.compile(rf"\d+ of {total}"))
        shown = int(page.text_content("#progress").split()[0])
        human = _judge(page.text_content("#text").replace("(empty text)", ""), rater)
        page.click("#person" if human else "#machine")
        if shown < total:
            expect(page.locator("#progress")).to_have_text(f"{shown + 1} of {total}")
        else:
            expect(page.locator("#thanks")).to_have_text(f"All {total} answered. Thank you!")


@pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium (apt-get install chromium)")
def test_a_scripted_rater_in_chromium_resumes_after_a_kill_and_is_scored(study, tmp_path, capsys):
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=120_000)  # a bound, not a wait: the page answers in ms when idle

    key, total, port = json.loads((study / "key.json").read_text()), 3 * N, _free_port()
    sent, bodies, pages = [], [], []  # answers posted; every response body; every page's HTML

    def visit(browser, url: str, name: str):
        page = browser.new_context(viewport={"width": 720, "height": 420}).new_page()
        page.set_default_timeout(120_000)
        page.on(
            "request", lambda r: r.url.endswith("/api/answer") and sent.append(r.post_data_json)
        )
        page.on("response", lambda r: bodies.append(r))
        page.goto(url)
        page.fill("#rater", name)
        page.click("#begin")
        return page

    def leave(page) -> None:
        pages.append(page.content())
        bodies[:] = [r.text() if not isinstance(r, str) else r for r in bodies]
        page.context.close()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        with serving(study, port) as url:
            page = visit(browser, url, "Rater One")
            expect(page.locator("#progress")).to_have_text(f"1 of {total}")
            _answer(page, "one", total // 2, total, expect)
            page.screenshot(path=tmp_path / "humaneval.png")
            leave(page)
        assert len(Store(study).answers()) == total // 2  # the server was killed: all kept
        with serving(study, port) as url:
            page = visit(browser, url, "  rater ONE")  # the same rater, typed otherwise
            expect(page.locator("#progress")).to_have_text(f"{total // 2 + 1} of {total}")
            _answer(page, "one", total - total // 2, total, expect)
            leave(page)
            page = visit(browser, url, "Rater Two")
            _answer(page, "two", total, total, expect)
            leave(page)
        browser.close()
    shot = os.environ.get("SEQGAN_HUMANEVAL_SCREENSHOT")
    if shot:
        shutil.copy(tmp_path / "humaneval.png", shot)

    given = [(a["rater"].split()[-1].lower(), a["item"], a["human"]) for a in sent]
    stored = [(r.split()[-1], i, h) for r, i, h in Store(study).answers()]
    assert stored == given and len(stored) == 2 * total
    assert len({(r, i) for r, i, _ in stored}) == 2 * total  # every item once per rater
    # the score is the hand count of the stored answers
    # in this process: a new interpreter's imports can take minutes on the two busy cores
    code, printed, err = run_cli(capsys, "humaneval", "score", study, "--paper", "poems")
    assert code == 0, err
    scored = json.loads((study / "score.json").read_text())
    for source in ("real", "seqgan", "mle"):
        judged = [h for _, i, h in given if key[i] == source]
        assert scored["sources"][source]["score"] == pytest.approx(sum(judged) / len(judged))
        assert scored["sources"][source]["answers"] == 2 * N
    real = scored["sources"]["real"]["score"]
    assert scored["raters"] == 2 and f"| real | {real:.3f} |" in printed
    # nothing the server sent names a source, not even inside a word
    labels = set(key.values())
    assert len(bodies) >= 2 * total and len(pages) == 3
    for text in [*bodies, *pages]:
        assert not [label for label in labels if label in text.lower()], text[:200]
