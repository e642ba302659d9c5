"""`seqgan-ray bench d-epoch`: the documented JSON keys with sensible values, FLOP counts that
match a hand count, and bad sizes refused with one line and exit code 2."""

import json

import pytest
from test_cli import run_cli

from seqgan_ray.studies.bench import d_forward_flops, paper_models

TINY = ("--sequences", "150", "--vocab", "50", "--seq-len", "6", "--repeats", "2")


def test_paper_d_costs_27_mflop_per_sequence_forward():
    # convs: 2 * E * sum_w (T - w + 1) * w * C_w, E = 64, T = 20:
    #   20*1*100 + 19*2*200 + 18*3*200 + 17*4*200 + 16*5*200 + 15*6*100 + 14*7*100
    #   + 13*8*100 + 12*9*100 + 11*10*100 + 6*15*160 + 1*20*160 = 118,600 -> 15,180,800
    # highway: 2 GEMMs of 1,720 x 1,720 -> 4 * 1720^2 = 11,833,600; output layer 2 * 1720
    _, disc = paper_models(50, 20)
    assert d_forward_flops(disc, 20) == 15_180_800 + 11_833_600 + 3_440


def test_d_epoch_json_has_the_documented_keys(capsys):
    code, out, err = run_cli(
        capsys, "bench", "d-epoch", *TINY, "--filters", "quarter", "--threads", "1", "--json"
    )
    assert code == 0, err
    r = json.loads(out)
    assert {"sequences": 150, "threads": 1, "filters": "quarter", "repeats": 2}.items() <= r.items()
    assert 0 < r["min"] <= r["seconds_per_epoch"] <= r["max"]
    # quarter table at T = 6: widths 1..6 with 25, 50, 50, 50, 50, 25 filters (250 features)
    # convs 2*64*(6*1*25 + 5*2*50 + 4*3*50 + 3*4*50 + 2*5*50 + 1*6*25) = 320,000,
    # highway 4 * 250^2 = 250,000, output 2 * 250 = 500; training = 3 x forward
    assert r["train_flops_per_sequence"] == 3 * 570_500
    assert r["gemm_gflops"] > 0.1
    floor = r["train_flops_per_sequence"] * 150 / (r["gemm_gflops"] * 1e9)
    assert r["flop_floor_s"] == pytest.approx(floor)
    assert r["floor_ratio"] == pytest.approx(r["seconds_per_epoch"] / floor)
    assert r["dtype"] == "float32"


def test_d_epoch_bench_times_the_bf16_path(capsys):
    code, out, err = run_cli(capsys, "bench", "d-epoch", *TINY, "--dtype", "bfloat16", "--json")
    assert code == 0, err
    assert json.loads(out)["dtype"] == "bfloat16"


@pytest.mark.parametrize(
    "args, message",
    [
        (("--sequences", "0"), "sequences, repeats and batch must be >= 1"),
        (("--repeats", "0"), "sequences, repeats and batch must be >= 1"),
        (("--filters", "half"), "filters must be one of paper, quarter"),
        (("--threads", "0"), "--threads must be >= 1"),
        (("--vocab", "1"), "need vocab >= 2"),
        (("--seq-len", "0"), "seq_len >= 1"),
        (("--dtype", "float16"), "dtype must be float32 or bfloat16"),
    ],
)
def test_bad_sizes_exit_2_with_one_line(capsys, args, message):
    code, out, err = run_cli(capsys, "bench", "d-epoch", *TINY, *args)
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1 and message in err


def test_rollout_bench_reports_the_error_of_bf16_where_q_is_small(capsys):
    tiny = ("--vocab", "50", "--seq-len", "6", "--batch", "4", "--rollouts", "2")
    code, out, err = run_cli(
        capsys, "bench", "rollout", *tiny, "--repeats", "1", "--threads", "1",
        "--score-dtype", "bfloat16", "--json",
    )  # fmt: skip
    assert code == 0, err
    r = json.loads(out)
    assert 1e-4 < r["q_small_median"] < 1e-2  # D shifted so that its median P(real) is 1e-3
    assert 0 < r["q_small_max_rel_diff_vs_fp32"] < 0.05  # the gate's bf16 GEMM moves Q a little
    assert 0 < r["q_max_abs_diff_vs_fp32"] < 1e-3


def test_rollout_bench_on_a_pool_splits_the_step_into_compute_and_overhead(capsys, ray_cluster):
    tiny = ("--vocab", "50", "--seq-len", "6", "--batch", "4", "--rollouts", "4")
    code, out, err = run_cli(
        capsys, "bench", "rollout", *tiny, "--repeats", "2", "--workers", "2", "--json"
    )
    assert code == 0, err
    r = json.loads(out)
    assert {"workers": 2, "rollouts": 4, "repeats": 2}.items() <= r.items()
    assert r["actor_compute_s"] > 0 and r["overhead_s"] > 0  # both parts of the step measured
