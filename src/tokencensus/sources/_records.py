"""JSON logs of any layout read as canonical request rows, with every record accounted for.

Gateways write JSON in three layouts: JSON Lines (one value per line), one pretty-printed
document (a Langfuse trace, a LiteLLM payload), or a document holding an array of values; and one
value may wrap many records (an OTLP export holds spans under resources and scopes). Here a file
becomes a column of JSON values, and one DuckDB query per block expands each value into its
records and pulls every wanted path out with a single parse per record. Adapters are declarative:
a list expression that yields the records of a value, the JSON paths they need, and a SQL
expression per canonical field. Prompt text is never selected: a batch hands over its raw records,
and the prompts of the few the store samples are read from them afterwards (``prompt_query``).

Accounting: a value that is not valid JSON, not an object, or lacks the format's container is one
quarantined record; records the adapter does not count as LLM requests (tool spans, agent spans)
are not records of the format and are left out of ``read``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tokencensus.sources import _prompts
from tokencensus.sources._canonical import to_requests
from tokencensus.sources._convert import quarantine_rows
from tokencensus.sources._io import line_blocks, logical_suffix, read_head
from tokencensus.sources.base import AdapterBatch, Prompts, Target

JSON_SUFFIXES = (".json", ".jsonl", ".ndjson")
DOCUMENT_ROWS = 20_000  # values of a document handed to the query at a time
MAX_DOCUMENT = 1 << 30  # DuckDB's limit for one JSON value in a document


def _extract(json: str, paths: Mapping[str, str]) -> str:
    """SQL: the text at every path of ``paths`` in ``json``, as one list, with one parse."""
    return f"json_extract_string({json}, [{', '.join(q(path) for path in paths.values())}])"


def q(path: str) -> str:
    """A JSON path as a DuckDB string literal, each key quoted (keys like ``gen_ai.usage.cost``)."""
    keys = "".join(f'."{key}"' if not key.startswith("[") else key for key in _split_path(path))
    return "'$" + keys.replace("'", "''") + "'"


def _split_path(path: str) -> list[str]:
    """``a.b[0].c`` -> ``["a", "b", "[0]", "c"]``; a key in double quotes may hold dots."""
    parts = re.findall(r'"[^"]*"|\[\d+\]|[^.\[\]"]+', path)
    return [p.strip('"') if p.startswith('"') else p for p in parts]


@dataclass(frozen=True)
class Values:
    """A block of JSON values: their line (or position in a document), text and progress."""

    lines: pa.Array
    text: pa.Array
    bytes_done: int
    document: bool  # positions are records of one document, not lines


def json_values(path: Path) -> Iterator[Values]:
    """The JSON values of ``path``: one per line, or the elements of one document.

    A ``.json`` file whose first non-blank line is not a complete value is read as one document
    (an array yields its elements); if that fails to parse, it is read line by line after all so
    that every line is accounted for.
    """
    if logical_suffix(path) == ".json" and not _first_line_parses(read_head(path)):
        try:
            yield from _document_values(path)
            return
        except duckdb.Error:
            pass
    for lines, first, bytes_done in line_blocks(path):
        numbers = pa.array(np.arange(first, first + len(lines), dtype=np.int64))
        blank = pc.utf8_is_space(lines)  # every line keeps its newline
        if pc.any(blank).as_py():
            present = pc.invert(blank)
            numbers, lines = pc.filter(numbers, present), pc.filter(lines, present)
        yield Values(numbers, lines, bytes_done, False)


def _first_line_parses(head: bytes) -> bool:
    for line in head.splitlines():
        if line.strip():
            try:
                json.loads(line)
            except ValueError:
                return False
            return True
    return True


def _document_values(path: Path) -> Iterator[Values]:
    con = duckdb.connect()
    size = path.stat().st_size
    source = "read_json_objects(?, format='auto', maximum_object_size=?)"
    con.sql(f"SELECT count(*) FROM {source}", params=[str(path), MAX_DOCUMENT]).fetchall()  # raises before anything is yielded
    reader = con.sql(
        f"SELECT CAST(json AS VARCHAR) AS doc FROM {source}",
        params=[str(path), MAX_DOCUMENT],
    ).to_arrow_reader(DOCUMENT_ROWS)
    first = 1
    for batch in reader:
        text = batch.column("doc")
        yield Values(pa.array(range(first, first + len(text)), pa.int64()), text, size, True)
        first += len(text)


class JsonRecords:
    """A JSON log format, described by where its records are and where each field is.

    ``record``: DuckDB expression over ``doc`` (the value) giving its one record, NULL when the
    value is not of this format (``container`` says why); formats whose values hold many records
    set it to None and give ``records`` instead: a list of ``{'rec': JSON, 'ctx': JSON}`` structs,
    ``ctx`` holding what the records of a value share (an OTLP resource, a Langfuse trace), read
    through ``context_paths``.
    ``paths``: alias -> path inside a record, fetched with one parse; ``fields``: canonical field
    -> (name in the format, SQL over the aliases and ``rec``/``doc``); ``keep``: SQL, whether a
    record is an LLM request at all; ``prompt``: where the request's prompt text is, for
    ``AdapterBatch.prompts`` (read from the raw record, only for the records the store asks for).
    """

    name: str
    description: str
    target: Target = "requests"
    markers: tuple[str, ...]  # keys ("name") that the first 64 KiB must all contain
    record: str | None = "doc"  # SQL over ``doc``: the one record of a value; None: use ``records``
    records: str = "NULL"
    context: str = "NULL::JSON"  # SQL over ``doc``, computed once per value as ``ctx0`` for ``records``
    context_paths: Mapping[str, str] = {}  # alias -> path inside a record's ``ctx``
    container: str = "not a record of this format"
    paths: Mapping[str, str]
    fields: Mapping[str, tuple[str, str]]
    keep: str = "true"
    stages: tuple[Mapping[str, str], ...] = ()  # alias -> SQL over earlier aliases, one SELECT per stage
    redact: str = "{}"  # JSON merge patch that blanks prompt text out of quarantined records
    parent: str | None = None  # SQL: the request id of a record's parent; a parent of a kept record is a wrapper
    prompt: _prompts.PromptSpec | None = None  # where a record's prompt text is; None: the format logs none

    def sniff(self, head: bytes, path: Path) -> str | None:
        if logical_suffix(path) not in JSON_SUFFIXES:
            return f"extension '{logical_suffix(path)}' is not .json, .jsonl or .ndjson"
        text = head.decode("utf-8", errors="replace")
        missing = [m for m in self.markers if not any(f'"{key}' in text for key in m.split("|"))]
        return f"no {', '.join(missing)} key in the first 64 KiB" if missing else None

    def query(self) -> str:
        """The SQL over a ``block`` of values: each record's fields and raw text (never its prompt)."""
        aliases, context = list(self.paths), list(self.context_paths)
        picks = [f'sv[{i + 1}] AS "{a}"' for i, a in enumerate(aliases)]
        picks += [f'cv[{i + 1}] AS "{a}"' for i, a in enumerate(context)]
        fields = ", ".join(f'CAST(({sql}) AS VARCHAR) AS "{field}"' for field, (_, sql) in self.fields.items())
        brace = "starts_with(ltrim(doc, ' \t\r\n'), '{')"  # valid JSON that starts with a brace is an object
        if self.record is not None:  # one record per value: no lists to build and unnest
            # a valid value is parsed once: its record and paths are read under try(), and only a
            # value they fail on (not JSON, or no record of this format) is validated after all
            opening = (f"b AS (SELECT ln, doc, {brace} AS brace FROM block), "
                       f"r AS (SELECT *, try(CASE WHEN brace THEN ({self.record}) END) AS rec0 FROM b), "
                       f"t AS (SELECT *, try({_extract('rec0', self.paths)}) AS sv0 FROM r), "
                       "v AS (SELECT *, CASE WHEN sv0 IS NOT NULL THEN true ELSE json_valid(doc) END AS ok FROM t), "
                       "x AS (SELECT ln, doc, ok, ok AND brace AS obj, CASE WHEN ok AND brace THEN rec0 END AS rec, "
                       "NULL::JSON AS ctx, CASE WHEN ok AND brace THEN sv0 END AS sv, "
                       "ok AND brace AND rec0 IS NOT NULL AS found FROM v)")
        else:  # records: a list of {rec, ctx} structs, ctx carrying what records share (a resource)
            extract = f"{_extract('rec', self.paths)} AS sv"
            if context:
                extract += f", {_extract('ctx', self.context_paths)} AS cv"
            opening = ("v AS (SELECT ln, doc, json_valid(doc) AS ok FROM block), "
                       f"o AS (SELECT ln, doc, ok, ok AND {brace} AS obj FROM v), "
                       f"c AS (SELECT *, CASE WHEN obj THEN ({self.context}) END AS ctx0 FROM o), "
                       f"e AS (SELECT ln, doc, ok, obj, CASE WHEN obj THEN ({self.records}) END AS recs FROM c), "
                       "u AS (SELECT ln, doc, ok, obj, recs IS NOT NULL AS found, unnest(CASE WHEN recs IS NULL "
                       "THEN [{'rec': NULL::JSON, 'ctx': NULL::JSON}] ELSE recs END) AS item FROM e), "
                       "f AS (SELECT * EXCLUDE (item), item.rec AS rec, item.ctx AS ctx FROM u), "
                       f"x AS (SELECT *, {extract} FROM f)")
        stages, last = self._stages("y")
        return (
            f"WITH {opening}, y AS (SELECT *, {', '.join(picks)} FROM x){stages} "
            "SELECT ln, ok, obj, found, coalesce(CAST(rec AS VARCHAR), doc) AS raw, "
            f"coalesce(rec IS NULL OR ({self.keep}), true) AS keep, {self.parent or 'NULL'} AS _parent, "
            f"{fields} FROM {last}"
        )

    def prompt_query(self) -> str:
        """The SQL over ``prompt_records`` (``rec``: records' raw text, as the record query gives
        it): the inputs of each record's prompt (the columns ``prompt.inputs`` names) and whether
        any is given (``_given``), in order.

        It reads the record's paths and runs its stages as the record query does, so an input may
        be any alias; what a record's context holds (an OTLP resource) is null here."""
        spec = self.prompt
        assert spec is not None, f"{self.name} logs no prompts"
        paths = {**self.paths, **spec.paths}
        picks = [f'sv[{i + 1}] AS "{a}"' for i, a in enumerate(paths)]
        picks += [f'NULL::VARCHAR AS "{a}"' for a in self.context_paths]
        inputs = ", ".join(f'"{a}"' for a in spec.inputs)
        given = " OR ".join(f'"{a}" IS NOT NULL' for a in spec.inputs)
        stages, last = self._stages("y")
        return (f"WITH x AS (SELECT rec, rec AS doc, NULL::JSON AS ctx, {_extract('rec', paths)} AS sv "
                f"FROM prompt_records), y AS (SELECT *, {', '.join(picks)} FROM x){stages} "
                f"SELECT {inputs}, coalesce({given}, false) AS _given FROM {last}")

    def prompt_texts(self, records: pa.Table) -> pa.Array:
        """The prompt text of each raw record (column ``rec``): its prompt's inputs read with one
        parse, then flattened where any is given (null for the others)."""
        inputs = _prompts.run(self.prompt_query(), prompt_records=records)
        given = inputs["_given"].combine_chunks()
        texts = pa.nulls(records.num_rows, pa.string())
        if not pc.any(given).as_py():
            return texts
        return pc.replace_with_mask(texts, given, self.prompt.read(inputs.filter(given)))

    def _stages(self, first: str) -> tuple[str, str]:
        """The CTEs of ``stages`` after the CTE ``first``, and the name of the last one."""
        stages, last = "", first
        for i, stage in enumerate(self.stages):
            columns = "".join(f', ({sql}) AS "{alias}"' for alias, sql in stage.items())
            stages, last = stages + f", s{i} AS (SELECT *{columns} FROM {last})", f"s{i}"
        return stages, last

    def read(self, path: Path) -> Iterator[AdapterBatch]:
        yield from read_records(self, json_values(path), path.name)


