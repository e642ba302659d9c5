"""NLL-test and temperature: the diversity side of the evaluation."""

import pytest
import torch
from conftest import official_file

from seqgan_ray import config as C
from seqgan_ray import presets
from seqgan_ray.core.models import Generator
from seqgan_ray.core.sampling import sample_sequences
from seqgan_ray.tasks.metrics import nll
from seqgan_ray.tasks.oracle import Oracle
from seqgan_ray.tasks.synthetic import SyntheticTask


def test_official_oracle_nll_of_its_own_samples_is_its_entropy():
    """NLL-test of the oracle on held-out oracle samples estimates the oracle's entropy rate:
    ~5.74 nats/token (the shipped real_data.txt scores 5.7609 with 9,984 sequences)."""
    path = official_file("target_params_py3.pkl")
    cfg = C.override(presets.PAPER, "task", oracle_path=str(path), num_train=16, num_test=4000)
    task = SyntheticTask(cfg, torch.device("cpu"))
    per_seq = -task.oracle.log_probs(task.test).mean(dim=1).double()
    value, se = per_seq.mean().item(), per_seq.std().item() / len(per_seq) ** 0.5
    # nll_test batches its float32 forward passes: the summation order (and so the last float32
    # bits) depends on the batch split and the BLAS kernel the machine picks, hence 1e-6 not 0.
    assert task.nll_test(task.oracle) == pytest.approx(value, abs=1e-6)
    assert abs(value - 5.74) < 4 * se + 0.01


def test_final_scoring_scores_each_sample_once_and_changes_no_number():
    task = SyntheticTask(presets.TINY, torch.device("cpu"))
    torch.manual_seed(1)
    g = Generator(presets.TINY.task.vocab_size, 8, 8, presets.TINY.task.seq_len)
    ys = sample_sequences(g.policy(), 700, (5, "s"))  # 700: batches of 256 and a ragged one
    quality, scores = task.scored_quality(ys)
    assert torch.equal(scores, task.sequence_scores(ys))
    assert quality == task.quality(ys)  # exact: the mean of the same per-sequence values
    assert quality["nll_oracle"] == task.nll_oracle(ys)


def test_lower_temperature_lowers_nll_oracle_and_raises_nll_test():
    oracle = Oracle.random(30, 8, 8, 10, seed=3)
    test = sample_sequences(oracle.policy(), 3000, (3, "test"))
    torch.manual_seed(0)
    model = Generator(30, 8, 8, 10, init_std=0.5)  # an imperfect model of the oracle
    with torch.no_grad():  # make it a rough copy: shares structure, so low tau finds good modes
        for p, q in zip(model.parameters(), oracle.parameters()):
            p.copy_(0.8 * q + 0.2 * p)
    quality, diversity = [], []
    for tau in (0.5, 1.0):
        ys = sample_sequences(model.policy(), 3000, (4, "s"), tau)
        quality.append(nll(oracle, ys))
        diversity.append(nll(model, test, temperature=tau))
    assert quality[0] < quality[1] - 0.1  # sharper samples: the oracle likes them more
    assert diversity[0] > diversity[1] + 0.1  # but the sharpened model covers held-out data worse


def test_every_evaluation_logs_nll_test(tmp_path):
    from seqgan_ray.driver.rundir import read_metrics
    from seqgan_ray.driver.trainer import train

    train(presets.TINY, tmp_path / "run", show_progress=False)
    rows = read_metrics(tmp_path / "run" / "metrics.jsonl")
    evals = [r for r in rows if "eval/nll_oracle" in r]
    assert evals and all("eval/nll_test" in r for r in evals)
    assert "final/nll_test" in rows[-1]


def test_the_reference_is_mles_pareto_front_even_when_its_curve_folds_back():
    from seqgan_ray.studies.frontier import below_curve, pareto_front

    # BLEU (higher is better) against NLL-test; past tau = 1.1 NLL-test rises again (folds).
    mle = [
        {"temperature": t, "bleu4": q, "nll_test": d}
        for t, q, d in [(0.6, 0.92, 2.2), (0.8, 0.89, 2.04), (1.0, 0.83, 1.99), (1.1, 0.80, 1.98),
                        (1.5, 0.66, 2.02)]
    ]  # fmt: skip
    assert [p["temperature"] for p in pareto_front(mle, "bleu4", True)] == [1.1, 1.0, 0.8, 0.6]
    # At NLL-test 2.02 the front gives 0.89 - (0.89 - 0.83) * 0.02 / 0.05 = 0.866, not 0.66.
    verdict = below_curve([{"bleu4": 0.85, "nll_test": 2.02}], mle, "bleu4", higher=True)
    assert verdict["points_below"] == 0 and verdict["max_gap"] == pytest.approx(0.85 - 0.866)
    # Past the front's end: counted only when the front's best already beats the point.
    assert (
        below_curve([{"bleu4": 0.5, "nll_test": 3.0}], mle, "bleu4", True)["points_compared"] == 1
    )
    assert (
        below_curve([{"bleu4": 0.99, "nll_test": 3.0}], mle, "bleu4", True)["points_compared"] == 0
    )
    # Lower-is-better quality (NLL-oracle) is the same with the sign flipped.
    flipped = [{**p, "nll_oracle": -p["bleu4"]} for p in mle]
    same = below_curve([{"nll_oracle": -0.85, "nll_test": 2.02}], flipped)
    assert same["max_gap"] == pytest.approx(verdict["max_gap"])


