"""OpenAI-format logs: request/response pairs, bare chat.completion responses, and Batch API files.

A pair is ``{"request": {...}, "response": {...}}`` per line (what logging proxies write); its
request holds the prompt (chat ``messages``, Responses ``input`` and ``instructions``, or a legacy
``prompt``). A Batch API output line wraps the response as ``response.body`` with its HTTP
``status_code``; it and a bare response carry no prompt. Both
Chat Completions usage (``prompt_tokens``) and Responses usage (``input_tokens``) are read. A
Batch API *input* file holds requests that have not run yet: no time, no usage, no answer, so
each line is accounted for in quarantine with the advice to ingest the output file instead.
"""

from __future__ import annotations

from tokencensus.sources._prompts import body_redact, body_spec
from tokencensus.sources._records import JsonRecords, first_of, nonempty_array, num


def _any(*names: str) -> str:
    """The first of ``names`` found under any shape: batch body, pair response, bare response."""
    return first_of(*(f"{shape}{name}" for name in names for shape in ("batch ", "pair ", "")))


_PROMPTS = body_redact()


class OpenAILog(JsonRecords):
    name = "openai"
    description = "OpenAI-format JSON: request/response pairs, chat.completion responses, Batch API output"
    markers = ("usage|response|error",)
    # one record per value whatever the shape: a batch line, a pair or a bare response; each path
    # is looked up under every shape in the same single parse
    record = ("CASE WHEN contains(doc, '\"response\"') OR contains(doc, '\"usage\"') "
              "OR contains(doc, '\"choices\"') THEN doc END")
    container = "not an OpenAI response with usage, request/response pair or Batch API output line"
    paths = {
        f"{shape}{name}": f"{prefix}{path}"
        for shape, prefix in (("batch ", "response.body."), ("pair ", "response."), ("", ""))
        for name, path in {
            "id": "id", "created": "created", "created_at": "created_at", "model": "model", "provider": "provider",
            "prompt_tokens": "usage.prompt_tokens", "input_tokens": "usage.input_tokens",
            "completion_tokens": "usage.completion_tokens", "output_tokens": "usage.output_tokens",
            "reasoning": "usage.completion_tokens_details.reasoning_tokens",
            "reasoning_responses": "usage.output_tokens_details.reasoning_tokens",
            "cached": "usage.prompt_tokens_details.cached_tokens",
            "cached_responses": "usage.input_tokens_details.cached_tokens",
            "cost": "usage.cost", "is_byok": "usage.is_byok", "finish_reason": "choices[0].finish_reason",
        }.items()
    } | {"status": "response.status_code", "request_model": "request.model", "tools": "request.tools",
         "stream": "request.stream", "user": "request.user"}
    redact = f'{{"request": {_PROMPTS}, "response": {{"choices": null, "output": null}}}}'
    prompt = body_spec("request.")
    fields = {
        "request_id": ("response.id", _any("id")),
        "ts": ("response.created", _any("created", "created_at")),
        "model": ("response.model", f"coalesce({_any('model')}, nullif(\"request_model\", ''))"),
        "provider": ("response.provider", _any("provider")),
        "user_id": ("request.user", '"user"'),
        "prompt_tokens": ("usage.prompt_tokens", _any("prompt_tokens", "input_tokens")),
        "completion_tokens": ("usage.completion_tokens", _any("completion_tokens", "output_tokens")),
        "reasoning_tokens": ("usage.completion_tokens_details", _any("reasoning", "reasoning_responses")),
        "cached_tokens": ("usage.prompt_tokens_details", _any("cached", "cached_responses")),
        "cost_usd": ("usage.cost", _any("cost")),
        "byok": ("usage.is_byok", _any("is_byok")),
        "finish_reason": ("choices[0].finish_reason", f"CASE WHEN {num('status')} >= 400 THEN 'error' "
                                                      f"ELSE {_any('finish_reason')} END"),
        "tools_offered": ("request.tools", nonempty_array("tools")),
        "streamed": ("request.stream", '"stream"'),
    }


class OpenAIBatchInput(JsonRecords):
    name = "openai-batch-input"
    description = "OpenAI Batch API input file (custom_id, method, url, body): requests not yet run"
    markers = ("custom_id", "method", "url", "body")
    record = "NULL"
    container = ("a Batch API request line has no time, usage or answer yet: "
                 "ingest the batch's output file, which carries them")
    paths = {"custom_id": "custom_id"}
    redact = f'{{"body": {_PROMPTS}}}'
    fields = {"request_id": ("custom_id", '"custom_id"')}