def read_records(fmt: JsonRecords, blocks: Iterator[Values], source: str, unit: str = "line") -> Iterator[AdapterBatch]:
    """Run ``fmt``'s query over each block of values and yield canonical rows and rejects."""
    con = duckdb.connect()
    sql = fmt.query()
    names = {field: name for field, (name, _) in fmt.fields.items()}
    for values in blocks:
        con.register("block", pa.table({"ln": values.lines, "doc": values.text}))
        out = con.sql(sql).to_arrow_table()
        con.unregister("block")
        out = _rows_where(out, out["keep"])
        if fmt.parent:  # a framework span around the LLM span would count the call twice
            out = _rows_where(out, pc.invert(pc.is_in(out["request_id"], value_set=out["_parent"].drop_null())))
        bad = pc.invert(out["found"])
        reason = pc.if_else(out["obj"], pa.scalar(fmt.container),
                            pc.if_else(out["ok"], pa.scalar("not a JSON object"), pa.scalar("invalid JSON")))
        rejects = quarantine_rows(source, pc.filter(out["ln"], bad), pa.nulls(pc.sum(bad).as_py() or 0, pa.string()),
                                  pc.filter(reason, bad), redact(con, pc.filter(out["raw"], bad), fmt.redact))
        good = _rows_where(out, out["found"])
        raw = good["raw"].combine_chunks()
        batch = to_requests(
            lambda field: good[field].combine_chunks() if field in names else None,
            names,
            source=source,
            lines=good["ln"].combine_chunks(),
            records=lambda mask: redact(con, pc.filter(raw, mask), fmt.redact),
            extra_rejects=rejects,
            bytes_done=values.bytes_done,
            prompts=None if fmt.prompt is None else Prompts(pa.table({"rec": raw}), fmt.prompt_texts),
        )
        yield relabel(batch, "record" if values.document else unit)


