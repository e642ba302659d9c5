"""Faults a run survives (issue 13): a lost roll-out node, a lost learner, a killed driver and
damaged run directories. Every fault is injected from here, never by hooks in the library, and
every surviving run must end with the numbers of an uninterrupted one.

The Ray tests share the session's local Ray (conftest.ray_test_cluster): they park its two nodes
under ballast and add nodes of their own, so they know where things run and may remove nodes.
"""

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from seqgan_ray import config as C
from seqgan_ray import presets
from seqgan_ray.driver.rundir import read_metrics
from seqgan_ray.driver.trainer import LocalRuntime, train
from seqgan_ray.errors import UserError

SEQGAN_RAY = Path(sys.executable).parent / "seqgan-ray"  # the installed entry point
RAY_OPTIONS = ("--rollout-workers", "2", "--learner-cpus", "1", "--cpus-per-rollout-worker", "1")


def without_perf(rows):
    return [{k: v for k, v in r.items() if not k.startswith("perf/")} for r in rows]


def outcome(run: Path):
    """What must not depend on faults: every logged number but timings, and the samples."""
    return without_perf(read_metrics(run / "metrics.jsonl")), (run / "samples.txt").read_text()


def uninterrupted(cfg, out: Path):
    """The run without faults, in this process at one thread (the actors' thread count, so the
    same numbers as on Ray: tests/test_cli.py shows both paths agree)."""
    torch.set_num_threads(1)
    train(cfg, out, show_progress=False)
    torch.set_num_threads(2)
    return outcome(out)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    return uninterrupted(presets.TINY, tmp_path_factory.mktemp("reference"))


# ---------------------------------------------------------------------------------------------
# Lost nodes and a lost learner, on the session's Ray.


def _where(instance):
    """Runs inside an actor (via __ray_call__): its node and process."""
    import ray

    return ray.get_runtime_context().get_node_id(), os.getpid()


def wait_until(condition, timeout_s: float, what: str):
    deadline = time.monotonic() + timeout_s
    while not (result := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout_s:.0f} s: {what}")
        time.sleep(0.2)
    return result


@pytest.fixture(scope="module")
def fault_nodes(ray_test_cluster):
    """Four 4-CPU nodes of our own, by id, with the session's nodes held by ballast so that
    everything these tests start runs on ours. Removed nodes drop out of the dict."""
    ray = pytest.importorskip("ray")
    from ray import cloudpickle
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # workers cannot import tests/
    cluster, session_nodes = ray_test_cluster
    ballast = [
        ray.remote(num_cpus=4)(Ballast)
        .options(scheduling_strategy=NodeAffinitySchedulingStrategy(node, soft=False))
        .remote()
        for node in session_nodes
    ]
    ray.get([b.ready.remote() for b in ballast], timeout=120)  # earlier tests left nothing
    nodes = {n.node_id: n for n in (cluster.add_node(num_cpus=4) for _ in range(4))}
    cluster.wait_for_nodes(timeout=300)  # Ray's default 30 s is short on a busy machine
    try:
        yield cluster, nodes
    finally:
        for node in nodes.values():
            cluster.remove_node(node)
        for b in ballast:
            ray.kill(b)


class Ballast:
    def ready(self) -> bool:
        return True


def fault_runtime(at: int, fault, every_time: bool = False):
    """The Ray runtime (learner, two roll-out actors, one CPU each) with `fault(runtime)` run
    just before the roll-outs of adversarial iteration `at`: once, or at each visit."""
    from seqgan_ray.distributed.runtime import RayOptions, RayRuntime

    class FaultAt(RayRuntime):
        fired = 0

        def q_values(self, learner, y, key):
            if key[2] == at and (every_time or not self.fired):
                self.fired += 1
                fault(self)
            return super().q_values(learner, y, key)

    return FaultAt(RayOptions(rollout_workers=2, learner_cpus=1, cpus_per_rollout_worker=1))


