"""seqgan_ray.core.bleu against nltk's sentence_bleu (exact arithmetic, edge cases, Self-BLEU)."""

import math
import random
import warnings

import numpy as np
import pytest

from seqgan_ray.core.bleu import BleuScorer, self_bleu

bleu_score = pytest.importorskip("nltk.translate.bleu_score")

TOL = 1e-9


def nltk_bleu(references, hyp, n, smoothing):
    fn = bleu_score.SmoothingFunction().method1 if smoothing == "method1" else None
    with warnings.catch_warnings():
        # method0 warns once per zero-overlap order; the number is what we compare.
        warnings.simplefilter("ignore")
        return float(
            bleu_score.sentence_bleu(references, hyp, weights=(1 / n,) * n, smoothing_function=fn)
        )


def rand_seq(rng, vocab, lo, hi):
    return [rng.randrange(vocab) for _ in range(rng.randint(lo, hi))]


def random_case(rng):
    vocab = rng.randint(5, 8)
    n = rng.randint(2, 5)
    refs = [rand_seq(rng, vocab, 0, 12) for _ in range(rng.randint(1, 30))]
    kind = rng.random()
    if kind < 0.15:
        hyp = rand_seq(rng, vocab, 0, n - 1)  # shorter than n (possibly empty)
    elif kind < 0.3:
        # mostly tokens the references never use: zero overlap at some/all orders
        hyp = [
            rng.choice([vocab, vocab + 1, rng.randrange(vocab)]) for _ in range(rng.randint(1, 12))
        ]
    elif kind < 0.4:
        hyp = list(rng.choice(refs))  # copy of a reference (possibly with a tweak)
        if hyp and rng.random() < 0.5:
            hyp[rng.randrange(len(hyp))] = rng.randrange(vocab)
    else:
        hyp = rand_seq(rng, vocab, 0, 12)
    return refs, hyp, n


@pytest.mark.parametrize("smoothing", ["none", "method1"])
def test_matches_nltk_on_random_small_cases(smoothing):
    rng = random.Random(1234 if smoothing == "none" else 4321)
    hits = {"short": 0, "zero_higher": 0, "zero_unigram": 0, "empty": 0, "bp<1": 0}
    for _ in range(300):
        refs, hyp, n = random_case(rng)
        scorer = BleuScorer(refs, n=n, smoothing=smoothing)
        ours = scorer.score(hyp)
        expected = nltk_bleu(refs, hyp, n, smoothing)
        assert isinstance(ours, float)
        assert abs(ours - expected) <= TOL, (refs, hyp, n, smoothing, ours, expected)
        # Count which edge cases the random draw covered.
        hits["empty"] += len(hyp) == 0
        hits["short"] += 0 < len(hyp) < n
        hits["zero_unigram"] += len(hyp) > 0 and expected == 0.0
        hits["zero_higher"] += expected > 0 and (
            expected < 1e-100
            if smoothing == "none"
            else any(
                bleu_score.modified_precision(refs, hyp, k).numerator == 0 for k in range(2, n + 1)
            )
        )
        hits["bp<1"] += 0 < len(hyp) <= scorer.closest_ref_length(len(hyp))
    assert all(v > 0 for v in hits.values()), hits


def test_matches_nltk_with_string_tokens_and_numpy_inputs():
    rng = random.Random(7)
    words = ["the", "cat", "sat", "on", "a", "mat", "dog"]
    for _ in range(50):
        refs = [[rng.choice(words) for _ in range(rng.randint(0, 10))] for _ in range(8)]
        hyp = [rng.choice(words) for _ in range(rng.randint(0, 10))]
        for smoothing in ("none", "method1"):
            ours = BleuScorer(refs, n=3, smoothing=smoothing).score(hyp)
            assert abs(ours - nltk_bleu(refs, hyp, 3, smoothing)) <= TOL
    np_rng = np.random.default_rng(0)
    refs = [np_rng.integers(0, 6, size=np_rng.integers(1, 12)) for _ in range(10)]
    hyp = np_rng.integers(0, 6, size=9)
    ours = BleuScorer(refs, n=4, smoothing="method1").score(hyp)
    expected = nltk_bleu([r.tolist() for r in refs], hyp.tolist(), 4, "method1")
    assert abs(ours - expected) <= TOL


def test_hand_checked_edge_cases():
    refs = [[1, 2, 3, 4], [1, 2, 2]]
    for smoothing in ("none", "method1"):
        s = BleuScorer(refs, n=4, smoothing=smoothing)
        assert s.score([]) == 0.0  # empty hypothesis
        assert s.score([9, 9, 9]) == 0.0  # no unigram overlap: nltk returns 0 early
        assert s.score([1, 2, 3, 4]) == pytest.approx(1.0, abs=1e-15)
        for hyp in ([1], [2, 2], [1, 2, 3], [4, 3, 2, 1, 1]):
            assert abs(s.score(hyp) - nltk_bleu(refs, hyp, 4, smoothing)) <= TOL
    # No smoothing + a zero-overlap order: nltk substitutes float_info.min for that
    # precision, giving a tiny positive score rather than 0.
    tiny = BleuScorer(refs, n=2).score([4, 1])
    assert 0 < tiny < 1e-100
    assert tiny == pytest.approx(nltk_bleu(refs, [4, 1], 2, "none"), rel=1e-12)
    # method1: zero numerators become 0.1 / denominator.
    p1, p2 = 1.0, 0.1 / 1
    bp = math.exp(1 - 3 / 2)  # closest ref length of a 2-gram hyp: 3 (|3-2| < |4-2|)
    assert BleuScorer(refs, n=2, smoothing="method1").score([4, 1]) == pytest.approx(
        bp * math.sqrt(p1 * p2), rel=1e-12
    )