def _rows_where(table: pa.Table, mask: pa.ChunkedArray) -> pa.Table:
    """``table.filter(mask)``, without copying the records' text when every row stays."""
    return table if pc.all(mask).as_py() else table.filter(mask)


def redact(con: duckdb.DuckDBPyConnection, records: pa.Array, patch: str) -> pa.Array:
    """Quarantined records without their prompt text (``patch`` is a JSON merge patch)."""
    records = pc.utf8_rtrim(records, "\r\n")
    if not len(records) or patch == "{}":
        return records
    con.register("rejected", pa.table({"t": records}))
    out = con.sql("SELECT CASE WHEN json_valid(t) AND json_type(t) = 'OBJECT' "
                  f"THEN CAST(json_merge_patch(t, {sql_string(patch)}) AS VARCHAR) ELSE t END AS t FROM rejected")
    redacted = out.to_arrow_table()["t"].combine_chunks()
    con.unregister("rejected")
    return redacted


def relabel(batch: AdapterBatch, unit: str) -> AdapterBatch:
    """Say "record 3" or "row 3" in quarantine locations where positions are not file lines."""
    if unit == "line" or not batch.rejects.num_rows:
        return batch
    location = pc.replace_substring_regex(batch.rejects["location"], "^line ", f"{unit} ")
    return replace(batch, rejects=batch.rejects.set_column(batch.rejects.schema.get_field_index("location"),
                                                           "location", location))


