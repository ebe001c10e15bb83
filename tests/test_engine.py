"""Engine seam: connecting by name, URL, session or backend, and reading the Hive-partitioned store."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import ibis
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pytest

from tokencensus.engine import (
    SUPPORTED_ENGINES,
    UnsupportedEngineError,
    cache,
    connect,
    engine_label,
    is_spark_session,
    read_requests,
    read_table,
)
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


def _check_requests(t) -> None:
    """What read_requests must give on any engine for :func:`_store`'s 12 rows."""
    assert tuple(t.columns) == REQUEST_COLUMNS
    result = t.order_by("request_id").to_pyarrow()
    assert result.num_rows == 12
    assert pc.sum(result["prompt_tokens"]).as_py() == sum(range(12))
    # UTC on both engines; Ibis types Spark's timestamps without a zone (they are UTC instants)
    assert result["ts"][0].as_py().replace(tzinfo=None) == dt.datetime(2025, 2, 1, 0)


def test_duckdb_is_default_and_threads_apply():
    con = connect(threads=1)
    assert con.name == "duckdb"
    assert con.con.execute("SELECT current_setting('threads')").fetchone()[0] == 1


def test_unknown_engine_lists_supported():
    with pytest.raises(UnsupportedEngineError, match="unknown.*duckdb, spark, sc://HOST:PORT"):
        connect("oracle")
    with pytest.raises(UnsupportedEngineError, match="unknown"):
        connect(42)
    assert SUPPORTED_ENGINES == ("duckdb", "spark", "sc://HOST:PORT")


def test_an_ibis_backend_is_used_as_is():
    backend = ibis.duckdb.connect()
    assert connect(backend) is backend
    assert engine_label(backend) == "duckdb"
    assert engine_label("sc://cluster:15002") == "sc://cluster:15002"
    assert not is_spark_session(backend)


def test_read_requests_drops_partition_column_and_keeps_rows(tmp_path):
    root, _ = _store(tmp_path)
    t = read_requests(connect(), f"{root}/**/*.parquet")
    _check_requests(t)
    assert t.schema()["ts"].timezone == "UTC"


def test_read_table_keeps_hive_columns(tmp_path):
    root, _ = _store(tmp_path)
    t = read_table(connect(), f"{root}/**/*.parquet")
    assert "date" in t.columns
    assert t.count().to_pyarrow().as_py() == 12


# Spark ------------------------------------------------------------------------------------------

def test_duckdb_cache_in_a_file_holds_the_rows_and_goes_away_with_the_backend(tmp_path):
    """The enriched table's cache is a compressed table in a database file, not memory, and
    nothing of it is left once the study's backend is gone (nor of a killed process's cache)."""
    import gc

    root, table = _store(tmp_path)
    con = connect()
    t = read_requests(con, f"{root}/**/*.parquet")
    names = ibis.memtable(pa.table({"slug": ["openai/gpt-4o"], "label": ["GPT-4o"]}))
    joined = t.left_join(names, t.model == names.slug).select("request_id", "label", "prompt_tokens")
    orphan = tmp_path / "tables" / "cache-999999999-left"  # left by a process that was killed
    (orphan / "cache.duckdb").parent.mkdir(parents=True)
    (orphan / "cache.duckdb").write_bytes(b"old")
    cached = cache(joined, directory=tmp_path / "tables")
    (folder,) = (tmp_path / "tables").iterdir()
    assert folder.name.startswith(f"cache-{os.getpid()}-")
    assert (folder / "cache.duckdb").stat().st_size > 0
    databases = {row[0] for row in con.con.execute("SELECT database_name FROM duckdb_tables()").fetchall()}
    assert databases == {f"tc_{folder.name.replace('-', '_')}"}
    result = cached.aggregate(n=cached.count(), tokens=cached.prompt_tokens.sum(), labelled=cached.label.count())
    assert result.to_pyarrow().to_pylist() == [{"n": table.num_rows, "tokens": sum(range(12)), "labelled": 12}]
    del cached, t, joined, names, result, con
    gc.collect()
    assert list((tmp_path / "tables").iterdir()) == []