def test_losing_a_roll_out_node_mid_run_moves_its_actors_and_keeps_the_numbers(
    fault_nodes, reference, tmp_path
):
    import ray

    cluster, nodes = fault_nodes
    lost = []

    def remove_a_roll_out_node(runtime):
        learner_node, _ = ray.get(runtime.learner_actor.__ray_call__.remote(_where))
        victim = next(n for n in runtime.pool.node_ids() if n != learner_node)
        cluster.remove_node(nodes.pop(victim))
        lost.append(victim)

    runtime = fault_runtime(2, remove_a_roll_out_node)
    try:
        train(presets.TINY, tmp_path / "run", runtime=runtime, show_progress=False)
        now = runtime.pool.node_ids()  # every actor answers again
    finally:
        runtime.shutdown()
    assert lost and lost[0] not in now and set(now) <= set(nodes)
    assert runtime.learners == 0  # the learner was not touched
    assert outcome(tmp_path / "run") == reference


def test_a_killed_learner_is_rebuilt_from_the_last_checkpoint_with_the_same_numbers(
    fault_nodes, reference, tmp_path, capfd
):
    import ray

    def kill_the_learner_process(runtime):
        _, pid = ray.get(runtime.learner_actor.__ray_call__.remote(_where))
        os.kill(pid, signal.SIGKILL)

    # TINY checkpoints after adversarial iteration 1 (every 2); iteration 2 is logged, lost and
    # redone, so metrics.jsonl must be cut back to the checkpoint's lines, as --resume does.
    runtime = fault_runtime(3, kill_the_learner_process)
    try:
        train(presets.TINY, tmp_path / "run", runtime=runtime, show_progress=False)
    finally:
        runtime.shutdown()
    assert runtime.fired == 1 and runtime.learners == 1
    assert outcome(tmp_path / "run") == reference  # no duplicate lines, the same numbers
    err = capfd.readouterr().err
    assert (
        "learner lost (its worker process has died); restart 1 of 3, from adversarial step 2" in err
    )


def test_a_learner_lost_too_often_stops_with_one_message_and_the_run_resumes(
    fault_nodes, reference, tmp_path
):
    import ray

    def kill_the_learner(runtime):
        ray.kill(runtime.learner_actor, no_restart=True)

    out = tmp_path / "run"
    runtime = fault_runtime(3, kill_the_learner, every_time=True)
    try:
        with pytest.raises(UserError) as stopped:
            train(presets.TINY, out, runtime=runtime, show_progress=False, max_learner_restarts=1)
    finally:
        runtime.shutdown()
    assert runtime.fired == 2
    message = str(stopped.value)
    assert "\n" not in message
    assert message == (
        "the learner was lost 2 times (last: it was killed by `ray.kill`); continue from its "
        f"checkpoint {out / 'checkpoint.pt'} with `seqgan-ray train synthetic --resume {out}`"
    )
    torch.set_num_threads(1)  # the advice works, and loses nothing
    train(None, out, resume=True, show_progress=False)
    assert outcome(out) == reference


def test_losing_the_learners_node_rebuilds_it_elsewhere_with_the_same_numbers(
    fault_nodes, reference, tmp_path, capfd
):
    import ray

    cluster, nodes = fault_nodes

    def remove_the_learners_node(runtime):
        node, _ = ray.get(runtime.learner_actor.__ray_call__.remote(_where))
        cluster.remove_node(nodes.pop(node))

    runtime = fault_runtime(3, remove_the_learners_node)
    try:
        train(presets.TINY, tmp_path / "run", runtime=runtime, show_progress=False)
        learner_node, _ = ray.get(runtime.learner_actor.__ray_call__.remote(_where))
    finally:
        runtime.shutdown()
    assert runtime.learners == 1 and learner_node in nodes
    assert outcome(tmp_path / "run") == reference
    assert "learner lost (its node has died); restart 1 of 3" in capfd.readouterr().err


