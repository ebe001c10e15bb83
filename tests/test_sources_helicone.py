"""Helicone request exports. No real export was found, so records follow the reference's
HeliconeRequest shape (the query-clickhouse API), as JSON Lines and as a {"data": [...]} response."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa

from tokencensus.sources import detect_format

EXAMPLE = {
    "request_id": "9b1", "request_created_at": "2025-05-02T12:00:00Z", "response_created_at": "2025-05-02T12:00:01.830Z",
    "provider": "OPENROUTER", "request_model": "google/gemini-2.5-flash", "response_model": "google/gemini-2.5-flash",
    "target_url": "https://openrouter.ai/api/v1/chat/completions", "response_status": 200, "delay_ms": 1830,
    "time_to_first_token": 410, "prompt_tokens": 5200, "completion_tokens": 640, "total_tokens": 5840,
    "prompt_cache_read_tokens": 0, "prompt_cache_write_tokens": 0, "cost": 0.00316, "request_user_id": "u-9",
    "request_properties": {"Helicone-Property-App": "support-bot"}, "country_code": "DE",
    "request_body": {"messages": [{"role": "user", "content": "private"}], "tools": [], "stream": False},
    "response_body": {"choices": [{"finish_reason": "stop"}],
                      "usage": {"completion_tokens_details": {"reasoning_tokens": 120}}},
}


def read_all(path: Path) -> tuple[pa.Table, pa.Table, int]:
    adapter = detect_format(path)
    assert adapter.name == "helicone"
    batches = list(adapter.read(path))
    return (pa.concat_tables([b.table for b in batches]), pa.concat_tables([b.rejects for b in batches]),
            sum(b.read for b in batches))


def test_request_export_maps_field_by_field(tmp_path: Path) -> None:
    path = tmp_path / "helicone.jsonl"
    path.write_text(json.dumps(EXAMPLE) + "\n")
    table, rejects, read = read_all(path)
    assert (read, table.num_rows, rejects.num_rows) == (1, 1, 0)
    row = table.to_pylist()[0]
    assert row["ts"] == datetime(2025, 5, 2, 12, 0, tzinfo=UTC)
    assert (row["request_id"], row["model"], row["provider"], row["user_id"], row["app_id"]) == (
        "9b1", "google/gemini-2.5-flash", "OPENROUTER", "u-9", "support-bot")
    assert (row["prompt_tokens"], row["completion_tokens"], row["reasoning_tokens"], row["cached_tokens"]) == (
        5200, 640, 120, 0)
    assert (row["cost_usd"], row["latency_ms"], row["finish_reason"], row["country"]) == (0.00316, 1830.0, "stop", "DE")
    assert (row["tools_offered"], row["streamed"]) == (False, False)


def test_api_response_document_with_a_failed_request(tmp_path: Path) -> None:
    failed = {**EXAMPLE, "request_id": "9b2", "response_status": 429, "response_body": None}
    broken = {**EXAMPLE, "request_id": "9b3", "prompt_tokens": "lots"}
    path = tmp_path / "query.json"
    path.write_text(json.dumps({"data": [EXAMPLE, failed, broken], "error": None}, indent=2))
    table, rejects, read = read_all(path)
    assert (read, table.num_rows, rejects.num_rows) == (3, 2, 1)
    assert table.to_pylist()[1]["finish_reason"] == "error"
    reject = rejects.to_pylist()[0]
    assert (reject["field"], reject["reason"]) == ("prompt_tokens", "not an integer")
    assert "private" not in reject["record"]
