"""The store: layout, ingest counts, deduplication, quarantine, accounts, crash recovery."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from datetime import date
import subprocess
import sys
from pathlib import Path
from unittest import mock

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from test_sources_openrouter import EXAMPLE, GENERATION, activity_csv
from tokencensus.schema import REQUESTS
from tokencensus.sources import FormatError
import tokencensus.store.requests as stage
from tokencensus.store import QUARANTINE_STORED, IngestResult, Store


def row(request_id: str, day: int = 14, **changes: str) -> dict[str, str]:
    return {**EXAMPLE, "generation_id": request_id, "created_at": f"2025-07-{day:02d} 09:12:33.401", **changes}


def write(path: Path, rows: list[dict[str, str]]) -> Path:
    path.write_text(activity_csv(rows), encoding="utf-8")
    return path


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file of a store (but the lock) with its bytes."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file() and p.name != ".lock"}


def stored(store: Store) -> list[tuple]:
    if not store.row_count():
        return []
    sql = f"SELECT request_id, prompt_tokens, date FROM read_parquet('{store.requests_glob()}', hive_partitioning=true)"
    return sorted(duckdb.connect().execute(sql).fetchall())


def assert_balanced(result: IngestResult) -> None:
    counts = result.as_dict()
    assert counts["read"] == counts["stored"] + counts["duplicates"] + counts["quarantined"]


def test_ingest_writes_day_partitions_of_canonical_rows(tmp_path: Path) -> None:
    source = write(tmp_path / "activity.csv", [row("a", 14), row("b", 15), row("c", 15, tokens_prompt="-1")])
    store = Store(tmp_path / "data")
    progress: list[tuple[int, int]] = []
    result = store.ingest([source], progress=lambda done, total: progress.append((done, total)))
    assert result.as_dict() == {"read": 3, "stored": 2, "duplicates": 0, "quarantined": 1}
    assert result.reasons == {"negative token count": 1}
    assert progress[-1] == (source.stat().st_size, source.stat().st_size)
    parts = sorted(p.relative_to(store.path / "requests").parent.name for p in store.layout.request_parts())
    assert parts == ["date=2025-07-14", "date=2025-07-15"]
    assert all(pq.read_schema(p) == REQUESTS for p in store.layout.request_parts())
    assert store.row_count() == 2
    quarantine = store.quarantine_table()
    assert quarantine.schema == QUARANTINE_STORED
    assert quarantine.select(["location", "field", "reason"]).to_pylist() == [
        {"location": "line 4", "field": "tokens_prompt", "reason": "negative token count"}]
    (entry,) = store.manifest()
    assert {k: entry[k] for k in ("name", "format", "read", "stored", "duplicates", "quarantined")} == {
        "name": "activity.csv", "format": "openrouter-activity", "read": 3, "stored": 2, "duplicates": 0,
        "quarantined": 1}
    assert len(entry["sha256"]) == 64 and entry["batch"] == result.batch


def test_reingesting_a_file_adds_nothing(tmp_path: Path) -> None:
    source = write(tmp_path / "a.csv", [row("a"), row("b"), row("c", tokens_prompt="x")])
    store = Store(tmp_path / "data")
    store.ingest([source])
    before = snapshot(store.path)
    again = store.ingest([source, source])
    assert again.batch is None and all(f.skipped for f in again.files)
    assert again.as_dict() == {"read": 6, "stored": 0, "duplicates": 6, "quarantined": 0}
    assert snapshot(store.path) == before


def test_same_content_twice_in_one_call_is_read_once(tmp_path: Path) -> None:
    a = write(tmp_path / "a.csv", [row("a"), row("b")])
    b = tmp_path / "copy.csv"
    b.write_bytes(a.read_bytes())
    result = Store(tmp_path / "data").ingest([a, b])
    assert [f.as_dict()["stored"] for f in result.files] == [2, 0]
    assert result.as_dict() == {"read": 4, "stored": 2, "duplicates": 2, "quarantined": 0}


def test_duplicates_and_conflicts_within_and_across_ingests(tmp_path: Path) -> None:
    store = Store(tmp_path / "data")
    first = store.ingest([write(tmp_path / "one.csv", [row("a"), row("b"), row("a"), row("b", tokens_prompt="7")])])
    assert first.as_dict() == {"read": 4, "stored": 2, "duplicates": 1, "quarantined": 1}
    # same requests in another export (other file name, so not skipped), one changed, one moved to another day
    second = store.ingest([write(tmp_path / "two.csv", [
        row("a"), row("b", tokens_prompt="8"), row("c"), row("a", day=20),
    ])])
    assert second.as_dict() == {"read": 4, "stored": 1, "duplicates": 1, "quarantined": 2}
    assert stored(store) == [("a", 10234, _day(14)), ("b", 10234, _day(14)), ("c", 10234, _day(14))]
    quarantine = store.quarantine_table()
    conflicts = quarantine.filter(pc.equal(quarantine["field"], "request_id"))
    assert conflicts.select(["source", "location", "field", "reason"]).to_pylist() == [
        {"source": "one.csv", "location": "line 5", "field": "request_id",
         "reason": "duplicate request_id with different content"},
        {"source": "two.csv", "location": "line 3", "field": "request_id",
         "reason": "duplicate request_id with different content"},
        {"source": "two.csv", "location": "line 5", "field": "request_id",
         "reason": "duplicate request_id with different content"},
    ]
    assert '"prompt_tokens":8' in conflicts["record"][1].as_py()


def test_a_repeat_in_the_same_flush_is_held_back_and_no_part_file_is_rewritten(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stage, "_drop_rows", lambda path, rows: pytest.fail(f"{path.name} was rewritten"))
    store = Store(tmp_path / "data")
    result = store.ingest([write(tmp_path / "one.csv", [row("a"), row("b"), row("a"), row("b", tokens_prompt="7")])])
    assert result.as_dict() == {"read": 4, "stored": 2, "duplicates": 1, "quarantined": 1}
    assert stored(store) == [("a", 10234, _day(14)), ("b", 10234, _day(14))]
    assert store.quarantine_table()["location"].to_pylist() == ["line 5"]


def _day(day: int) -> date:
    return date(2025, 7, day)


def test_interleaved_days_and_reopened_day_files_deduplicate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # one flush per file and two open day files at a time: a day split in runs is written as
    # they come, interleaved days are gathered first, and a day met again gets another part file
    monkeypatch.setattr(stage, "FLUSH_ROWS", 4)
    monkeypatch.setattr(stage, "MAX_OPEN", 2)
    monkeypatch.setattr(stage, "SORT_BYTES", 40)  # the id hashes are searched for repeats in 4 slices
    days = [[1, 2, 1, 3], [1, 2, 1, 2, 1, 2], [4, 4, 5, 3]]
    ids = [[(f"f{f}r{i}", day) for i, day in enumerate(file)] for f, file in enumerate(days)]
    paths = [write(tmp_path / f"f{f}.csv", [row(i, day) for i, day in file]) for f, file in enumerate(ids)]
    paths.append(write(tmp_path / "f3.csv", [row("f0r0", 1), row("f1r3", 2, tokens_prompt="9")]))
    store = Store(tmp_path / "data")
    result = store.ingest(paths)
    assert result.as_dict() == {"read": 16, "stored": 14, "duplicates": 1, "quarantined": 1}
    assert stored(store) == sorted((i, 10234, _day(day)) for file in ids for i, day in file)
    assert len(store.layout.request_parts()) > 5  # days 1 to 5, some in several part files
    (conflict,) = store.quarantine_table().to_pylist()
    assert (conflict["source"], conflict["location"]) == ("f3.csv", "line 3")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 2**64 - 1) | st.integers(0, 9), max_size=80), st.integers(1, 700))
def test_repeated_hashes_are_found_in_any_number_of_slices(tmp_path_factory: pytest.TempPathFactory,
                                                           hashes: list[int], sort_bytes: int) -> None:
    path = tmp_path_factory.mktemp("ids") / "ids.parquet"
    pq.write_table(pa.table({"h": pa.array(hashes, pa.uint64())}), path, row_group_size=7)
    with mock.patch.object(stage, "SORT_BYTES", sort_bytes):
        found = stage._repeated(path, len(hashes))
    assert sorted(found.tolist()) == sorted(h for h, n in Counter(hashes).items() if n > 1)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["a", "b", "c", "gen-1", "gen-2", ""]), max_size=40), st.booleans())
def test_a_flush_holds_back_exactly_the_ids_met_earlier_in_it(ids: list[str], collide: bool) -> None:
    """Found by hash, checked by id: ids whose hashes collide (all 0 here) are not held for it."""
    request_ids = pa.chunked_array([pa.array(ids[:5], pa.string()), pa.array(ids[5:], pa.string())])
    hashes = (np.zeros(len(ids), np.uint64) if collide else
              stage._hashes(duckdb.connect(), request_ids).to_numpy())
    assert stage._repeats(hashes, request_ids).tolist() == [i in ids[:n] for n, i in enumerate(ids)]


def test_files_of_equal_size_are_hashed_before_reading(tmp_path: Path) -> None:
    store = Store(tmp_path / "data")
    a = write(tmp_path / "a.csv", [row("a1"), row("a2")])
    b = write(tmp_path / "b.csv", [row("b1"), row("b2")])  # same size, other content
    assert a.stat().st_size == b.stat().st_size
    assert store.ingest([a, b]).as_dict()["stored"] == 4
    c = write(tmp_path / "c.csv", [row("c1"), row("c2")])  # as large as a stored source
    d = write(tmp_path / "d.csv", [row("d1")])  # a size never seen: hashed while read
    result = store.ingest([c, d, a])
    assert [(f.name, f.stored, f.skipped) for f in result.files] == [("c.csv", 2, False), ("d.csv", 1, False),
                                                                    ("a.csv", 0, True)]
    assert {m["name"]: m["sha256"] for m in store.manifest()}["d.csv"] == hashlib.sha256(d.read_bytes()).hexdigest()


def test_jsonl_and_csv_of_the_same_requests_deduplicate(tmp_path: Path) -> None:
    store = Store(tmp_path / "data")
    gen = tmp_path / "gen.jsonl"
    gen.write_text(json.dumps({"data": GENERATION}) + "\n", encoding="utf-8")
    assert store.ingest([gen]).as_dict()["stored"] == 1
    gen2 = tmp_path / "gen-again.jsonl"
    gen2.write_text(json.dumps(GENERATION) + "\n\n", encoding="utf-8")  # bare record, other bytes
    assert store.ingest([gen2]).as_dict() == {"read": 1, "stored": 0, "duplicates": 1, "quarantined": 0}


def test_folder_is_expanded_and_unknown_file_stops_before_writing(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    write(logs / "a.csv", [row("a")])
    (logs / ".hidden.csv").write_text("junk")
    store = Store(tmp_path / "data")
    assert store.ingest([logs]).as_dict()["stored"] == 1
    (logs / "notes.txt").write_text("hello\n")
    before = snapshot(store.path)
    with pytest.raises(FormatError, match="notes.txt.*tried openrouter-activity"):
        store.ingest([logs])
    assert snapshot(store.path) == before


def test_accounts_latest_ingest_wins_per_user(tmp_path: Path) -> None:
    store = Store(tmp_path / "data")
    assert store.accounts_table() is None
    first = tmp_path / "accounts.csv"
    first.write_text("user,country\nu1,US\nu2,uk\nu3,XX\nu1,US\n")
    assert store.ingest([first]).as_dict() == {"read": 4, "stored": 2, "duplicates": 1, "quarantined": 1}
    second = tmp_path / "accounts-2.csv"
    second.write_text("user_id,country\nu2,GB\nu1,DE\nu4,SG\nu4,JP\n")
    assert store.ingest([second]).as_dict() == {"read": 4, "stored": 3, "duplicates": 1, "quarantined": 0}
    assert sorted(store.accounts_table().to_pylist(), key=lambda r: r["user_id"]) == [
        {"user_id": "u1", "country": "DE"}, {"user_id": "u2", "country": "GB"}, {"user_id": "u4", "country": "JP"}]
    assert len(list(store.layout.accounts.glob("*.parquet"))) == 1  # superseded snapshots are removed


# -- crash safety ------------------------------------------------------------------------------

_CRASH = """
import os, sys
from pathlib import Path
import tokencensus.store.requests as requests, tokencensus.store.manifest as manifest
point = sys.argv[3]
if point == "commit":
    manifest.Manifest.commit = lambda self, path: os._exit(9)