# -- SQL helpers for adapters ------------------------------------------------------------------


def sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def num(alias: str) -> str:
    """A numeric alias as DOUBLE, NULL where it is not a number (for arithmetic in SQL)."""
    return f'TRY_CAST("{alias}" AS DOUBLE)'


def whole(expr: str) -> str:
    """A count computed in SQL (DOUBLE) as integer text, so the fast integer parse takes it;
    what is not a whole number stays as it is, for the parser to reject with a reason."""
    return (f"CASE WHEN ({expr}) = floor({expr}) AND abs({expr}) < 9e18 "
            f"THEN CAST(CAST(({expr}) AS BIGINT) AS VARCHAR) ELSE CAST(({expr}) AS VARCHAR) END")


def first_of(*aliases: str) -> str:
    """The first alias that is given (not null, not empty)."""
    return "coalesce(" + ", ".join(f"nullif(\"{a}\", '')" for a in aliases) + ")"


def first_item(alias: str) -> str:
    """The first element where an alias holds a JSON array (finish reasons), else the alias."""
    return (f'CASE WHEN json_valid("{alias}") AND json_type("{alias}") = \'ARRAY\' '
            f'THEN json_extract_string("{alias}", \'$[0]\') ELSE "{alias}" END')


def inner(alias: str, path: str) -> str:
    """A path inside an alias that holds JSON text (LiteLLM stores ``metadata`` as a JSON string)."""
    return f'CASE WHEN json_valid("{alias}") THEN json_extract_string("{alias}", {q(path)}) END'


def nonempty_array(alias: str, path: str = "") -> str:
    """Whether a path in an alias holding JSON text is a non-empty array (tools offered)."""
    at = q(path)
    return (f'CASE WHEN json_valid("{alias}") AND json_type("{alias}", {at}) = \'ARRAY\' '
            f'THEN json_array_length("{alias}", {at}) > 0 END')
