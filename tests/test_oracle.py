import os
import pickle

import numpy as np
import pytest
import torch
from conftest import official_file

from seqgan_ray.errors import UserError
from seqgan_ray.tasks.metrics import nll
from seqgan_ray.tasks.oracle import Oracle, UnsafePickleError, load_official_arrays


def test_official_oracle_scores_real_data_at_reference_nll():
    oracle = Oracle.official(official_file("target_params_py3.pkl"))
    real = torch.from_numpy(np.loadtxt(official_file("real_data.txt"), dtype=np.int64))
    assert real.shape == (9984, 20)
    # shared/data/seqgan_official/README.md: real_data.txt scores 5.7609 nats/token
    assert nll(oracle, real) == pytest.approx(5.7609, abs=1e-3)


def test_py2_and_py3_pickles_hold_the_same_arrays():
    a = load_official_arrays(official_file("target_params.pkl"))
    b = load_official_arrays(official_file("target_params_py3.pkl"))
    assert [x.shape for x in a] == [x.shape for x in b]
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert a[0].shape == (5000, 32) and a[13].shape == (32, 5000)


class _Exploit:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_pickle_with_code_is_refused_without_running_it(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps([np.zeros(3, np.float32), _Exploit(marker)]))
    with pytest.raises(UnsafePickleError, match="only numpy arrays are allowed"):
        load_official_arrays(path)
    assert not marker.exists()


def test_pickle_of_wrong_arrays_is_a_clear_error(tmp_path):
    path = tmp_path / "short.pkl"
    path.write_bytes(pickle.dumps([np.zeros((3, 2), np.float32)] * 4))
    with pytest.raises(UserError, match="expected a list of 15 arrays"):
        load_official_arrays(path)
    (tmp_path / "junk.pkl").write_bytes(b"not a pickle at all")
    with pytest.raises(UserError, match="cannot read oracle pickle"):
        load_official_arrays(tmp_path / "junk.pkl")
    with pytest.raises(UserError, match="not found"):
        load_official_arrays(tmp_path / "missing.pkl")


def test_random_oracle_is_seeded_and_standard_normal():
    a = Oracle.random(200, 8, 8, 10, seed=3)
    b = Oracle.random(200, 8, 8, 10, seed=3)
    c = Oracle.random(200, 8, 8, 10, seed=4)
    wa = torch.cat([p.flatten() for p in a.parameters()])
    assert torch.equal(wa, torch.cat([p.flatten() for p in b.parameters()]))
    assert not torch.equal(wa, torch.cat([p.flatten() for p in c.parameters()]))
    assert wa.std().item() == pytest.approx(1.0, abs=0.05)
