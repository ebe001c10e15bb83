"""OpenTelemetry GenAI spans: OTLP JSON, OTLP protobuf, and SDK span dumps.

OTLP nests spans under resources and scopes, and writes attributes as ``[{key, value: {intValue:
"39"}}]``; SDK dumps (``ReadableSpan.to_json``, any-agent traces) write them as a flat object. Each
span becomes one record carrying its resource, and attributes are looked up either way, so
OpenLIT, OpenLLMetry, LangSmith and any-agent spans all map through the GenAI semantic conventions
(``gen_ai.request.model``, ``gen_ai.usage.input_tokens`` or the older ``prompt_tokens``, ...).
A span is an LLM request when it names a model and is not a tool or agent span; the rest of a
trace is not a record of this format. The request id is ``<trace id>-<span id>`` in hex, whether
the file wrote ids as hex (OTLP/JSON), base64 (protobuf's JSON mapping) or integers (SDK dumps).

The prompt comes from the first of: the current conventions' ``gen_ai.system_instructions`` and
``gen_ai.input.messages`` (JSON strings of parts and of messages with ``parts``), the older
indexed ``gen_ai.prompt.<i>.role``/``.content`` attributes (OpenLLMetry), or the span's events
``gen_ai.system.message``, ``gen_ai.user.message``, ... and ``gen_ai.content.prompt`` (OpenLIT).
Events exported as log records, apart from their span, are not read.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path

import pyarrow as pa

from tokencensus.sources._io import logical_suffix
from tokencensus.sources._prompts import PromptSpec, said, turns
from tokencensus.sources._records import JsonRecords, Values, first_item, first_of, num, read_records
from tokencensus.sources.base import AdapterBatch

_SPANS = """flatten(list_transform(json_extract({x}, '$.resourceSpans[*]'), lambda rs: flatten(list_transform(
    json_extract(rs, '$.scopeSpans[*]'), lambda ss: list_transform(json_extract(ss, '$.spans[*]'),
    lambda sp: {{'rec': sp, 'ctx': json_extract(rs, '$.resource')}})))))"""

_VALUE_PATHS = ", ".join(f"'$.value.{k}'" for k in (
    "stringValue", "intValue", "doubleValue", "boolValue", "arrayValue.values[0].stringValue"))


def _is_json(alias: str, opening: str) -> str:
    """SQL: whether an alias holds a JSON object (``{``) or array (``[``), not text that fails to parse."""
    return f"(left(\"{alias}\", 1) = '{opening}' AND json_valid(\"{alias}\"))"


def _attributes(container: str, keys: list[str]) -> dict[str, str]:
    """Stage 1: the wanted keys of a flat attribute object (one parse), and an OTLP key/value
    list as (k, v) structs (one parse), so each lookup after that parses nothing."""
    flat = ", ".join(f"'$.\"{k}\"'" for k in keys)
    return {
        f"{container}_flat": f"CASE WHEN {_is_json(container, '{')} THEN json_extract_string(\"{container}\", [{flat}]) END",
        f"{container}_kv": f"""CASE WHEN {_is_json(container, '[')} THEN list_transform(
            json_extract("{container}", '$[*]'), lambda a: {{'k': json_extract_string(a, '$.key'),
            'v': list_filter(json_extract_string(a, [{_VALUE_PATHS}]), lambda v: v IS NOT NULL)[1]}}) END""",
    }


def _attr(container: str, keys: list[str], key: str) -> str:
    """Stage 2: one attribute as text, from whichever form the span used."""
    return (f"coalesce(\"{container}_flat\"[{keys.index(key) + 1}], "
            f"list_filter(\"{container}_kv\", lambda a: a.k = '{key}')[1].v)")


def _hex_id(alias: str, width: int) -> str:
    """Hex as is, integers and base64 converted to hex."""
    return (f"CASE WHEN regexp_full_match(\"{alias}\", '[0-9a-fA-F]{{{width}}}') THEN lower(\"{alias}\") "
            f"WHEN regexp_full_match(\"{alias}\", '[0-9]+') THEN lpad(lower(hex(TRY_CAST(\"{alias}\" AS UHUGEINT))), {width}, '0') "
            f"ELSE lower(hex(try(from_base64(\"{alias}\")))) END")


#: Attribute aliases: canonical meaning -> the attribute keys that carry it, first wins.
_ATTRS = {
    "model": ("gen_ai.response.model", "gen_ai.request.model"),
    "operation": ("gen_ai.operation.name",),
    "provider": ("gen_ai.provider.name", "gen_ai.system"),
    "input_tokens": ("gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens"),
    "output_tokens": ("gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens"),
    "reasoning_tokens": ("gen_ai.usage.reasoning_tokens", "gen_ai.usage.reasoning.output_tokens"),
    "cached_tokens": ("gen_ai.usage.cache_read_input_tokens", "gen_ai.usage.cache_read.input_tokens",
                      "gen_ai.usage.cached_tokens"),
    "cost": ("gen_ai.usage.cost",),
    "input_cost": ("gen_ai.usage.input_cost",),
    "output_cost": ("gen_ai.usage.output_cost",),
    "finish_reasons": ("gen_ai.response.finish_reasons",),
    "user": ("user.id", "enduser.id", "gen_ai.request.user"),
    "stream": ("gen_ai.request.is_stream", "llm.is_streaming"),
}


_KEYS = [key for keys in _ATTRS.values() for key in keys]

#: Span events that carry a prompt message, and the role each speaks in.
_EVENT_ROLES = {"gen_ai.system.message": "system", "gen_ai.user.message": "user",
                "gen_ai.assistant.message": "assistant", "gen_ai.tool.message": "tool", "gen_ai.content.prompt": "user"}
_EVENT_TEXT = ("content", "gen_ai.prompt")  # the event attribute holding the text


def _sql_list(items: Iterable[str]) -> str:
    return ", ".join(f"'{item}'" for item in items)


_EVENT_TEXT_PATHS = ", ".join(f"'$.\"{key}\"'" for key in _EVENT_TEXT)
_EVENT_ROLE = "CASE e.name " + " ".join(f"WHEN '{n}' THEN '{r}'" for n, r in _EVENT_ROLES.items()) + " END"
_EVENT_KV = '[{"key": "VARCHAR", "value": {"stringValue": "VARCHAR"}}]'


def _one(key: str) -> str:
    return f"list_filter(\"prompt_kv\", lambda a: a.k = '{key}')[1].v"


def _each_said(alias: str) -> str:
    """Pieces of a list of {role, content} structs, each content text or JSON parts."""
    return f'flatten(list_transform("{alias}", lambda e: prompt_said(e.content, e.role)))'


_PROMPT = PromptSpec(
    inputs=("attrs", "attrs_kv", "events"),
    paths={"events": "events"},
    stages=(
        # the prompt attributes as (k, v), whichever form the span wrote them in
        {"prompt_kv": f"""list_filter(coalesce("attrs_kv", list_transform(map_entries(json_transform(
                 CASE WHEN {_is_json("attrs", "{")} THEN "attrs" END, '"MAP(VARCHAR, VARCHAR)"')),
                 lambda e: {{'k': e.key, 'v': e.value}})),
             lambda a: starts_with(a.k, 'gen_ai.prompt.') OR a.k IN ('gen_ai.input.messages', 'gen_ai.system_instructions'))""",
         "prompt_events": f"""list_filter(json_transform(CASE WHEN {_is_json("events", "[")} THEN "events" END,
             '[{{"name": "VARCHAR", "attributes": "JSON"}}]'), lambda e: e.name IN ({_sql_list(_EVENT_ROLES)}))"""},
        {"input_messages": _one("gen_ai.input.messages"), "system_instructions": _one("gen_ai.system_instructions"),
         "indexed": """list_sort(list_transform(list_filter("prompt_kv",
             lambda a: starts_with(a.k, 'gen_ai.prompt.') AND ends_with(a.k, '.content')),
             lambda a: {'i': TRY_CAST(split_part(a.k, '.', 3) AS INTEGER),
                        'role': list_filter("prompt_kv", lambda r: r.k = replace(a.k, '.content', '.role'))[1].v,
                        'content': a.v}))""",
         "event_messages": f"""list_transform("prompt_events", lambda e: {{'role': {_EVENT_ROLE}, 'content': coalesce(
             list_filter(json_extract_string(e.attributes, [{_EVENT_TEXT_PATHS}]), lambda t: t IS NOT NULL)[1],
             list_filter(json_transform(e.attributes, '{_EVENT_KV}'),
                         lambda kv: kv.key IN ({_sql_list(_EVENT_TEXT)}))[1].value.stringValue)}})"""},
        # the older forms count only where the newer ones are absent
        {"said_indexed": 'CASE WHEN "input_messages" IS NULL AND "system_instructions" IS NULL THEN "indexed" END',
         "said_events": """CASE WHEN "input_messages" IS NULL AND "system_instructions" IS NULL
             AND coalesce(len("indexed"), 0) = 0 THEN "event_messages" END"""},
    ),
    pieces=(said('"system_instructions"', "system"), turns('"input_messages"'), _each_said("said_indexed"),
            _each_said("said_events")),
)


class OtelSpans(JsonRecords):
    name = "otel"
    description = "OpenTelemetry GenAI spans: OTLP JSON (resourceSpans) or SDK span dumps with gen_ai.* attributes"
    markers = ("resourceSpans|spans|attributes", "gen_ai.")
    record = None
    # one resource (the usual export) takes one parse of the line; several go resource by resource
    context = "json_extract(doc, '$.resourceSpans[0].resource')"
    records = f"""CASE
      WHEN json_type(doc, '$.resourceSpans') = 'ARRAY' AND json_array_length(doc, '$.resourceSpans') = 1
        THEN list_transform(json_extract(doc, '$.resourceSpans[0].scopeSpans[*].spans[*]'),
                            lambda sp: {{'rec': sp, 'ctx': ctx0}})
      WHEN json_type(doc, '$.resourceSpans') = 'ARRAY' THEN {_SPANS.format(x='doc')}
      WHEN json_type(doc, '$.trace_requests') = 'ARRAY' THEN flatten(list_transform(
        json_extract(doc, '$.trace_requests[*].pbreq'), lambda r: {_SPANS.format(x='r')}))
      WHEN json_type(doc, '$.spans') = 'ARRAY' THEN list_transform(json_extract(doc, '$.spans[*]'),
        lambda sp: {{'rec': sp, 'ctx': NULL::JSON}})
      WHEN json_type(doc, '$.attributes') = 'OBJECT' THEN [{{'rec': doc::JSON, 'ctx': NULL::JSON}}]
    END"""
    container = "no spans (expected resourceSpans, spans, or one span with attributes)"
    paths = {
        "attrs": "attributes", "resource": "resource.attributes", "trace_id": "traceId", "span_id": "spanId",
        "sdk_trace_id": "context.trace_id", "sdk_span_id": "context.span_id", "start": "startTimeUnixNano",
        "end": "endTimeUnixNano", "sdk_start": "start_time", "sdk_end": "end_time", "status": "status.code",
        "sdk_status": "status.status_code", "parent_id": "parentSpanId", "sdk_parent_id": "parent.span_id",
    }
    context_paths = {"resource_otlp": "attributes"}
    stages = (
        {**_attributes("attrs", _KEYS), **_attributes("resource", ["service.name"]),
         **_attributes("resource_otlp", ["service.name"])},
        {**{alias: "coalesce(" + ", ".join(_attr("attrs", _KEYS, k) for k in keys) + ")"
            for alias, keys in _ATTRS.items()},
         "service": "coalesce(" + ", ".join(_attr(c, ["service.name"], "service.name")
                                          for c in ("resource_otlp", "resource")) + ")",
         "tid": f"coalesce({_hex_id('trace_id', 32)}, {_hex_id('sdk_trace_id', 32)})",
         "sid": f"coalesce({_hex_id('span_id', 16)}, {_hex_id('sdk_span_id', 16)})"},
    )
    keep = "\"model\" IS NOT NULL AND coalesce(\"operation\", '') NOT IN ('execute_tool', 'invoke_agent', 'create_agent')"
    parent = f"\"tid\" || '-' || coalesce({_hex_id('parent_id', 16)}, {_hex_id('sdk_parent_id', 16)})"
    redact = '{"attributes": null, "events": null}'
    prompt = _PROMPT
    fields = {
        "request_id": ("traceId/spanId", "\"tid\" || '-' || \"sid\""),
        "ts": ("startTimeUnixNano", first_of("start", "sdk_start")),
        "end": ("endTimeUnixNano", first_of("end", "sdk_end")),
        "model": ("gen_ai.response.model", '"model"'),
        "provider": ("gen_ai.system", '"provider"'),
        "app_id": ("service.name", '"service"'),
        "user_id": ("user.id", '"user"'),
        "prompt_tokens": ("gen_ai.usage.input_tokens", '"input_tokens"'),
        "completion_tokens": ("gen_ai.usage.output_tokens", '"output_tokens"'),
        "reasoning_tokens": ("gen_ai.usage.reasoning_tokens", '"reasoning_tokens"'),
        "cached_tokens": ("gen_ai.usage.cache_read_input_tokens", '"cached_tokens"'),
        "cost_usd": ("gen_ai.usage.cost", f"coalesce({num('cost')}, {num('input_cost')} + {num('output_cost')})"),
        "finish_reason": ("gen_ai.response.finish_reasons",
                          "CASE WHEN upper(coalesce(\"status\", \"sdk_status\", '')) IN ('STATUS_CODE_ERROR', '2', 'ERROR') "
                          f"THEN 'error' ELSE {first_item('finish_reasons')} END"),
        "streamed": ("gen_ai.request.is_stream", '"stream"'),
    }

    def sniff(self, head: bytes, path: Path) -> str | None:
        if logical_suffix(path) in PROTOBUF_SUFFIXES:
            return None
        return super().sniff(head, path)

    def read(self, path: Path) -> Iterator[AdapterBatch]:
        if logical_suffix(path) in PROTOBUF_SUFFIXES:
            yield from read_records(self, _protobuf_values(path), path.name, unit="message")
        else:
            yield from super().read(path)


PROTOBUF_SUFFIXES = (".pb", ".binpb", ".otlp")


def _protobuf_values(path: Path) -> Iterator[Values]:
    """A binary ExportTraceServiceRequest, rendered with protobuf's own JSON mapping."""
    from google.protobuf.json_format import MessageToJson
    from google.protobuf.message import DecodeError
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    message = ExportTraceServiceRequest()
    data = path.read_bytes()
    try:
        message.ParseFromString(data)
        text = MessageToJson(message, indent=None)
    except DecodeError as error:  # the whole message becomes one quarantined record that says why
        text = json.dumps({"not_an_ExportTraceServiceRequest": str(error)})
    yield Values(pa.array([1], pa.int64()), pa.array([text], pa.string()), len(data), False)

