"""OpenTelemetry GenAI spans: real OTLP exports (OpenLIT, OpenLLMetry, LangSmith), any-agent SDK
span dumps, OTLP JSON Lines with hex ids, and OTLP protobuf."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pytest

from tokencensus.sources import detect_format

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples" / "otel"
needs_samples = pytest.mark.skipif(not SAMPLES.is_dir(), reason="shared samples folder not present")


def read_all(path: Path) -> tuple[pa.Table, pa.Table, int]:
    adapter = detect_format(path)
    assert adapter.name == "otel"
    batches = list(adapter.read(path))
    return (pa.concat_tables([b.table for b in batches]), pa.concat_tables([b.rejects for b in batches]),
            sum(b.read for b in batches))


@needs_samples
def test_openlit_export_counts_each_call_once() -> None:
    """OpenLIT wraps the OpenAI span in a LangChain span with its own (estimated) counts."""
    table, rejects, read = read_all(SAMPLES / "otlp-json-oteltest-bakeoff" / "ott-lit.json")
    assert (read, table.num_rows, rejects.num_rows) == (2, 2, 0)
    row = table.to_pylist()[0]
    assert row["request_id"] == "43d62172134f790be191dab00a66b12c-2b584edf158ae132"  # base64 ids as hex
    assert row["ts"] == datetime(2025, 5, 15, 17, 30, 42, 830926, tzinfo=UTC)
    assert (row["model"], row["provider"], row["app_id"]) == ("gpt-3.5-turbo-0125", "openai", "default")
    assert (row["prompt_tokens"], row["completion_tokens"], row["cost_usd"]) == (39, 7, 3e-05)
    assert (row["finish_reason"], row["streamed"]) == ("stop", False)


@needs_samples
@pytest.mark.parametrize(("name", "calls"), [("ott-llmetry.json", 2), ("ott-langsmith.json", 2)])
def test_other_instrumentations(name: str, calls: int) -> None:
    table, rejects, read = read_all(SAMPLES / "otlp-json-oteltest-bakeoff" / name)
    assert (read, table.num_rows, rejects.num_rows) == (calls, calls, 0)
    assert table.column("prompt_tokens").to_pylist() == [39, 38]


@needs_samples
def test_sdk_span_dump_keeps_llm_spans_only() -> None:
    table, rejects, read = read_all(SAMPLES / "any-agent-agenttrace" / "OPENAI_trace.json")
    assert (read, table.num_rows, rejects.num_rows) == (3, 3, 0)  # tool and agent spans are not requests
    row = table.to_pylist()[0]
    assert row["request_id"] == "4bedea77bb33b9c5f280371eae21ea97-8100d9dbee1f3e47"  # integer ids as hex
    assert row["ts"] == datetime(2025, 9, 16, 12, 43, 13, 210770, tzinfo=UTC)
    assert (row["model"], row["prompt_tokens"], row["completion_tokens"]) == ("mistral/mistral-small-latest", 269, 16)
    assert row["cost_usd"] == pytest.approx(2.69e-05 + 4.8e-06)


def _span(span_id: str, **attrs: object) -> dict:
    def value(v: object) -> dict:
        return {"boolValue": v} if isinstance(v, bool) else {"intValue": str(v)} if isinstance(v, int) else (
            {"doubleValue": v} if isinstance(v, float) else {"stringValue": v})
    return {"traceId": "5b8efff798038103d269b633813fc60c", "spanId": span_id, "name": "chat",
            "startTimeUnixNano": "1750000000000000000", "endTimeUnixNano": "1750000001500000000",
            "attributes": [{"key": k, "value": value(v)} for k, v in attrs.items()], "status": {"code": 2}}


def test_otlp_json_lines_with_hex_ids(tmp_path: Path) -> None:
    export = {"resourceSpans": [{"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "bot"}}]},
                                 "scopeSpans": [{"spans": [
                                     _span("eee19b7ec3c1b174", **{"gen_ai.request.model": "gpt-4o", "gen_ai.usage.input_tokens": 5,
                                                                  "gen_ai.usage.output_tokens": 2, "user.id": "u-1"}),
                                     _span("eee19b7ec3c1b175", **{"gen_ai.operation.name": "execute_tool"}),
                                 ]}]}]}
    path = tmp_path / "traces.jsonl"
    path.write_text(json.dumps(export) + "\n" + json.dumps({"resourceLogs": []}) + "\n")
    table, rejects, read = read_all(path)
    assert (read, table.num_rows, rejects.num_rows) == (2, 1, 1)
    row = table.to_pylist()[0]
    assert (row["request_id"], row["app_id"], row["user_id"], row["finish_reason"], row["latency_ms"]) == (
        "5b8efff798038103d269b633813fc60c-eee19b7ec3c1b174", "bot", "u-1", "error", 1500.0)
    assert rejects.to_pylist()[0]["location"] == "line 2"


@needs_samples
def test_otlp_protobuf(tmp_path: Path) -> None:
    json_format = pytest.importorskip("google.protobuf.json_format")
    service = pytest.importorskip("opentelemetry.proto.collector.trace.v1.trace_service_pb2")
    request = json.loads((SAMPLES / "otlp-json-oteltest-bakeoff" / "ott-lit.json").read_text())["trace_requests"][0]
    message = json_format.Parse(json.dumps(request["pbreq"]), service.ExportTraceServiceRequest())
    path = tmp_path / "export.pb"
    path.write_bytes(message.SerializeToString())
    from_json, _, _ = read_all(SAMPLES / "otlp-json-oteltest-bakeoff" / "ott-lit.json")
    from_pb, rejects, read = read_all(path)
    assert (read, rejects.num_rows) == (2, 0)
    assert from_pb.drop_columns("source").equals(from_json.drop_columns("source"))
    garbage = tmp_path / "garbage.pb"
    garbage.write_bytes(b"\xff\xff\xff not protobuf")
    table, rejects, read = read_all(garbage)
    assert (read, table.num_rows, rejects.to_pylist()[0]["location"]) == (1, 0, "message 1")
