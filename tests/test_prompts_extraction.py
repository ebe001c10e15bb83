"""Prompt text of every format that logs it (``AdapterBatch.prompts``, made into text when asked for).

Real samples where they hold prompts, small hand-written records otherwise; the shared flattener
under hypothesis against a plain-Python statement of the rule; null where a record has no prompt;
and prompts that stay beside their rows when records of the same block are quarantined.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tokencensus.sources import detect_format
from tokencensus.sources._prompts import flatten

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples"
needs_samples = pytest.mark.skipif(not SAMPLES.is_dir(), reason="shared samples folder not present")
FIXTURES = SAMPLES / "openrouter" / "ai-sdk-provider-e2e-fixtures"
SYSTEM_ROLES, TEXT_PARTS = ("system", "developer"), ("text", "input_text")  # the rule, stated here again
AIRLINE = "You are an airline assistant. You can send and read SMS messages, and execute commands in the terminal."
DELAY = "The flight to San Francisco is delayed by 2 hours. Send an SMS to 808-999-2345 with the flight delay information."


def read(path: Path, format: str | None = None) -> tuple[pa.Table, list[str | None] | None, pa.Table]:
    """(stored rows, their prompts or None where the format logs none, quarantined records)."""
    batches = list(detect_format(path, format).read(path))
    table = pa.concat_tables([b.table for b in batches])
    rejects = pa.concat_tables([b.rejects for b in batches])
    if all(b.prompts is None for b in batches):
        return table, None, rejects
    prompts = [p for b in batches for p in b.prompts.texts().to_pylist()]
    assert len(prompts) == table.num_rows
    return table, prompts, rejects


def by_id(path: Path, format: str | None = None) -> dict[str, str | None]:
    table, prompts, _ = read(path, format)
    assert prompts is not None
    return dict(zip(table["request_id"].to_pylist(), prompts, strict=True))


def write_lines(path: Path, records: list[Any]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def expected(messages: list[dict], system: tuple[str, ...] = ()) -> str | None:
    """The rule in plain Python: system prompts first, then every message's text parts, in order."""
    first, rest = list(system), []
    for message in messages:
        content = message.get("content", message.get("parts"))
        if isinstance(content, str):
            texts = [content]
        else:
            texts = [p.get("text", p.get("content")) for p in content or [] if p.get("type") in TEXT_PARTS]
        (first if message.get("role") in SYSTEM_ROLES else rest).extend(texts)
    return "\n\n".join(t for t in first + rest if t) or None


def response(i: int, **extra: Any) -> dict:
    return {"id": f"chatcmpl-{i}", "object": "chat.completion", "created": 1748496646 + i, "model": "gpt-4o",
            "choices": [{"index": 0, "finish_reason": "stop", "message": {"content": "answer"}}],
            "usage": {"prompt_tokens": 9, "completion_tokens": 3}, **extra}


# -- the shared flattener ----------------------------------------------------------------------

TEXT = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=24)
PART = st.one_of(
    st.builds(lambda kind, t: {"type": kind, "text": t}, st.sampled_from(("text", "input_text")), TEXT),
    st.builds(lambda t: {"type": "text", "content": t}, TEXT),  # OpenTelemetry's parts
    st.builds(lambda t: {"type": "image_url", "image_url": {"url": t}}, TEXT),
    st.builds(lambda t: {"type": "input_audio", "input_audio": {"data": t, "format": "wav"}}, TEXT),
    st.builds(lambda t: {"type": "image", "text": t}, TEXT),  # only text parts are read, whatever else a part holds
)
MESSAGE = st.one_of(
    st.builds(lambda role, content: {"role": role, "content": content},
              st.sampled_from(("system", "developer", "user", "assistant", "tool")), st.one_of(TEXT, st.lists(PART, max_size=4))),
    st.builds(lambda role, parts: {"role": role, "parts": parts}, st.sampled_from(("system", "user")), st.lists(PART, max_size=3)),
    st.just({"role": "assistant", "content": None, "tool_calls": [{"id": "c1", "type": "function",
                                                                    "function": {"name": "f", "arguments": "{}"}}]}),
)
CONVERSATIONS = st.lists(st.lists(MESSAGE, max_size=6), min_size=1, max_size=8)


