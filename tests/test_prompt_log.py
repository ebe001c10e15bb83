"""The simulator's prompt log: one OpenAI request/response pair for every valid request in the hash
sample, with the CSV row's values and a prompt of the request's true task."""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tokencensus.classify import corpus
from tokencensus.classify.sampling import DEFAULT_RATE, in_sample, in_sample_array
from tokencensus.simulate import SimulationResult, simulate
from tokencensus.simulate import world as world_module
from tokencensus.simulate.prompts import LANGUAGES, PromptBook
from tokencensus.sources import detect_format

RATE = 0.02  # above the study's rate, so a few thousand requests give hundreds of prompts
COMPARED = ("user_id", "model", "provider", "prompt_tokens", "completion_tokens", "reasoning_tokens",
            "cached_tokens", "cost_usd", "byok", "finish_reason", "streamed")
_CON = duckdb.connect()


def _world(path: Path, seed: int = 5, prompt_rate: float = RATE) -> SimulationResult:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(world_module, "CHUNK_ROWS", 5_000)  # several chunks per month, as at full size
        return simulate(path, requests=40_000, seed=seed, start=date(2025, 4, 20), end=date(2025, 6, 10),
                        bad_rate=2e-3, prompt_rate=prompt_rate)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> SimulationResult:
    return _world(tmp_path_factory.mktemp("world"))


def _rows(paths: list[Path]) -> dict[str, dict[str, Any]]:
    """Canonical rows by request id as the project's adapters read them (the first line of an id wins)."""
    rows: dict[str, dict[str, Any]] = {}
    for path in paths:
        for batch in detect_format(path).read(path):
            for row in batch.table.to_pylist():
                rows.setdefault(row["request_id"], row | {"file": path.name})
    return rows


@pytest.fixture(scope="module")
def csv_rows(world: SimulationResult) -> dict[str, dict[str, Any]]:
    return _rows(world.activity_files)


@pytest.fixture(scope="module")
def records(world: SimulationResult) -> list[dict[str, Any]]:
    return [json.loads(line) for path in world.prompt_logs for line in path.read_text().splitlines()]


@pytest.fixture(scope="module")
def truth_labels(world: SimulationResult) -> dict[str, tuple[str, str | None]]:
    table = pq.read_table(world.labels)
    return {i: (label, sub) for i, label, sub in zip(*(table[c].to_pylist() for c in table.column_names))}


def test_the_log_holds_every_sampled_valid_request_once(world: SimulationResult, csv_rows: dict,
                                                        records: list[dict], truth_labels: dict) -> None:
    ids = [r["response"]["id"] for r in records]
    sampled = {i for i in csv_rows if in_sample(i, RATE)}
    assert len(ids) == len(set(ids)) == world.prompt_requests > 200
    assert set(ids) == sampled
    assert set(ids) <= set(truth_labels)  # spoiled rows are no requests and have no prompt
    assert {i for i in csv_rows if in_sample(i, DEFAULT_RATE)} <= set(ids)  # the study's own sample is there
    assert [p.name.removeprefix("prompts-") for p in world.prompt_logs] == \
        [p.name.removeprefix("activity-").replace(".csv", ".jsonl") for p in world.activity_files]
    for path in world.prompt_logs:  # each prompt sits in the month file of its request
        month = path.name.removeprefix("prompts-").removesuffix(".jsonl")
        assert all(csv_rows[json.loads(line)["response"]["id"]]["file"] == f"activity-{month}.csv"
                   for line in path.read_text().splitlines())


def test_values_are_those_of_the_csv_row(world: SimulationResult, csv_rows: dict) -> None:
    logged = _rows(world.prompt_logs)
    assert len(logged) == world.prompt_requests
    finish = set()
    for request_id, row in logged.items():
        csv = csv_rows[request_id]
        assert {c: row[c] for c in COMPARED} == {c: csv[c] for c in COMPARED}, request_id
        assert row["ts"] == csv["ts"].replace(microsecond=0)
        finish.add(row["finish_reason"])
    assert {"stop", "tool_calls", "cancelled"} <= finish


