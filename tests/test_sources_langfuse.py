"""Langfuse: real traces with observations from Langfuse Cloud, and observation exports."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pytest

from tokencensus.sources import detect_format

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples" / "langfuse" / "cloud-trace-with-observations"
needs_samples = pytest.mark.skipif(not SAMPLES.is_dir(), reason="shared samples folder not present")


def read_all(path: Path) -> tuple[pa.Table, pa.Table, int]:
    adapter = detect_format(path)
    assert adapter.name == "langfuse"
    batches = list(adapter.read(path))
    return (pa.concat_tables([b.table for b in batches]), pa.concat_tables([b.rejects for b in batches]),
            sum(b.read for b in batches))


@needs_samples
@pytest.mark.parametrize(("name", "generations"), [
    ("claude-agent-2025-12-22", 4), ("crewai-2025-07-11", 1), ("google-gemini-2025-08-01", 1),
    ("langgraph-python-2025-08-22", 2), ("llamaindex-2025-06-05", 1), ("microsoft-agent-2025-12-17", 2),
    ("openai-agents-2025-09-30", 2), ("pydantic-ai-tools-2025-06-06", 1), ("vercel-aisdk-2025-11-17", 2),
    ("vertex-ai-2025-08-01", 1),
])
def test_every_generation_of_a_trace_is_a_request(name: str, generations: int) -> None:
    table, rejects, read = read_all(SAMPLES / f"{name}.trace.json")
    assert (read, table.num_rows, rejects.num_rows) == (generations, generations, 0)


@needs_samples
def test_trace_fields_and_user_from_the_trace() -> None:
    table, _, _ = read_all(SAMPLES / "llamaindex-2025-06-05.trace.json")
    row = table.to_pylist()[0]
    assert row["request_id"] == "7ca8b22f6628d0c7"
    assert row["ts"] == datetime(2025, 6, 5, 15, 45, 52, 971000, tzinfo=UTC)
    assert (row["model"], row["user_id"]) == ("gpt-4o", "user_123")
    assert (row["prompt_tokens"], row["completion_tokens"], row["reasoning_tokens"], row["cached_tokens"]) == (
        13, 81, 0, 0)
    assert row["cost_usd"] == pytest.approx(0.000842499999)
    assert row["latency_ms"] == pytest.approx(2776.0)


@needs_samples
def test_hidden_thinking_tokens_count_as_completion() -> None:
    gemini = read_all(SAMPLES / "google-gemini-2025-08-01.trace.json")[0].to_pylist()[0]
    assert (gemini["prompt_tokens"], gemini["completion_tokens"], gemini["reasoning_tokens"]) == (6, 2055, 1104)
    vertex = read_all(SAMPLES / "vertex-ai-2025-08-01.trace.json")[0].to_pylist()[0]
    assert (vertex["prompt_tokens"], vertex["completion_tokens"]) == (5, 2023 - 5)  # total 2023, output 845


def test_openai_style_details_are_added_back(tmp_path: Path) -> None:
    """Langfuse subtracted cached and reasoning tokens from input/output (reference A3.1 example)."""
    generation = {"id": "obs-9", "traceId": "tr-3", "type": "GENERATION", "startTime": "2025-10-01T08:00:00.000Z",
                  "endTime": "2025-10-01T08:00:04.100Z", "model": "openrouter/z-ai/glm-4.6", "input": "private",
                  "usageDetails": {"input": 3100, "input_cached_tokens": 2048, "output": 420,
                                   "output_reasoning_tokens": 380, "total": 5948},
                  "costDetails": {"input": 0.00124, "output": 0.00140, "total": 0.00264}, "level": "DEFAULT"}
    span = {**generation, "id": "obs-10", "type": "SPAN"}
    failed = {**generation, "id": "obs-11", "level": "ERROR", "usageDetails": {"input": "many"}}
    path = tmp_path / "observations.jsonl"
    path.write_text("\n".join(json.dumps(o) for o in (generation, span, failed, {"type": 3})) + "\n")
    table, rejects, read = read_all(path)
    assert read == 3  # the SPAN is not a request
    row = table.to_pylist()[0]
    assert (row["prompt_tokens"], row["completion_tokens"], row["cached_tokens"], row["reasoning_tokens"]) == (
        5148, 800, 2048, 380)
    assert (row["cost_usd"], row["latency_ms"]) == (0.00264, 4100.0)
    error = table.to_pylist()[1]
    assert (error["request_id"], error["finish_reason"], error["prompt_tokens"]) == ("obs-11", "error", None)
    assert rejects.to_pylist()[0]["location"] == "line 4"
