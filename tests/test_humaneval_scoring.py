"""humaneval's statistics against counts done by hand (the arithmetic is in the comments)."""

import json
import math

import numpy as np
import pytest

from seqgan_ray.errors import UserError
from seqgan_ray.humaneval import report, scoring

SOURCES = ["real", "seqgan", "mle"]
KEY = {"r1": "real", "r2": "real", "s1": "seqgan", "s2": "seqgan", "m1": "mle", "m2": "mle"}
H, M = True, False
# rater: real, real, seqgan, seqgan, mle, mle
JUDGED = {
    "a": (H, H, H, M, M, M),  # real 2/2, seqgan 1/2, mle 0/2
    "b": (H, M, H, H, H, M),  # real 1/2, seqgan 2/2, mle 1/2
    "c": (H, H, M, M, M, M),  # real 2/2, seqgan 0/2, mle 0/2
}
ANSWERS = [(r, item, h) for r, hs in JUDGED.items() for item, h in zip(KEY, hs)]


def test_the_paper_rule_is_the_share_of_answers_judged_human_per_source():
    counts = scoring.tally(ANSWERS, KEY, SOURCES)
    assert counts.yes.tolist() == [[2, 1, 0], [1, 2, 1], [2, 0, 0]]
    assert counts.total.tolist() == [[2, 2, 2]] * 3
    # real 5/6, seqgan 3/6, mle 1/6
    assert scoring.human_scores(counts) == pytest.approx([5 / 6, 3 / 6, 1 / 6])


def test_fleiss_kappa_of_the_fixture_by_hand():
    table = scoring.agreement_table(ANSWERS)  # (human, machine) per item over 3 raters
    assert table.tolist() == [[3, 0], [2, 1], [2, 1], [1, 2], [1, 2], [0, 3]]
    # P_i = (sum n_ij^2 - 3) / 6: 1, 1/3, 1/3, 1/3, 1/3, 1 -> mean 5/9; 9 of 18 human -> P_e = 1/2
    # kappa = (5/9 - 1/2) / (1 - 1/2) = 1/9
    assert scoring.fleiss_kappa(table) == pytest.approx(1 / 9)


def test_fleiss_kappa_of_fleiss_worked_example():
    # 10 items, 14 raters, 5 categories (Fleiss 1971's layout, as on Wikipedia): P = 0.378,
    # P_e = 0.213, kappa = 0.210
    table = [
        [0, 0, 0, 0, 14],
        [0, 2, 6, 4, 2],
        [0, 0, 3, 5, 6],
        [0, 3, 9, 2, 0],
        [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0],
        [3, 2, 6, 3, 0],
        [2, 5, 3, 2, 2],
        [6, 5, 2, 1, 0],
        [0, 2, 2, 3, 7],
    ]
    assert round(scoring.fleiss_kappa(np.array(table)), 3) == 0.210


def test_fleiss_kappa_leaves_out_items_judged_once_and_says_when_undefined():
    table = scoring.agreement_table(ANSWERS)
    assert scoring.fleiss_kappa(np.vstack([table, [[1, 0]], [[0, 1]]])) == pytest.approx(1 / 9)
    assert scoring.fleiss_kappa(np.array([[1, 0], [0, 1]])) is None  # nobody judged twice
    assert scoring.fleiss_kappa(np.array([[3, 0], [2, 0]])) is None  # one category: 0/0


def test_the_bootstrap_keeps_each_raters_answers_together():
    # Rater x calls all 4 items human, rater y none: resampled pairs xx (1.0, p 1/4), xy or yx
    # (0.5, p 1/2), yy (0.0, p 1/4), so the 95% interval is 0..1. Answers taken one by one
    # (4 of 8, Wilson) would claim about 0.22..0.78.
    key = {f"i{k}": "real" for k in range(4)}
    answers = [(r, i, r == "x") for r in "xy" for i in key]
    counts = scoring.tally(answers, key, ["real"])
    low, high = scoring.rater_bootstrap(counts)
    assert (low[0], high[0]) == (0.0, 1.0)


