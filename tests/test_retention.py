"""Cohort retention and its flags on hand-made users whose curves are known."""

from __future__ import annotations

import datetime as dt

import ibis
import pytest
from test_study import CATALOG, COUNTRIES, requests_table

from tokencensus.study import StudyInputs, headlines, run_study
from tokencensus.study.enrich import enrich

UTC = dt.timezone.utc


def _day(month: int) -> dt.datetime:
    return dt.datetime(2025, month, 10, tzinfo=UTC)


def _activity() -> dict[str, list[int]]:
    """user -> months active on gpt-x. January cohort: 10 users, 4 back in Feb, 2 in Mar, 6 in Apr
    (a boomerang); February and March cohorts: 10 users each, 1 back the month after."""
    users: dict[str, list[int]] = {}
    for i in range(10):
        users[f"a{i}"] = [1] + ([2] if i < 4 else []) + ([3] if i < 2 else []) + ([4] if i < 6 else [])
        users[f"b{i}"] = [2] + ([3] if i < 1 else [])
        users[f"c{i}"] = [3] + ([4] if i < 1 else [])
    users["solo"] = [1]  # a user of another model only
    return users


def retention_inputs(**options) -> StudyInputs:
    rows = []
    for user, months in _activity().items():
        model = "meta/llama-70" if user == "solo" else "openai/gpt-x"
        rows += [(f"{user}-{m}", _day(m), user, model, 10, 5, None, 0.1, False, "stop", "US") for m in months]
    options = {"min_users": 0, "retention_models": ["gpt-x"], "foundational_month": 1, **options}
    requests = enrich(ibis.memtable(requests_table(rows)), CATALOG, None, COUNTRIES, options=options)
    return StudyInputs(requests=requests, options=options)


@pytest.fixture(scope="module")
def f30():
    tables = run_study(retention_inputs(), ["F30"])
    return tables, {(r["cohort"].month, r["months_since"]): r for r in tables["F30"].to_pylist()}


def test_activity_retention_per_cohort(f30):
    _, rows = f30
    assert [rows[(1, k)]["retention"] for k in range(4)] == pytest.approx([1.0, 0.4, 0.2, 0.6])
    assert rows[(2, 1)]["retention"] == pytest.approx(0.1) and rows[(2, 2)]["retention"] == 0.0  # zero kept
    assert rows[(1, 0)]["users"] == 10 and rows[(1, 3)]["retained"] == 6
    assert {r["model"] for r in rows.values()} == {"GPT X"}


def test_foundational_and_boomerang_flags(f30):
    _, rows = f30
    # January month 1: 0.4 >= 2 x median(0.1, 0.1) and >= 25%; it dips to 0.2 and comes back to 0.6
    assert rows[(1, 0)]["foundational"] and rows[(1, 0)]["boomerang"]
    assert not rows[(2, 0)]["foundational"] and not rows[(2, 0)]["boomerang"]
    head = headlines(f30[0])["F30"]
    assert [c["cohort"] for c in head["foundational"]] == ["2025-01-01"]
    assert [c["cohort"] for c in head["boomerang"]] == ["2025-01-01"]


def test_flag_thresholds_are_options():
    rows = run_study(retention_inputs(foundational_floor=0.5, boomerang_points=0.5), ["F30"])["F30"].to_pylist()
    assert not any(r["foundational"] or r["boomerang"] for r in rows)


def test_small_cohorts_are_not_flagged_and_suppressed():
    tables = run_study(retention_inputs(min_users=11), ["F30"])
    assert tables["F30"].num_rows == 0  # every cohort has 10 users


def test_default_slots_take_models_by_users():
    inputs = retention_inputs(retention_models=[])
    tables = run_study(inputs, ["F30", "F31", "F32"])
    assert set(tables["F30"]["model"].to_pylist()) == {"GPT X"}  # 30 users
    assert set(tables["F31"]["model"].to_pylist()) == {"Llama 70B"}  # 1 user
    assert tables["F32"].num_rows == 0
