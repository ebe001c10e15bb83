"""Engine parity: the whole study on DuckDB and on local Apache Spark gives the same tables.

The study is one set of Ibis expressions; this is the test that they mean the same thing on both
engines. Every figure registered in FIGURES when the test runs is compared: same columns and
types, same rows (order-free), integers, strings, dates and booleans exactly, floats (shares,
means, percentiles, bootstrap intervals) within 1e-9 relative. Skipped, with the reason, where
pyspark or Java is missing (``pip install '.[spark]'``; .ci/run installs both).
"""

from __future__ import annotations

import math
import shutil
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any

import pyarrow as pa
import pytest

from tokencensus import Study
from tokencensus.simulate import simulate
from tokencensus.study import FIGURES, run_study

pytest.importorskip("pyspark", reason="Spark parity needs pyspark: pip install '.[spark]'")
if shutil.which("java") is None:
    pytest.skip("Spark parity needs Java 17 on PATH (Debian: openjdk-17-jre-headless)", allow_module_level=True)

REL = 1e-9
#: Floats that should be 0 may come out as ~1e-17 from a different summation order.
ABS = 1e-12
#: Spark spends seconds per query planning, compiling and scheduling, whatever the data size; on
#: tiny data these settings halve that. Parity does not depend on any of them.
TEST_SPARK_CONF = {
    "spark.sql.shuffle.partitions": "1",
    "spark.sql.adaptive.enabled": "false",
    "spark.sql.codegen.wholeStage": "false",
    "spark.locality.wait": "0",
}
#: Figures run concurrently on Spark (one job each), so one query's planning overlaps another's run.
SPARK_JOBS = 4
#: No suppression, so that every cell is compared; a few replicates still exercise the intervals.
OPTIONS = {"min_users": 0, "replicates": 10}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory):
    """A small simulated store (with the simulator's labels as the classify stage's output)."""
    root = tmp_path_factory.mktemp("parity")
    world = simulate(root / "logs", requests=8_000, seed=11, start=date(2025, 7, 7), end=date(2025, 8, 17))
    Study(root / "data").ingest([*world.activity_files, world.accounts])
    (root / "data" / "labels").mkdir()
    shutil.copy(world.labels, root / "data" / "labels" / "part-simulated.parquet")
    return root / "data"


@pytest.fixture(scope="module")
def spark_session():
    from tokencensus.engine import local_spark_session

    session = local_spark_session(threads=2, conf=TEST_SPARK_CONF)
    session.sparkContext.setLogLevel("ERROR")
    return session


@pytest.fixture(scope="module")
def duckdb_tables(store) -> dict[str, pa.Table]:
    return Study(store, options=OPTIONS).figures()


@pytest.fixture(scope="module")
def spark_tables(store, spark_session) -> dict[str, pa.Table]:
    inputs = Study(store, engine=spark_session, options=OPTIONS).inputs
    with ThreadPoolExecutor(SPARK_JOBS) as pool:
        return dict(zip(FIGURES, pool.map(lambda i: run_study(inputs, [i])[i], FIGURES), strict=True))


def _close(a: Any, b: Any) -> bool:
    """Equal, floats within REL (NaN equals NaN), recursing into lists and structs (intervals)."""
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=REL, abs_tol=ABS)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def _sort_key(row: dict[str, Any]) -> tuple:
    """Rows ordered by their exact columns first; floats, rounded, only break remaining ties."""
    exact = tuple((v is None, repr(v)) for v in row.values() if not isinstance(v, float))
    rounded = tuple(round(v, 6) if isinstance(v, float) and not math.isnan(v) else repr(v) for v in row.values())
    return exact, tuple(map(repr, rounded))


def _rows(table: pa.Table) -> list[dict[str, Any]]:
    return sorted(table.to_pylist(), key=_sort_key)


@pytest.mark.parametrize("figure_id", list(FIGURES))
def test_figure_equal_on_duckdb_and_spark(figure_id, duckdb_tables, spark_tables) -> None:
    duck, spark = duckdb_tables[figure_id], spark_tables[figure_id]
    assert spark.schema.remove_metadata() == duck.schema.remove_metadata()
    assert spark.num_rows == duck.num_rows
    for i, (d, s) in enumerate(zip(_rows(duck), _rows(spark), strict=True)):
        diff = {k: (d[k], s[k]) for k in d if not _close(d[k], s[k])}
        assert not diff, f"{figure_id} row {i}: (duckdb, spark) differ in {diff}"


def test_parity_store_exercises_the_study(duckdb_tables) -> None:
    """The comparison is only as good as the data: most figures must have rows to compare."""
    empty = [i for i, t in duckdb_tables.items() if t.num_rows == 0]
    assert len(empty) <= len(duckdb_tables) // 4, f"empty figures: {empty}"
