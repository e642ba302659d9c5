"""The layout chooser on made-up clusters (pure arithmetic, no Ray): what fits, what each piece
reserves and computes with, and one clear error when the user's own sizes cannot be placed."""

import pytest

from seqgan_ray.distributed.layout import Capacity, RayOptions, choose_layout, embedded_layout
from seqgan_ray.errors import UserError

AUTO = RayOptions()
N = 16  # roll-outs per g-step (the demo and paper presets)


def fits(layout, cap):
    need = layout.demands()
    return need["CPU"] <= cap.cpus + 1e-9 and need["GPU"] <= cap.gpus + 1e-9


def test_two_cpu_head_is_time_shared_like_the_embedded_run_on_two_cores():
    """The issue's `ray start --head --num-cpus 2`: the old layout asked for 3 CPUs. Now the
    learner, 2 workers and 2 sampling tasks take turns on the 2 cores, as embedded on 2 cores."""
    cap = Capacity(2)
    layout = choose_layout(AUTO, cap, N)
    assert layout.shared and fits(layout, cap)
    # reservations: a third each for learner, pool and tasks, rounded down to Ray's 1e-4
    assert (layout.learner_cpus, layout.worker_cpus, layout.task_cpus) == (0.6666, 0.3333, 0.3333)
    assert layout.demands()["CPU"] == pytest.approx(0.6666 + 2 * 0.3333 + 2 * 0.3333)  # 1.9998
    local, _ = embedded_layout(AUTO, 2, N)
    computes = ("learner_threads", "workers", "tasks_at_once")
    assert [getattr(layout, f) for f in computes] == [getattr(local, f) for f in computes]
    assert [getattr(layout, f) for f in computes] == [2, 2, 2]
    assert "2 roll-out workers x 0.3333 CPU" in layout.describe()


def test_one_cpu_still_runs_one_worker():
    layout = choose_layout(AUTO, Capacity(1), N)
    assert fits(layout, Capacity(1)) and layout.shared
    assert (layout.learner_threads, layout.workers, layout.tasks_at_once) == (1, 1, 1)
    assert layout.demands()["CPU"] == pytest.approx(3 * 0.3333)


def test_eight_cpus_get_a_whole_cpu_per_piece_as_before():
    for cap in (Capacity(8), Capacity(8, node_cpus=4)):  # one node, or the tests' two 4-CPU nodes
        layout = choose_layout(AUTO, cap, N)
        assert not layout.shared
        # learner 1 + 6 workers + 1 for sampling tasks = 8
        assert (layout.learner_cpus, layout.workers, layout.worker_cpus) == (1, 6, 1)
        assert layout.demands() == {"CPU": 8.0, "GPU": 0.0}
    assert choose_layout(AUTO, Capacity(64), N).workers == N  # a worker per roll-out index at most
    assert choose_layout(AUTO, Capacity(64), 4).workers == 4


def test_every_cluster_size_fits_and_uses_ray_precision():
    for cpus in (0.5, 1, 1.5, 2, 2.5, 3, 5, 8, 13, 64):
        for n in (0, 1, 4, 16):
            cap = Capacity(cpus)
            layout = choose_layout(AUTO, cap, n)
            assert fits(layout, cap), (cpus, n, layout)
            assert layout.workers <= n and layout.learner_threads >= 1
            for v in (layout.learner_cpus, layout.worker_cpus, layout.task_cpus):
                assert round(v * 10_000) == pytest.approx(v * 10_000), v  # Ray's 1e-4 units


def test_pg_bleu_needs_no_workers():
    layout = choose_layout(AUTO, Capacity(2), 0)
    assert layout.workers == 0 and layout.demands()["CPU"] == 2.0  # learner 1, sampling 1


