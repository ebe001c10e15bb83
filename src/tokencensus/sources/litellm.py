"""LiteLLM proxy logs: ``LiteLLM_SpendLogs`` rows and the StandardLoggingPayload (reference A2).

A SpendLogs row carries no reasoning or cached counts of its own: they sit in ``metadata``'s
``usage_object``, and ``metadata`` is a JSON object in PostgreSQL but a JSON-encoded string in
the payloads the proxy publishes (Pub/Sub, exports). Times are text in SpendLogs and either text
or float epoch seconds in the StandardLoggingPayload; the canonical parser takes both. A failed
call (``status = failure``) is kept, with finish reason ``error``.
"""

from __future__ import annotations

from tokencensus.sources._prompts import PromptSpec, anything, anything_spec, given
from tokencensus.sources._records import JsonRecords, inner, nonempty_array

_META_CACHED = ("usage_object.prompt_tokens_details.cached_tokens", "usage_object.cache_read_input_tokens")
_META_REASONING = "usage_object.completion_tokens_details.reasoning_tokens"


#: Payload logging puts prompts and answers in these keys; quarantined records go without them.
_REDACT = '{"messages": null, "response": null, "proxy_server_request": null, "model_parameters": null}'


_MESSAGES_BODY, _MESSAGES = anything("messages")
_REQUEST_BODY, _REQUEST = anything("request")
_MESSAGES_GIVEN = given('"messages"')
#: SpendLogs keep the request body too: it is read where ``messages`` holds nothing.
_SPEND_LOGS_PROMPT = PromptSpec(
    pieces=(*_MESSAGES, *_REQUEST), inputs=("messages", "proxy_server_request"), paths={"messages": "messages"},
    stages=({"request": f'CASE WHEN NOT {_MESSAGES_GIVEN} THEN "proxy_server_request" END'},
            {**_MESSAGES_BODY, **_REQUEST_BODY}))


def _meta(*paths: str) -> str:
    return "coalesce(" + ", ".join(inner("metadata", p) for p in paths) + ")"


def _error_or(finish: str) -> str:
    return f"CASE WHEN lower(\"status\") = 'failure' THEN 'error' ELSE {finish} END"


class LiteLLMSpendLogs(JsonRecords):
    """``LiteLLM_SpendLogs`` rows as JSON (one per line, or a document); PostgreSQL rows too."""

    name = "litellm-spendlogs"
    description = "LiteLLM_SpendLogs rows as JSON (request_id, startTime, spend, metadata, ...)"
    markers = ("request_id", "spend", "startTime")
    redact = _REDACT
    paths = {
        "request_id": "request_id", "startTime": "startTime", "endTime": "endTime", "model": "model",
        "model_group": "model_group", "custom_llm_provider": "custom_llm_provider", "spend": "spend",
        "prompt_tokens": "prompt_tokens", "completion_tokens": "completion_tokens", "user": "user",
        "end_user": "end_user", "team_id": "team_id", "metadata": "metadata", "status": "status",
        "response": "response", "proxy_server_request": "proxy_server_request",
    }
    prompt = _SPEND_LOGS_PROMPT
    fields = {
        "request_id": ("request_id", '"request_id"'),
        "ts": ("startTime", '"startTime"'),
        "end": ("endTime", '"endTime"'),
        "model": ("model", "coalesce(nullif(\"model\", ''), \"model_group\")"),
        "provider": ("custom_llm_provider", '"custom_llm_provider"'),
        "user_id": ("end_user", "coalesce(nullif(\"end_user\", ''), nullif(\"user\", ''))"),
        "app_id": ("metadata.user_api_key_alias", f"coalesce({_meta('user_api_key_alias')}, nullif(\"team_id\", ''))"),
        "prompt_tokens": ("prompt_tokens", '"prompt_tokens"'),
        "completion_tokens": ("completion_tokens", '"completion_tokens"'),
        "cached_tokens": ("metadata.usage_object", _meta(*_META_CACHED)),
        "reasoning_tokens": ("metadata.usage_object", _meta(_META_REASONING)),
        "cost_usd": ("spend", '"spend"'),
        "finish_reason": ("response", _error_or(inner("response", "choices[0].finish_reason"))),
        "tools_offered": ("proxy_server_request.tools", nonempty_array("proxy_server_request", "tools")),
        "streamed": ("proxy_server_request.stream", inner("proxy_server_request", "stream")),
    }


class LiteLLMPayload(JsonRecords):
    """StandardLoggingPayload objects, bare or as ``standard_logging_object`` of callback kwargs."""

    name = "litellm-payload"
    description = "LiteLLM StandardLoggingPayload as JSON (id, startTime, model, response_cost, ...)"
    markers = ("response_cost", "startTime", "call_type|model_group")
    redact = _REDACT
    record = ("CASE WHEN contains(doc, '\"standard_logging_object\"') AND "
              "json_type(doc, '$.standard_logging_object') = 'OBJECT' "
              "THEN json_extract(doc, '$.standard_logging_object') ELSE doc END")
    paths = {
        "id": "id", "startTime": "startTime", "endTime": "endTime", "model": "model", "model_group": "model_group",
        "custom_llm_provider": "custom_llm_provider", "response_cost": "response_cost",
        "prompt_tokens": "prompt_tokens", "completion_tokens": "completion_tokens", "end_user": "end_user",
        "user_id": "metadata.user_api_key_user_id", "key_alias": "metadata.user_api_key_alias",
        "team_id": "metadata.user_api_key_team_id", "status": "status", "stream": "stream",
        "cached": "metadata.usage_object.prompt_tokens_details.cached_tokens",
        "cache_read": "metadata.usage_object.cache_read_input_tokens",
        "response_cached": "response.usage.prompt_tokens_details.cached_tokens",
        "reasoning": "metadata.usage_object.completion_tokens_details.reasoning_tokens",
        "response_reasoning": "response.usage.completion_tokens_details.reasoning_tokens",
        "finish_reason": "response.choices[0].finish_reason", "tools": "model_parameters.tools",
    }
    prompt = anything_spec("messages", messages="messages")
    fields = {
        "request_id": ("id", '"id"'),
        "ts": ("startTime", '"startTime"'),
        "end": ("endTime", '"endTime"'),
        "model": ("model", "coalesce(nullif(\"model\", ''), \"model_group\")"),
        "provider": ("custom_llm_provider", '"custom_llm_provider"'),
        "user_id": ("end_user", "coalesce(nullif(\"end_user\", ''), \"user_id\")"),
        "app_id": ("metadata.user_api_key_alias", "coalesce(\"key_alias\", \"team_id\")"),
        "prompt_tokens": ("prompt_tokens", '"prompt_tokens"'),
        "completion_tokens": ("completion_tokens", '"completion_tokens"'),
        "cached_tokens": ("metadata.usage_object", 'coalesce("cached", "cache_read", "response_cached")'),
        "reasoning_tokens": ("metadata.usage_object", 'coalesce("reasoning", "response_reasoning")'),
        "cost_usd": ("response_cost", '"response_cost"'),
        "finish_reason": ("response.choices[0].finish_reason", _error_or('"finish_reason"')),
        "tools_offered": ("model_parameters.tools", nonempty_array("tools")),
        "streamed": ("stream", '"stream"'),
    }
