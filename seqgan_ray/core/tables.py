"""Token sets as Arrow tables: one fixed-size list column of int32 token ids per sequence.

The same schema carries the real set, d-step negatives (from Ray tasks) and generated samples.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc
import torch

from seqgan_ray.atomic import atomic_write
from seqgan_ray.errors import UserError

TOKENS = "tokens"


def schema(seq_len: int) -> pa.Schema:
    return pa.schema([pa.field(TOKENS, pa.list_(pa.int32(), seq_len), nullable=False)])


def to_table(tokens: torch.Tensor | np.ndarray) -> pa.Table:
    """(N, T) token ids -> Arrow table with a `tokens: fixed_size_list<int32>[T]` column."""
    arr = tokens.cpu().numpy() if isinstance(tokens, torch.Tensor) else np.asarray(tokens)
    arr = np.ascontiguousarray(arr, dtype=np.int32)
    n, t = arr.shape
    column = pa.FixedSizeListArray.from_arrays(pa.array(arr.reshape(-1)), t)
    return pa.Table.from_arrays([column], schema=schema(t))


def from_table(table: pa.Table) -> torch.Tensor:
    """Arrow table (or tables concatenated) -> (N, T) int64 tensor."""
    if TOKENS not in table.column_names:
        raise UserError(f"token table has no {TOKENS!r} column (columns: {table.column_names})")
    column = table.column(TOKENS).combine_chunks()
    t = column.type.list_size
    flat = column.flatten().to_numpy(zero_copy_only=False)
    return torch.from_numpy(flat.astype(np.int64).reshape(-1, t))


def write_table(table: pa.Table, path: str | Path) -> None:
    """Write an Arrow IPC file atomically (a crash never leaves a half-written file behind)."""
    with (
        atomic_write(path) as tmp,
        pa.OSFile(tmp, "wb") as sink,
        ipc.new_file(sink, table.schema) as writer,
    ):
        writer.write_table(table)


def read_table(path: str | Path) -> pa.Table:
    path = Path(path)
    try:
        with pa.memory_map(str(path)) as source:
            return ipc.open_file(source).read_all()
    except FileNotFoundError:
        raise UserError(f"token file not found: {path}") from None
    except (pa.ArrowInvalid, OSError) as exc:
        raise UserError(f"{path} is not a readable Arrow token file: {exc}") from None


def batches(
    tokens: torch.Tensor, batch_size: int, generator: torch.Generator | None = None
) -> Iterator[torch.Tensor]:
    """Mini-batches of rows, shuffled by `generator` when given; the last batch may be smaller."""
    n = tokens.shape[0]
    order = torch.randperm(n, generator=generator) if generator is not None else torch.arange(n)
    order = order.to(tokens.device)
    for i in range(0, n, batch_size):
        yield tokens[order[i : i + batch_size]]
