"""Where the study's Ibis expressions run.

Every analysis is an Ibis expression; this module is the only place that knows which backend
executes them. DuckDB runs in-process and needs no server, so it is the default. Apache Spark
(through ``ibis.pyspark``) runs the same expressions when one machine is not enough:

- ``"spark"``: a local Spark that tokencensus starts itself (tests, single big machines);
- ``"sc://HOST:PORT"``: Spark Connect to a cluster;
- an existing ``SparkSession`` (classic or Connect), or any Ibis backend, passed as is.

pyspark is an optional extra (``pip install 'tokencensus[spark]'``, plus Java 17), imported only
when a Spark engine is asked for. Weeks and months are UTC by definition, so every session this
module starts runs with a UTC session time zone, and Ibis sets it on a session passed in.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import weakref
from collections.abc import Callable, Mapping
from pathlib import Path
from types import MethodType
from typing import Any

import ibis
import ibis.expr.types as ir
from ibis.backends import BaseBackend

#: Hive partition column of the requests store; the same day is already in ``ts``.
PARTITION_COLUMN = "date"
#: How a store's request glob ends (``requests/**/*.parquet``); Spark is given the directory instead.
STORE_GLOB_SUFFIX = "/**/*.parquet"
#: Prefix of a Spark Connect URL.
SPARK_CONNECT = "sc://"
#: What a local Spark is started with. A 2-core, 24 GB machine: a 4 GB driver heap leaves room
#: for the Python side and the page cache; few shuffle partitions because every figure's result
#: is small, and adaptive execution coalesces them further.
LOCAL_SPARK_CONF: dict[str, str] = {
    "spark.sql.session.timeZone": "UTC",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.driver.memory": "4g",
    "spark.sql.shuffle.partitions": "8",
    "spark.sql.adaptive.enabled": "true",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
}

#: Anything :func:`connect` accepts: an engine name, a Spark Connect URL, a SparkSession or an Ibis backend.
Engine = str | Any


class UnsupportedEngineError(NotImplementedError):
    """Raised for an engine name that has no connector, or a Spark engine without pyspark installed."""


def _connect_duckdb(threads: int | None) -> BaseBackend:
    """In-process DuckDB; Ibis sets its session time zone to UTC, which weeks and months rely on."""
    config = {} if threads is None else {"threads": threads}
    return ibis.duckdb.connect(**config)


def _require_pyspark() -> None:
    try:
        import pyspark  # noqa: F401
    except ImportError as exc:
        raise UnsupportedEngineError(
            "the Spark engines need pyspark: pip install 'tokencensus[spark]' (and Java 17)"
        ) from exc


def local_spark_session(threads: int | None = None, conf: Mapping[str, str] | None = None) -> Any:
    """Start (or reuse) an in-process local Spark with :data:`LOCAL_SPARK_CONF` and ``conf`` on top.

    ``threads`` is the number of executor threads (``local[N]``; all cores by default). Spark keeps
    one session per process: a second call returns the running one, whose settings were fixed when
    it started.
    """
    _require_pyspark()
    from pyspark.sql import SparkSession

    # Without these Spark picks the machine's hostname (warning when it resolves to loopback)
    # and whatever `python` is on PATH for its Python workers instead of this interpreter.
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.master(f"local[{threads or '*'}]").appName("tokencensus")
    for key, value in {**LOCAL_SPARK_CONF, **(conf or {})}.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def spark_connect_session(url: str) -> Any:
    """A Spark Connect session to ``sc://HOST:PORT`` (needs pyspark's ``connect`` dependencies)."""
    _require_pyspark()
    from pyspark.sql import SparkSession

    return SparkSession.builder.remote(url).getOrCreate()


def is_spark_session(obj: object) -> bool:
    """Whether ``obj`` is a classic or Spark Connect ``SparkSession``, without importing pyspark."""
    return any(
        cls.__name__ == "SparkSession" and cls.__module__.startswith("pyspark.") for cls in type(obj).__mro__
    )


def _register_memtable_from_arrow(backend: BaseBackend, op: Any) -> None:
    """Register an ``ibis.memtable`` in Spark straight from Arrow (PySpark >= 4.0 takes Arrow tables).

    Ibis 12 goes through pandas instead; with pandas 3 strings PySpark's Arrow conversion fails and
    falls back to a row-by-row path that turns missing strings into the text 'NaN', silently.
    """
    from ibis.backends.pyspark.datatypes import PySparkSchema

    table = op.data.to_pyarrow(op.schema)
    frame = backend._session.createDataFrame(table, schema=PySparkSchema.from_ibis(op.schema))
    frame.createOrReplaceTempView(op.name)


def _connect_spark_session(session: Any) -> BaseBackend:
    """Wrap a SparkSession for Ibis, which sets the session's time zone to UTC (weeks and months are UTC)."""
    backend = ibis.pyspark.connect(session)
    backend._register_in_memory_table = MethodType(_register_memtable_from_arrow, backend)
    return backend