def _curve(points):
    return [{"temperature": t, "nll_oracle": q, "nll_test": d} for t, q, d in points]


# NLL-oracle falls as NLL-test rises with sharper sampling (lower tau); lower is better on both.
MLE = _curve([(0.8, 8.5, 10.0), (1.0, 9.0, 9.0), (1.25, 9.4, 8.5)])
SHUFFLED = _curve([(0.8, 8.4, 10.2), (1.0, 8.8, 9.4), (1.25, 9.2, 8.8)])


def test_the_trained_generators_gap_is_read_at_tau_1():
    from seqgan_ray.studies.frontier import below_curve

    # tau = 1 at NLL-test 9.2: MLE's front gives 9.0 - 0.5 * 0.2 / 1.0 = 8.9; the point is 8.85
    seqgan = _curve([(0.8, 8.3, 10.4), (1.0, 8.85, 9.2), (1.25, 9.5, 8.6)])
    verdict = below_curve(seqgan, MLE)
    assert verdict["gap_at_tau1"] == pytest.approx(8.9 - 8.85)
    assert verdict["points_compared"] == 2 and verdict["points_below"] == 1  # 10.4: past the front
    assert verdict["max_gap"] == pytest.approx(0.05)
    # a tau = 1 point outside the front's range is not compared: no gap
    assert below_curve(_curve([(1.0, 7.0, 12.0)]), MLE)["gap_at_tau1"] is None


def test_frontiers_over_seeds_count_the_seeds_below_each_reference(tmp_path):
    import json

    from seqgan_ray.studies.frontier import below_curve, frontier_over_seeds

    # At NLL-test 9.2 MLE's front gives 8.9 and shuffled's 9.2 - 0.4 * 0.4 / 0.6; at 8.8 MLE's
    # gives 9.4 - 0.4 * 0.3 / 0.5 = 9.16 and shuffled's 9.2 (its own point).
    curves = {1: _curve([(1.0, 8.85, 9.2)]), 2: _curve([(1.0, 9.2, 8.8)])}
    for seed, seqgan in curves.items():
        d = tmp_path / f"seed-{seed}"
        d.mkdir()
        frontier = {
            "metric": {"key": "nll_oracle", "label": "NLL-oracle", "higher": False},
            "samples": 10,
            "curves": {"mle": MLE, "shuffled": SHUFFLED, "seqgan": seqgan},
        }
        frontier["vs_temperature_tuned_mle"] = {
            "shuffled": below_curve(SHUFFLED, MLE),
            "seqgan": below_curve(seqgan, MLE),
        }
        frontier["vs_temperature_tuned_shuffled"] = {"seqgan": below_curve(seqgan, SHUFFLED)}
        (d / "frontier.json").write_text(json.dumps(frontier))
    result = frontier_over_seeds(tmp_path, [1, 2])
    vs_mle = result["vs_temperature_tuned_mle"]["seqgan"]
    assert vs_mle["seeds_below_at_tau1"] == 1
    assert vs_mle["gap_at_tau1"] == pytest.approx([0.05, 9.16 - 9.2])
    vs_shuffled = result["vs_temperature_tuned_shuffled"]["seqgan"]
    assert vs_shuffled["gap_at_tau1"] == pytest.approx([9.2 - 0.4 * 0.4 / 0.6 - 8.85, 0.0])
    assert vs_shuffled["seeds_below_at_tau1"] == 1  # a gap of exactly 0 is not below
    table = (tmp_path / "frontier.md").read_text()
    assert "| SeqGAN | 1 of 2 seeds | +0.050, -0.040 | 1 of 2 |" in table
    assert "| method | tau = 1 below it | gap at tau = 1, per seed | points below |" in table
    # BLEU: higher is better, so the better side of a front is above it
    for seed in (1, 2):
        f = tmp_path / f"seed-{seed}" / "frontier.json"
        f.write_text(f.read_text().replace('"higher": false', '"higher": true'))
    frontier_over_seeds(tmp_path, [1, 2])
    table = (tmp_path / "frontier.md").read_text()
    assert "| method | tau = 1 above it | gap at tau = 1, per seed | points above |" in table
    assert (tmp_path / "frontier.png").read_bytes()[:4] == b"\x89PNG"


def test_evaluation_batches_fit_the_logit_budget_and_give_the_same_values():
    """sequence_nll's default batches hold EVAL_LOGITS logits (41 sequences at V 5,000, T 20 on
    a CPU: cache-sized, 2x faster than 256) and score every sequence as 256-sequence batches do
    (to float rounding: the batch split may change a BLAS kernel's summation order)."""
    from seqgan_ray.tasks.metrics import EVAL_LOGITS, eval_batch_size, sequence_nll

    torch.manual_seed(0)
    model = Generator(vocab_size=5000, emb_dim=8, hidden_dim=8, seq_len=20, start_token=0)
    y = torch.randint(0, 5000, (100, 20))
    assert eval_batch_size(model, y) == EVAL_LOGITS["cpu"] // (20 * 5000) == 41
    torch.testing.assert_close(sequence_nll(model, y), sequence_nll(model, y, 256))
