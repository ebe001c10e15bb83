"""Records per second of the JSON log adapters (issue 5 asks for at least 200,000).

Writes one JSON Lines file per case with ``--records`` synthetic records shaped like the real
samples (LiteLLM StandardLoggingPayload, Langfuse observations, OTLP JSON with 100 spans per
export line, OpenAI Batch API output, and OpenAI request/response pairs with a four-message prompt
beside the same pairs without one), then times reading each file through its adapter: JSON
parsing, field extraction, typed parsing and quarantine split, plus what the store does with the
prompts (``PromptStage``: the hash sample of request ids at ``--sample-rate``, and the prompt text
of the sampled rows only, scrubbed), not the store's merge. ``--sample-rate 1`` makes every prompt
into text. The load average is printed because other work on the machine slows every number down.

Usage: python benchmarks/json_adapters.py [--records 400000] [--sample-rate 0.0025] [--out bench-out/json]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from functools import partial
from pathlib import Path

from tokencensus.classify.sampling import DEFAULT_RATE
from tokencensus.sources import FORMATS
from tokencensus.sources.accounts import country_codes
from tokencensus.store.prompts import PromptStage


def _payload(i: int) -> dict:
    return {"id": f"chatcmpl-{i}", "trace_id": f"t-{i}", "call_type": "acompletion", "stream": i % 2 == 0,
            "status": "success", "custom_llm_provider": "openai", "startTime": 1750615148.1 + i,
            "endTime": 1750615149.3 + i, "model": "gpt-4o-2024-08-06", "model_group": "gpt-4o",
            "response_cost": 0.0021, "total_tokens": 1500, "prompt_tokens": 1200, "completion_tokens": 300,
            "end_user": f"u-{i % 997}", "metadata": {"user_api_key_alias": "svc", "usage_object": {
                "prompt_tokens_details": {"cached_tokens": 1024}, "completion_tokens_details": {"reasoning_tokens": 64}}},
            "messages": [{"role": "user", "content": "Summarise the attached meeting notes in five bullets."}],
            "response": {"choices": [{"finish_reason": "stop", "message": {"content": "Five bullets follow."}}]}}


def _observation(i: int) -> dict:
    return {"id": f"obs-{i}", "traceId": f"tr-{i // 3}", "type": "GENERATION", "startTime": "2025-10-01T08:00:00.000Z",
            "endTime": "2025-10-01T08:00:04.100Z", "model": "openrouter/z-ai/glm-4.6", "level": "DEFAULT",
            "usageDetails": {"input": 3100, "input_cached_tokens": 2048, "output": 420, "output_reasoning_tokens": 380,
                             "total": 5948}, "costDetails": {"input": 0.00124, "output": 0.0014, "total": 0.00264}}


def _otlp(first: int, spans: int = 100) -> dict:
    def span(i: int) -> dict:
        attrs = {"gen_ai.operation.name": "chat", "gen_ai.system": "openai", "gen_ai.request.model": "gpt-4o",
                 "gen_ai.usage.input_tokens": 39, "gen_ai.usage.output_tokens": 7}
        return {"traceId": f"{i:032x}", "spanId": f"{i:016x}", "name": "chat gpt-4o",
                "startTimeUnixNano": str(1747330242830926000 + i), "endTimeUnixNano": str(1747330244830926000 + i),
                "attributes": [{"key": k, "value": {"intValue": str(v)} if isinstance(v, int) else {"stringValue": v}}
                               for k, v in attrs.items()]}
    return {"resourceSpans": [{"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "bot"}}]},
                               "scopeSpans": [{"spans": [span(first + j) for j in range(spans)]}]}]}


def _batch_output(i: int) -> dict:
    return {"id": f"batch_req_{i}", "custom_id": f"request-{i}", "error": None, "response": {
        "status_code": 200, "request_id": f"r{i}", "body": {
            "id": f"chatcmpl-{i}", "object": "chat.completion", "created": 1729730156, "model": "gpt-4o-2024-08-06",
            "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "ok"}}],
            "usage": {"prompt_tokens": 390, "completion_tokens": 223, "total_tokens": 613,
                      "prompt_tokens_details": {"cached_tokens": 0}, "completion_tokens_details": {"reasoning_tokens": 0}}}}}


def _pair(i: int, prompt: bool = True) -> dict:
    """An OpenAI request/response pair as a logging proxy writes it; ``prompt``: with its messages."""
    messages = [{"role": "system", "content": "You are a helpful assistant that answers briefly and cites sources."},
                {"role": "user", "content": f"Question {i}: how do I reverse a linked list in Python without recursion?"},
                {"role": "assistant", "content": "Iterate with three pointers (previous, current, next) and relink."},
                {"role": "user", "content": [{"type": "text", "text": "Show the code, please, with a short test."}]}]
    request = {"model": "gpt-4o", "stream": i % 2 == 0, "user": f"u-{i % 997}", **({"messages": messages} if prompt else {})}
    return {"request": request, "response": {
        "id": f"chatcmpl-{i}", "object": "chat.completion", "created": 1729730156 + i, "model": "gpt-4o-2024-08-06",
        "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "ok"}}],
        "usage": {"prompt_tokens": 390, "completion_tokens": 223, "total_tokens": 613}}}


#: case -> (format, record maker, records per line)
CASES = {
    "litellm-payload": ("litellm-payload", _payload, 1),
    "langfuse": ("langfuse", _observation, 1),
    "otel": ("otel", _otlp, 100),
    "openai": ("openai", _batch_output, 1),
    "openai-pairs": ("openai", _pair, 1),
    "openai-pairs-bare": ("openai", partial(_pair, prompt=False), 1),
}


def write(out: Path, records: int) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, (_, make, per_line) in CASES.items():
        path = paths[name] = out / f"{name}-{records}.jsonl"
        if not path.exists():
            with open(path, "w", encoding="utf-8") as f:
                for i in range(0, records, per_line):
                    f.write(json.dumps(make(i)) + "\n")
    return paths


def read(name: str, path: Path, rate: float) -> tuple[int, int]:
    """Records read, and prompts kept: the sampled ones, made into text and scrubbed as an ingest does."""
    records = 0
    with tempfile.TemporaryDirectory() as tmp:
        prompts = PromptStage(Path(tmp), rate)
        for batch in FORMATS[CASES[name][0]].read(path):
            records += batch.read
            prompts.add(batch.table, batch.prompts, 0)
        kept = prompts.write(Path(tmp) / "prompts.parquet", None)
    return records, sum(kept.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=400_000)
    parser.add_argument("--sample-rate", type=float, default=DEFAULT_RATE)
    parser.add_argument("--out", type=Path, default=Path("bench-out/json"))
    args = parser.parse_args()
    paths = write(args.out, args.records)
    country_codes()  # loaded once per process, not part of any format's time
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores, prompt sample rate {args.sample_rate}")
    for name, path in paths.items():
        start, cpu = time.perf_counter(), time.process_time()
        records, prompts = read(name, path, args.sample_rate)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        print(f"{name:18} {records:>9,} records  {path.stat().st_size / 1e6:7.1f} MB  {seconds:6.2f} s  "
              f"{records / seconds:>10,.0f} records/s  (CPU {cpu:.2f} s, all threads)  {prompts:>7,} prompts kept")


if __name__ == "__main__":
    main()
