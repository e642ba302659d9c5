#!/usr/bin/env bash
# Table 1 at the official D schedule (issue 29 §1), resumable across machines that keep nothing
# between sessions but this repository: it restores what earlier invocations banked here into
# OUT, runs what is missing, and banks the result back here.
#
#   SEEDS=88 METHODS=seqgan,mle,constant docs/table1-cpu-official-d/run.sh
#
# Banked per seed: results.json/.md, frontier.json/.md and the plots; each method run's
# config.json and metrics.jsonl (its results.json row and frontier curve are all a later
# invocation reads of it); and pretrain/ whole but slimmed: its checkpoint keeps only G and G's
# optimizer (all that methods added later start from, and all the frontier sweeps), because MLE
# pre-training is not bit-reproducible across CPU types and a remade one is refused. Only the
# seeds in SEEDS are banked back, and the table over seeds only when SEEDS is every seed banked.
# A session about to end with runs still going banks them whole, to be continued here next time:
#   python docs/bank.py "$OUT" docs/table1-cpu-official-d --pretrain-checkpoint --in-progress \
#       --seeds "$SEEDS"
set -euo pipefail
BANK="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="${OUT:-runs/official-d}"
ORACLE="${ORACLE:-../shared/data/seqgan_official/target_params_py3.pkl}"
mkdir -p "$OUT"
for seed_dir in "$BANK"/seed-*; do  # what is already in OUT wins (a run in progress there)
    [[ -d "$seed_dir" ]] && cp -rn "$seed_dir" "$OUT"/
done
[[ -f "$BANK/experiment.json" && ! -f "$OUT/experiment.json" ]] && cp "$BANK/experiment.json" "$OUT"/
seqgan-ray experiment synthetic --preset table1-cpu-official-d --oracle "$ORACLE" \
    --seeds "${SEEDS:-88,89,90}" --methods "${METHODS:-seqgan,shuffled,row_shuffled,constant,mle}" \
    --adversarial-iterations 50 --checkpoint-every 1 --jobs "${JOBS:-2}" --frontier \
    --out "$OUT" --no-progress
python "$BANK/../bank.py" "$OUT" "$BANK" --pretrain-checkpoint --seeds "${SEEDS:-88,89,90}"
