"""Hostile input for every adapter of issue 5: no crash, and every record accounted for.

Each hypothesis example writes one file of a few hundred records of one format: well-formed
records with fields replaced by wrongly typed, huge, negative or hostile values, truncated lines,
invalid JSON and values that are not objects; prompt fields (messages, inputs, OpenTelemetry
prompt attributes and events) get the same treatment. Whatever the mix, reading never raises, every
batch keeps read = stored + quarantined, and ``read`` is the number of records the file holds
(for Langfuse and OpenTelemetry: the number of LLM requests, by the rule each format documents).
At least 10,000 records per format are generated across the examples.
"""

from __future__ import annotations

import copy
import csv
import io
import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tokencensus.schema import REQUESTS
from tokencensus.sources import detect_format

RECORDS_PER_FORMAT = 10_000
EXAMPLES = 25
PER_FILE = (420, 480)

HOSTILE = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False), st.text(max_size=20), st.just("1e400"), st.just("2025-02-30T00:00:00Z"),
    st.just("x" * 5000), st.just("\u202e\u0000'\"; DROP TABLE"), st.just({"nested": [1, {"a": None}]}),
    st.just([1, "two"]), st.just(""),
)
LINE_FAULTS = ("truncate", "invalid", "array", "number", "blank")

TEMPLATES: dict[str, dict] = {
    "litellm-payload": {"id": "c", "startTime": 1750615148.1, "endTime": 1750615149.2, "model": "gpt-4o",
                        "call_type": "acompletion", "response_cost": 0.001, "prompt_tokens": 10, "completion_tokens": 5,
                        "status": "success", "stream": False, "end_user": "u",
                        "metadata": {"usage_object": {"prompt_tokens_details": {"cached_tokens": 1}}},
                        "messages": [{"role": "user", "content": "hi"}]},
    "litellm-spendlogs": {"request_id": "r", "startTime": "2025-01-24 09:20:46.847", "endTime": "2025-01-24 09:20:47",
                          "model": "gpt-4o", "spend": 0.1, "prompt_tokens": 1, "completion_tokens": 2, "user": "u",
                          "status": "success", "metadata": "{\"usage_object\": {}}", "response": "{}",
                          "messages": "[{\"role\": \"user\", \"content\": \"hi\"}]",
                          "proxy_server_request": {"messages": [{"role": "user", "content": "hi"}], "system": "s"}},
    "helicone": {"request_id": "h", "request_created_at": "2025-05-02T12:00:00Z", "response_model": "m",
                 "prompt_tokens": 1, "completion_tokens": 2, "cost": 0.1, "delay_ms": 10, "response_status": 200,
                 "request_body": {"tools": [], "messages": [{"role": "user", "content": "hi"}], "instructions": "s"}},
    "openai": {"id": "b", "custom_id": "c", "response": {"status_code": 200, "body": {
        "id": "chatcmpl", "created": 1729730156, "model": "gpt-4o", "choices": [{"finish_reason": "stop"}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 2}}}, "error": None,
        "request": {"messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}], "input": "x"}},
    "openai-batch-input": {"custom_id": "c", "method": "POST", "url": "/v1/chat/completions",
                           "body": {"model": "gpt-4o", "messages": []}},
    "langfuse": {"id": "o", "traceId": "t", "type": "GENERATION", "startTime": "2025-10-01T08:00:00Z",
                 "endTime": "2025-10-01T08:00:01Z", "model": "m", "usageDetails": {"input": 3, "output": 4, "total": 7},
                 "costDetails": {"total": 0.1}, "input": {"messages": [{"role": "user", "content": "hi"}]}},
    "otel": {"name": "call_llm", "context": {"trace_id": 1, "span_id": 2}, "start_time": 1758026593210770000,
             "end_time": 1758026593449611000, "status": {"status_code": "ok"},
             "attributes": {"gen_ai.operation.name": "call_llm", "gen_ai.request.model": "m",
                            "gen_ai.usage.input_tokens": 3, "gen_ai.usage.output_tokens": 4,
                            "gen_ai.input.messages": "[{\"role\": \"user\", \"parts\": []}]",
                            "gen_ai.prompt.0.content": "hi", "gen_ai.prompt.0.role": "user"},
             "events": [{"name": "gen_ai.user.message", "attributes": {"content": "hi"}}]},
}
SUFFIX = {"otel": ".json", "langfuse": ".jsonl"}
ID_KEY = {"litellm-payload": ("id",), "litellm-spendlogs": ("request_id",), "helicone": ("request_id",),
          "openai": ("response", "body", "id"), "openai-batch-input": ("custom_id",), "langfuse": ("id",),
          "otel": ("context", "span_id")}


def _paths(record: dict, prefix: tuple = ()) -> list[tuple]:
    out = []
    for key, value in record.items():
        out.append((*prefix, key))
        if isinstance(value, dict):
            out += _paths(value, (*prefix, key))
    return out


def _set(record: dict, path: tuple, value: object) -> None:
    for key in path[:-1]:
        if not isinstance(record.get(key), dict):
            return
        record = record[key]
    record[path[-1]] = value


def _expected(fmt: str, line: str) -> int:
    """How many records a line counts as (oracle of each format's documented rule)."""
    if not line.strip():
        return 0
    try:
        value = json.loads(line)
    except ValueError:
        return 1
    if not isinstance(value, dict):
        return 1
    if fmt == "langfuse" and isinstance(value.get("type"), str):
        return int(value["type"] in ("GENERATION", "EMBEDDING"))
    if fmt == "otel" and isinstance(value.get("attributes"), dict):
        attrs = value["attributes"]
        model = next((attrs[k] for k in ("gen_ai.response.model", "gen_ai.request.model") if attrs.get(k) is not None),
                     None)
        operation = attrs.get("gen_ai.operation.name")
        excluded = isinstance(operation, str) and operation in ("execute_tool", "invoke_agent", "create_agent")
        return int(model is not None and not excluded)
    return 1


def _lines(fmt: str, edits: list[tuple[int, object, str | None]]) -> list[str]:
    template = TEMPLATES[fmt]
    paths = _paths(template)
    lines = []
    for n, (which, value, fault) in enumerate(edits):
        record = copy.deepcopy(template)
        _set(record, ID_KEY[fmt], f"id-{n}")
        if fmt == "otel":
            record["context"]["trace_id"] = n  # one trace per span: no span is another's parent
        _set(record, paths[which % len(paths)], value)
        text = json.dumps(record)
        lines.append({None: text, "truncate": text[: len(text) // 2], "invalid": "{'single': quotes}",
                      "array": "[1, 2]", "number": "42", "blank": "   "}[fault])
    return lines


@st.composite
def edits(draw: st.DrawFn) -> list[tuple[int, object, str | None]]:
    """One file's records: a palette of hostile edits drawn by hypothesis, spread over a few
    hundred records by hypothesis-controlled randomness (cheap to draw, still shrinkable)."""
    palette = draw(st.lists(st.tuples(st.integers(0, 50), HOSTILE, st.sampled_from((None, *LINE_FAULTS))),
                            min_size=1, max_size=24))
    rnd = draw(st.randoms(use_true_random=False))
    size = rnd.randint(*PER_FILE)
    return [(0, None, None) if rnd.random() < 0.3 else rnd.choice(palette) for _ in range(size)]


EDITS = edits()


def _check_file(path: Path, fmt: str, expected: int) -> None:
    adapter = detect_format(path, fmt)
    read = 0
    for batch in adapter.read(path):  # AdapterBatch itself asserts read = stored + quarantined
        assert batch.table.schema == REQUESTS
        if batch.prompts is not None:  # hostile records' prompts flatten too, one text per row
            texts = batch.prompts.texts()
            assert texts.type == pa.string() and len(texts) == batch.table.num_rows
        assert batch.table.column("request_id").null_count == 0
        read += batch.read
    assert read == expected


def _run(fmt: str, path: Path, write: Callable[[list[tuple]], tuple[str, int]]) -> None:
    generated = Counter()

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example])
    @given(edits=EDITS)
    def check(edits: list[tuple]) -> None:
        text, expected = write(edits)
        path.write_text(text, encoding="utf-8")
        _check_file(path, fmt, expected)
        generated["records"] += len(edits)

    check()
    assert generated["records"] >= RECORDS_PER_FORMAT


@pytest.mark.parametrize("fmt", list(TEMPLATES))
def test_json_adapters_account_for_every_record(fmt: str, tmp_path: Path) -> None:
    def write(edits: list[tuple]) -> tuple[str, int]:
        lines = _lines(fmt, edits)
        return "\n".join(lines) + "\n", sum(_expected(fmt, line) for line in lines)

    _run(fmt, tmp_path / f"records{SUFFIX.get(fmt, '.jsonl')}", write)


def test_mapped_csv_accounts_for_every_record(tmp_path: Path) -> None:
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("columns: {request_id: id, ts: t, model: m, prompt_tokens: p, cost_usd: c, byok: k, country: cc}\n")

    def write(edits: list[tuple]) -> tuple[str, int]:
        out = io.StringIO()
        # Quote every field: with minimal quoting a bare "\r" in a value is written unquoted,
        # and any CSV reader rightly takes it for a line break (one record more than written).
        writer = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)
        writer.writerow(["id", "t", "m", "p", "c", "k", "cc"])
        for n, (which, value, fault) in enumerate(edits):
            row = [f"id-{n}", "2025-01-01T00:00:00Z", "gpt-4o", "5", "0.1", "false", "DE"]
            row[1 + which % 6] = json.dumps(value) if not isinstance(value, str) else value
            writer.writerow(row if fault != "truncate" else row[:3])
        return out.getvalue(), len(edits)

    _run(f"mapped:{mapping}", tmp_path / "records.csv", write)
