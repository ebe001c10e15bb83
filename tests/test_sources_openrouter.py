"""The OpenRouter adapters, the accounts adapter and format detection.

Fixtures follow the reference examples (the Activity CSV header and row, the generation record);
the chat-completion responses are the real ones recorded from OpenRouter in the shared samples.
"""

from __future__ import annotations

import csv
import io
import json
import string
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tokencensus.schema import FINISH_REASONS, QUARANTINE, REQUESTS
from tokencensus.sources import ACCOUNTS, FORMATS, FormatError, detect_format
from tokencensus.sources._convert import parse_count, parse_number, parse_timestamp

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples" / "openrouter" / "ai-sdk-provider-e2e-fixtures"

HEADER = (
    "generation_id,created_at,cost_total,cost_web_search,cost_cache,cost_file_processing,byok_usage_inference,"
    "tokens_prompt,tokens_completion,tokens_reasoning,tokens_cached,model_permaslug,provider_name,variant,"
    "cancelled,streamed,user,finish_reason_raw,finish_reason_normalized,generation_time_ms,"
    "time_to_first_token_ms,app_name,api_key_name"
).split(",")
EXAMPLE = dict(zip(HEADER, (
    "gen-1750000000-abc,2025-07-14 09:12:33.401,0.00412,,,0,0,10234,388,120,8192,qwen/qwen3-coder-480b-a35b-07-25,"
    "Chutes,standard,false,true,,stop,stop,4210,650,Cline,prod-key"
).split(","), strict=True))

GENERATION = {
    "id": "gen-1739000000-AbCdEf", "upstream_id": "chatcmpl-xyz", "created_at": "2025-06-02T14:03:11.120Z",
    "model": "anthropic/claude-4-sonnet-20250522", "provider_name": "Anthropic", "app_id": 123456,
    "origin": "https://myapp.example", "external_user": "u-42", "streamed": True, "cancelled": False,
    "latency": 820, "moderation_latency": None, "generation_time": 5400, "tokens_prompt": 18234,
    "tokens_completion": 912, "native_tokens_prompt": 19002, "native_tokens_completion": 955,
    "native_tokens_reasoning": 310, "native_tokens_cached": 16000, "finish_reason": "tool_calls",
    "native_finish_reason": "tool_use", "total_cost": 0.02237, "usage": 0.02237, "is_byok": False,
}


