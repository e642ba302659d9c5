"""The synthetic task's oracle G_oracle: a random LSTM, or the official one (`target_params.pkl`)
loaded safely.

A pickle can run arbitrary code when loaded, so we unpickle with an allow-list: only what numpy
needs to rebuild plain arrays (and the list holding them). Anything else is refused by name.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import torch

from seqgan_ray.core.models import Generator
from seqgan_ray.errors import UserError

# (module, name) pairs that numpy array pickles reference, for numpy 1.x and 2.x module paths.
_ALLOWED = {
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
}
# Python 2 pickles name builtins through __builtin__ / copy_reg; only harmless ones are allowed.
_ALLOWED_BUILTINS = {"list", "tuple", "object", "bytes", "str", "int", "float"}

# Official target_lstm.py order: embeddings; input, forget, output, cell gates (W, U, b);
# output layer (Wo, bo). Shapes for V = 5000, emb = hidden = 32.
NUM_ARRAYS = 15


class UnsafePickleError(UserError):
    """The pickle asks for something other than numpy arrays."""


class _ArraysOnlyUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if (module, name) in _ALLOWED:
            if module.startswith("numpy._core") and not hasattr(np, "_core"):
                module = module.replace("numpy._core", "numpy.core")
            return super().find_class(module, name)
        if (
            module in ("builtins", "__builtin__", "copy_reg", "copyreg")
            and name in _ALLOWED_BUILTINS
        ):
            return super().find_class("builtins", name)
        if module in ("copy_reg", "copyreg") and name == "_reconstructor":
            return super().find_class("copyreg", name)
        raise UnsafePickleError(
            f"refusing to load {module}.{name} from the oracle pickle: only numpy arrays are allowed"
        )


def load_official_arrays(path: str | Path) -> list[np.ndarray]:
    """Read the list of 15 float32 arrays from target_params.pkl (py2) or target_params_py3.pkl."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"oracle file not found: {path}")
    try:
        with path.open("rb") as f:
            # latin1: the py2 pickle stores numpy's raw bytes as py2 str (see the data README).
            arrays = _ArraysOnlyUnpickler(f, encoding="latin1").load()
    except UnsafePickleError:
        raise
    except Exception as exc:  # truncated/corrupt files raise many different types
        raise UserError(f"cannot read oracle pickle {path}: {exc}") from None
    if (
        not isinstance(arrays, (list, tuple))
        or len(arrays) != NUM_ARRAYS
        or not all(isinstance(a, np.ndarray) for a in arrays)
    ):
        raise UserError(
            f"{path} is not an official SeqGAN oracle: expected a list of {NUM_ARRAYS} arrays"
        )
    _check_shapes(path, arrays)
    return [np.asarray(a, dtype=np.float32) for a in arrays]


def _check_shapes(path: Path, a: list[np.ndarray]) -> None:
    if a[0].ndim != 2:
        raise UserError(f"{path}: embeddings must be 2-D, got shape {a[0].shape}")
    vocab, emb = a[0].shape
    hidden = a[2].shape[0] if a[2].ndim == 2 else -1
    expected = [(vocab, emb)]
    for _ in range(4):  # i, f, o, c gates
        expected += [(emb, hidden), (hidden, hidden), (hidden,)]
    expected += [(hidden, vocab), (vocab,)]
    for i, (arr, shape) in enumerate(zip(a, expected)):
        if arr.shape != shape:
            raise UserError(f"{path}: array {i} has shape {arr.shape}, expected {shape}")


def official_state_dict(a: list[np.ndarray]) -> dict[str, torch.Tensor]:
    """Map the official arrays onto `Generator`'s parameters (torch.nn.LSTM gate order i, f, g, o).

    The official cell uses row vectors (x W + h U + b), torch uses W x, hence the transposes.
    """
    t = [torch.from_numpy(x.copy()) for x in a]
    emb, wi, ui, bi, wf, uf, bf, wo, uo, bo, wc, uc, bc, w_out, b_out = t
    return {
        "embedding.weight": emb,
        "lstm.weight_ih_l0": torch.cat([wi.T, wf.T, wc.T, wo.T]),
        "lstm.weight_hh_l0": torch.cat([ui.T, uf.T, uc.T, uo.T]),
        "lstm.bias_ih_l0": torch.cat([bi, bf, bc, bo]),
        "lstm.bias_hh_l0": torch.zeros_like(torch.cat([bi, bf, bc, bo])),
        "out.weight": w_out.T.contiguous(),
        "out.bias": b_out,
    }


class Oracle(Generator):
    """G_oracle: the synthetic experiment's true data distribution (paper §4), an LSTM whose
    parameters are all N(0, 1), either seeded here or loaded from the official pickle."""

    @classmethod
    def random(
        cls,
        vocab_size: int,
        emb_dim: int,
        hidden_dim: int,
        seq_len: int,
        seed: int,
        start_token: int = 0,
    ):
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            oracle = cls(vocab_size, emb_dim, hidden_dim, seq_len, start_token, init_std=1.0)
        return oracle.eval().requires_grad_(False)

    @classmethod
    def official(cls, path, seq_len: int = 20, start_token: int = 0):
        """Load LantaoYu/SeqGAN's target_params(_py3).pkl (mapping: shared/data/seqgan_official/README)."""
        arrays = load_official_arrays(path)
        vocab_size, emb_dim = arrays[0].shape
        hidden_dim = arrays[2].shape[0]
        oracle = cls(vocab_size, emb_dim, hidden_dim, seq_len, start_token, init_std=1.0)
        oracle.load_state_dict(official_state_dict(arrays))
        return oracle.eval().requires_grad_(False)
