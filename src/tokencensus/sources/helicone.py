"""Helicone request exports: ``HeliconeRequest`` objects (reference A4).

They come from ``POST /v1/request/query-clickhouse`` as ``{"data": [...]}``, or one per line from
an export. The served model is ``response_model`` (the requested one is ``request_model``);
Helicone has no reasoning column, so reasoning tokens come from ``response_body.usage`` where
the body was kept, and so does the prompt (``request_body``: chat ``messages``, a legacy ``prompt``,
a Responses ``input``). An HTTP status of 400 or more is a failed request (finish reason ``error``).
"""

from __future__ import annotations

from tokencensus.sources._prompts import body_redact, body_spec
from tokencensus.sources._records import JsonRecords, first_of, nonempty_array, num


class HeliconeRequests(JsonRecords):
    name = "helicone"
    description = "Helicone request export (request_id, request_created_at, response_model, prompt_tokens, cost, ...)"
    markers = ("request_id", "request_created_at")
    record = None
    records = ("CASE WHEN json_type(doc, '$.data') = 'ARRAY' THEN list_transform(json_extract(doc, '$.data[*]'), "
               "lambda r: {'rec': r, 'ctx': NULL::JSON}) "
               "WHEN json_type(doc, '$.request_id') IS NOT NULL THEN [{'rec': doc::JSON, 'ctx': NULL::JSON}] END")
    container = "neither a Helicone request nor a {\"data\": [...]} response"
    paths = {
        "request_id": "request_id", "request_created_at": "request_created_at",
        "response_created_at": "response_created_at", "response_model": "response_model",
        "request_model": "request_model", "model": "model", "provider": "provider",
        "request_user_id": "request_user_id", "helicone_user": "helicone_user",
        "app": 'request_properties."Helicone-Property-App"', "app_property": 'properties."Helicone-Property-App"',
        "prompt_tokens": "prompt_tokens", "completion_tokens": "completion_tokens",
        "prompt_cache_read_tokens": "prompt_cache_read_tokens", "cost": "cost", "costUSD": "costUSD",
        "delay_ms": "delay_ms", "response_status": "response_status", "country_code": "country_code",
        "reasoning": "response_body.usage.completion_tokens_details.reasoning_tokens",
        "finish_reason": "response_body.choices[0].finish_reason", "tools": "request_body.tools",
        "stream": "request_body.stream",
    }
    redact = f'{{"request_body": {body_redact()}, "response_body": {{"choices": null, "output": null}}}}'
    prompt = body_spec("request_body.")
    fields = {
        "request_id": ("request_id", '"request_id"'),
        "ts": ("request_created_at", '"request_created_at"'),
        "end": ("response_created_at", '"response_created_at"'),
        "model": ("response_model", first_of("response_model", "model", "request_model")),
        "provider": ("provider", '"provider"'),
        "user_id": ("request_user_id", first_of("request_user_id", "helicone_user")),
        "app_id": ("request_properties.Helicone-Property-App", first_of("app", "app_property")),
        "prompt_tokens": ("prompt_tokens", '"prompt_tokens"'),
        "completion_tokens": ("completion_tokens", '"completion_tokens"'),
        "reasoning_tokens": ("response_body.usage", '"reasoning"'),
        "cached_tokens": ("prompt_cache_read_tokens", '"prompt_cache_read_tokens"'),
        "cost_usd": ("cost", first_of("cost", "costUSD")),
        "latency_ms": ("delay_ms", '"delay_ms"'),
        "finish_reason": ("response_status", f"CASE WHEN {num('response_status')} >= 400 THEN 'error' "
                                             "ELSE \"finish_reason\" END"),
        "tools_offered": ("request_body.tools", nonempty_array("tools")),
        "streamed": ("request_body.stream", '"stream"'),
        "country": ("country_code", '"country_code"'),
    }
