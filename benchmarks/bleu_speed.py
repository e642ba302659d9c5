"""Speed of seqgan_ray.core.bleu.BleuScorer.corpus_mean vs per-hypothesis nltk sentence_bleu.

Default workload (seeded): 1,000 hypotheses x 10,000 references, random token ids from a
vocabulary of 500, every sequence 20 tokens, BLEU-4 with method1 smoothing.

Ours is timed on all hypotheses, *including* building the reference tables.  nltk is far
too slow to run on all of them, so it is timed on a subset (default 20 hypotheses) and the
per-hypothesis time is extrapolated to the full set; the output says so.  The two must agree
on that subset to 1e-9, and the speed-up must be at least 100x (exit status 1 otherwise).

    python benchmarks/bleu_speed.py [--hyps 1000 --refs 10000 --vocab 500 --length 20
                                     --n 4 --smoothing method1 --nltk-subset 20]

The last line of output is one JSON object with all the numbers.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings

import numpy as np

from seqgan_ray.core.bleu import SMOOTHINGS, BleuScorer

MIN_SPEEDUP = 100.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hyps", type=int, default=1000)
    parser.add_argument("--refs", type=int, default=10_000)
    parser.add_argument("--vocab", type=int, default=500)
    parser.add_argument("--length", type=int, default=20)
    parser.add_argument("--n", type=int, default=4)
    parser.add_argument("--smoothing", choices=SMOOTHINGS, default="method1")
    parser.add_argument("--nltk-subset", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    try:
        from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu
    except ImportError:
        print("nltk is not installed: pip install nltk", file=sys.stderr)
        return 2

    rng = np.random.default_rng(args.seed)
    refs = rng.integers(0, args.vocab, size=(args.refs, args.length)).tolist()
    hyps = rng.integers(0, args.vocab, size=(args.hyps, args.length)).tolist()
    weights = (1 / args.n,) * args.n
    smoothing_fn = SmoothingFunction().method1 if args.smoothing == "method1" else None
    subset = hyps[: max(1, min(args.nltk_subset, args.hyps))]

    t0 = time.perf_counter()
    scorer = BleuScorer(refs, n=args.n, smoothing=args.smoothing)
    t1 = time.perf_counter()
    ours_mean = scorer.corpus_mean(hyps)
    t2 = time.perf_counter()
    ours_build, ours_score = t1 - t0, t2 - t1
    ours_total = ours_build + ours_score

    ours_subset = [scorer.score(h) for h in subset]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # method0's per-call zero-overlap warnings
        t3 = time.perf_counter()
        nltk_subset = [
            float(sentence_bleu(refs, h, weights=weights, smoothing_function=smoothing_fn))
            for h in subset
        ]
        t4 = time.perf_counter()
    nltk_per_hyp = (t4 - t3) / len(subset)
    nltk_extrapolated = nltk_per_hyp * args.hyps
    max_abs_diff = max(abs(a - b) for a, b in zip(ours_subset, nltk_subset))
    agree = max_abs_diff <= 1e-9
    speedup = nltk_extrapolated / ours_total
    ok = agree and speedup >= MIN_SPEEDUP

    print(
        f"workload: {args.hyps} hypotheses x {args.refs} references, vocab {args.vocab}, "
        f"length {args.length}, BLEU-{args.n}, smoothing={args.smoothing}, seed {args.seed}"
    )
    print(
        f"ours : {ours_total:.3f} s total for {args.hyps} hypotheses "
        f"(build tables {ours_build:.3f} s + score {ours_score:.3f} s, "
        f"{1e6 * ours_score / args.hyps:.1f} us/hypothesis); mean BLEU {ours_mean:.6f}"
    )
    print(
        f"nltk : {t4 - t3:.3f} s measured on a subset of {len(subset)} hypotheses "
        f"({nltk_per_hyp:.3f} s/hypothesis) -> EXTRAPOLATED to {args.hyps}: "
        f"{nltk_extrapolated:.1f} s"
    )
    print(
        f"agreement on the subset: max |ours - nltk| = {max_abs_diff:.3g} "
        f"({'OK' if agree else 'MISMATCH'})"
    )
    print(
        f"speed-up (nltk extrapolated / ours incl. build): {speedup:.0f}x "
        f"(required >= {MIN_SPEEDUP:.0f}x: {'OK' if speedup >= MIN_SPEEDUP else 'FAIL'})"
    )
    result = {
        "hyps": args.hyps,
        "refs": args.refs,
        "vocab": args.vocab,
        "length": args.length,
        "n": args.n,
        "smoothing": args.smoothing,
        "seed": args.seed,
        "ours_build_s": round(ours_build, 6),
        "ours_score_s": round(ours_score, 6),
        "ours_total_s": round(ours_total, 6),
        "ours_mean_bleu": ours_mean,
        "nltk_subset": len(subset),
        "nltk_subset_s": round(t4 - t3, 6),
        "nltk_extrapolated_s": round(nltk_extrapolated, 3),
        "nltk_extrapolated": True,
        "subset_max_abs_diff": max_abs_diff,
        "agree": agree,
        "speedup": round(speedup, 1),
        "ok": ok,
    }
    print(json.dumps(result))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
