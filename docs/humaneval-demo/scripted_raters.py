"""Scripted raters (not people) for the humaneval demonstration: rater k calls a text human
when it has at least k tokens (words; the characters of a space-tokenized poem). They answer
through a running `seqgan-ray humaneval serve` at URL.

    python scripted_raters.py http://127.0.0.1:8765 16 20 24 28
"""

import json
import sys
import urllib.request


def post(url: str, path: str, body: dict) -> dict:
    request = urllib.request.Request(
        url + path, json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.load(response)


def main(url: str, thresholds: list[int]) -> None:
    for k in thresholds:
        rater = f"scripted-{k}-tokens"
        state = post(url, "/api/next", {"rater": rater})
        while state["item"] is not None:
            human = len(state["item"]["text"].split()) >= k
            state = post(
                url, "/api/answer", {"rater": rater, "item": state["item"]["id"], "human": human}
            )
        print(f"{rater}: {state['done']} of {state['total']} answered")


if __name__ == "__main__":
    main(sys.argv[1], [int(k) for k in sys.argv[2:]])