elif point == "mid-write":  # die after the first rows are written
    real_write = requests.write_rows
    def write_then_die(*args):
        real_write(*args)
        os._exit(9)
    requests.write_rows = write_then_die
from tokencensus.store import Store
Store(Path(sys.argv[1])).ingest([Path(sys.argv[2])])
"""


@pytest.mark.parametrize("point", ["commit", "mid-write"])
def test_crash_mid_ingest_leaves_store_as_it_was(tmp_path: Path, point: str) -> None:
    store = Store(tmp_path / "data")
    store.ingest([write(tmp_path / "old.csv", [row("old", 1)])])
    before = snapshot(store.path)
    new = write(tmp_path / "new.csv", [row(f"n{i}", day=1 + i % 28) for i in range(60)] + [row("bad", tokens_cached="?")])
    crashed = subprocess.run([sys.executable, "-c", _CRASH, str(store.path), str(new), point], capture_output=True)
    assert crashed.returncode == 9, crashed.stderr.decode()
    assert snapshot(store.path) != before  # the crash did leave debris
    recovered = Store(store.path)
    assert snapshot(recovered.path) == before
    result = recovered.ingest([new])
    clean = Store(tmp_path / "clean")
    clean.ingest([write(tmp_path / "old.csv", [row("old", 1)])])
    expected = clean.ingest([new])
    assert result.as_dict() == expected.as_dict() == {"read": 61, "stored": 60, "duplicates": 0, "quarantined": 1}
    assert stored(recovered) == stored(clean)
    assert recovered.quarantine_table().num_rows == clean.quarantine_table().num_rows == 1


# -- property: any sequence of ingests keeps the books balanced and request_id unique -------------

_rows = st.lists(st.builds(
    lambda i, day, tokens: row(f"r{i}", day=day, tokens_prompt=tokens),
    st.integers(0, 8), st.integers(1, 3), st.sampled_from(["1", "2", "-1", "x", ""]),
), max_size=10)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(files=st.lists(_rows, min_size=1, max_size=4))
def test_ingest_property_balanced_unique_and_idempotent(tmp_path_factory: pytest.TempPathFactory,
                                                        files: list[list[dict[str, str]]]) -> None:
    root = Path(tmp_path_factory.mktemp("s"))
    store = Store(root / "data")
    paths = [write(root / f"f{i}.csv", rows) for i, rows in enumerate(files)]
    for path in paths:
        assert_balanced(store.ingest([path]))
    ids = [r[0] for r in stored(store)]
    assert len(ids) == len(set(ids))
    total = sum(m["read"] for m in store.manifest())
    assert total == sum(m["stored"] + m["duplicates"] + m["quarantined"] for m in store.manifest())
    assert store.row_count() == sum(m["stored"] for m in store.manifest())
    before = snapshot(store.path)
    again = store.ingest(paths)
    assert again.as_dict()["stored"] == 0 and snapshot(store.path) == before
