#!/usr/bin/env bash
# The humaneval demonstration on the poems runs of docs/real-data/poems/seed-88 (β ← θ), with
# scripted raters, not people: make -> serve -> four scripted raters (k = 16, 20, 24, 28 tokens) -> score.
#   RUNS=runs/real/poems/seed-88 DATA=data/poems docs/humaneval-demo/run.sh [STUDY]
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
STUDY="${1:-$HERE/study}"
seqgan-ray humaneval make --real "$DATA" --run "seqgan=$RUNS/seqgan" --run "mle=$RUNS/mle" \
    -n 20 --out "$STUDY" --seed 0
PORT="${PORT:-8765}"
seqgan-ray humaneval serve "$STUDY" --port "$PORT" & server=$!
trap 'kill $server 2>/dev/null || true' EXIT
until curl -sf "http://127.0.0.1:$PORT/health" >/dev/null; do sleep 0.5; done  # readiness
python "$HERE/scripted_raters.py" "http://127.0.0.1:$PORT" 16 20 24 28
kill $server
seqgan-ray humaneval score "$STUDY" --paper poems