@settings(max_examples=300, deadline=None)
@given(CONVERSATIONS, st.booleans())
def test_flattener_keeps_every_text_in_order_and_nothing_else(conversations: list[list[dict]], ascii_: bool) -> None:
    values = pa.array([json.dumps(c, ensure_ascii=ascii_) for c in conversations])
    assert flatten(values).to_pylist() == [expected(c) for c in conversations]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.lists(MESSAGE, max_size=5), st.one_of(st.none(), TEXT)), min_size=1, max_size=6))
def test_responses_api_pairs_put_instructions_first(tmp_path_factory: pytest.TempPathFactory,
                                                    requests: list[tuple[list[dict], str | None]]) -> None:
    path = tmp_path_factory.mktemp("pairs") / "pairs.jsonl"
    write_lines(path, [{"request": {"model": "gpt-5", "input": messages, "instructions": instructions},
                        "response": response(i)} for i, (messages, instructions) in enumerate(requests)])
    got = by_id(path, "openai")
    assert [got[f"chatcmpl-{i}"] for i in range(len(requests))] == [
        expected(messages, (instructions,) if instructions else ()) for messages, instructions in requests]


def test_flattener_reads_text_bodies_and_json_strings() -> None:
    values = ["plain text stays as it is", '"[not json', json.dumps({"role": "user", "content": "one message"}),
              json.dumps({"system": [{"type": "text", "text": "S"}], "messages": [{"role": "user", "content": "M"}]}),
              json.dumps({"model": "gemini-2.5-flash", "contents": [{"role": "user", "parts": [{"text": "G"}]}]}),
              json.dumps({"prompt": ["first", "second"]}), json.dumps({"args": ["no prompt key"]}), "{}", "[]", "", None]
    assert flatten(pa.array(values, pa.string())).to_pylist() == [
        "plain text stays as it is", '"[not json', "one message", "S\n\nM", "G", "first\n\nsecond", None, None, None,
        None, None]


# -- OpenAI-format request/response pairs ------------------------------------------------------


def fixture_pair(name: str) -> dict:
    request = json.loads((FIXTURES / name / "request.json").read_text())["body"]["json"]
    return {"request": request, "response": json.loads((FIXTURES / name / "response.json").read_text())}


@needs_samples
def test_openai_pairs_of_real_openrouter_requests(tmp_path: Path) -> None:
    names = ("DonLtUixM2O", "3u9jN7ced3f", "jon0olHf2dh", "IcAxzM4Kgpg", "D3rOk6ni8RG", "boFzvlQKph5")
    pairs = [fixture_pair(name) for name in names]
    got = by_id(write_lines(tmp_path / "pairs.jsonl", pairs), "openai")
    prompts = [got[pair["response"]["id"]] for pair in pairs]
    assert prompts[0] == f"{AIRLINE}\n\n{DELAY}"
    assert prompts[1] == expected(pairs[1]["request"]["messages"]) and prompts[1].startswith(f"{AIRLINE}\n\n{DELAY}\n\nI'll send")
    assert prompts[2] == "What's in this image? Reply with just a few words."  # the image part adds nothing
    assert prompts[3] == "What's the title of this document? Reply with just the title."
    assert prompts[4].startswith("Solve this problem: If a train leaves station A at 60 mph")  # Responses input_text
    assert prompts[5] == (f"{AIRLINE}\n\n{DELAY}\n\nI'll send an SMS to 808-999-2345 with the flight delay information."
                          "\n\nFind out if the SMS was delivered properly.")


