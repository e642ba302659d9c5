#!/usr/bin/env bash
# The synthetic experiment (Algorithm 1 on the oracle) as a Ray job.
#   jobs/synthetic.sh                          demo preset, roll-out workers sized to the cluster
#   PRESET=paper OUT=/data/runs/paper jobs/synthetic.sh --learner-gpus 1 --gpus-per-rollout-worker 0.5
# Extra arguments go to `seqgan-ray train synthetic`. OUT is on the node that runs the driver
# (the head under `ray job submit`).
source "$(dirname "$0")/_submit.sh" train synthetic --preset "${PRESET:-demo}" \
    --out "${OUT:-/tmp/seqgan-runs/synthetic-${PRESET:-demo}}" --no-progress "$@"
