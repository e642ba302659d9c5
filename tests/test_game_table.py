"""studies/game.py: the diagnostics table of `seqgan-ray report`, on hand-written metrics."""

import json

import pytest

from seqgan_ray.studies.game import COLUMNS, game_at, game_table, iterations_to_show


def _rows(values, evals):
    """Adversarial rows: iteration i has every diagnostic = values[i], an evaluation at
    the iterations in `evals` (NLL-oracle = 9 + i / 100)."""
    rows = [{"phase": "mle", "step": 0, "epoch": 0, "eval/nll_oracle": 10.0}]
    for i, v in enumerate(values):
        row = {"phase": "adversarial", "step": i, "epoch": 1 + i}
        row |= {key: v for key, _ in COLUMNS if not key.startswith("eval/")}
        if i in evals:
            row |= {"eval/nll_oracle": 9 + i / 100, "eval/nll_test": 8 + i / 100}
        rows.append(row)
    return rows


def test_the_table_looks_at_the_start_10_25_50_percent_and_the_end():
    assert iterations_to_show(200) == [0, 20, 50, 100, 199]
    assert iterations_to_show(7) == [0, 1, 2, 3, 6]
    assert iterations_to_show(1) == [0] and iterations_to_show(0) == []


def test_a_diagnostic_is_the_windows_mean_and_nll_the_last_evaluation():
    rows = _rows([0.0, 1.0, 2.0, 3.0, 4.0, 5.0], evals={0, 3})
    at = game_at(rows, 4, window=2)
    assert at["d/acc"] == pytest.approx((3.0 + 4.0) / 2) and at["adv/grad_norm"] == 3.5
    assert at["eval/nll_oracle"] == pytest.approx(9.03)  # evaluated at 3, not at 4
    assert game_at(rows, 6, window=2) == {}  # not reached


def test_the_table_averages_runs_and_leaves_out_methods_without_a_game(tmp_path):
    def write(name, rows):
        (tmp_path / name).mkdir()
        (tmp_path / name / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
        return tmp_path / name

    a = write("a", _rows([1.0] * 10, evals={0, 5}))
    b = write("b", _rows([3.0] * 10, evals={0, 5}))
    short = write("short", _rows([1.0] * 3, evals={0}))
    mle = write("mle", [{"phase": "mle", "step": 0, "epoch": 0, "eval/nll_oracle": 9.5}])
    groups = {"s": ("SeqGAN", [a, b]), "x": ("Half", [a, short]), "m": ("MLE", [mle])}
    lines = game_table(groups, 10)
    rows = [ln for ln in lines if ln.startswith("| SeqGAN") or ln.startswith("| Half")]
    assert not any(ln.startswith("| MLE") for ln in lines)
    assert [ln.split(" | ")[1] for ln in rows[:5]] == ["0", "1", "2", "5", "9"]
    # iteration 5 of SeqGAN: NLL-oracle 9.05 in both runs, every diagnostic (1 + 3) / 2
    cells = rows[3].strip("| ").split(" | ")
    assert cells[2:4] == ["9.05", "8.05"] and cells[4:] == ["2"] * (len(COLUMNS) - 2)
    # a run that stopped at iteration 2 makes the later rows of its method empty
    half = [ln for ln in rows if ln.startswith("| Half")]
    assert "–" not in half[2] and half[3].count("–") == len(COLUMNS)
