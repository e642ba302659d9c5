"""Fast sentence BLEU against a large fixed reference set, and Self-BLEU.

The SeqGAN paper scores every generated sequence with BLEU-n against *the whole
test set* as references and reports the mean over all samples.  With
``nltk.translate.bleu_score.sentence_bleu`` every call re-counts the n-grams of
every reference, so one hypothesis against 10,000 references costs a fraction of
a second.  Here the reference side is summarised once:

* for each order ``k <= n`` a dict ``k-gram -> max count over all references``
  (the clipping count of BLEU's modified precision), and
* the sorted array of distinct reference lengths, so the closest reference length
  (nltk's rule: minimise ``|ref_len - hyp_len|``, ties go to the shorter
  reference) is a binary search.

Scoring a hypothesis is then ``O(len(hyp) * n)``.

The arithmetic reproduces ``sentence_bleu(references, hyp, weights=(1/n,)*n,
smoothing_function=...)`` of nltk (checked against nltk 3.10.4) operation for
operation, so values agree to the last bit in practice:

* modified precision ``p_k = clipped / max(1, len(hyp) - k + 1)`` (orders the
  hypothesis is too short for have ``0/1``);
* if the unigram numerator is 0 (which includes the empty hypothesis) the score is
  exactly ``0.0`` -- nltk returns early, before any smoothing;
* ``smoothing="none"`` (nltk's ``method0``): a zero numerator at an order ``k > 1``
  is replaced by ``sys.float_info.min``, so the score is a tiny *positive* number
  (``exp(log(2.2e-308) / n) ~ 1e-154`` for n = 2), not 0.  nltk also emits one
  ``UserWarning`` per such order and call; this module does not warn (one warning
  per sample of a 10k-sample evaluation is noise) but returns the same number;
* ``smoothing="method1"`` (nltk's ``SmoothingFunction().method1``, epsilon 0.1): a
  zero numerator becomes ``0.1 / denominator``;
* brevity penalty ``1`` if ``hyp_len > ref_len`` else ``exp(1 - ref_len/hyp_len)``;
* score ``bp * exp(fsum(w * log(p_k)))`` with ``w = 1/n``.

Tokens can be any hashable values (ints, strings); sequences may be lists,
tuples or 1-D numpy arrays.  No torch, no ray.
"""

from __future__ import annotations

import math
import sys
from bisect import bisect_left
from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from typing import Literal

import numpy as np

__all__ = ["SMOOTHINGS", "BleuScorer", "self_bleu", "strip_at"]

Smoothing = Literal["none", "method1"]
SMOOTHINGS: tuple[str, ...] = ("none", "method1")

# nltk's SmoothingFunction() default epsilon, used by method1.
_METHOD1_EPSILON = 0.1
# nltk's method0 substitute for a zero precision.
_FLOAT_MIN = sys.float_info.min


def _as_tuple(seq: Sequence[Hashable] | np.ndarray) -> tuple:
    """A token sequence as a tuple of plain Python values (numpy → Python ints)."""
    if isinstance(seq, np.ndarray):
        if seq.ndim != 1:
            raise ValueError(f"a token sequence must be 1-D, got shape {seq.shape}")
        return tuple(seq.tolist())
    if isinstance(seq, str):
        raise TypeError("a token sequence must be a sequence of tokens, not a str")
    return tuple(seq)


def _ngram_counts(tokens: tuple, k: int) -> Counter:
    """Counter of the k-grams (as tuples) of ``tokens``; empty if it is too short."""
    if len(tokens) < k:
        return Counter()
    return Counter(zip(*(tokens[i:] for i in range(k))))


def _check_params(n: int, smoothing: str) -> None:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n (max n-gram order) must be an int >= 1, got {n!r}")
    if smoothing not in SMOOTHINGS:
        raise ValueError(f"smoothing must be one of {SMOOTHINGS}, got {smoothing!r}")


def _closest_length(lengths: Sequence[int], hyp_len: int, exclude: int = -1) -> int:
    """Closest value to ``hyp_len`` in sorted distinct ``lengths`` (ties → shorter).

    ``exclude`` is an index into ``lengths`` to treat as absent (-1: none).
    """
    j = bisect_left(lengths, hyp_len)  # lengths[j] is the smallest value >= hyp_len
    hi = j if j != exclude else j + 1
    lo = j - 1 if j - 1 != exclude else j - 2
    best = None
    if hi < len(lengths):
        best = lengths[hi]
    if lo >= 0:
        below = lengths[lo]
        # below < hyp_len <= best: the lower one wins ties, i.e. when its gap is <=.
        if best is None or hyp_len - below <= best - hyp_len:
            best = below
    if best is None:
        raise ValueError("no reference left to compute the closest reference length")
    return best


