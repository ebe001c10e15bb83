"""What an adapter is and what it hands the store.

An adapter turns one log format into batches of canonical rows plus the records it had to reject.
The store never sees a format's quirks, and a new format plugs in by registering one more adapter
in :data:`tokencensus.sources.FORMATS`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

import pyarrow as pa
import pyarrow.compute as pc

from tokencensus.schema import QUARANTINE
from tokencensus.sources._convert import first_problem, quarantine_rows

Target = Literal["requests", "accounts"]


@dataclass(frozen=True)
class AdapterBatch:
    """Candidate rows (in the target table's schema), their physical lines, and rejects.

    ``read`` counts the records this batch consumed, so ``read == len(table) + len(rejects)``.
    ``bytes_done`` is the position in the file on disk, for progress bars. ``prompts`` is, for
    formats that log prompt text, one string per row of ``table`` (null where a record has none):
    the request's input as one text (system prompt or instructions first, then the messages'
    text parts in order, separated by blank lines). It is raw: the store keeps only a hash sample
    of it, scrubbed, and never writes it anywhere else.
    """

    table: pa.Table
    lines: pa.Array
    rejects: pa.Table
    read: int
    bytes_done: int
    prompts: pa.Array | None = None

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
    prompts: pa.Array | None = None,
) -> AdapterBatch:
    """Split converted columns into good rows and rejects.

    ``columns`` holds canonical columns (missing ones become null); ``checks`` are (field as named
    in the source, reasons) pairs, the first reason of a row wins; ``records`` returns the raw text
    of the rows selected by a mask; ``prompts`` (one per record, or None) stays with the good rows.
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
        prompts = None if prompts is None else pc.filter(prompts, good)
    return AdapterBatch(
        table=table,
        lines=lines,
        rejects=pa.concat_tables(rejects).cast(QUARANTINE) if rejects else QUARANTINE.empty_table(),
        read=length + (extra_rejects.num_rows if extra_rejects is not None else 0),
        bytes_done=bytes_done,
        prompts=prompts,
    )