def _spark_available() -> str | None:
    """Why Spark tests cannot run here, or None when they can."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed (pip install '.[spark]')"
    return None if shutil.which("java") else "Java is not on PATH (Debian: openjdk-17-jre-headless)"


spark_only = pytest.mark.skipif(_spark_available() is not None, reason=str(_spark_available()))


@pytest.fixture(scope="module")
def spark_session():
    from tokencensus.engine import local_spark_session

    session = local_spark_session(threads=1, conf={"spark.sql.shuffle.partitions": "1"})
    session.sparkContext.setLogLevel("ERROR")
    return session


@spark_only
def test_local_spark_runs_in_utc_and_reads_the_store(tmp_path, spark_session):
    con = connect(spark_session)
    assert con.name == "pyspark"
    assert spark_session.conf.get("spark.sql.session.timeZone") == "UTC"
    assert is_spark_session(spark_session) and engine_label(spark_session) == "spark (session)"
    root, _ = _store(tmp_path)
    _check_requests(read_requests(con, f"{root}/**/*.parquet"))
    weeks = read_requests(con, f"{root}/**/*.parquet").ts.truncate("W").date().as_table().distinct().to_pyarrow()
    # Sat 1 and Sun 2 Feb 2025 belong to the week of Monday 27 Jan; Mon 3 Feb starts the next
    assert sorted(weeks.column(0).to_pylist()) == [dt.date(2025, 1, 27), dt.date(2025, 2, 3)]


@spark_only
def test_connect_spark_by_name_reuses_the_running_session(spark_session):
    con = connect("spark")
    assert con.name == "pyspark"
    assert con._session is spark_session


@spark_only
def test_cache_registers_memtables_on_spark(tmp_path, spark_session):
    """Ibis 12's pyspark cache() alone cannot see memtables the cached expression joins to."""
    root, _ = _store(tmp_path)
    con = connect(spark_session)
    t = read_requests(con, f"{root}/**/*.parquet")
    names = ibis.memtable(pa.table({"slug": ["openai/gpt-4o"], "label": ["GPT-4o"]}))
    joined = t.left_join(names, t.model == names.slug).select("request_id", "label")
    cached = cache(joined)
    counts = cached.group_by("label").aggregate(n=cached.count()).to_pyarrow().to_pylist()
    assert counts == [{"label": "GPT-4o", "n": 12}]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_CONNECT_CLIENT = """
import json, sys
from tokencensus.engine import connect, read_requests
con = connect(sys.argv[1])
t = read_requests(con, sys.argv[2])
row = t.aggregate(rows=t.count(), prompt_tokens=t.prompt_tokens.sum()).to_pyarrow().to_pylist()[0]
print(json.dumps({"engine": con.name, "columns": list(t.columns), **row}))
"""


@spark_only
def test_spark_connect_url(tmp_path):
    """``sc://HOST:PORT``: a Spark Connect server on loopback, started as a separate process."""
    pytest.importorskip("grpc", reason="Spark Connect needs pyspark[connect] (grpcio)")
    import pyspark

    port = _free_port()
    server = subprocess.Popen(
        [
            str(Path(pyspark.__file__).parent / "bin" / "spark-submit"),
            "--class", "org.apache.spark.sql.connect.service.SparkConnectServer",
            "--master", "local[1]",
            "--conf", f"spark.connect.grpc.binding.port={port}",
            "--conf", "spark.connect.grpc.binding.address=127.0.0.1",
            "--conf", "spark.ui.enabled=false",
            "--conf", "spark.sql.shuffle.partitions=1",
        ],
        env={**os.environ, "SPARK_LOCAL_IP": "127.0.0.1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert server.poll() is None, "the Spark Connect server exited"
            assert time.monotonic() < deadline, "the Spark Connect server did not listen within 120 s"
            time.sleep(0.5)
        root, _ = _store(tmp_path)
        # a process of its own: Spark allows no Connect session beside a classic one (the fixture's)
        client = subprocess.run(
            [sys.executable, "-c", _CONNECT_CLIENT, f"sc://127.0.0.1:{port}", f"{root}/**/*.parquet"],
            capture_output=True, text=True, timeout=300,
        )
        assert client.returncode == 0, client.stderr[-3000:]
        assert json.loads(client.stdout.splitlines()[-1]) == {
            "engine": "pyspark", "columns": list(REQUEST_COLUMNS), "rows": 12, "prompt_tokens": sum(range(12)),
        }
    finally:
        server.terminate()
        server.wait(timeout=60)


def test_cli_report_names_an_unknown_engine(tmp_path):
    from typer.testing import CliRunner

    from tokencensus.cli import app

    _store(tmp_path)
    result = CliRunner().invoke(app, ["report", str(tmp_path), "--engine", "oracle", "--out", str(tmp_path / "r")])
    assert result.exit_code == 1
    assert "engine 'oracle' is unknown" in " ".join(result.output.split())