def _bleu_from_stats(
    numerators: list[int], hyp_len: int, ref_len: int, n: int, smoothing: str
) -> float:
    """nltk's sentence_bleu given per-order clipped counts and the two lengths."""
    if numerators[0] == 0:  # also covers the empty hypothesis
        return 0.0
    weight = 1 / n
    logs = []
    for k, num in enumerate(numerators, start=1):
        den = max(1, hyp_len - k + 1)
        if num != 0:
            p = num / den
        elif smoothing == "none":
            p = _FLOAT_MIN
        else:
            p = (num + _METHOD1_EPSILON) / den
        logs.append(weight * math.log(p))
    # Brevity penalty; hyp_len > 0 here because numerators[0] > 0.
    bp = 1.0 if hyp_len > ref_len else math.exp(1 - ref_len / hyp_len)
    return bp * math.exp(math.fsum(logs))


def strip_at(rows: np.ndarray | Sequence[Sequence[int]], end: int | None) -> list[tuple]:
    """Each row's tokens before its first `end` token (the whole row if it has none, or if
    `end` is None): padded variable-length rows as BLEU must see them."""
    out = []
    for row in np.asarray(rows).tolist():
        if end is not None and end in row:
            row = row[: row.index(end)]
        out.append(tuple(row))
    return out


class BleuScorer:
    """Sentence BLEU-n of hypotheses against one fixed list of references.

    ``BleuScorer(references, n=4, smoothing="none").score(hyp)`` equals
    ``nltk.translate.bleu_score.sentence_bleu(references, hyp, weights=(1/n,)*n,
    smoothing_function=None or SmoothingFunction().method1)``.

    Construction costs one pass over the references (``O(total tokens * n)``);
    each ``score`` is ``O(len(hyp) * n)`` plus a binary search on lengths.
    """

    __slots__ = ("_n", "_smoothing", "_max_counts", "_lengths", "_num_references")

    def __init__(
        self,
        references: Iterable[Sequence[Hashable] | np.ndarray],
        n: int = 4,
        smoothing: Smoothing = "none",
    ) -> None:
        _check_params(n, smoothing)
        n = int(n)
        max_counts: list[dict[tuple, int]] = [{} for _ in range(n)]
        lengths: set[int] = set()
        count = 0
        for ref in references:
            tokens = _as_tuple(ref)
            count += 1
            lengths.add(len(tokens))
            for k in range(1, min(n, len(tokens)) + 1):
                table = max_counts[k - 1]
                get = table.get
                for gram, c in _ngram_counts(tokens, k).items():
                    if c > get(gram, 0):
                        table[gram] = c
        if count == 0:
            raise ValueError("BleuScorer needs at least one reference")
        self._n = n
        self._smoothing = smoothing
        self._max_counts = tuple(max_counts)
        self._lengths = tuple(sorted(lengths))
        self._num_references = count

    @property
    def n(self) -> int:
        return self._n

    @property
    def smoothing(self) -> str:
        return self._smoothing

    @property
    def num_references(self) -> int:
        return self._num_references

    @property
    def reference_lengths(self) -> np.ndarray:
        """Sorted distinct reference lengths."""
        return np.asarray(self._lengths, dtype=np.int64)

    def max_count(self, gram: Sequence[Hashable]) -> int:
        """Max count of ``gram`` (a k-gram, 1 <= k <= n) in any single reference."""
        gram = _as_tuple(gram)
        if not 1 <= len(gram) <= self._n:
            raise ValueError(f"gram order must be in 1..{self._n}, got {len(gram)}")
        return self._max_counts[len(gram) - 1].get(gram, 0)

    def closest_ref_length(self, hyp_len: int) -> int:
        """nltk's closest reference length: min |r - hyp_len|, ties → shorter r."""
        return _closest_length(self._lengths, hyp_len)

    def score(self, hyp: Sequence[Hashable] | np.ndarray) -> float:
        """Sentence BLEU-n of one hypothesis against all references."""
        tokens = _as_tuple(hyp)
        hyp_len = len(tokens)
        numerators = [0] * self._n
        for k in range(1, min(self._n, hyp_len) + 1):
            get = self._max_counts[k - 1].get
            numerators[k - 1] = sum(
                min(c, get(gram, 0)) for gram, c in _ngram_counts(tokens, k).items()
            )
            if numerators[k - 1] == 0 and k == 1:
                return 0.0
        return _bleu_from_stats(
            numerators, hyp_len, _closest_length(self._lengths, hyp_len), self._n, self._smoothing
        )

    def scores(self, hyps: Iterable[Sequence[Hashable] | np.ndarray]) -> np.ndarray:
        """Per-hypothesis sentence BLEU as a float64 array."""
        return np.fromiter((self.score(h) for h in hyps), dtype=np.float64)

    def corpus_mean(self, hyps: Iterable[Sequence[Hashable] | np.ndarray]) -> float:
        """Mean of per-hypothesis sentence BLEU (the SeqGAN metric; not corpus_bleu)."""
        values = [self.score(h) for h in hyps]
        if not values:
            raise ValueError("corpus_mean needs at least one hypothesis")
        return math.fsum(values) / len(values)

    def __repr__(self) -> str:
        return (
            f"BleuScorer(n={self._n}, smoothing={self._smoothing!r}, "
            f"num_references={self._num_references})"
        )


