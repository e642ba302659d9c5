#!/usr/bin/env bash
# Real data at today's presets and defaults (β ← θ) over three seeds (issue 30 §1), resumable
# across machines that keep nothing between sessions but this repository: each data set and
# seed is one invocation, banked here as soon as it finishes; a seed already banked is restored
# and skipped, and the last invocation per data set writes the results over seeds.
#
#   docs/real-data/run.sh                                   # poems, nottingham, obama; 88,89,90
#   SETS=poems SEEDS=88 docs/real-data/run.sh               # one data set, one seed
#
# DATA (default data/) receives the prepared sets, OUT (default runs/real) the runs.
set -euo pipefail
BANK="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SHARED="${SHARED:-../shared/data}"
DATA="${DATA:-data}"
OUT="${OUT:-runs/real}"
SEEDS="${SEEDS:-88,89,90}"
METHODS="${METHODS:-seqgan,mle,shuffled,row_shuffled}"
prepare() {  # the commands of docs/real-data.md
    case "$1" in
    poems) seqgan-ray prepare text "$SHARED/chinese_quatrains/shi.txt" --out "$DATA/poems" \
        --tokenizer space --seq-len 25 ;;
    obama) seqgan-ray prepare text "$SHARED/obama/obama_speeches_raw_corpus.txt" \
        --out "$DATA/obama" --tokenizer word --seq-len 32 --max-vocab 5000 ;;
    nottingham) seqgan-ray prepare music "$SHARED/nottingham/midi" --out "$DATA/nottingham" ;;
    esac
}
for set in ${SETS:-poems nottingham obama}; do
    kind=text && [[ $set == nottingham ]] && kind=music
    [[ -f "$DATA/$set/vocab.json" ]] || prepare "$set"
    mkdir -p "$OUT/$set"
    for seed_dir in "$BANK/$set"/seed-*; do  # what is already in OUT wins (a run in progress)
        [[ -d "$seed_dir" ]] && cp -rn "$seed_dir" "$OUT/$set"/
    done
    for seed in ${SEEDS//,/ } "$SEEDS"; do  # each seed alone, then all of them: the summary
        seqgan-ray experiment "$kind" "$DATA/$set" --preset "$set-cpu" --seeds "$seed" \
            --methods "$METHODS" --frontier --out "$OUT/$set" --no-progress
        python "$BANK/../bank.py" "$OUT/$set" "$BANK/$set"
    done
done
