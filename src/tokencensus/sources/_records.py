"""JSON logs of any layout read as canonical request rows, with every record accounted for.

Gateways write JSON in three layouts: JSON Lines (one value per line), one pretty-printed
document (a Langfuse trace, a LiteLLM payload), or a document holding an array of values; and one
value may wrap many records (an OTLP export holds spans under resources and scopes). Here a file
becomes a column of JSON values, and one DuckDB query per block expands each value into its
records and pulls every wanted path out with a single parse per record. Adapters are declarative:
a list expression that yields the records of a value, the JSON paths they need, and a SQL
expression per canonical field. Prompt text is never selected.

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
from tokencensus.sources.base import AdapterBatch, Target

JSON_SUFFIXES = (".json", ".jsonl", ".ndjson")
_INPUT = "prompt input "  # prefix of the record query's columns that carry a prompt's inputs
DOCUMENT_ROWS = 20_000  # values of a document handed to the query at a time
MAX_DOCUMENT = 1 << 30  # DuckDB's limit for one JSON value in a document


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
        present = pc.invert(pc.utf8_is_space(lines))  # every line keeps its newline
        yield Values(pc.filter(numbers, present), pc.filter(lines, present), bytes_done, False)


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
    ``AdapterBatch.prompts`` (its paths join the same parse).
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

    def query(self, prompt: bool = True) -> str:
        """The SQL over a ``block`` of values: each record's fields and, where the format logs
        prompts (and ``prompt``), the inputs they are read from and whether any is given."""
        spec = self.prompt if prompt else None
        paths = {**self.paths, **spec.paths} if spec else self.paths
        aliases, context = list(paths), list(self.context_paths)
        picks = [f'sv[{i + 1}] AS "{a}"' for i, a in enumerate(aliases)]
        picks += [f'cv[{i + 1}] AS "{a}"' for i, a in enumerate(context)]
        extract = f"json_extract_string(rec, [{', '.join(q(paths[a]) for a in aliases)}]) AS sv"
        if context:
            extract += f", json_extract_string(ctx, [{', '.join(q(self.context_paths[a]) for a in context)}]) AS cv"
        fields = ", ".join(f'CAST(({sql}) AS VARCHAR) AS "{field}"' for field, (_, sql) in self.fields.items())
        if self.record is not None:  # one record per value: no lists to build and unnest
            expand = (f"r AS (SELECT ln, doc, ok, obj, CASE WHEN obj THEN ({self.record}) END AS rec, "
                      "NULL::JSON AS ctx FROM o), f AS (SELECT *, rec IS NOT NULL AS found FROM r)")
        else:  # records: a list of {rec, ctx} structs, ctx carrying what records share (a resource)
            expand = (f"c AS (SELECT *, CASE WHEN obj THEN ({self.context}) END AS ctx0 FROM o), "
                      f"e AS (SELECT ln, doc, ok, obj, CASE WHEN obj THEN ({self.records}) END AS recs FROM c), "
                      "u AS (SELECT ln, doc, ok, obj, recs IS NOT NULL AS found, unnest(CASE WHEN recs IS NULL "
                      "THEN [{'rec': NULL::JSON, 'ctx': NULL::JSON}] ELSE recs END) AS item FROM e), "
                      "f AS (SELECT * EXCLUDE (item), item.rec AS rec, item.ctx AS ctx FROM u)")
        stages, last = "", "y"
        for i, stage in enumerate(self.stages):
            columns = "".join(f', ({sql}) AS "{alias}"' for alias, sql in stage.items())
            stages, last = stages + f", s{i} AS (SELECT *{columns} FROM {last})", f"s{i}"
        if spec:
            given = " OR ".join(f'"{a}" IS NOT NULL' for a in spec.inputs)
            fields += f", {given} AS _prompted" + "".join(f', "{a}" AS "{_INPUT}{a}"' for a in spec.inputs)
        return (
            "WITH v AS (SELECT ln, doc, json_valid(doc) AS ok FROM block), "
            # valid JSON that starts with a brace is an object: spares a second parse
            "o AS (SELECT ln, doc, ok, ok AND starts_with(ltrim(doc, ' \t\r\n'), '{') AS obj FROM v), "
            f"{expand}, x AS (SELECT *, {extract} FROM f), "
            f"y AS (SELECT *, {', '.join(picks)} FROM x){stages} "
            "SELECT ln, ok, obj, found, coalesce(CAST(rec AS VARCHAR), doc) AS raw, "
            f"coalesce(rec IS NULL OR ({self.keep}), true) AS keep, {self.parent or 'NULL'} AS _parent, "
            f"{fields} FROM {last}"
        )

    def read(self, path: Path) -> Iterator[AdapterBatch]:
        yield from read_records(self, json_values(path), path.name)


def read_records(fmt: JsonRecords, blocks: Iterator[Values], source: str, unit: str = "line") -> Iterator[AdapterBatch]:
    """Run ``fmt``'s query over each block of values and yield canonical rows and rejects."""
    con = duckdb.connect()
    if fmt.prompt:
        _prompts.install(con)
    sql = {True: fmt.query(), False: fmt.query(prompt=False)}
    names = {field: name for field, (name, _) in fmt.fields.items()}
    for values in blocks:
        prompt = fmt.prompt is not None and fmt.prompt.may_hold(values.text)
        con.register("block", pa.table({"ln": values.lines, "doc": values.text}))
        out = con.sql(sql[prompt]).to_arrow_table()
        con.unregister("block")
        out = out.filter(out["keep"])
        if fmt.parent:  # a framework span around the LLM span would count the call twice
            out = out.filter(pc.invert(pc.is_in(out["request_id"], value_set=out["_parent"].drop_null())))
        bad = pc.invert(out["found"])
        reason = pc.if_else(out["obj"], pa.scalar(fmt.container),
                            pc.if_else(out["ok"], pa.scalar("not a JSON object"), pa.scalar("invalid JSON")))
        rejects = quarantine_rows(source, pc.filter(out["ln"], bad), pa.nulls(pc.sum(bad).as_py() or 0, pa.string()),
                                  pc.filter(reason, bad), redact(con, pc.filter(out["raw"], bad), fmt.redact))
        good = out.filter(out["found"])
        raw = good["raw"].combine_chunks()
        batch = to_requests(
            lambda field: good[field].combine_chunks() if field in names else None,
            names,
            source=source,
            lines=good["ln"].combine_chunks(),
            records=lambda mask: redact(con, pc.filter(raw, mask), fmt.redact),
            extra_rejects=rejects,
            bytes_done=values.bytes_done,
            prompts=(prompt_texts(con, fmt.prompt, good) if prompt else
                     pa.nulls(good.num_rows, pa.string()) if fmt.prompt else None),
        )
        yield relabel(batch, "record" if values.document else unit)


def prompt_texts(con: duckdb.DuckDBPyConnection, spec: _prompts.PromptSpec, rows: pa.Table) -> pa.Array:
    """The prompt text of each row of the record query's output: flattened from the inputs of
    the rows that have some, null for the rest."""
    flagged = rows["_prompted"].combine_chunks()
    texts = pa.nulls(rows.num_rows, pa.string())
    if not rows.num_rows or not pc.any(flagged).as_py():
        return texts
    inputs = pa.table({alias: pc.filter(rows[f"{_INPUT}{alias}"], flagged) for alias in spec.inputs})
    return pc.replace_with_mask(texts, flagged, spec.read(con, inputs))


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