def test_a_roll_out_actor_with_no_room_to_restart_leaves_its_shards_to_the_others(fault_nodes):
    """Ray re-places a lost node's bundle only where there is room; until then the pool routes
    around the actor (a call to it never answers: re-sent after `straggler_s`), then uses it
    again. Last in the module: it leaves one node."""
    import ray
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    from seqgan_ray.core.rollout import rollout_rewards
    from seqgan_ray.distributed.rollout_pool import RolloutPool

    cluster, nodes = fault_nodes
    torch.set_num_threads(1)
    learner = LocalRuntime().make_learner(presets.TINY)
    learner.start_adversarial()
    n, key = presets.TINY.schedule.rollout_num, (presets.TINY.seed, "rollout", 0, 0)
    y = learner.sample(16, (1, "g"))
    expected = rollout_rewards(learner.rollout_policy(), learner.reward(), y, list(range(n)), key)
    d_state = ray.put(learner.discriminator.state_dict())
    args = (ray.put(learner.rollout_policy()), (0, 0), d_state, y, n, key)
    pool = RolloutPool(presets.TINY, 2, straggler_s=5.0)
    try:
        lost, survivor = pool.node_ids()  # both started: their start-up is no straggler
        assert lost != survivor, "SPREAD put both actors on one node"
        assert torch.equal(pool.scores(*args), expected)
        others = [n for n in nodes if n not in (lost, survivor)]
        ballast = [  # every free CPU but the lost node's: no room for its bundle
            ray.remote(num_cpus=cpus)(Ballast)
            .options(scheduling_strategy=NodeAffinitySchedulingStrategy(node, soft=False))
            .remote()
            for node, cpus in [(survivor, 3), *((n, 4) for n in others)]
        ]
        ray.get([b.ready.remote() for b in ballast], timeout=120)
        cluster.remove_node(nodes.pop(lost))
        assert torch.equal(pool.scores(*args), expected)  # the survivor's actor alone
        assert torch.equal(pool.scores(*args), expected)
        for b in ballast:
            ray.kill(b)
        moved, stayed = pool.node_ids()  # re-placed once there is room
        assert stayed == survivor and moved in nodes
        assert torch.equal(pool.scores(*args), expected)
    finally:
        pool.shutdown()


# ---------------------------------------------------------------------------------------------
# The driver killed: `kill -9` of the installed entry point on its embedded Ray.


