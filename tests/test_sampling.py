"""Hash sampling: the same rows in Python and on the engine, at the rate asked for."""

from __future__ import annotations

import ibis
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tokencensus.classify.sampling import DEFAULT_RATE, in_sample, rate_for_target, sample_digest, sample_expr

IDS = [f"gen-{i}" for i in range(40_000)] + ["", "日本語-id", "chatcmpl-ÄÖÜ 🙂", "a" * 500]


@pytest.fixture(scope="module")
def con() -> ibis.BaseBackend:
    return ibis.duckdb.connect(threads=1)


@pytest.mark.parametrize("rate", [DEFAULT_RATE, 0.1, 0.5, 0.0, 1.0])
def test_duckdb_and_python_draw_the_same_sample(con: ibis.BaseBackend, rate: float) -> None:
    table = ibis.memtable({"request_id": IDS})
    drawn = set(con.execute(table.filter(sample_expr(table, rate)).request_id).tolist())
    assert drawn == {request_id for request_id in IDS if in_sample(request_id, rate)}


def test_engine_digest_is_the_python_digest(con: ibis.BaseBackend) -> None:
    table = ibis.memtable({"request_id": IDS[-200:]})
    digests = con.execute(table.request_id.hexdigest("md5")).tolist()
    assert digests == [sample_digest(request_id) for request_id in IDS[-200:]]


def test_spark_gets_the_same_expression() -> None:
    table = ibis.table({"request_id": "string"}, name="requests")
    sql = ibis.to_sql(table.filter(sample_expr(table, 0.25)), dialect="pyspark")
    assert "MD5(" in sql and "'4" + "0" * 31 + "'" in sql


def test_sample_size_follows_the_rate() -> None:
    drawn = sum(in_sample(request_id, 0.1) for request_id in IDS)
    assert abs(drawn - 0.1 * len(IDS)) < 5 * (0.1 * 0.9 * len(IDS)) ** 0.5


@given(st.text(), st.floats(0, 1), st.floats(0, 1))
def test_samples_nest_as_the_rate_grows(request_id: str, a: float, b: float) -> None:
    low, high = sorted((a, b))
    assert not in_sample(request_id, low) or in_sample(request_id, high)


@pytest.mark.parametrize("rate", [-0.1, 1.5, float("nan")])
def test_rates_outside_zero_one_are_refused(rate: float) -> None:
    with pytest.raises(ValueError):
        in_sample("x", rate)


def test_rate_for_target() -> None:
    assert rate_for_target(1_000_000, 2_500) == DEFAULT_RATE
    assert rate_for_target(100, 1_000) == 1.0
    assert rate_for_target(0, 10) == 0.0
    with pytest.raises(ValueError):
        rate_for_target(-1, 10)