def self_bleu(
    samples: Sequence[Sequence[Hashable] | np.ndarray],
    n: int = 4,
    smoothing: Smoothing = "none",
    max_hypotheses: int | None = None,
    seed: int = 0,
) -> float:
    """Self-BLEU: mean sentence BLEU-n of each sample against all the *other* samples.

    Leave-one-out is exact: for every k-gram the tables keep the largest count in
    any sample, which sample holds it, and the second largest count (over the other
    samples), so the max over "all samples but i" is ``second if holder == i else
    top``.  Reference lengths keep their multiplicities; a length held by sample i
    alone is skipped in the closest-length search.

    ``max_hypotheses``: if given and smaller than ``len(samples)``, only that many
    hypotheses, drawn without replacement with ``numpy.random.default_rng(seed)``,
    are scored -- each still against all other samples.

    A list of identical samples (each at least ``n`` tokens long) has Self-BLEU 1.0.
    """
    _check_params(n, smoothing)
    n = int(n)
    tokens = [_as_tuple(s) for s in samples]
    m = len(tokens)
    if m < 2:
        raise ValueError("self_bleu needs at least two samples (each is scored against the rest)")

    # Per sample and order: its k-gram counts (reused when it is the hypothesis).
    counts = [[_ngram_counts(t, k) for k in range(1, n + 1)] for t in tokens]
    # Per order: k-gram -> (top count, index of a sample holding it, second count).
    tables: list[dict[tuple, tuple[int, int, int]]] = [{} for _ in range(n)]
    for i, per_order in enumerate(counts):
        for table, counter in zip(tables, per_order):
            for gram, c in counter.items():
                entry = table.get(gram)
                if entry is None:
                    table[gram] = (c, i, 0)
                else:
                    top, holder, second = entry
                    if c > top:
                        table[gram] = (c, i, top)
                    elif c > second:
                        table[gram] = (top, holder, c)

    length_multiplicity = Counter(len(t) for t in tokens)
    lengths = tuple(sorted(length_multiplicity))
    length_index = {length: j for j, length in enumerate(lengths)}

    if max_hypotheses is not None and max_hypotheses < m:
        if max_hypotheses < 1:
            raise ValueError(f"max_hypotheses must be >= 1, got {max_hypotheses}")
        rng = np.random.default_rng(seed)
        chosen = np.sort(rng.choice(m, size=int(max_hypotheses), replace=False)).tolist()
    else:
        chosen = range(m)

    values = []
    for i in chosen:
        hyp_len = len(tokens[i])
        numerators = [0] * n
        for k in range(1, min(n, hyp_len) + 1):
            table = tables[k - 1]
            num = 0
            for gram, c in counts[i][k - 1].items():
                top, holder, second = table[gram]
                num += min(c, second if holder == i else top)
            numerators[k - 1] = num
            if num == 0 and k == 1:
                break
        exclude = length_index[hyp_len] if length_multiplicity[hyp_len] == 1 else -1
        ref_len = _closest_length(lengths, hyp_len, exclude)
        values.append(_bleu_from_stats(numerators, hyp_len, ref_len, n, smoothing))
    return math.fsum(values) / len(values)
