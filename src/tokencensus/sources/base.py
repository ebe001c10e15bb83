"""What an adapter is and what it hands the store.

An adapter turns one log format into batches of canonical rows plus the records it had to reject.
The store never sees a format's quirks, and a new format plugs in by registering one more adapter
in :data:`tokencensus.sources.FORMATS`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tokencensus.schema import QUARANTINE
from tokencensus.sources._convert import first_problem, quarantine_rows

Target = Literal["requests", "accounts"]


@dataclass(frozen=True, eq=False)
class Prompts:
    """The prompts of a batch's rows, made into text only when asked for.

    A request's prompt text is its input as one text (system prompt or instructions first, then
    the messages' text parts in order, separated by blank lines). The store keeps it only for a
    hash sample of the requests (0.25% by default), so flattening every row's messages would be
    almost all waste, and raw text of requests outside the sample is better never built at all.
    A batch therefore carries what the text is made from (``inputs``: a format's raw record or
    prompt column, one row per record) and the function that makes it (``flatten``: the text of
    each row of a table shaped like ``inputs``, null where a row has none); ``rows`` maps the
    batch's rows to rows of ``inputs`` once records have been quarantined (None: one to one).
    Flattening has a fixed cost (a query of tens of ms), so the store gathers the picked prompts
    of many batches and makes those that share a ``flatten`` (a format's bound method) into text
    at once.
    """

    inputs: pa.Table
    flatten: Callable[[pa.Table], pa.Array]
    rows: np.ndarray | None = None

    def __len__(self) -> int:
        return self.inputs.num_rows if self.rows is None else len(self.rows)

    def filter(self, mask: pa.Array) -> Prompts:
        """The prompts of the rows ``mask`` keeps (nothing is copied or flattened)."""
        return replace(self, rows=self._rows()[_bools(mask)])

    def pick(self, mask: pa.Array | np.ndarray) -> Prompts:
        """The prompts of the rows ``mask`` selects, holding those rows' inputs only (cheap to keep
        until they are made into text)."""
        return Prompts(self.inputs.take(pa.array(self._rows()[_bools(mask)])), self.flatten)

    def texts(self, mask: pa.Array | np.ndarray | None = None) -> pa.Array:
        """The prompt text of the rows ``mask`` selects (every row when None), in row order."""
        picked = self.pick(np.ones(len(self), bool) if mask is None else mask)
        return picked.flatten(picked.inputs) if picked.inputs.num_rows else pa.array([], pa.string())

    def _rows(self) -> np.ndarray:
        return np.arange(self.inputs.num_rows) if self.rows is None else self.rows


def _bools(mask: pa.Array | np.ndarray) -> np.ndarray:
    return mask if isinstance(mask, np.ndarray) else mask.to_numpy(zero_copy_only=False)


@dataclass(frozen=True)
class AdapterBatch:
    """Candidate rows (in the target table's schema), their physical lines, and rejects.

    ``read`` counts the records this batch consumed, so ``read == len(table) + len(rejects)``.
    ``bytes_done`` is the position in the file on disk, for progress bars. ``prompts`` is, for
    formats that log prompt text, the rows' prompts as :class:`Prompts`: made into text only for
    the rows the store asks for.
    """

    table: pa.Table
    lines: pa.Array
    rejects: pa.Table
    read: int
    bytes_done: int
    prompts: Prompts | None = None

    def __post_init__(self) -> None:
        if self.read != self.table.num_rows + self.rejects.num_rows:
            raise AssertionError(f"adapter batch lost records: {self.read} != {self.table.num_rows} + "
                                 f"{self.rejects.num_rows}")
        if self.prompts is not None and len(self.prompts) != self.table.num_rows:
            raise AssertionError(f"adapter batch has {len(self.prompts)} prompts for {self.table.num_rows} rows")


class Adapter(Protocol):
    """One log format."""

    name: str
    target: Target  # which store table the rows go to
    description: str

    def sniff(self, head: bytes, path: Path) -> str | None:
        """None if the file looks like this format, else why not (shown to the user)."""

    def read(self, path: Path) -> Iterator[AdapterBatch]:
        """Stream the file in bounded batches."""


def assemble(
    columns: Mapping[str, pa.Array],
    schema: pa.Schema,
    checks: Sequence[tuple[str, pa.Array]],
    *,
    source: str,
    lines: pa.Array,
    records: Callable[[pa.Array], pa.Array],
    extra_rejects: pa.Table | None = None,
    bytes_done: int,
    prompts: Prompts | None = None,
) -> AdapterBatch:
    """Split converted columns into good rows and rejects.

    ``columns`` holds canonical columns (missing ones become null); ``checks`` are (field as named
    in the source, reasons) pairs, the first reason of a row wins; ``records`` returns the raw text
    of the rows selected by a mask; ``prompts`` (of every record, or None) stays with the good rows.
    """
    length = len(lines)
    table = pa.Table.from_arrays(
        [columns[f.name] if f.name in columns else pa.nulls(length, f.type) for f in schema], schema=schema
    )
    fields, reasons = first_problem(checks, length)
    rejects = [] if extra_rejects is None else [extra_rejects]
    if reasons.null_count < length:
        bad = pc.is_valid(reasons)
        rejects.append(quarantine_rows(
            source, pc.filter(lines, bad), pc.filter(fields, bad), pc.filter(reasons, bad), records(bad)
        ))
        good = pc.invert(bad)
        table, lines = table.filter(good), pc.filter(lines, good)
        prompts = None if prompts is None else prompts.filter(good)
    return AdapterBatch(
        table=table,
        lines=lines,
        rejects=pa.concat_tables(rejects).cast(QUARANTINE) if rejects else QUARANTINE.empty_table(),
        read=length + (extra_rejects.num_rows if extra_rejects is not None else 0),
        bytes_done=bytes_done,
        prompts=prompts,
    )
