#!/usr/bin/env bash
# Scaled roll-outs: the paper preset with N = 64 Monte Carlo roll-outs spread over 8 GPU actors
# (a quarter GPU each: two 4-GPU nodes also hold the learner), 8 indices per actor per g-step.
source "$(dirname "$0")/_submit.sh" train synthetic --preset paper --rollout-num 64 \
    --rollout-workers 8 --gpus-per-rollout-worker 0.25 --cpus-per-rollout-worker 1 \
    --learner-gpus 1 --device cuda \
    --out "${OUT:-/tmp/seqgan-runs/synthetic-paper-n64}" --no-progress "$@"
