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
