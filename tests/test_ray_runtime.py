"""The Ray layer keeps the in-process numbers: Q for any pool size, after a lost actor, and the
same negatives as Arrow tables (one local multi-node Ray for the session: conftest.ray_cluster)."""

import pyarrow as pa
import pytest
import torch

from seqgan_ray.config import override
from seqgan_ray.core.sampling import sample_negatives
from seqgan_ray.core.tables import from_table, schema
from seqgan_ray.driver.trainer import NEGATIVE_SHARDS, LocalRuntime
from seqgan_ray.errors import UserError
from seqgan_ray.presets import TINY

ray = pytest.importorskip("ray")
from seqgan_ray.distributed.rollout_pool import RolloutPool  # noqa: E402
from seqgan_ray.distributed.runtime import RayOptions, RayRuntime  # noqa: E402

CFG = override(TINY, "schedule", rollout_num=6)
KEY = (TINY.seed, "rollout", 0, 0)


@pytest.fixture(scope="module")
def learners(ray_cluster):
    """The same learner in this process and on Ray, both in the adversarial phase."""
    torch.set_num_threads(1)  # the actors run one thread each: compare like with like
    local = LocalRuntime()
    mine = local.make_learner(CFG)
    runtime = RayRuntime(RayOptions(rollout_workers=3, learner_cpus=1))
    remote = runtime.make_learner(CFG)
    for learner in (mine, remote):
        learner.start_adversarial()
    yield local, mine, runtime, remote
    runtime.shutdown()


def test_pool_q_equals_in_process_q_for_k_0_1_2_3(learners):
    """K = 0: the learner actor's own Learner.q_values, the function the in-process path runs."""
    local, mine, runtime, remote = learners
    torch.set_num_threads(1)
    y = mine.sample(16, (1, "g"))
    y_ref = remote.sample(16, (1, "g"))  # Y stays in the object store
    assert isinstance(y_ref, ray.ObjectRef) and torch.equal(ray.get(y_ref), y)
    expected = local.q_values(mine, y, KEY)
    full = runtime.pool
    try:
        for k in (0, 1, 2, 3):
            runtime.pool = None if k == 0 else full if k == 3 else RolloutPool(CFG, k)
            assert torch.equal(runtime.q_values(remote, y_ref, KEY), expected), k
            if runtime.pool not in (None, full):
                runtime.pool.shutdown()
    finally:
        runtime.pool = full


def test_q_after_d_changes_uses_new_weights(learners):
    local, mine, runtime, remote = learners
    torch.set_num_threads(1)
    key = (TINY.seed, "negatives", 0, 0)
    shipped = runtime._discriminator(remote)
    remote.train_discriminator(runtime.negatives(remote, 64, key), (1, "d"))
    mine.train_discriminator(local.negatives(mine, 64, key), (1, "d"))
    assert runtime._discriminator(remote) != shipped  # the driver's D update: shipped anew
    y = mine.sample(16, (2, "g"))
    assert torch.equal(runtime.q_values(remote, y, KEY), local.q_values(mine, y, KEY))


def test_actor_dying_mid_g_step_gives_same_q_and_the_run_goes_on(learners):
    local, mine, runtime, remote = learners
    torch.set_num_threads(1)

    def die_inside_next_scores(worker) -> None:
        """Runs in the roll-out actor (a local function: Ray ships it by value): its next `scores`
        call kills the process half-way. The restarted process imports the module afresh."""
        import os

        from seqgan_ray.distributed import rollout_pool

        rollout_pool.rollout_rewards = lambda *args: os._exit(1)

    y = mine.sample(16, (3, "g"))
    expected = local.q_values(mine, y, KEY)
    ray.get(runtime.pool.actors[1].__ray_call__.remote(die_inside_next_scores))
    assert torch.equal(runtime.q_values(remote, y, KEY), expected)
    assert torch.equal(runtime.q_values(remote, y, KEY), expected)  # restarted actor serves again


def test_rollout_actors_spread_over_both_worker_nodes(learners, ray_cluster):
    _, _, runtime, _ = learners
    assert set(runtime.pool.node_ids(timeout_s=300)) == set(ray_cluster)  # a busy machine


def test_negative_tasks_return_arrow_tables_with_the_same_seeded_negatives(learners):
    local, mine, runtime, remote = learners
    torch.set_num_threads(1)
    key = (TINY.seed, "negatives", 5, 0)
    tables = ray.get(runtime.negatives(remote, 50, key))
    assert len(tables) == NEGATIVE_SHARDS
    assert all(t.schema == schema(TINY.task.seq_len) for t in tables)
    again = from_table(pa.concat_tables(ray.get(runtime.negatives(remote, 50, key))))
    got = from_table(pa.concat_tables(tables))
    assert got.shape == (50, TINY.task.seq_len)
    assert torch.equal(got, again)
    assert torch.equal(got, sample_negatives(mine.generator_policy(), 50, key, NEGATIVE_SHARDS))


def test_a_pool_bigger_than_the_cluster_fails_fast(ray_cluster):
    runtime = RayRuntime(RayOptions(rollout_workers=2, gpus_per_rollout_worker=1))
    with pytest.raises(UserError, match="GPU 2 > 0"):
        runtime.make_learner(CFG)


def test_bad_ray_options_are_one_clear_error():
    with pytest.raises(UserError, match="cpus-per-rollout-worker"):
        RayOptions(cpus_per_rollout_worker=0)