def test_records_are_openai_pairs(records: list[dict]) -> None:
    for record in records:
        request, response = record["request"], record["response"]
        assert response["object"] == "chat.completion" and request["messages"][-1]["role"] == "user"
        usage = response["usage"]
        assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
        choice = response["choices"][0]
        offered = {t["function"]["name"] for t in request.get("tools", [])}
        assert "tools" not in request or offered  # the key is there only when tools are offered
        if choice["finish_reason"] == "tool_calls":
            assert choice["message"]["content"] is None
            (call,) = choice["message"]["tool_calls"]
            assert call["function"]["name"] in offered and isinstance(json.loads(call["function"]["arguments"]), dict)
        else:
            assert isinstance(choice["message"]["content"], str) and "tool_calls" not in choice["message"]


def test_every_message_is_of_the_true_task(records: list[dict], truth_labels: dict) -> None:
    book = PromptBook.load()
    source = {e.text: (e.label, e.subcategory) for e in corpus.load("heldout")}
    frames = book.frames["system"]
    with_system = history = 0
    for record in records:
        label, sub = truth_labels[record["response"]["id"]]
        messages = record["request"]["messages"]
        users = [m["content"] for m in messages if m["role"] == "user"]
        expected = (label, sub) if (label, sub) in book.by_leaf else None
        for text in users:  # the prompt and any earlier one come from the request's own pool
            assert source[text][0] == label and (expected is None or source[text] == expected)
        systems = [m["content"] for m in messages if m["role"] == "system"]
        frame = frames.get(label, frames["default"])
        assert all(any(s in texts for texts in frame["texts"].values()) for s in systems)
        with_system += bool(systems)
        history += len(users) > 1
    assert 0 < history < with_system < len(records)


def test_every_label_has_prompts_and_frames_every_language() -> None:
    book = PromptBook.load()
    for section in ("system", "replies"):
        for label, table in book.frames[section].items():
            texts = table["texts"] if section == "system" else table
            assert set(texts) == set(LANGUAGES), (section, label)
            assert all(isinstance(t, str) and t for lang in texts.values() for t in lang), (section, label)
    sets = book.frames["tools"]["sets"]
    assert all(tool["arguments"] for tools in sets.values() for tool in tools)


def test_same_seed_same_log_and_other_files_do_not_depend_on_it(tmp_path: Path, world: SimulationResult) -> None:
    again, other, off = _world(tmp_path / "again"), _world(tmp_path / "other", seed=6), \
        _world(tmp_path / "off", prompt_rate=0.0)
    for path in world.prompt_logs:
        assert path.read_bytes() == (again.out_dir / path.name).read_bytes(), path.name
    assert world.prompt_logs[1].read_bytes() != (other.out_dir / world.prompt_logs[1].name).read_bytes()
    assert off.prompt_logs == [] and off.prompt_requests == 0
    assert not list(off.out_dir.glob("prompts-*"))
    files = sorted(p.name for p in off.out_dir.iterdir())
    assert files == sorted(p.name for p in world.out_dir.iterdir() if not p.name.startswith("prompts-"))
    for name in files:  # CSV, labels and truth are the same with or without the prompt log
        assert (off.out_dir / name).read_bytes() == (world.out_dir / name).read_bytes(), name


@pytest.mark.parametrize("rate", [-0.1, 1.5, math.nan])
def test_rejects_a_rate_outside_zero_one(tmp_path: Path, rate: float) -> None:
    with pytest.raises(ValueError):
        simulate(tmp_path, requests=100, prompt_rate=rate)


_RATES = st.one_of(st.sampled_from([0.0, 1.0, DEFAULT_RATE, 0.5]), st.floats(0.0, 1.0))


@settings(max_examples=200, deadline=None)
@given(ids=st.lists(st.one_of(st.none(), st.text(max_size=40)), max_size=30), rate=_RATES)
def test_in_sample_array_agrees_with_in_sample(ids: list[str | None], rate: float) -> None:
    expected = [i is not None and in_sample(i, rate) for i in ids]
    assert in_sample_array(pa.array(ids, pa.string()), rate, _CON).tolist() == expected
    halves = pa.chunked_array([pa.array(ids[:len(ids) // 2], pa.string()), pa.array(ids[len(ids) // 2:], pa.string())])
    assert in_sample_array(halves, rate, _CON).tolist() == expected


@settings(max_examples=30, deadline=None)
@given(rate=st.floats(0.0, 1.0))
def test_in_sample_array_agrees_at_the_threshold_boundary(rate: float) -> None:
    """Many ids of the simulator's shape, so some fall on either side of any threshold."""
    ids = [f"gen-1750000000-{n:020d}" for n in range(2_000)]
    assert in_sample_array(pa.array(ids), rate, _CON).tolist() == [in_sample(i, rate) for i in ids]
