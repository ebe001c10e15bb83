"""Langfuse observations: traces with observations from the public API, and blob-storage exports.

Only ``GENERATION`` observations are LLM requests; spans, events, tools and agents are not
records of this format. Langfuse's ``input``/``output`` counts leave out what it moved into
details when it was given OpenAI-style usage (``input_cached_tokens``, ``output_reasoning_tokens``,
...), so prompt and completion tokens add every ``input_*``/``output_*`` detail back, plus
Anthropic-style ``cache_read_input_tokens``/``cache_creation_input_tokens``. Where ``total``
exceeds the sum (Gemini's hidden thinking tokens), the rest counts as completion. The trace's
userId reaches its observations from the trace object (API) or the enriched export's columns.
The prompt is the observation's ``input``: text, a message list, one message, or a request body
(``messages``, Gemini ``contents``, a ``prompt``), often as a JSON string.
"""

from __future__ import annotations

from tokencensus.sources._prompts import anything_spec
from tokencensus.sources._records import JsonRecords, first_of, whole

_USAGE = '"usage_map"'


def _detail(*keys: str) -> str:
    return "coalesce(" + ", ".join(f"({_USAGE})['{k}']" for k in keys) + ")"


def _details_sum(prefix: str) -> str:
    return (f"coalesce(list_sum(list_transform(list_filter(map_entries({_USAGE}), "
            f"lambda e: starts_with(e.key, '{prefix}')), lambda e: e.value)), 0)")


_PROMPT = (f"{_detail('input', 'promptTokens')} + {_details_sum('input_')} + "
           f"coalesce({_detail('cache_read_input_tokens')}, 0) + coalesce({_detail('cache_creation_input_tokens')}, 0)")
_COMPLETION = (f"greatest({_detail('output', 'completionTokens')} + {_details_sum('output_')}, "
               f"{_detail('total', 'totalTokens')} - ({_PROMPT}))")


class LangfuseObservations(JsonRecords):
    """``{"trace": ..., "observations": [...]}`` documents, or one observation per line."""

    name = "langfuse"
    description = "Langfuse traces with observations, or observations as JSON Lines (type GENERATION, usageDetails, ...)"
    markers = ("startTime|start_time", "traceId|trace_id", "usageDetails|usage_details|observations")
    record = None
    context = "json_object('userId', json_extract(doc, '$.trace.userId'))"
    records = """CASE WHEN json_type(doc, '$.observations') = 'ARRAY'
        THEN list_transform(json_extract(doc, '$.observations[*]'), lambda o: {'rec': o, 'ctx': ctx0})
      WHEN json_type(doc, '$.type') = 'VARCHAR' THEN [{'rec': doc::JSON, 'ctx': NULL::JSON}] END"""
    container = "neither a trace with observations nor an observation"
    paths = {
        "type": "type", "id": "id", "startTime": "startTime", "start_time": "start_time", "endTime": "endTime",
        "end_time": "end_time", "model": "model", "provided_model_name": "provided_model_name",
        "usageDetails": "usageDetails", "usage_details": "usage_details", "legacy_usage": "usage",
        "costDetails_total": "costDetails.total", "cost_details_total": "cost_details.total",
        "totalCost": "totalCost", "total_cost": "total_cost", "calculatedTotalCost": "calculatedTotalCost",
        "level": "level", "userId": "userId", "user_id": "user_id", 
        "trace_name": "trace_name", "provider": "metadata.provider",
    }
    context_paths = {"traceUserId": "userId"}
    stages = (
        {"usage": 'coalesce("usageDetails", "usage_details", "legacy_usage")'},
        {"usage_map": """CASE WHEN json_valid("usage") AND json_type("usage") = 'OBJECT'
            THEN json_transform("usage", '"MAP(VARCHAR, DOUBLE)"') END"""},
    )
    keep = "\"type\" IN ('GENERATION', 'EMBEDDING')"
    redact = '{"input": null, "output": null, "metadata": null, "toolDefinitions": null, "toolCalls": null}'
    prompt = anything_spec("input", input="input")
    fields = {
        "request_id": ("id", '"id"'),
        "ts": ("startTime", first_of("startTime", "start_time")),
        "end": ("endTime", first_of("endTime", "end_time")),
        "model": ("model", first_of("model", "provided_model_name")),
        "provider": ("metadata.provider", '"provider"'),
        "user_id": ("userId", first_of("userId", "user_id", "traceUserId")),
        "prompt_tokens": ("usageDetails", whole(_PROMPT)),
        "completion_tokens": ("usageDetails", whole(_COMPLETION)),
        "reasoning_tokens": ("usageDetails", whole(_detail("output_reasoning_tokens", "output_reasoning",
                                                           "completion_details.reasoning"))),
        "cached_tokens": ("usageDetails", whole(_detail("input_cached_tokens", "input_cache_read",
                                                        "cache_read_input_tokens", "prompt_details.cache_read"))),
        "cost_usd": ("costDetails.total", first_of("costDetails_total", "cost_details_total", "totalCost", "total_cost",
                                                   "calculatedTotalCost")),
        "finish_reason": ("level", "CASE WHEN upper(\"level\") = 'ERROR' THEN 'error' END"),
    }