def test_openai_pairs_of_every_request_shape(tmp_path: Path) -> None:
    requests = [
        {"messages": [{"role": "user", "content": "U"}, {"role": "developer", "content": "D"}]},
        {"instructions": "Be terse.", "input": "What is 2+2?"},
        {"prompt": "Once upon a time"},
        {"prompt": ["a", "b"]},
        {"messages": [{"role": "assistant", "content": None, "tool_calls": [{"id": "c", "type": "function"}]},
                      {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://x/y.png"}}]}]},
        {"messages": "[{\"role\": \"user\", \"content\": \"as a JSON string\"}]"},
    ]
    path = write_lines(tmp_path / "pairs.jsonl", [{"request": {"model": "gpt-4o", **r}, "response": response(i)}
                                                 for i, r in enumerate(requests)])
    got = by_id(path, "openai")
    assert [got[f"chatcmpl-{i}"] for i in range(len(requests))] == [
        "D\n\nU", "Be terse.\n\nWhat is 2+2?", "Once upon a time", "a\n\nb", None, "as a JSON string"]


@needs_samples
def test_batch_output_and_bare_responses_have_no_prompt(tmp_path: Path) -> None:
    table, prompts, _ = read(SAMPLES / "openai" / "batch_output_gpt-4o_genai_navirag.jsonl")
    assert prompts == [None] * 65
    mixed = write_lines(tmp_path / "mixed.jsonl", [response(1), {"request": {"messages": [
        {"role": "user", "content": "hi"}]}, "response": response(2)}])
    assert by_id(mixed, "openai") == {"chatcmpl-1": None, "chatcmpl-2": "hi"}


def test_prompts_stay_beside_their_rows_when_records_are_quarantined(tmp_path: Path) -> None:
    records = []
    for i in range(8):
        pair = {"request": {"messages": [{"role": "user", "content": f"secret prompt {i}"}]}, "response": response(i)}
        if i in (1, 4, 5):
            pair["response"]["created"] = "yesterday"
        records.append(pair)
    records.insert(3, "not an object")
    path = write_lines(tmp_path / "pairs.jsonl", records)
    table, prompts, rejects = read(path, "openai")
    assert table["request_id"].to_pylist() == [f"chatcmpl-{i}" for i in (0, 2, 3, 6, 7)]
    assert prompts == [f"secret prompt {i}" for i in (0, 2, 3, 6, 7)]
    assert rejects.num_rows == 4 and not any("secret" in r for r in rejects["record"].to_pylist())
    (batch,) = detect_format(path, "openai").read(path)  # the store asks for the rows of its sample only
    assert batch.prompts.texts(pa.array([False, True, False, True, True])).to_pylist() == [
        f"secret prompt {i}" for i in (2, 6, 7)]
    assert batch.prompts.texts(np.zeros(5, bool)).to_pylist() == []


# -- LiteLLM -----------------------------------------------------------------------------------


@needs_samples
def test_litellm_payload_samples() -> None:
    assert read(SAMPLES / "litellm" / "standard_logging_payload_gcs_pubsub.json")[1] == ["Hello, world!"]
    kwargs = SAMPLES / "litellm" / "logging_kwargs_with_standard_logging_object_bedrock_v1.72.3.json"
    assert read(kwargs)[1] == ["What is the capital of France?"]
    assert read(SAMPLES / "litellm" / "spend_logs_row_gcs_pubsub_payload.json")[1] == [None]  # payload logging off


def test_litellm_spend_logs_messages_as_json_text_and_the_request_body(tmp_path: Path) -> None:
    def row(i: int, **prompt: object) -> dict:
        return {"request_id": f"r{i}", "startTime": "2025-01-24 09:20:46.847", "endTime": "2025-01-24 09:20:47",
                "model": "gpt-4o", "spend": 0.1, "prompt_tokens": 1, "completion_tokens": 2, "metadata": "{}", **prompt}

    chat = [{"role": "user", "content": "Q"}, {"role": "system", "content": "S"}]
    rows = [row(0, messages=json.dumps(chat)), row(1, messages=chat), row(2, messages="a text completion prompt"),
            row(3, messages="{}", proxy_server_request=json.dumps({"model": "gpt-4o", "messages": chat})),
            row(4, messages=json.dumps(chat), proxy_server_request={"messages": [{"role": "user", "content": "twice"}]}),
            row(5, messages="{}", proxy_server_request="{}")]
    got = by_id(write_lines(tmp_path / "spend.jsonl", rows), "litellm-spendlogs")
    assert got == {"r0": "S\n\nQ", "r1": "S\n\nQ", "r2": "a text completion prompt", "r3": "S\n\nQ", "r4": "S\n\nQ",
                   "r5": None}


# -- Langfuse ----------------------------------------------------------------------------------


@needs_samples
@pytest.mark.parametrize(("name", "prompts"), [
    ("google-gemini-2025-08-01", ["What is Langfuse?"]),  # {"contents": "..."} as a JSON string
    ("vertex-ai-2025-08-01", ["What is Langfuse?"]),  # Gemini contents with parts
    ("pydantic-ai-tools-2025-06-06", ["You are a helpful assistant that answers questions clearly and concisely."
                                      "\n\nWhat is Langfuse?"]),
    ("vercel-aisdk-2025-11-17", ["What is the weather like today in San Francisco?"] * 2),  # {"prompt"}; parts
    ("microsoft-agent-2025-12-17", ["What's the weather in Tokyo?", None]),  # OTel parts; a tool result only
    ("openai-agents-2025-09-30", ["What's the weather in Tokyo?"] * 2),  # Responses items; function calls add nothing
    ("llamaindex-2025-06-05", [None]),  # {"args": [...]} is no prompt shape
])
def test_langfuse_real_traces(name: str, prompts: list[str | None]) -> None:
    path = SAMPLES / "langfuse" / "cloud-trace-with-observations" / f"{name}.trace.json"
    assert read(path)[1] == prompts


@needs_samples
def test_langfuse_messages_object_and_tool_turns() -> None:
    folder = SAMPLES / "langfuse" / "cloud-trace-with-observations"
    crewai = read(folder / "crewai-2025-07-11.trace.json")[1][0]
    assert crewai.startswith("You are Software developer.") and "\n\nCurrent Task: Define the HTML" in crewai
    first, second = read(folder / "langgraph-python-2025-08-22.trace.json")[1]
    assert first == "Be helpful!\n\nSearch the web for 'example' and summarize."  # a tool schema as content adds nothing
    assert second.startswith(first + '\n\n[{"url": "https://example.com"')  # the tool's result is text


def test_langfuse_observation_lines(tmp_path: Path) -> None:
    def observation(i: int, kind: str = "GENERATION", **extra: object) -> dict:
        return {"id": f"o{i}", "traceId": "t", "type": kind, "startTime": "2025-10-01T08:00:00Z", "model": "m",
                "usageDetails": {"input": 3, "output": 4}, **extra}

    lines = [observation(0, input={"messages": [{"role": "user", "content": "object input"}]}),
             observation(1, input="text input"), observation(2, input=None), observation(3),
             observation(4, "SPAN", input="not a request"),
             observation(5, input=[{"role": "user", "content": [{"type": "text", "text": "parts"}]}])]
    assert by_id(write_lines(tmp_path / "observations.jsonl", lines)) == {
        "o0": "object input", "o1": "text input", "o2": None, "o3": None, "o5": "parts"}


def test_langfuse_usage_input_is_not_a_prompt(tmp_path: Path) -> None:
    line = {"id": "o", "traceId": "t", "type": "GENERATION", "startTime": "2025-10-01T08:00:00Z", "model": "m",
            "usageDetails": {"input": 3, "output": 4}}  # usage's "input" is not a prompt
    assert by_id(write_lines(tmp_path / "observations.jsonl", [line])) == {"o": None}


# -- Helicone ----------------------------------------------------------------------------------


def test_helicone_request_bodies(tmp_path: Path) -> None:
    def request(i: int, body: object) -> dict:
        return {"request_id": f"h{i}", "request_created_at": "2025-05-02T12:00:00Z", "response_model": "m",
                "prompt_tokens": 1, "completion_tokens": 2, "request_body": body}

    anthropic = {"system": [{"type": "text", "text": "S"}], "messages": [{"role": "user", "content": [
        {"type": "text", "text": "A"}, {"type": "image", "source": {"type": "base64", "data": "iVBOR"}}]}]}
    bodies = [{"messages": [{"role": "user", "content": "U"}, {"role": "system", "content": "S"}]}, anthropic,
              {"prompt": "legacy"}, {"input": "responses", "instructions": "I"}, None, {"tools": []}]
    path = write_lines(tmp_path / "helicone.jsonl", [request(i, body) for i, body in enumerate(bodies)])
    assert by_id(path) == {"h0": "S\n\nU", "h1": "S\n\nA", "h2": "legacy", "h3": "I\n\nresponses", "h4": None,
                           "h5": None}


def test_prompts_survive_relabelled_quarantine_locations(tmp_path: Path) -> None:
    """A document's rejects are located by record, not line; the prompts stay with the rows."""
    def request(i: int, **extra: object) -> dict:
        return {"request_id": f"h{i}", "request_created_at": "2025-05-02T12:00:00Z", "response_model": "m",
                "request_body": {"messages": [{"role": "user", "content": f"prompt {i}"}]}, **extra}

    path = tmp_path / "query.json"
    path.write_text(json.dumps({"data": [request(0), request(1, prompt_tokens="lots"), request(2)]}, indent=2))
    table, prompts, rejects = read(path)
    assert (table["request_id"].to_pylist(), prompts) == (["h0", "h2"], ["prompt 0", "prompt 2"])
    assert rejects["location"].to_pylist() == ["record 1"] and "prompt 1" not in rejects["record"][0].as_py()


# -- OpenTelemetry -----------------------------------------------------------------------------


def otlp_span(span_id: str, attributes: dict, events: list[dict] | None = None) -> dict:
    def value(v: object) -> dict:
        return {"intValue": str(v)} if isinstance(v, int) else {"stringValue": v}

    return {"traceId": "5b8efff798038103d269b633813fc60c", "spanId": span_id, "name": "chat",
            "startTimeUnixNano": "1750000000000000000", "endTimeUnixNano": "1750000001500000000",
            "attributes": [{"key": k, "value": value(v)} for k, v in {"gen_ai.request.model": "gpt-4o", **attributes}.items()],
            "events": [{"timeUnixNano": "1750000000000000001", "name": e["name"],
                        "attributes": [{"key": k, "value": value(v)} for k, v in e.items() if k != "name"]}
                       for e in events or []]}


def otlp(spans: list[dict]) -> dict:
    return {"resourceSpans": [{"resource": {"attributes": []}, "scopeSpans": [{"spans": spans}]}]}


def test_otel_every_convention(tmp_path: Path) -> None:
    current = {"gen_ai.system_instructions": json.dumps([{"type": "text", "content": "Be brief."}]),
               "gen_ai.input.messages": json.dumps([
                   {"role": "user", "parts": [{"type": "text", "content": "Hi"}, {"type": "uri", "uri": "s3://x"}]},
                   {"role": "assistant", "parts": [{"type": "tool_call", "id": "c1", "name": "f", "arguments": {}}]},
                   {"role": "tool", "parts": [{"type": "tool_call_response", "id": "c1", "response": "42"}]}])}
    indexed = {f"gen_ai.prompt.{i}.{field}": value for i in range(11)
               for field, value in (("role", "system" if i == 10 else "user"), ("content", f"m{i}"))}
    events = [{"name": "gen_ai.user.message", "content": "U"}, {"name": "gen_ai.system.message", "content": "S"},
              {"name": "gen_ai.choice", "index": 0, "message": "not input"}]
    spans = [otlp_span("00000000000000a1", current), otlp_span("00000000000000a2", indexed),
             otlp_span("00000000000000a3", {}, events), otlp_span("00000000000000a4", current, events),
             otlp_span("00000000000000a5", {"gen_ai.usage.input_tokens": 5})]
    got = by_id(write_lines(tmp_path / "traces.jsonl", [otlp(spans)]))
    trace = "5b8efff798038103d269b633813fc60c-"
    assert got == {
        trace + "00000000000000a1": "Be brief.\n\nHi",
        trace + "00000000000000a2": "m10\n\n" + "\n\n".join(f"m{i}" for i in range(10)),  # numeric order, system first
        trace + "00000000000000a3": "S\n\nU",
        trace + "00000000000000a4": "Be brief.\n\nHi",  # the current attributes win over events
        trace + "00000000000000a5": None,
    }


def test_otel_sdk_span_dump_with_flat_indexed_attributes(tmp_path: Path) -> None:
    span = {"name": "chat", "context": {"trace_id": 1, "span_id": 2}, "start_time": 1758026593210770000,
            "end_time": 1758026593449611000, "attributes": {
                "gen_ai.request.model": "m", "gen_ai.prompt.0.role": "system", "gen_ai.prompt.0.content": "S",
                "gen_ai.prompt.1.role": "user", "gen_ai.prompt.1.content": json.dumps([{"type": "text", "text": "U"}])},
            "events": [{"name": "gen_ai.user.message", "attributes": {"content": "ignored: attributes came first"}}]}
    path = tmp_path / "spans.json"
    path.write_text(json.dumps({"spans": [span]}))
    assert list(by_id(path).values()) == ["S\n\nU"]


def test_otel_hostile_prompt_fields_are_read_or_left_out(tmp_path: Path) -> None:
    def span(span_id: int, attributes: object, events: object = ()) -> dict:
        return {"name": "chat", "context": {"trace_id": 7, "span_id": span_id}, "start_time": 1758026593210770000,
                "end_time": 1758026593449611000, "attributes": attributes, "events": events}

    spans = [span(1, {"gen_ai.request.model": "m"}, "gen_ai.user.message, not a list"),
             span(2, "gen_ai.prompt.0.content: not an object"),
             span(3, {"gen_ai.request.model": "m", "gen_ai.input.messages": "[half a list"}),
             span(4, {"gen_ai.request.model": "m", "gen_ai.prompt.0.content": {"nested": True}}, [{"name": 5}])]
    path = tmp_path / "spans.json"
    path.write_text(json.dumps({"spans": spans}))
    table, prompts, rejects = read(path)
    assert (table.num_rows, rejects.num_rows) == (3, 0)  # a span without attributes names no model: no request
    assert prompts == [None, "[half a list", None]


def _attribute(span: dict, key: str) -> str | None:
    return next((a["value"]["stringValue"] for a in span["attributes"] if a["key"] == key), None)


@needs_samples
def test_otel_real_exports() -> None:
    folder = SAMPLES / "otel" / "otlp-json-oteltest-bakeoff"
    llmetry = json.loads((folder / "ott-llmetry.json").read_text())
    contents = [_attribute(s, "gen_ai.prompt.0.content") for r in llmetry["trace_requests"]
                for rs in r["pbreq"]["resourceSpans"] for ss in rs["scopeSpans"] for s in ss["spans"]]
    assert read(folder / "ott-llmetry.json")[1] == [c for c in contents if c]  # indexed attributes
    _, openlit, _ = read(folder / "ott-lit.json")  # the gen_ai.content.prompt event of each OpenAI span
    assert [p.splitlines()[0] for p in openlit] == ["user: ", "user: "]
    assert "Question: What is the capital of France?" in openlit[0]
    agent = read(SAMPLES / "otel" / "any-agent-agenttrace" / "OPENAI_trace.json")[1]
    assert agent == ["Use the available tools to answer.\n\nFind what year it is in the America/New_York timezone and "
                     "write the value (single number) to a file. Finally, return a list of the steps you have taken.",
                     None, None]  # later calls of the run logged no input messages


@needs_samples
def test_otel_protobuf_gives_the_same_prompts(tmp_path: Path) -> None:
    json_format = pytest.importorskip("google.protobuf.json_format")
    service = pytest.importorskip("opentelemetry.proto.collector.trace.v1.trace_service_pb2")
    source = SAMPLES / "otel" / "otlp-json-oteltest-bakeoff" / "ott-lit.json"
    request = json.loads(source.read_text())["trace_requests"][0]
    message = json_format.Parse(json.dumps(request["pbreq"]), service.ExportTraceServiceRequest())
    path = tmp_path / "export.pb"
    path.write_bytes(message.SerializeToString())
    assert by_id(path) == by_id(source)
    assert all(by_id(path).values())


# -- mapped CSV and Parquet, and formats without prompts ---------------------------------------


def test_mapped_prompt_column(tmp_path: Path) -> None:
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("columns: {request_id: id, ts: t, model: m, prompt: body}\n")
    chat = json.dumps([{"role": "user", "content": "Q"}, {"role": "system", "content": "S"}])
    rows = [("a", "2025-01-01T00:00:00Z", chat), ("b", "not a time", "secret"), ("c", "2025-01-01T00:00:00Z", "plain"),
            ("d", "2025-01-01T00:00:00Z", None)]
    csv = tmp_path / "proxy.csv"
    csv.write_text("id,t,m,body\n" + "".join(f'{i},{t},gpt-4o,"{(b or "").replace(chr(34), chr(34) * 2)}"\n'
                                            for i, t, b in rows))
    table, prompts, rejects = read(csv, f"mapped:{mapping}")
    assert dict(zip(table["request_id"].to_pylist(), prompts)) == {"a": "S\n\nQ", "c": "plain", "d": None}
    assert rejects["record"].to_pylist() == ["b,not a time,gpt-4o,"]  # the prompt cell is left empty
    parquet = tmp_path / "proxy.parquet"
    pq.write_table(pa.table({"id": [r[0] for r in rows], "t": [r[1] for r in rows], "m": ["gpt-4o"] * 4,
                             "body": [r[2] for r in rows]}), parquet)
    table, prompts, rejects = read(parquet, f"mapped:{mapping}")
    assert prompts == ["S\n\nQ", "plain", None] and "secret" not in rejects["record"][0].as_py()
    mapping.write_text("columns: {request_id: id, ts: t, model: m}\n")
    assert read(csv, f"mapped:{mapping}")[1] is None


@needs_samples
def test_openrouter_formats_log_no_prompt(tmp_path: Path) -> None:
    assert read(SAMPLES / "litellm" / "logging_response_bedrock_v1.72.3.json", "openrouter-chat")[1] is None
    generation = {"data": {"id": "gen-1", "created_at": "2025-09-03T10:00:00Z", "model": "openai/gpt-4o",
                           "native_tokens_prompt": 3, "native_tokens_completion": 2}}
    assert read(write_lines(tmp_path / "generations.jsonl", [generation]), "openrouter-generation")[1] is None
