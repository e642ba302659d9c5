#!/usr/bin/env bash
# A Ray Tune sweep over the adversarial schedule (g-steps, d-steps, k, N, learning rate, beta
# update rate) on the demo preset; each trial reserves its learner and roll-out actors.
source "$(dirname "$0")/_submit.sh" sweep synthetic --preset "${PRESET:-demo}" \
    --num-samples "${SAMPLES:-16}" --out "${OUT:-/tmp/seqgan-runs/sweep-${PRESET:-demo}}" "$@"
