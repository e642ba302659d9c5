import os
from pathlib import Path

import pytest
import torch

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
OFFICIAL = SHARED_DATA / "seqgan_official"


@pytest.fixture(autouse=True)
def _seed_and_threads():
    torch.manual_seed(0)
    torch.set_num_threads(min(2, os.cpu_count() or 1))


def official_file(name: str) -> Path:
    path = OFFICIAL / name
    if not path.exists():
        pytest.skip(f"{path} is absent (a user's clone has no ../shared)")
    return path


@pytest.fixture(scope="session")
def ray_test_cluster():
    """One Ray for the whole test session: a head with no CPUs and two 4-CPU worker "nodes", so
    every Ray test also exercises placement across nodes. Yields the `Cluster` and the ids of
    those two nodes; fault tests (test_faults.py) add nodes of their own and remove only those."""
    ray = pytest.importorskip("ray")
    from ray.cluster_utils import Cluster

    os.environ.setdefault("RAY_worker_niceness", "0")
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 0})
    workers = [cluster.add_node(num_cpus=4) for _ in range(2)]  # logical CPUs
    cluster.wait_for_nodes(timeout=300)  # Ray's default 30 s is short on a busy machine
    ray.init(address=cluster.address, logging_level="ERROR", log_to_driver=False)
    try:
        yield cluster, [node.node_id for node in workers]
    finally:
        ray.shutdown()
        cluster.shutdown()


@pytest.fixture(scope="session")
def ray_cluster(ray_test_cluster):
    """The session Ray's two worker nodes' ids."""
    return ray_test_cluster[1]