def processes() -> dict[int, tuple[int, int, int, str]]:
    """Every live process: pid -> (parent pid, process group, session, command line)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue  # exited meanwhile
        fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) "
        if fields[0] == "Z":
            continue  # exited, not yet reaped
        found[int(entry.name)] = (int(fields[1]), int(fields[2]), int(fields[3]), cmdline)
    return found


def run_family(root: int) -> set[int]:
    """`root` and every process that descends from it or shares its process group or session
    (Ray's raylet, GCS, workers, ...)."""
    procs = processes()
    family = {root}
    grew = True
    while grew:
        more = {
            p for p, (ppid, pgid, sid, _) in procs.items() if ppid in family or root in (pgid, sid)
        }
        grew = not more <= family
        family |= more
    return family & set(procs)


def entry_point_env() -> dict:
    env = dict(os.environ)
    env.pop("RAY_ADDRESS", None)  # the killed run starts its own embedded Ray
    return env


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
def test_a_killed_driver_leaves_no_ray_process_and_resume_gives_the_same_run(tmp_path):
    cfg = C.override(presets.TINY, "schedule", adversarial_iterations=40)  # long enough to catch
    out = tmp_path / "run"
    command = [str(SEQGAN_RAY), "train", "synthetic", "--no-progress", *RAY_OPTIONS]
    driver = subprocess.Popen(
        [*command, "--preset", "tiny", "--adversarial-iterations", "40", "--out", str(out)],
        start_new_session=True,  # its own process group and session, inherited by Ray's processes
        env=entry_point_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:

        def adversarial_lines():
            if driver.poll() is not None:
                raise AssertionError(f"the run ended before the kill: {driver.stderr.read()}")
            rows = read_metrics(out / "metrics.jsonl") if (out / "metrics.jsonl").exists() else []
            return sum(r["phase"] == "adversarial" for r in rows) >= 3  # checkpoint at step 2

        wait_until(adversarial_lines, 300, "three adversarial iterations logged")
        family = run_family(driver.pid)
        commands = [info[3] for pid, info in processes().items() if pid in family]
        os.kill(driver.pid, signal.SIGKILL)
        driver.wait(timeout=60)
    finally:
        if driver.poll() is None:
            os.killpg(driver.pid, signal.SIGKILL)
    rows = read_metrics(out / "metrics.jsonl")
    assert rows[-1]["phase"] == "adversarial" and rows[-1]["step"] < 39  # stopped mid-phase
    for piece in ("gcs_server", "raylet", "LearnerActor", "RolloutWorker"):  # what must go
        assert any(piece in command for command in commands), piece
    ray_family = family - {driver.pid}

    # Resume at once: the killed run's processes wind down meanwhile. Ray's agents notice the
    # raylet's death within a second but then retry the dead GCS for up to a minute.
    resumed = subprocess.Popen(
        [*command, "--resume", str(out)],
        env=entry_point_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_until(
            lambda: not (run_family(driver.pid) | ray_family) & set(processes()),
            180,
            "every process of the killed run gone",
        )
        _, err = resumed.communicate(timeout=600)
    finally:
        if resumed.poll() is None:
            resumed.kill()
    assert resumed.returncode == 0, err
    assert outcome(out) == uninterrupted(cfg, tmp_path / "whole")


# ---------------------------------------------------------------------------------------------
# Damaged run directories: one line naming the file and the problem, exit 2, nothing changed.


class Payload:
    """Unpickling this runs code: it creates the file `path`."""

    def __init__(self, path: Path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def truncate_checkpoint(run: Path) -> None:
    data = (run / "checkpoint.pt").read_bytes()
    (run / "checkpoint.pt").write_bytes(data[: len(data) // 2])


def random_checkpoint(run: Path) -> None:
    (run / "checkpoint.pt").write_bytes(torch.randint(0, 256, (4096,)).byte().numpy().tobytes())


def code_in_checkpoint(run: Path) -> None:
    state = torch.load(run / "checkpoint.pt", weights_only=True)
    state["config"]["note"] = Payload(run.parent / "payload-ran")
    torch.save(state, run / "checkpoint.pt")


def impossible_config(run: Path) -> None:
    text = (run / "config.json").read_text()
    (run / "config.json").write_text(text.replace('"batch_size": 32', '"batch_size": -3'))


def torn_metrics(run: Path) -> None:
    text = (run / "metrics.jsonl").read_text()
    (run / "metrics.jsonl").write_text(text[: len(text) - len(text.splitlines()[-1]) // 2 - 1])


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("finished") / "run"
    train(presets.TINY, out, show_progress=False)
    return out


# a finished TINY run's metrics.jsonl: every step, then the final evaluation (not checkpointed)
_S = presets.TINY.schedule
LINES = _S.mle_epochs + _S.d_pretrain_rounds + _S.adversarial_iterations + 1


def digests(run: Path) -> dict[str, str]:
    return {
        str(p.relative_to(run)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(run.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize(
    "damage, message",
    [
        (truncate_checkpoint, "checkpoint {run}/checkpoint.pt is truncated or damaged"),
        (random_checkpoint, "checkpoint {run}/checkpoint.pt is not a checkpoint file"),
        (
            code_in_checkpoint,
            "checkpoint {run}/checkpoint.pt holds pickled objects other than tensors",
        ),
        (
            impossible_config,
            "{run}/config.json: invalid schedule: batch_size must be >= 1 (got -3)",
        ),
        (
            torn_metrics,
            f"{{run}}/metrics.jsonl: line {LINES} is torn (not a whole JSON record); it follows "
            f"the {LINES - 1} lines the checkpoint covers, so deleting it loses nothing",
        ),
    ],
)
def test_a_damaged_run_directory_is_one_line_exit_2_and_left_as_it_was(
    finished_run, tmp_path, damage, message
):
    run = tmp_path / "run"
    shutil.copytree(finished_run, run)
    damage(run)
    before = digests(run)
    proc = subprocess.run(
        [str(SEQGAN_RAY), "train", "synthetic", "--resume", str(run), "--no-progress"],
        env=entry_point_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 2, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
    assert message.format(run=run) in proc.stderr
    assert digests(run) == before
    assert not (tmp_path / "payload-ran").exists()  # refused unread: nothing executed


def test_the_code_carrying_checkpoint_would_run_code_if_loaded_unsafely(finished_run, tmp_path):
    """The payload above is live: only weights-only loading keeps it from running."""
    run = tmp_path / "run"
    shutil.copytree(finished_run, run)
    code_in_checkpoint(run)
    torch.load(run / "checkpoint.pt", weights_only=False)
    assert (tmp_path / "payload-ran").exists()


def test_a_config_json_that_differs_from_the_checkpoint_is_refused(finished_run, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(finished_run, run)
    text = (run / "config.json").read_text()
    (run / "config.json").write_text(text.replace('"rollout_num": 4', '"rollout_num": 8'))
    before = digests(run)
    with pytest.raises(
        UserError, match=r"differs from the config saved in checkpoint.pt \(schedule.rollout_num\)"
    ):
        train(None, run, resume=True, show_progress=False)
    assert digests(run) == before
