"""Where the study's Ibis expressions run.

Every analysis is an Ibis expression; this module is the only place that knows which backend
executes them. DuckDB runs in-process and needs no server, so it is the default. A second engine
(Apache Spark through ``ibis.pyspark``) plugs in here: add a ``_connect_<name>`` function and an
entry in ``_CONNECTORS``; nothing downstream changes.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import ibis
import ibis.expr.types as ir
from ibis.backends import BaseBackend

#: Hive partition column of the requests store; the same day is already in ``ts``.
PARTITION_COLUMN = "date"


def _connect_duckdb(threads: int | None) -> BaseBackend:
    """In-process DuckDB; Ibis sets its session time zone to UTC, which weeks and months rely on."""
    config = {} if threads is None else {"threads": threads}
    return ibis.duckdb.connect(**config)


_CONNECTORS: dict[str, Callable[[int | None], BaseBackend]] = {"duckdb": _connect_duckdb}
_PLANNED = ("spark",)

SUPPORTED_ENGINES = tuple(_CONNECTORS)


class UnsupportedEngineError(NotImplementedError):
    """Raised for an engine name that has no connector (yet)."""


def connect(engine: str = "duckdb", *, threads: int | None = None) -> BaseBackend:
    """Open an Ibis backend by name; ``threads`` caps the engine's parallelism where it has one."""
    connector = _CONNECTORS.get(engine)
    if connector is None:
        status = "is not implemented yet" if engine in _PLANNED else "is unknown"
        raise UnsupportedEngineError(
            f"engine {engine!r} {status}; supported engines: {', '.join(SUPPORTED_ENGINES)}"
        )
    return connector(threads)


def read_table(con: BaseBackend, path_or_glob: str | Path) -> ir.Table:
    """Any Parquet file, directory or glob as an Ibis table (Hive partitions become columns)."""
    return con.read_parquet(str(path_or_glob), hive_partitioning=True)


def read_requests(con: BaseBackend, requests_glob: str | Path) -> ir.Table:
    """The canonical requests table from the Hive-partitioned store, without the partition column."""
    table = read_table(con, requests_glob)
    return table.drop(PARTITION_COLUMN) if PARTITION_COLUMN in table.columns else table
