"""A request's prompt as one text, in SQL: the one flattener every JSON format shares.

Formats log a prompt in many shapes: a list of OpenAI-style messages whose content is a string
or a list of parts, a Responses API ``input`` string or item list beside ``instructions``, a
legacy ``prompt`` string, OpenTelemetry messages with ``parts``, Gemini ``contents``, and often
the same JSON again as a string (LiteLLM's SpendLogs ``messages``, Langfuse's ``input``). A
format says in a :class:`PromptSpec` where its prompt is; the text is the system prompts and
instructions first, then every message's text parts in order, separated by blank lines. Image,
audio, file and tool-call parts carry no text, so a tool-call-only message adds nothing.

The SQL works on *pieces*: lists of ``{role, texts}`` structs, one per message (or per system
prompt), that ``prompt_join`` orders and joins. Values arrive as a record's aliases: a string as
its text, an object or array as JSON text; a string that holds a JSON array or object is read as
that JSON, which is how JSON-as-string logs come out right.

Speed: the store keeps the prompts of a hash sample of requests only, so the record query never
reads a prompt: a batch hands over its raw records, and the prompt's paths are read and flattened
for the sampled records alone (see :class:`tokencensus.sources.base.Prompts`). DuckDB runs list
lambdas inside ``CASE`` branches row by row and does not share a repeated subexpression there, so
every ``CASE`` here picks among scalar inputs and every list function runs once per value.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa

SYSTEM_ROLES = ("system", "developer")
TEXT_PARTS = ("text", "input_text", "output_text")
SEPARATOR = "\n\n"

_MESSAGE = '[{"role": "VARCHAR", "content": "JSON", "parts": "JSON"}]'
_PART = '[{"type": "VARCHAR", "text": "VARCHAR", "content": "VARCHAR"}]'
_SYSTEM = "(" + ", ".join(f"'{r}'" for r in SYSTEM_ROLES) + ")"
_TEXT = "(" + ", ".join(f"'{t}'" for t in TEXT_PARTS) + ")"

#: Where a request body keeps its prompt, in order: key -> the role its plain text speaks in, or
#: None for a value that holds turns (messages, Responses ``input``, Gemini ``contents``).
BODY: tuple[tuple[str, str | None], ...] = (
    ("system", "system"),  # Anthropic: a string or a list of text blocks
    ("instructions", "system"),  # Responses API
    ("messages", None),
    ("input", None),  # Responses API: a string or a list of items
    ("prompt", "user"),  # legacy completions: a string or a list of strings
    ("contents", None),  # Gemini: a string or a list of {role, parts}
)


@dataclass(frozen=True)
class PromptSpec:
    """Where a JSON format logs a request's prompt.

    ``inputs``: the record's aliases the prompt is read from (a record whose inputs are all null
    has none); ``paths``: alias -> path inside a record, fetched with the record's other paths;
    ``stages`` (alias -> SQL, one SELECT each) and ``pieces`` (SQL piece lists, in order:
    :func:`said`, :func:`turns`, ...) run over the inputs.
    """

    pieces: tuple[str, ...]
    inputs: tuple[str, ...]
    paths: Mapping[str, str] = field(default_factory=dict)
    stages: tuple[Mapping[str, str], ...] = ()

    def query(self, table: str) -> str:
        """SQL: the prompt text of each row of ``table`` (one column per input), in row order."""
        ctes, last = [], table
        for i, stage in enumerate(self.stages):
            columns = "".join(f', ({sql}) AS "{alias}"' for alias, sql in stage.items())
            ctes.append(f"s{i} AS (SELECT *{columns} FROM {last})")
            last = f"s{i}"
        ctes.append(f"p AS (SELECT list_concat({', '.join(self.pieces)}) AS pieces FROM {last})")
        return f"WITH {', '.join(ctes)} SELECT prompt_join(pieces) AS prompt FROM p"

    def read(self, inputs: pa.Table) -> pa.Array:
        """The prompt text of each row of ``inputs`` (one column per input)."""
        return run(self.query("prompt_inputs"), prompt_inputs=inputs)["prompt"].combine_chunks()


def given(value: str) -> str:
    """SQL: whether a value holds anything (not null, blank, or an empty JSON object or list)."""
    return f"coalesce(trim({value}), '') NOT IN ('', '{{}}', '[]', 'null', '\"\"')"


def said(value: str, role: str) -> str:
    """SQL: the pieces of a value said in one role: text, or a JSON list of parts or strings."""
    return f"prompt_said({value}, '{role}')"


def turns(value: str) -> str:
    """SQL: the pieces of a value holding turns: text (one user turn), a JSON message list or one message."""
    return f"prompt_turns({value})"


def body_pieces(value_of: Callable[[str], str]) -> tuple[str, ...]:
    """SQL: the piece lists of a request body whose key ``k`` reads as ``value_of(k)``."""
    return tuple(said(value_of(key), role) if role else turns(value_of(key)) for key, role in BODY)


def body_spec(prefix: str) -> PromptSpec:
    """The prompt of the request body at ``prefix`` in a record (``request.``): its keys are
    fetched with the record's other paths."""
    paths = {f"body {key}": f"{prefix}{key}" for key, _ in BODY}
    return PromptSpec(pieces=body_pieces(lambda key: f'"body {key}"'), inputs=tuple(paths), paths=paths)


