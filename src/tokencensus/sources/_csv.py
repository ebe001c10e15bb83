"""Streaming CSV reading that keeps every cell as text and knows each record's physical line.

pyarrow's CSV reader is fast but numbers rows by *record* (a quoted value with a newline makes one
record span several lines) and hands malformed lines to a callback out of band. Quarantine rows must
say "line 17" as a text editor shows it, so :class:`PhysicalLines` merges the good records and the
malformed ones back into file order and counts the newlines inside each.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from tokencensus.sources._convert import RECORD_LIMIT, quarantine_rows
from tokencensus.sources._io import logical_suffix, open_stream, prefetch

BLOCK_SIZE = 4 << 20  # parsed and converted while it is in the CPU's cache: larger blocks cost more per row


def csv_header(head: bytes) -> list[str]:
    """Column names from the first line of a CSV file (UTF-8, BOM allowed)."""
    text = head.decode("utf-8-sig", errors="replace")
    return next(csv.reader(io.StringIO(text)), [])


def sniff_csv(head: bytes, path: Path, required: tuple[str, ...]) -> str | None:
    """Why a file is not a CSV whose header has the ``required`` columns (None when it is)."""
    if logical_suffix(path) != ".csv":
        return f"extension '{logical_suffix(path)}' is not .csv"
    header = csv_header(head)
    missing = [c for c in required if c not in header]
    if missing:
        return f"header lacks {', '.join(missing)}"
    repeated = sorted({c for c in header if header.count(c) > 1})
    return f"header repeats {', '.join(repeated)}" if repeated else None


@dataclass(frozen=True)
class CsvChunk:
    """A block of records: every column as text, the physical line of each, and malformed lines."""

    columns: dict[str, pa.Array]
    lines: pa.Array
    malformed_lines: pa.Array
    malformed_reasons: pa.Array
    malformed_text: pa.Array
    bytes_done: int

    def records(self, mask: pa.Array, hide: Collection[str] = ()) -> pa.Array:
        """The selected records re-joined with commas, for quarantine; ``hide``: columns left
        empty (prompt text)."""
        cells = [pc.filter(pa.nulls(len(column), pa.string()) if name in hide else column, mask)
                 for name, column in self.columns.items()]
        return pc.binary_join_element_wise(*cells, ",", null_handling="replace")

    def malformed(self, source: str) -> pa.Table:
        """Quarantine rows for the lines with the wrong number of fields."""
        fields = pa.nulls(len(self.malformed_lines), pa.string())
        return quarantine_rows(source, self.malformed_lines, fields, self.malformed_reasons, self.malformed_text)


class PhysicalLines:
    """Turns pyarrow's record numbers into physical line numbers (the header is line 1).

    The parser may run in another thread than the consumer (see ``prefetch``): it only ever
    appends whole tuples to ``_pending`` and the consumer only removes from the front.
    """

    def __init__(self, expected_columns: int) -> None:
        self.expected = expected_columns
        self._pending: list[tuple[int, int, str, str]] = []  # (record number, newlines, reason, text)
        self._last_record = 1
        self._carry = 0  # newlines inside the records released so far

    def on_invalid(self, row: pacsv.InvalidRow) -> str:
        """pyarrow's invalid_row_handler: remember the malformed record, skip it."""
        reason = f"malformed line: {row.actual_columns} fields, expected {self.expected}"
        self._pending.append((row.number, row.text.count("\n"), reason, row.text[:RECORD_LIMIT]))
        return "skip"

    def segment(self, newlines: np.ndarray, final: bool = False) -> tuple[np.ndarray, np.ndarray, list[str], list[str]]:
        """Lines of the next ``len(newlines)`` good records and of the malformed records among them.

        ``newlines`` counts the newlines inside each good record. Returns (good lines, malformed
        lines, their reasons, their texts). With ``final``, malformed records after the last good
        one are released too.
        """
        n = len(newlines)
        pending = self._pending[:]
        numbers = np.array([p[0] for p in pending], dtype=np.int64)
        good_before = numbers - (self._last_record + 1) - np.arange(len(pending))
        k = np.searchsorted(good_before, np.arange(n), side="right")  # malformed records before each good one
        released = len(pending) if final else (int(k[-1]) if n else 0)
        merged = np.zeros(n + released, dtype=np.int64)
        good_pos = np.arange(n) + k
        bad_pos = good_before[:released] + np.arange(released)
        merged[good_pos] = newlines
        merged[bad_pos] = [p[1] for p in pending[:released]]
        before = np.cumsum(merged) - merged + self._carry
        records = self._last_record + 1 + np.arange(n) + k
        if n or released:
            last_good = int(records[-1]) if n else 0
            last_bad = int(numbers[released - 1]) if released else 0
            self._last_record = max(last_good, last_bad)
            self._carry += int(merged.sum())
        del self._pending[:released]
        bad = pending[:released]
        good_lines, bad_lines = records + before[good_pos], numbers[:released] + before[bad_pos]
        return good_lines, bad_lines, [p[2] for p in bad], [p[3] for p in bad]


