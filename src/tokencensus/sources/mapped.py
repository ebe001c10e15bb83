"""CSV or Parquet from an in-house proxy, read through a user-given column mapping.

The mapping is a YAML file naming, for each canonical field, the column that holds it::

    columns:
      request_id: req_id
      ts: started_at          # ISO 8601 text, a timestamp column, or Unix epoch numbers
      model: model_name
      prompt_tokens: tokens_in
      prompt: messages        # optional: the prompt as text, or a JSON message list or request body

It is given as the format ``mapped:PATH`` (``tokencensus ingest logs/ --format mapped:map.yaml``).
Every column is read as text and goes through the same parsers as the built-in formats, so a bad
cell is quarantined with its row and column; Parquet rows are numbered from 1. A ``prompt``
column is flattened to one text as the JSON formats' prompts are, and left out of quarantine.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import yaml

from tokencensus.sources._canonical import FIELDS, to_requests
from tokencensus.sources._csv import csv_header, read_csv_text
from tokencensus.sources._io import logical_suffix, read_head
from tokencensus.sources._prompts import flatten
from tokencensus.sources._records import relabel
from tokencensus.sources.base import AdapterBatch, Prompts, Target

PREFIX = "mapped:"
REQUIRED = ("request_id", "ts", "model")
PROMPT = "prompt"  # the optional field that names the prompt column
PARQUET_ROWS = 1 << 20


class MappingError(ValueError):
    """A column mapping that names unknown fields or lacks a required one."""


def load_mapping(spec: str) -> dict[str, str]:
    """The canonical field -> column mapping of a ``mapped:PATH`` format."""
    path = Path(spec.removeprefix(PREFIX))
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise MappingError(f"{path}: cannot read the column mapping ({error})") from error
    columns = data.get("columns", data) if isinstance(data, dict) else None
    if not isinstance(columns, dict) or not all(isinstance(v, str) for v in columns.values()):
        raise MappingError(f"{path}: expected 'columns:' mapping canonical fields to column names")
    unknown = sorted(set(columns) - {*FIELDS, PROMPT})
    missing = [f for f in REQUIRED if f not in columns]
    if unknown or missing:
        raise MappingError(f"{path}: " + "; ".join(
            [f"unknown fields {', '.join(unknown)} (known: {', '.join((*FIELDS, PROMPT))})"] * bool(unknown)
            + [f"required fields {', '.join(missing)} are not mapped"] * bool(missing)))
    return columns


class MappedColumns:
    """A CSV or Parquet file whose columns a mapping names."""

    name = "mapped"
    target: Target = "requests"
    description = "CSV or Parquet with a user-given column mapping (--format mapped:mapping.yaml)"

    def __init__(self, mapping: Mapping[str, str]) -> None:
        self.mapping = dict(mapping)
        self.hidden = [self.mapping[PROMPT]] if PROMPT in self.mapping else []  # kept out of quarantine

    @classmethod
    def from_spec(cls, spec: str) -> MappedColumns:
        return cls(load_mapping(spec))

    def _columns(self, path: Path, head: bytes) -> list[str]:
        if logical_suffix(path) == ".parquet":
            return pq.read_schema(path).names
        return csv_header(head)

    def sniff(self, head: bytes, path: Path) -> str | None:
        if logical_suffix(path) not in (".csv", ".parquet"):
            return f"extension '{logical_suffix(path)}' is not .csv or .parquet"
        try:
            columns = self._columns(path, head)
        except (pa.ArrowInvalid, OSError) as error:
            return f"not a readable Parquet file ({error})"
        missing = [self.mapping[f] for f in REQUIRED if self.mapping[f] not in columns]
        return f"lacks the mapped columns {', '.join(missing)}" if missing else None

    def read(self, path: Path) -> Iterator[AdapterBatch]:
        names = self.mapping
        if logical_suffix(path) == ".parquet":
            yield from self._read_parquet(path, names)
            return
        for chunk in read_csv_text(path, csv_header(read_head(path))):
            yield to_requests(lambda f: chunk.columns.get(names.get(f, "")), names, source=path.name,
                              lines=chunk.lines, records=lambda mask, c=chunk: c.records(mask, self.hidden),
                              extra_rejects=chunk.malformed(path.name), bytes_done=chunk.bytes_done,
                              prompts=self._prompts(chunk.columns, len(chunk.lines)))

    def _prompts(self, columns: Mapping[str, pa.Array], length: int) -> Prompts | None:
        """The mapped prompt column, flattened when asked for (null where the file lacks the column)."""
        if PROMPT not in self.mapping:
            return None
        column = columns.get(self.mapping[PROMPT])
        return Prompts(pa.table({PROMPT: pa.nulls(length, pa.string()) if column is None else column}), self._flatten)

    def _flatten(self, inputs: pa.Table) -> pa.Array:
        return flatten(inputs[PROMPT])

    def _read_parquet(self, path: Path, names: dict[str, str]) -> Iterator[AdapterBatch]:
        file = pq.ParquetFile(path)
        wanted = sorted(set(names.values()) & set(file.schema_arrow.names))
        size, total, first = path.stat().st_size, max(file.metadata.num_rows, 1), 1
        for batch in file.iter_batches(batch_size=PARQUET_ROWS, columns=wanted):
            text = {c: pc.cast(batch.column(c), pa.string()) for c in wanted}
            lines = pa.array(range(first, first + batch.num_rows), pa.int64())

            def records(mask: pa.Array, text: dict[str, pa.Array] = text) -> pa.Array:
                cells = [pc.filter(text[c], mask) for c in wanted if c not in self.hidden]
                return pc.binary_join_element_wise(*cells, ",", null_handling="replace")

            done = size * (first + batch.num_rows - 1) // total
            yield relabel(to_requests(lambda f: text.get(names.get(f, "")), names, source=path.name, lines=lines,
                                      records=records, bytes_done=done, prompts=self._prompts(text, batch.num_rows)),
                          "row")
            first += batch.num_rows