def body_redact() -> str:
    """A JSON merge patch that blanks every prompt key of a request body (for ``redact``)."""
    return "{" + ", ".join(f'"{key}": null' for key, _ in BODY) + "}"


def anything(alias: str) -> tuple[dict[str, str], tuple[str, ...]]:
    """A stage and the piece lists of an alias holding whatever a log calls the input: text, turns,
    one message, or a request body (Langfuse ``input``, LiteLLM ``messages``). The stage reads a
    body's keys with one parse, for the pieces to use."""
    body = f"{alias} body"
    keys = ", ".join(f'"{key}": "VARCHAR"' for key, _ in BODY)
    stage = {body: f"json_transform(CAST(CASE WHEN prompt_kind(\"{alias}\") = 'object' THEN \"{alias}\" END "
                   f"AS VARCHAR), '{{{keys}}}')"}
    return stage, (turns(f'"{alias}"'), *body_pieces(lambda key: f'"{body}".{key}'))


def anything_spec(alias: str, **paths: str) -> PromptSpec:
    """The prompt of one alias read as :func:`anything` reads it."""
    stage, pieces = anything(alias)
    return PromptSpec(pieces=pieces, inputs=(alias,), paths=paths, stages=(stage,))


_KIND = ("CASE WHEN v IS NULL OR v = '' THEN NULL "
         "WHEN left(ltrim(v), 1) = '[' AND json_valid(v) THEN 'array' "
         "WHEN left(ltrim(v), 1) = '{' AND json_valid(v) THEN 'object' ELSE 'text' END")

MACROS = (
    # 'text', 'array' or 'object': how an alias holds its value
    f"CREATE OR REPLACE TEMP MACRO prompt_kind(v) AS {_KIND}",
    # the texts of one content value (JSON): a string, a list of strings, or a list of parts
    f"""CREATE OR REPLACE TEMP MACRO prompt_parts(c) AS CASE
        WHEN left(c, 1) = '"' THEN [json_extract_string(c, '$')]
        WHEN left(c, 1) = '[' AND left(ltrim(substr(c, 2)), 1) = '"' THEN json_extract_string(c, '$[*]')
        WHEN left(c, 1) = '[' THEN list_transform(list_filter(json_transform(c, '{_PART}'),
            lambda p: coalesce(p.type IN {_TEXT}, p.type IS NULL)), lambda p: coalesce(p.text, p.content)) END""",
    # one piece per message of a JSON message list
    f"""CREATE OR REPLACE TEMP MACRO prompt_messages(m) AS list_transform(json_transform(CAST(m AS VARCHAR), '{_MESSAGE}'),
        lambda x: {{'role': x.role, 'texts': prompt_parts(coalesce(x.content, x.parts))}})""",
    # text or parts said in one role, made a message so that a missing value adds no piece
    """CREATE OR REPLACE TEMP MACRO prompt_said(v, role) AS prompt_messages(CASE prompt_kind(v)
        WHEN 'text' THEN json_array(json_object('role', role, 'content', v))
        WHEN 'array' THEN json_array(json_object('role', role, 'content', json(v))) END)""",
    """CREATE OR REPLACE TEMP MACRO prompt_turns(v) AS prompt_messages(CASE prompt_kind(v)
        WHEN 'array' THEN v WHEN 'object' THEN '[' || v || ']'
        WHEN 'text' THEN json_array(json_object('role', 'user', 'content', v)) END)""",
    # system pieces first, then the rest, in order; every non-empty text, blank lines between
    f"""CREATE OR REPLACE TEMP MACRO prompt_join(pieces) AS nullif(array_to_string(list_filter(
        flatten(list_transform(list_filter(pieces, lambda p: p.role IN {_SYSTEM}), lambda p: p.texts))
        || flatten(list_transform(list_filter(pieces, lambda p: NOT coalesce(p.role IN {_SYSTEM}, false)), lambda p: p.texts)),
        lambda t: t <> ''), '{SEPARATOR}'), '')""",
)


_LOCAL = threading.local()


def run(sql: str, **tables: pa.Table) -> pa.Table:
    """``sql`` over Arrow ``tables`` on this thread's connection, which has the ``prompt_*`` macros.

    Prompts are flattened in whichever thread asks for them (the store's), while the reader that
    made the batch may be parsing the next one on its own connection in another thread; a DuckDB
    connection serves one thread at a time, and opening one per call would cost tens of ms.
    """
    con = getattr(_LOCAL, "con", None)
    if con is None:
        con = _LOCAL.con = duckdb.connect()
        for macro in MACROS:
            con.execute(macro)
    for name, table in tables.items():
        con.register(name, table)
    try:
        return con.sql(sql).to_arrow_table()
    finally:
        for name in tables:
            con.unregister(name)


def flatten(values: pa.Array) -> pa.Array:
    """The prompt text of each value as :func:`anything` reads it: text stays text, a JSON message
    list, message or request body becomes its flattened text (a mapped file's prompt column)."""
    return anything_spec("t").read(pa.table({"t": values.cast(pa.string())}))