_CONNECTORS: dict[str, Callable[[int | None], BaseBackend]] = {
    "duckdb": _connect_duckdb,
    "spark": lambda threads: _connect_spark_session(local_spark_session(threads)),
}

SUPPORTED_ENGINES = (*_CONNECTORS, f"{SPARK_CONNECT}HOST:PORT")


def connect(engine: Engine = "duckdb", *, threads: int | None = None) -> BaseBackend:
    """Open an Ibis backend: by name (``duckdb``, ``spark``), Spark Connect URL, SparkSession or backend.

    ``threads`` caps the parallelism of an engine this call starts (DuckDB threads, local Spark
    cores); it does not apply to a session or backend passed in.
    """
    if isinstance(engine, BaseBackend):
        return engine
    if is_spark_session(engine):
        return _connect_spark_session(engine)
    if isinstance(engine, str) and engine.startswith(SPARK_CONNECT):
        return _connect_spark_session(spark_connect_session(engine))
    connector = _CONNECTORS.get(engine) if isinstance(engine, str) else None
    if connector is None:
        raise UnsupportedEngineError(
            f"engine {engine!r} is unknown; supported engines: {', '.join(SUPPORTED_ENGINES)}, "
            "a SparkSession or an Ibis backend"
        )
    return connector(threads)


def engine_label(engine: Engine) -> str:
    """A printable name for what :func:`connect` was given (for reports and logs)."""
    if isinstance(engine, str):
        return engine
    if isinstance(engine, BaseBackend):
        return engine.name
    return "spark (session)" if is_spark_session(engine) else type(engine).__name__


def cache(table: ir.Table, *, directory: Path | None = None) -> ir.Table:
    """Materialise ``table`` once in its engine for the figures that follow.

    On DuckDB with a ``directory``, the table goes into a DuckDB database file created there
    (:func:`_cache_in_file`) rather than into memory. Elsewhere it is ``table.cache()``. Ibis 12's
    PySpark backend caches by compiling the query straight to Spark SQL without first registering
    the in-memory tables (``ibis.memtable``) it refers to, so Spark cannot find them; registering
    them first is what every other execution path of that backend does.
    """
    backend = table._find_backend()
    if backend.name == "duckdb" and directory is not None:
        return _cache_in_file(backend, table, directory)
    if backend.name == "pyspark":
        backend._run_pre_execute_hooks(table)
    return table.cache()


def _cache_in_file(backend: BaseBackend, table: ir.Table, directory: Path) -> ir.Table:
    """``table`` as a table of a DuckDB database file attached for it in a new folder of ``directory``.

    Why: an in-memory table is stored uncompressed (about 400 bytes per enriched request, 8 GB at
    20 million), while a database file's tables are compressed (about 75 bytes per request) and
    managed by DuckDB's buffer pool, which keeps what fits in ``memory_limit`` and reads the rest
    back from the file. Time stays within a few percent; memory no longer grows with the rows.
    The folder is removed when the backend is garbage collected or the interpreter exits; folders
    left by a process that was killed are removed by the next one (the name holds the process id).
    """
    directory.mkdir(parents=True, exist_ok=True)
    _remove_orphaned_caches(directory)
    folder = Path(tempfile.mkdtemp(prefix=f"cache-{os.getpid()}-", dir=directory))
    alias = f"tc_{folder.name.replace('-', '_')}"
    con = backend.con
    path = str(folder / "cache.duckdb").replace("'", "''")
    con.execute(f"ATTACH '{path}' AS {alias}")
    weakref.finalize(backend, _drop_file_cache, con, alias, folder)
    return backend.create_table("cached", table, database=(alias, "main"))


def _remove_orphaned_caches(directory: Path) -> None:
    """Remove the cache folders in ``directory`` whose process no longer runs."""
    for folder in directory.glob("cache-*-*"):
        pid = folder.name.split("-")[1]
        if pid.isdigit() and not _running(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: it runs
        pass
    return True


def _drop_file_cache(con: Any, alias: str, folder: Path) -> None:
    try:
        con.execute(f"DETACH {alias}")
    except Exception:  # the connection may already be closed; the files go either way
        pass
    shutil.rmtree(folder, ignore_errors=True)


def read_table(con: BaseBackend, path_or_glob: str | Path) -> ir.Table:
    """Any Parquet file, directory or glob as an Ibis table (Hive partitions become columns on DuckDB)."""
    if con.name == "pyspark":
        # Spark reads a directory recursively and discovers its Hive partitions by itself (it takes
        # no such option); given the store's `**` glob instead, it logs a spurious FileNotFound.
        return con.read_parquet(str(path_or_glob).removesuffix(STORE_GLOB_SUFFIX))
    return con.read_parquet(str(path_or_glob), hive_partitioning=True)


def read_requests(con: BaseBackend, requests_glob: str | Path) -> ir.Table:
    """The canonical requests table from the Hive-partitioned store, without the partition column."""
    table = read_table(con, requests_glob)
    return table.drop(PARTITION_COLUMN) if PARTITION_COLUMN in table.columns else table