def test_closest_ref_length_ties_go_to_shorter():
    s = BleuScorer([[0] * 2, [0] * 6, [0] * 10], n=2)
    assert s.closest_ref_length(4) == 2  # |2-4| == |6-4| → shorter
    assert s.closest_ref_length(8) == 6
    assert s.closest_ref_length(5) == 6
    assert s.closest_ref_length(0) == 2
    assert s.closest_ref_length(50) == 10
    assert s.max_count((0,)) == 10 and s.max_count((0, 0)) == 9 and s.max_count((1,)) == 0


def test_corpus_mean_is_mean_of_sentence_scores():
    rng = random.Random(3)
    refs = [rand_seq(rng, 6, 3, 10) for _ in range(20)]
    hyps = [rand_seq(rng, 6, 0, 10) for _ in range(40)]
    s = BleuScorer(refs, n=3, smoothing="method1")
    expected = float(np.mean([nltk_bleu(refs, h, 3, "method1") for h in hyps]))
    assert abs(s.corpus_mean(hyps) - expected) <= TOL
    np.testing.assert_allclose(s.scores(hyps), [s.score(h) for h in hyps], rtol=0, atol=0)
    with pytest.raises(ValueError):
        s.corpus_mean([])


def test_invalid_arguments():
    with pytest.raises(ValueError):
        BleuScorer([], n=2)
    with pytest.raises(ValueError):
        BleuScorer([[1]], n=0)
    with pytest.raises(ValueError):
        BleuScorer([[1]], n=2, smoothing="method7")
    with pytest.raises(ValueError):
        self_bleu([[1, 2]], n=2)


@pytest.mark.parametrize("smoothing", ["none", "method1"])
@pytest.mark.parametrize("n", [2, 3, 4, 5])
def test_self_bleu_of_identical_samples_is_one(n, smoothing):
    samples = [[3, 1, 4, 1, 5, 9, 2, 6]] * 7
    assert self_bleu(samples, n=n, smoothing=smoothing) == pytest.approx(1.0, abs=1e-12)
    assert self_bleu(samples, n=n, smoothing=smoothing, max_hypotheses=3) == pytest.approx(
        1.0, abs=1e-12
    )


def brute_self_bleu(samples, n, smoothing, indices=None):
    indices = range(len(samples)) if indices is None else indices
    values = [nltk_bleu(samples[:i] + samples[i + 1 :], samples[i], n, smoothing) for i in indices]
    return float(np.mean(values))


@pytest.mark.parametrize("smoothing", ["none", "method1"])
def test_self_bleu_matches_brute_force_leave_one_out(smoothing):
    rng = random.Random(99 if smoothing == "none" else 98)
    for _ in range(40):
        vocab = rng.randint(3, 7)
        n = rng.randint(2, 5)
        samples = [rand_seq(rng, vocab, 0, 10) for _ in range(rng.randint(2, 15))]
        if rng.random() < 0.3:  # duplicates stress the top-1 / top-2 bookkeeping
            samples += [list(rng.choice(samples)) for _ in range(rng.randint(1, 3))]
            rng.shuffle(samples)
        ours = self_bleu(samples, n=n, smoothing=smoothing)
        assert abs(ours - brute_self_bleu(samples, n, smoothing)) <= TOL, (samples, n)


def test_self_bleu_unique_lengths_and_top_count_holder():
    # Sample 0 alone holds the max count of (1,) and the only length-6 sequence:
    # leaving it out must fall back to the second-largest count and other lengths.
    samples = [[1, 1, 1, 1, 1, 2], [1, 2, 3], [2, 3, 1, 1], [3, 3]]
    for n in (2, 3):
        for smoothing in ("none", "method1"):
            ours = self_bleu(samples, n=n, smoothing=smoothing)
            assert abs(ours - brute_self_bleu(samples, n, smoothing)) <= TOL


def test_self_bleu_max_hypotheses_subset():
    rng = random.Random(5)
    samples = [rand_seq(rng, 5, 2, 10) for _ in range(30)]
    chosen = np.sort(np.random.default_rng(11).choice(30, size=8, replace=False)).tolist()
    ours = self_bleu(samples, n=3, smoothing="method1", max_hypotheses=8, seed=11)
    assert abs(ours - brute_self_bleu(samples, 3, "method1", chosen)) <= TOL
    assert self_bleu(samples, n=3, max_hypotheses=100) == self_bleu(samples, n=3)