def read_csv_text(path: Path, header: list[str]) -> Iterator[CsvChunk]:
    """Stream ``path`` in blocks, every column as text (empty cells null); blank records are skipped."""
    tracker = PhysicalLines(len(header))
    stream, raw = open_stream(path)
    reader = pacsv.open_csv(
        stream,
        read_options=pacsv.ReadOptions(use_threads=False, block_size=BLOCK_SIZE),  # threads lose row numbers
        parse_options=pacsv.ParseOptions(
            newlines_in_values=True, ignore_empty_lines=False, invalid_row_handler=tracker.on_invalid
        ),
        convert_options=pacsv.ConvertOptions(
            column_types={name: pa.string() for name in header}, strings_can_be_null=True, null_values=[""]
        ),
    )
    batches = prefetch(reader)
    try:
        for batch in batches:
            columns = {name: batch.column(name) for name in header}
            yield _chunk(columns, _blank(columns), *tracker.segment(_newlines(columns)), raw.tell())
        empty = {name: pa.array([], pa.string()) for name in header}
        yield _chunk(empty, pa.array([], pa.bool_()), *tracker.segment(np.zeros(0, np.int64), final=True), raw.tell())
    finally:
        batches.close()  # stops the reading thread before its file is closed
        stream.close()
        raw.close()


def _newlines(columns: dict[str, pa.Array]) -> np.ndarray:
    """Newlines inside each record; a byte scan of the value buffers skips the rare case first."""
    length = len(next(iter(columns.values())))
    counts = np.zeros(length, dtype=np.int64)
    for column in columns.values():
        values = column.buffers()[2]
        if values is not None and b"\n" in values.to_pybytes():
            counts += pc.fill_null(pc.count_substring(column, "\n"), 0).to_numpy(zero_copy_only=False)
    return counts


def _blank(columns: dict[str, pa.Array]) -> pa.Array:
    """Records with every cell empty (blank lines): only rows with an empty first cell are checked."""
    cells = iter(columns.values())
    blank = pc.is_null(next(cells))
    if pc.any(blank).as_py():
        for column in cells:
            blank = pc.and_(blank, pc.is_null(column))
    return blank


def _chunk(
    columns: dict[str, pa.Array],
    blank: pa.Array,
    good: np.ndarray,
    bad: np.ndarray,
    reasons: list[str],
    texts: list[str],
    bytes_done: int,
) -> CsvChunk:
    lines = pa.array(good, pa.int64())
    if pc.any(blank).as_py():
        keep = pc.invert(blank)
        columns = {name: pc.filter(column, keep) for name, column in columns.items()}
        lines = pc.filter(lines, keep)
    return CsvChunk(
        columns=columns,
        lines=lines,
        malformed_lines=pa.array(bad, pa.int64()),
        malformed_reasons=pa.array(reasons, pa.string()),
        malformed_text=pa.array(texts, pa.string()),
        bytes_done=bytes_done,
    )