def test_gpus_go_to_the_learner_and_pack_onto_whole_gpus():
    layout = choose_layout(AUTO, Capacity(16, gpus=8), N)
    # 14 workers on the 7 GPUs the learner leaves: two per GPU
    assert (layout.learner_gpus, layout.workers, layout.worker_gpus) == (1, 14, 0.5)
    assert layout.demands()["GPU"] == 8
    one = choose_layout(AUTO, Capacity(4, gpus=1), N)
    assert (one.learner_gpus, one.workers, one.worker_gpus) == (0.5, 2, 0.25)  # shared GPU
    odd = choose_layout(AUTO, Capacity(18, gpus=8), N)
    # 16 workers on 7 GPUs: thirds (7 * 3 = 21 slots), never a fraction that does not pack
    assert (odd.workers, odd.worker_gpus) == (16, 0.3333) and fits(odd, Capacity(18, gpus=8))
    cpu = choose_layout(AUTO, Capacity(16, gpus=8), N, use_gpus=False)  # --device cpu
    assert cpu.demands()["GPU"] == 0


def test_user_sizes_are_kept_and_the_rest_fits_around_them():
    # the learner fixed at one CPU of two: no whole CPU left for a worker -> roll-outs in it
    inside = choose_layout(RayOptions(learner_cpus=1), Capacity(2), N)
    assert (inside.workers, inside.learner_cpus, inside.task_cpus) == (0, 1, 1)
    assert "roll-outs in the learner" in inside.describe()
    # K fixed at 2 on two CPUs: time-shared around it
    two = choose_layout(RayOptions(rollout_workers=2), Capacity(2), N)
    assert two.workers == 2 and two.shared and fits(two, Capacity(2))
    # K above N is capped
    assert choose_layout(RayOptions(rollout_workers=9), Capacity(16), 4).workers == 4
    explicit = RayOptions(rollout_workers=3, cpus_per_rollout_worker=2, learner_cpus=2)
    layout = choose_layout(explicit, Capacity(16), N)
    assert (layout.workers, layout.worker_cpus, layout.learner_threads) == (3, 2, 2)


@pytest.mark.parametrize(
    ("options", "cap", "message"),
    [
        (RayOptions(rollout_workers=3, cpus_per_rollout_worker=1), Capacity(2), r"CPU 5 > 2"),
        (RayOptions(learner_cpus=2), Capacity(2), r"CPU 4 > 2"),
        (RayOptions(rollout_workers=2, gpus_per_rollout_worker=1), Capacity(8), r"GPU 2 > 0"),
        (RayOptions(rollout_workers=9), Capacity(4), r"CPU 11 > 4"),  # more workers than CPUs
        (RayOptions(learner_cpus=6), Capacity(8, node_cpus=4), r"largest node, 4 CPU"),
    ],
)
def test_user_sizes_that_cannot_be_placed_are_one_error(options, cap, message):
    with pytest.raises(UserError, match=message):
        choose_layout(options, cap, N)


def test_embedded_ray_is_sized_to_the_layout():
    layout, num_cpus = embedded_layout(AUTO, 2, N)
    # learner every core, a worker per core, one CPU per sampling task, two tasks at a time
    assert (layout.learner_cpus, layout.learner_threads, layout.workers) == (2, 2, 2)
    assert num_cpus == 2 + 2 + 2
    layout, num_cpus = embedded_layout(RayOptions(rollout_workers=3, learner_cpus=1), 8, N)
    assert (layout.workers, num_cpus) == (3, 1 + 3 + 4)


def test_sweep_trials_fit_a_small_cluster_and_keep_whole_cpus_on_a_big_one():
    from seqgan_ray.studies.tune import trial_bundles, trial_layout

    big = trial_bundles(trial_layout(1, Capacity(8)))
    assert big == [{"CPU": 0.5}, {"CPU": 1.0}, {"CPU": 1.0}, {"CPU": 1.0}]  # driver, L, K=1, tasks
    small = trial_layout(1, Capacity(2))
    bundles = trial_bundles(small)
    # the driver's half CPU, then a third of the other 1.5 each: learner, worker, 2 tasks x 0.25
    assert bundles == [{"CPU": 0.5}, {"CPU": 0.5}, {"CPU": 0.5}, {"CPU": 0.5}]
    assert (small.learner_threads, small.tasks_at_once) == (2, 2)
    assert trial_bundles(trial_layout(2)) == [{"CPU": 0.5}, {"CPU": 1.0}] + [{"CPU": 1.0}] * 3
    with pytest.raises(UserError, match=r"one trial needs 66.5 CPU"):
        trial_layout(64, Capacity(8))