def test_the_bootstrap_of_one_rater_or_identical_raters_is_the_point():
    counts = scoring.tally([a for a in ANSWERS if a[0] == "a"], KEY, SOURCES)
    low, high = scoring.rater_bootstrap(counts)
    assert low.tolist() == high.tolist() == [1.0, 0.5, 0.0]
    clones = [(r, i, h) for r in "pqr" for _, i, h in ANSWERS if _ == "b"]
    low, high = scoring.rater_bootstrap(scoring.tally(clones, KEY, SOURCES))
    assert low.tolist() == high.tolist() == [0.5, 1.0, 0.5]


def test_wilcoxon_across_raters_by_hand():
    # 5 raters, 5 items each of a and b: a always human, b human 0..4 times. Differences
    # 1, .8, .6, .4, .2 are all positive: W = 0, exact two-sided p = 2 / 2^5 = 0.0625.
    key = {**{f"a{k}": "a" for k in range(5)}, **{f"b{k}": "b" for k in range(5)}}
    answers = [(f"r{r}", f"a{k}", True) for r in range(5) for k in range(5)]
    answers += [(f"r{r}", f"b{k}", k < r) for r in range(5) for k in range(5)]
    c = scoring.compare(scoring.tally(answers, key, ["a", "b"]), "a", "b")
    assert (c.raters, c.statistic) == (5, 0.0)
    assert c.diff == pytest.approx(0.6) and c.p == pytest.approx(0.0625)


def test_comparisons_pair_within_raters():
    counts = scoring.tally(ANSWERS, KEY, SOURCES)
    # seqgan - mle per rater: a 1/2 - 0, b 1 - 1/2, c 0 - 0 -> mean 1/3; c's zero is dropped
    c = scoring.compare(counts, "seqgan", "mle")
    assert c.raters == 3 and c.diff == pytest.approx(1 / 3)
    same = scoring.compare(scoring.tally(ANSWERS, KEY, SOURCES), "real", "real")
    assert (same.diff, same.p) == (0.0, 1.0)  # every difference zero: no evidence
    only_real = [a for a in ANSWERS if KEY[a[1]] == "real"]
    none = scoring.compare(scoring.tally(only_real, KEY, SOURCES), "seqgan", "real")
    assert none.raters == 0 and math.isnan(none.p)


def test_score_reports_everything_as_json():
    result = scoring.score(ANSWERS, KEY, SOURCES, "real")
    json.dumps(result, allow_nan=False)
    assert result["raters"] == 3 and result["answers"] == 18
    assert result["sources"]["seqgan"] | {"low": 0, "high": 0} == {
        "score": 0.5, "low": 0, "high": 0, "answers": 6, "items": 2, "raters": 3
    }  # fmt: skip
    pairs = [(c["a"], c["b"]) for c in result["comparisons"]]
    assert pairs == [("seqgan", "real"), ("mle", "real"), ("seqgan", "mle")]
    assert result["fleiss_kappa"] == pytest.approx(1 / 9)
    unseen = scoring.score(ANSWERS[:1], KEY, SOURCES, "real")["sources"]["mle"]
    assert (unseen["score"], unseen["low"], unseen["answers"]) == (None, None, 0)


def test_score_refuses_no_answers_and_answers_of_another_study():
    with pytest.raises(UserError, match="no answers yet"):
        scoring.score([], KEY, SOURCES, "real")
    with pytest.raises(UserError, match="not in key.json"):
        scoring.score([("a", "zz", True)], KEY, SOURCES, "real")


def test_the_report_shows_the_paper_only_when_asked(tmp_path):
    result = scoring.score(ANSWERS, KEY, SOURCES, "real")
    plain = report.write(result, tmp_path, "study")
    assert "0.5356" not in plain and "| seqgan | 0.500 |" in plain
    assert "| seqgan − mle | 0.333 | 3 |" in plain
    with_paper = report.render(result, "study", "poems")
    assert "| real | 0.833 |" in with_paper and "| 0.6011 |" in with_paper
    assert "| 0.5356 |" in with_paper and "| 0.4165 |" in with_paper
    assert json.loads((tmp_path / "score.json").read_text())["sources"]["mle"]["answers"] == 6
    assert (tmp_path / "score.png").read_bytes()[:4] == b"\x89PNG"
