"""Streaming JSON Lines reading: each wanted field as text, with its physical line number.

Parsing JSON record by record in Python is the slow part of any JSONL reader. Here a block of
lines goes to DuckDB's JSON functions in one vectorised query that validates every line and pulls
out every field as text, so the adapters reuse the same text parsers as the CSV formats and hostile
values (objects where a number belongs, invalid JSON) become quarantine rows instead of errors.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tokencensus.sources._convert import quarantine_rows
from tokencensus.sources._io import line_blocks


@dataclass(frozen=True)
class JsonChunk:
    """The object records of a block (fields as text), their lines and raw text, and rejects."""

    columns: dict[str, pa.Array]
    lines: pa.Array
    text: pa.Array
    rejects: pa.Table
    bytes_done: int


def _blocks(path: Path) -> Iterator[tuple[pa.Array, int, int]]:
    """(lines without their line ending, number of the first line, bytes read on disk)."""
    for lines, first, bytes_done in line_blocks(path):
        yield pc.utf8_rtrim(lines, "\r\n"), first, bytes_done


def _query(fields: Mapping[str, str], unwrap: str | None) -> str:
    """Validate, unwrap and extract every path with as few JSON parses per line as possible."""
    paths = ", ".join(f"'$.{path}'" for path in fields.values())
    picks = ", ".join(f"nullif(vals[{i + 1}], '') AS \"{name}\"" for i, name in enumerate(fields))
    record = (  # the substring test spares bare records a second parse
        f"CASE WHEN ok AND contains(line, '\"{unwrap}\"') AND json_type(line, '$.{unwrap}') = 'OBJECT' "
        f"THEN CAST(json_extract(line, '$.{unwrap}') AS VARCHAR) ELSE line END" if unwrap else "line"
    )
    return (
        "WITH p AS (SELECT ln, line, json_valid(line) AS ok FROM block), "
        f"r AS (SELECT ln, line, ok, {record} AS rec FROM p), "
        f"v AS (SELECT *, CASE WHEN ok THEN json_extract_string(rec, [{paths}]) END AS vals FROM r) "
        "SELECT ln, line, ok, ok AND starts_with(ltrim(rec, ' \t\r'), '{') AS is_object, "
        f"{picks} FROM v"
    )


def read_jsonl_fields(path: Path, fields: Mapping[str, str], unwrap: str | None = None) -> Iterator[JsonChunk]:
    """Stream ``path``; ``fields`` maps output names to JSON paths in each record (``usage.cost``).

    With ``unwrap`` (e.g. ``"data"``), a record whose value under that key is an object is read
    from there, so ``{"data": {...}}`` API envelopes and bare objects both work. Blank lines are
    not records.
    """
    con = duckdb.connect()
    sql = _query(fields, unwrap)
    source = path.name
    for lines, first, bytes_done in _blocks(path):
        numbers = pa.array(np.arange(first, first + len(lines), dtype=np.int64))
        present = pc.greater(pc.utf8_length(pc.utf8_trim_whitespace(lines)), 0)
        block = pa.table({"ln": pc.filter(numbers, present), "line": pc.filter(lines, present)})
        con.register("block", block)
        out = con.sql(sql).to_arrow_table()
        con.unregister("block")
        is_object = pc.fill_null(out["is_object"], False)
        bad = pc.invert(is_object)
        reasons = pc.if_else(out["ok"], pa.scalar("not a JSON object"), pa.scalar("invalid JSON"))
        rejects = quarantine_rows(
            source,
            pc.filter(out["ln"], bad),
            pa.nulls(pc.sum(bad).as_py() or 0, pa.string()),
            pc.filter(reasons, bad),
            pc.filter(out["line"], bad),
        )
        yield JsonChunk(
            columns={name: pc.filter(out[name], is_object).combine_chunks() for name in fields},
            lines=pc.filter(out["ln"], is_object).combine_chunks(),
            text=pc.filter(out["line"], is_object).combine_chunks(),
            rejects=rejects,
            bytes_done=bytes_done,
        )
