"""OpenAI-format logs: Batch API output and input files (real samples), pairs, Responses usage."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pytest

from tokencensus.sources import detect_format

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples"
needs_samples = pytest.mark.skipif(not SAMPLES.is_dir(), reason="shared samples folder not present")


def read_all(path: Path, format: str | None = None) -> tuple[pa.Table, pa.Table, int]:
    batches = list(detect_format(path, format).read(path))
    return (pa.concat_tables([b.table for b in batches]), pa.concat_tables([b.rejects for b in batches]),
            sum(b.read for b in batches))


@needs_samples
def test_batch_output_file() -> None:
    path = SAMPLES / "openai" / "batch_output_gpt-4o_genai_navirag.jsonl"
    assert detect_format(path).name == "openai"
    table, rejects, read = read_all(path)
    assert (read, table.num_rows, rejects.num_rows) == (65, 65, 0)
    row = table.to_pylist()[0]
    assert row["request_id"] == "chatcmpl-ALg7QdBif2FFAsJCT4jQVkrgvJ8ot"
    assert row["ts"] == datetime.fromtimestamp(1729730156, UTC)
    assert row["model"] == "gpt-4o-2024-08-06"
    assert (row["prompt_tokens"], row["completion_tokens"], row["cached_tokens"], row["reasoning_tokens"]) == (
        390, 223, 0, 0)
    assert row["finish_reason"] == "stop"


@needs_samples
def test_batch_input_file_is_accounted_for_without_its_prompts() -> None:
    path = SAMPLES / "openai" / "batch_input_gpt-4o_genai_navirag.jsonl"
    assert detect_format(path).name == "openai-batch-input"
    table, rejects, read = read_all(path)
    assert (read, table.num_rows, rejects.num_rows) == (65, 0, 65)
    first = rejects.to_pylist()[0]
    assert first["location"] == "line 1" and "output file" in first["reason"]
    assert json.loads(first["record"]) == {"custom_id": "request-0", "method": "POST", "url": "/v1/chat/completions",
                                           "body": {"model": "gpt-4o", "max_tokens": 1000, "temperature": 0}}


@needs_samples
def test_pretty_printed_chat_completion_document() -> None:
    table, rejects, read = read_all(SAMPLES / "litellm" / "logging_response_bedrock_v1.72.3.json", "openai")
    assert (read, table.num_rows, rejects.num_rows) == (1, 1, 0)
    row = table.to_pylist()[0]
    assert (row["request_id"], row["prompt_tokens"], row["completion_tokens"], row["finish_reason"]) == (
        "chatcmpl-fa9be5b7-9487-46ab-86de-6462d578fea1", 14, 67, "stop")


def test_request_response_pairs_and_responses_api_usage(tmp_path: Path) -> None:
    pair = {"request": {"model": "gpt-4.1", "messages": [{"role": "user", "content": "private"}], "stream": True,
                        "user": "u-9", "tools": [{"type": "function", "function": {"name": "f"}}]},
            "response": {"id": "chatcmpl-1", "object": "chat.completion", "created": 1748496646, "model": "gpt-4.1-2025-04-14",
                         "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {"content": None}}],
                         "usage": {"prompt_tokens": 91, "completion_tokens": 14,
                                   "prompt_tokens_details": {"cached_tokens": 64},
                                   "completion_tokens_details": {"reasoning_tokens": 5}}}}
    responses = {"id": "resp_1", "object": "response", "created_at": 1759223041.0, "model": "gpt-5",
                 "usage": {"input_tokens": 10, "output_tokens": 20, "input_tokens_details": {"cached_tokens": 2},
                           "output_tokens_details": {"reasoning_tokens": 12}}}
    failed = {"id": "batch_req_2", "custom_id": "r-2", "response": {"status_code": 500, "body": {
        "id": "chatcmpl-2", "created": 1748496646, "model": "gpt-4o"}}, "error": None}
    path = tmp_path / "log.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in (pair, responses, failed, {"hello": 1})) + "\n")
    table, rejects, read = read_all(path, "openai")
    assert (read, table.num_rows, rejects.num_rows) == (4, 3, 1)
    rows = {r["request_id"]: r for r in table.to_pylist()}
    assert (rows["chatcmpl-1"]["tools_offered"], rows["chatcmpl-1"]["streamed"], rows["chatcmpl-1"]["user_id"]) == (
        True, True, "u-9")
    assert (rows["chatcmpl-1"]["cached_tokens"], rows["chatcmpl-1"]["reasoning_tokens"]) == (64, 5)
    assert rows["chatcmpl-1"]["finish_reason"] == "tool_calls"
    assert (rows["resp_1"]["prompt_tokens"], rows["resp_1"]["completion_tokens"], rows["resp_1"]["reasoning_tokens"],
            rows["resp_1"]["cached_tokens"]) == (10, 20, 12, 2)
    assert rows["chatcmpl-2"]["finish_reason"] == "error"
    assert rejects.to_pylist()[0]["location"] == "line 4"