def activity_csv(rows: list[dict[str, str]], header: list[str] = HEADER) -> str:
    """An Activity export with ``rows`` (missing columns empty), quoted like a real CSV writer."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows([{**dict.fromkeys(header, ""), **row} for row in rows])
    return out.getvalue()


def read_all(path: Path, format: str | None = None) -> tuple[pa.Table, pa.Array, pa.Table, int]:
    """(good rows, their lines, rejects, records read) of a whole file."""
    batches = list(detect_format(path, format).read(path))
    table = pa.concat_tables([b.table for b in batches])
    lines = pa.concat_arrays([b.lines.cast(pa.int64()) for b in batches]) if batches else pa.array([], pa.int64())
    rejects = pa.concat_tables([b.rejects for b in batches])
    return table, lines, rejects, sum(b.read for b in batches)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# -- Activity CSV ------------------------------------------------------------------------------


def test_activity_example_row_maps_to_canonical_columns(tmp_path: Path) -> None:
    table, lines, rejects, read = read_all(write(tmp_path, "activity.csv", activity_csv([EXAMPLE])))
    assert (read, table.num_rows, rejects.num_rows) == (1, 1, 0)
    assert table.schema == REQUESTS
    assert lines.to_pylist() == [2]
    assert table.to_pylist()[0] == {
        "request_id": "gen-1750000000-abc", "ts": datetime(2025, 7, 14, 9, 12, 33, 401000, tzinfo=UTC),
        "user_id": None, "app_id": "Cline", "model": "qwen/qwen3-coder-480b-a35b-07-25", "provider": "Chutes",
        "prompt_tokens": 10234, "completion_tokens": 388, "reasoning_tokens": 120, "cached_tokens": 8192,
        "cost_usd": 0.00412, "byok": False, "finish_reason": "stop", "tools_offered": None, "streamed": True,
        "latency_ms": 4210.0, "country": None, "source": "activity.csv",
    }


def test_activity_columns_are_read_by_name_in_any_order(tmp_path: Path) -> None:
    shuffled = sorted(HEADER, reverse=True)
    a, *_ = read_all(write(tmp_path, "a.csv", activity_csv([EXAMPLE])))
    b, *_ = read_all(write(tmp_path, "b.csv", activity_csv([EXAMPLE], shuffled)))
    assert a.drop_columns("source").equals(b.drop_columns("source"))


@pytest.mark.parametrize("created_at", [
    "2025-07-14 09:12:33.401", "2025-07-14T09:12:33.401", "2025-07-14T09:12:33.401Z",
    "2025-07-14T09:12:33.401+00:00", "2025-07-14T11:12:33.401+02:00", "2025-07-14T09:12:33.401000999Z",
])
def test_activity_timestamp_spellings_mean_the_same_utc_time(tmp_path: Path, created_at: str) -> None:
    table, *_ = read_all(write(tmp_path, "a.csv", activity_csv([{**EXAMPLE, "created_at": created_at}])))
    assert table["ts"].to_pylist() == [datetime(2025, 7, 14, 9, 12, 33, 401000, tzinfo=UTC)]


def test_activity_finish_reason_byok_and_cancelled(tmp_path: Path) -> None:
    rows = [
        {**EXAMPLE, "generation_id": "a", "finish_reason_normalized": "tool_calls", "byok_usage_inference": "0.01"},
        {**EXAMPLE, "generation_id": "b", "finish_reason_normalized": "", "cancelled": "true"},
        {**EXAMPLE, "generation_id": "c", "finish_reason_normalized": "Something_New"},
        {**EXAMPLE, "generation_id": "d", "finish_reason_normalized": "MAX_TOKENS", "byok_usage_inference": ""},
    ]
    table, *_ = read_all(write(tmp_path, "a.csv", activity_csv(rows)))
    assert table["finish_reason"].to_pylist() == ["tool_calls", "cancelled", "other", "length"]
    assert table["byok"].to_pylist() == [True, False, False, None]
    assert set(table["finish_reason"].to_pylist()) <= set(FINISH_REASONS)


@pytest.mark.parametrize(("column", "value", "reason"), [
    ("generation_id", "", "missing required field"),
    ("model_permaslug", " ", "missing required field"),
    ("created_at", "yesterday", "not a time"),
    ("created_at", "2025-02-30 10:00:00", "not a time"),
    ("tokens_prompt", "-5", "negative token count"),
    ("tokens_completion", "12.5", "not an integer"),
    ("tokens_cached", "99999999999999999999", "not an integer"),
    ("cost_total", "$0.10", "not a number"),
    ("streamed", "maybe", "not a boolean"),
])
def test_activity_bad_values_are_quarantined_with_field_reason_and_line(
    tmp_path: Path, column: str, value: str, reason: str
) -> None:
    rows = [EXAMPLE, {**EXAMPLE, "generation_id": "bad", column: value}]
    table, _, rejects, read = read_all(write(tmp_path, "a.csv", activity_csv(rows)))
    assert (read, table.num_rows, rejects.num_rows) == (2, 1, 1)
    reject = rejects.to_pylist()[0]
    assert reject["field"] == column and reject["reason"].startswith(reason)
    assert reject["location"] == "line 3" and reject["source"] == "a.csv"
    assert value.strip() in reject["record"]


def test_activity_integral_floats_count_as_integers(tmp_path: Path) -> None:
    table, _, rejects, _ = read_all(write(tmp_path, "a.csv", activity_csv([{**EXAMPLE, "tokens_prompt": "120.0"}])))
    assert rejects.num_rows == 0 and table["prompt_tokens"].to_pylist() == [120]


def test_activity_physical_lines_with_quoted_newlines_blank_and_malformed_lines(tmp_path: Path) -> None:
    text = activity_csv([
        {**EXAMPLE, "generation_id": "r1"},  # line 2
        {**EXAMPLE, "generation_id": "r2", "app_name": "two\nline app"},  # lines 3-4
    ]) + "\ngen-x,too,few\n" + activity_csv([  # line 5 blank, line 6 malformed
        {**EXAMPLE, "generation_id": "r3", "tokens_prompt": "-1"},  # line 7
        {**EXAMPLE, "generation_id": "r4"},  # line 8
    ]).split("\n", 1)[1]
    table, lines, rejects, read = read_all(write(tmp_path, "a.csv", text))
    assert dict(zip(table["request_id"].to_pylist(), lines.to_pylist(), strict=True)) == {"r1": 2, "r2": 3, "r4": 8}
    assert table["app_id"].to_pylist()[1] == "two\nline app"
    assert sorted(zip(rejects["location"].to_pylist(), rejects["reason"].to_pylist())) == [
        ("line 6", "malformed line: 3 fields, expected 23"),
        ("line 7", "negative token count"),
    ]
    assert read == 5  # the blank line is not a record


def test_activity_gzip_file_is_read(tmp_path: Path) -> None:
    import gzip

    path = tmp_path / "a.csv.gz"
    path.write_bytes(gzip.compress(activity_csv([EXAMPLE]).encode()))
    table, *_ = read_all(path)
    assert table["request_id"].to_pylist() == ["gen-1750000000-abc"]


# -- generation JSONL --------------------------------------------------------------------------


def test_generation_records_enveloped_or_bare(tmp_path: Path) -> None:
    bare = {"id": "g2", "created_at": "2025-06-02 14:03:11", "model": "m", "tokens_prompt": 5, "tokens_completion": 7}
    text = json.dumps({"data": GENERATION}) + "\n" + json.dumps(bare) + "\n"
    table, lines, rejects, read = read_all(write(tmp_path, "gen.jsonl", text))
    assert (read, rejects.num_rows, lines.to_pylist()) == (2, 0, [1, 2])
    first, second = table.to_pylist()
    assert first == {
        "request_id": "gen-1739000000-AbCdEf", "ts": datetime(2025, 6, 2, 14, 3, 11, 120000, tzinfo=UTC),
        "user_id": "u-42", "app_id": "123456", "model": "anthropic/claude-4-sonnet-20250522",
        "provider": "Anthropic", "prompt_tokens": 19002, "completion_tokens": 955, "reasoning_tokens": 310,
        "cached_tokens": 16000, "cost_usd": 0.02237, "byok": False, "finish_reason": "tool_calls",
        "tools_offered": None, "streamed": True, "latency_ms": 5400.0, "country": None, "source": "gen.jsonl",
    }
    assert (second["prompt_tokens"], second["completion_tokens"]) == (5, 7)  # normalised counts as fallback


def test_generation_bad_records_are_quarantined_by_line(tmp_path: Path) -> None:
    text = "\n".join([
        json.dumps(GENERATION),
        "not json",
        "[1, 2]",
        "",
        json.dumps({**GENERATION, "id": "x", "native_tokens_prompt": {"nested": 1}}),
        json.dumps({**GENERATION, "id": "y", "cancelled": True, "finish_reason": None}),
    ]) + "\n"
    table, _, rejects, read = read_all(write(tmp_path, "gen.jsonl", text))
    assert read == 5
    assert table["finish_reason"].to_pylist() == ["tool_calls", "cancelled"]
    assert sorted(zip(rejects["location"].to_pylist(), rejects["field"].to_pylist(), rejects["reason"].to_pylist(),
                      strict=True)) == [
        ("line 2", None, "invalid JSON"),
        ("line 3", None, "not a JSON object"),
        ("line 5", "native_tokens_prompt", "not an integer"),
    ]


# -- chat-completion responses (real recordings) -------------------------------------------------


@pytest.mark.skipif(not SAMPLES.is_dir(), reason="shared samples not available")
def test_real_openrouter_chat_responses(tmp_path: Path) -> None:
    records = [json.loads(p.read_text().strip()) for p in sorted(SAMPLES.glob("*/response.json"))]
    path = write(tmp_path, "responses.jsonl", "\n".join(json.dumps(r) for r in records) + "\n")
    table, _, rejects, read = read_all(path)
    chats = [r for r in records if r.get("object") == "chat.completion"]
    assert read == len(records) and table.num_rows == len(chats) > 0
    assert rejects.num_rows == len(records) - len(chats)  # errors, Responses-API and embedding bodies
    rows = {r["request_id"]: r for r in table.to_pylist()}
    for chat in chats:
        row = rows[chat["id"]]
        assert row["ts"] == datetime.fromtimestamp(chat["created"], UTC)
        assert (row["model"], row["provider"]) == (chat["model"], chat["provider"])
        assert row["prompt_tokens"] == chat["usage"]["prompt_tokens"]
        assert row["completion_tokens"] == chat["usage"]["completion_tokens"]
        assert row["cost_usd"] == pytest.approx(chat["usage"]["cost"])
        assert row["finish_reason"] == chat["choices"][0]["finish_reason"]


@pytest.mark.skipif(not SAMPLES.is_dir(), reason="shared samples not available")
def test_real_response_file_with_keepalive_padding_is_detected() -> None:
    path = SAMPLES / "3u9jN7ced3f" / "response.json"
    assert detect_format(path).name == "openrouter-chat"
    table, *_ = read_all(path)
    assert table["cached_tokens"].to_pylist() == [0] and table["byok"].to_pylist() == [False]


# -- accounts ----------------------------------------------------------------------------------


def test_accounts_countries_are_normalised_or_quarantined(tmp_path: Path) -> None:
    path = write(tmp_path, "accounts.csv", "user_id,country\nu1,us\nu2, UK \nu3,Narnia\nu4,\n,DE\nu5,de\n")
    table, lines, rejects, read = read_all(path)
    assert table.schema == ACCOUNTS and read == 6
    assert table.to_pylist() == [{"user_id": "u1", "country": "US"}, {"user_id": "u2", "country": "GB"},
                                 {"user_id": "u5", "country": "DE"}]
    assert lines.to_pylist() == [2, 3, 7]
    assert sorted(zip(rejects["location"].to_pylist(), rejects["field"].to_pylist(), strict=True)) == [
        ("line 4", "country"), ("line 5", "country"), ("line 6", "user_id")]


def test_accounts_header_may_say_user(tmp_path: Path) -> None:
    table, *_ = read_all(write(tmp_path, "acc.csv", "country,user\nFR,alice\n"))
    assert table.to_pylist() == [{"user_id": "alice", "country": "FR"}]


# -- detection ---------------------------------------------------------------------------------


def test_detection_picks_each_format(tmp_path: Path) -> None:
    assert detect_format(write(tmp_path, "a.csv", activity_csv([EXAMPLE]))).name == "openrouter-activity"
    assert detect_format(write(tmp_path, "g.jsonl", json.dumps({"data": GENERATION}))).name == "openrouter-generation"
    assert detect_format(write(tmp_path, "u.csv", "user,country\na,US\n")).name == "accounts"


def test_unknown_file_error_names_every_format_tried_and_why(tmp_path: Path) -> None:
    with pytest.raises(FormatError) as error:
        detect_format(write(tmp_path, "notes.csv", "a,b\n1,2\n"))
    message = str(error.value)
    for name in FORMATS:
        assert name in message
    assert "header lacks generation_id, created_at, model_permaslug" in message
    assert "extension '.csv' is not .jsonl" in message


def test_forced_format_that_does_not_fit_and_unknown_format_name(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", activity_csv([EXAMPLE]))
    with pytest.raises(FormatError, match="accounts: header lacks country"):
        detect_format(path, "accounts")
    with pytest.raises(FormatError, match="unknown format 'no-such-format'"):
        detect_format(path, "no-such-format")
    with pytest.raises(FormatError, match="file is empty"):
        detect_format(write(tmp_path, "empty.csv", ""))
    assert read_all(write(tmp_path, "empty.jsonl", "\n"), "openrouter-generation")[3] == 0


# -- properties: hostile input never crashes and never loses a record ----------------------------

_cell = st.one_of(
    st.sampled_from(["", " ", "0", "-3", "12.5", "1e3", "nan", "true", "FALSE", "stop", "2025-07-14 09:12:33",
                     "2025-13-45T99:00:00Z", "NULL", '"', "a,b", "x\ny", "\u00e9\u4e2d", "9" * 30]),
    st.text(alphabet=string.printable + "\u00e9\u4e2d\u0000", max_size=30),
    st.integers(2000, 5000).map(lambda n: "\u00e9,\"" * n),  # huge, with quotes and commas
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(rows=st.lists(st.one_of(
    st.fixed_dictionaries({c: _cell for c in HEADER}),  # right shape, hostile values
    st.lists(_cell, max_size=30),  # wrong number of fields
), max_size=12))
def test_activity_csv_property_no_crash_no_loss_and_true_lines(tmp_path_factory: pytest.TempPathFactory,
                                                               rows: list) -> None:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    expected_lines = []
    for i, row in enumerate(rows):
        cells = [row[c] for c in HEADER] if isinstance(row, dict) else list(row)
        if cells:
            cells[0] = f"id{i}"  # a marker to find the record again (and never blank)
        expected_lines.append(out.getvalue().count("\n") + 1)
        writer.writerow(cells)
    path = Path(tmp_path_factory.mktemp("p")) / "a.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    records = list(csv.reader(io.StringIO(out.getvalue(), newline="")))[1:]
    table, lines, rejects, read = read_all(path, "openrouter-activity")
    assert rejects.schema == QUARANTINE and table.schema == REQUESTS
    assert read == sum(1 for r in records if any(r)) == table.num_rows + rejects.num_rows
    assert all(rec is None or len(rec) <= 2048 for rec in rejects["record"].to_pylist())
    starts = {f"id{i}": n for i, n in enumerate(expected_lines)}
    for request_id, n in zip(table["request_id"].to_pylist(), lines.to_pylist(), strict=True):
        assert starts[request_id] == n


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(lines=st.lists(st.one_of(
    st.builds(lambda over: json.dumps({**GENERATION, **over}), st.dictionaries(
        st.sampled_from(list(GENERATION)), st.one_of(st.none(), st.integers(), st.floats(), st.text(max_size=20),
                                                     st.booleans(), st.lists(st.integers(), max_size=2)))),
    st.builds(lambda g: json.dumps({"data": g}), st.just(GENERATION)),
    st.text(max_size=50).filter(lambda s: "\n" not in s and "\r" not in s),
    st.just('{"id": "truncated'),
), max_size=25))
def test_generation_jsonl_property_no_crash_no_loss(tmp_path_factory: pytest.TempPathFactory, lines: list[str]) -> None:
    path = Path(tmp_path_factory.mktemp("p")) / "g.jsonl"
    lines = [*lines, json.dumps(GENERATION)]  # one good record lets the forced format's sniff pass
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    table, _, rejects, read = read_all(path, "openrouter-generation")
    assert read == sum(1 for line in lines if line.strip()) == table.num_rows + rejects.num_rows
    assert table["request_id"].null_count == table["ts"].null_count == table["model"].null_count == 0
    smallest = pc.min(table["prompt_tokens"]).as_py()
    assert smallest is None or smallest >= 0


CHAT = {"id": "gen-1", "object": "chat.completion", "created": 1767761758, "model": "anthropic/claude-sonnet-4",
        "provider": "Google", "choices": [{"finish_reason": "stop"}],
        "usage": {"prompt_tokens": 555, "completion_tokens": 431, "cost": 0.00813, "is_byok": False}}


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(overrides=st.lists(st.dictionaries(
    st.sampled_from(["id", "created", "model", "provider", "usage", "choices"]),
    st.one_of(st.none(), st.integers(-10**20, 10**20), st.floats(), st.text(max_size=10), st.booleans(),
              st.fixed_dictionaries({"prompt_tokens": st.one_of(st.integers(), st.text(max_size=5))}),
              st.lists(st.dictionaries(st.just("finish_reason"), st.text(max_size=8)), max_size=2))),
    max_size=15))
def test_chat_jsonl_property_no_crash_no_loss(tmp_path_factory: pytest.TempPathFactory, overrides: list) -> None:
    lines = [json.dumps(CHAT)] + [json.dumps({**CHAT, **o}) for o in overrides]
    path = Path(tmp_path_factory.mktemp("p")) / "chat.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    table, _, rejects, read = read_all(path, "openrouter-chat")
    assert read == len(lines) == table.num_rows + rejects.num_rows
    assert table["ts"].null_count == 0 and set(table["finish_reason"].drop_null().to_pylist()) <= set(FINISH_REASONS)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(rows=st.lists(st.lists(_cell, min_size=0, max_size=4), max_size=15))
def test_accounts_property_no_crash_no_loss(tmp_path_factory: pytest.TempPathFactory, rows: list[list[str]]) -> None:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["user", "country"])
    writer.writerows(rows)
    path = Path(tmp_path_factory.mktemp("p")) / "accounts.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    table, _, rejects, read = read_all(path, "accounts")
    records = list(csv.reader(io.StringIO(out.getvalue(), newline="")))[1:]
    # a record is any line with a value or with the wrong number of fields (`""` alone is one empty field)
    assert read == sum(1 for r in records if any(r) or len(r) not in (0, 2)) == table.num_rows + rejects.num_rows
    assert all(len(c) == 2 and c.isupper() for c in table["country"].to_pylist())


# -- parsers: a bad value costs its neighbourhood, never the block's correctness -----------------

_CLEAN = {
    parse_count: [str(i % 5000) for i in range(20_000)],
    parse_number: [f"{i / 7:.6f}" for i in range(20_000)],
    parse_timestamp: [f"2025-07-{1 + i % 28:02d} 09:{i % 60:02d}:33.{i % 1000:03d}" for i in range(20_000)],
}


@settings(max_examples=20, deadline=None)
@given(parser=st.sampled_from(list(_CLEAN)), bad=st.lists(st.tuples(st.integers(0, 19_999),
                                                                    st.sampled_from(["x", "1.5.5", "2025-02-30"])),
                                                          max_size=3))
def test_parsers_on_a_block_with_bad_values_match_the_clean_block_elsewhere(parser, bad: list) -> None:
    clean = _CLEAN[parser]
    text = list(clean)
    for position, value in bad:
        text[position] = value
    values, reasons = parser(pa.array(text))
    expected, _ = parser(pa.array(clean))
    bad_positions = {p for p, _ in bad}
    good = [i for i in range(len(text)) if i not in bad_positions]
    assert [values[i].as_py() for i in good] == [expected[i].as_py() for i in good]
    assert all(values[p].as_py() is None and reasons[p].as_py() for p in bad_positions)
    assert reasons.null_count == len(text) - len(bad_positions)
