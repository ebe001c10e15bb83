"""Engine seam: connecting by name and reading the Hive-partitioned store."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pytest

from tokencensus.engine import SUPPORTED_ENGINES, connect, read_requests, read_table
from tokencensus.schema import REQUEST_COLUMNS, REQUESTS

UTC = dt.timezone.utc


def _store(tmp_path, n_days: int = 3, per_day: int = 4):
    """A tiny store laid out as requests/date=YYYY-MM-DD/*.parquet."""
    ts = [dt.datetime(2025, 2, 1 + d, h, tzinfo=UTC) for d in range(n_days) for h in range(per_day)]
    n = len(ts)
    table = pa.table(
        {
            f.name: pa.array(
                {
                    "request_id": [f"r{i}" for i in range(n)],
                    "ts": ts,
                    "model": ["openai/gpt-4o"] * n,
                    "prompt_tokens": list(range(n)),
                }.get(f.name, [None] * n),
                f.type,
            )
            for f in REQUESTS
        }
    )
    table = table.append_column("date", pc.strftime(table["ts"], "%Y-%m-%d"))
    root = tmp_path / "requests"
    ds.write_dataset(table, root, format="parquet", partitioning=["date"], partitioning_flavor="hive")
    return root, table


def test_duckdb_is_default_and_threads_apply():
    con = connect(threads=1)
    assert con.name == "duckdb"
    assert con.con.execute("SELECT current_setting('threads')").fetchone()[0] == 1


def test_spark_named_as_not_yet_implemented():
    with pytest.raises(NotImplementedError, match="not implemented yet.*duckdb"):
        connect("spark")


def test_unknown_engine_lists_supported():
    with pytest.raises(NotImplementedError, match="unknown.*duckdb"):
        connect("oracle")
    assert SUPPORTED_ENGINES == ("duckdb",)


def test_read_requests_drops_partition_column_and_keeps_rows(tmp_path):
    root, source = _store(tmp_path)
    t = read_requests(connect(), f"{root}/**/*.parquet")
    assert tuple(t.columns) == REQUEST_COLUMNS
    result = t.order_by("request_id").to_pyarrow()
    assert result.num_rows == source.num_rows == 12
    assert pc.sum(result["prompt_tokens"]).as_py() == sum(range(12))
    assert result.schema.field("ts").type == pa.timestamp("us", tz="UTC")


def test_read_table_keeps_hive_columns(tmp_path):
    root, _ = _store(tmp_path)
    t = read_table(connect(), f"{root}/**/*.parquet")
    assert "date" in t.columns
    assert t.count().to_pyarrow().as_py() == 12
