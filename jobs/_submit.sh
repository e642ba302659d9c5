# Shared by the job scripts: submit `python -m seqgan_ray "$@"` from the repository root.
# RAY_ADDRESS      the cluster's job server (default http://127.0.0.1:8265, e.g. `ray dashboard`)
# RAY_AUTH_MODE    token on Ray >= 2.60 clusters started with `ray start` (the default here)
# RUNTIME_ENV      a runtime_env file (default jobs/runtime_env.yaml; "none" for none)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export RAY_AUTH_MODE="${RAY_AUTH_MODE:-token}"
env_args=()
if [[ "${RUNTIME_ENV:-jobs/runtime_env.yaml}" != none ]]; then
    env_args=(--runtime-env "${RUNTIME_ENV:-jobs/runtime_env.yaml}")
fi
exec ray job submit --address "${RAY_ADDRESS:-http://127.0.0.1:8265}" --working-dir . \
    "${env_args[@]}" -- python -m seqgan_ray "$@"
