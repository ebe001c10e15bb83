"""Cost vs usage: per-model effective cost, the elasticity fit and its interval, quadrants."""

from __future__ import annotations

import datetime as dt

import ibis
import pytest
from test_study import CATALOG, COUNTRIES, requests_table

from tokencensus.study import StudyInputs, headlines, run_study
from tokencensus.study.economics import t_quantile
from tokencensus.study.enrich import enrich

UTC = dt.timezone.utc
# model -> cost per 1M tokens; tokens = 1e6 * cost ** -0.5 exactly: an elasticity of -0.5
PRICES = {"gpt-x": 0.25, "closed-cn": 1.0, "ds-r1": 4.0, "qwen-hybrid": 16.0, "llama-15": 64.0, "llama-70": 256.0}
SLUGS = {"gpt-x": "openai/gpt-x", "closed-cn": "cn/closed-cn", "ds-r1": "deepseek/ds-r1",
         "qwen-hybrid": "qwen/qwen-hybrid", "llama-15": "meta/llama-15", "llama-70": "meta/llama-70"}


def economics_inputs(**options) -> StudyInputs:
    when = dt.datetime(2025, 2, 3, tzinfo=UTC)
    rows = []
    for i, (model, price) in enumerate(PRICES.items()):
        tokens = round(1e6 * price**-0.5)
        rows.append((f"r{i}", when, f"u{i}", SLUGS[model], tokens, 0, None, tokens * price / 1e6, False, "stop", "US"))
    # BYOK traffic is left out entirely, however big
    rows.append(("byok", when, "u0", "openai/gpt-x", 10**9, 0, None, 5.0, True, "stop", "US"))
    options = {"min_users": 0, **options}
    requests = enrich(ibis.memtable(requests_table(rows)), CATALOG, None, COUNTRIES, options=options)
    return StudyInputs(requests=requests, options=options)


@pytest.fixture(scope="module")
def tables():
    return run_study(economics_inputs(), ["F39", "F40", "T5"])


def test_cost_per_million_excludes_byok(tables):
    f39 = {r["model_id"]: r for r in tables["F39"].to_pylist()}
    assert f39["gpt-x"]["tokens"] == 2_000_000 and f39["gpt-x"]["cost_per_m"] == pytest.approx(0.25)
    assert f39["ds-r1"]["openness"] == "open" and f39["gpt-x"]["openness"] == "closed"
    assert f39["gpt-x"]["median_cost_per_m"] == pytest.approx((4.0 + 16.0) / 2)


def test_elasticity_recovers_the_slope(tables):
    fit = {r["group"]: r for r in tables["F40"].to_pylist()}
    assert fit["all"]["elasticity"] == pytest.approx(-0.5, abs=1e-6)
    assert fit["all"]["models"] == 6 and fit["all"]["r2"] == pytest.approx(1.0)
    assert fit["all"]["ci_low"] - 1e-9 <= -0.5 <= fit["all"]["ci_high"] + 1e-9
    assert fit["all"]["ci_high"] - fit["all"]["ci_low"] < 1e-3
    assert fit["closed"]["models"] == 2 and fit["closed"]["ci_low"] is None  # too few models for an interval
    assert headlines(tables)["F40"]["all"]["elasticity"] == pytest.approx(-0.5, abs=1e-6)


@pytest.mark.parametrize(("df", "expected"), [(3, 3.182), (5, 2.571), (10, 2.228), (30, 2.042)])
def test_t_quantile(df, expected):
    assert ibis.literal(df).pipe(t_quantile).execute() == pytest.approx(expected, rel=0.01)


def test_quadrants_and_examples(tables):
    f39 = {r["model_id"]: r["quadrant"] for r in tables["F39"].to_pylist()}
    assert f39["gpt-x"] == "mass-market volume drivers" and f39["llama-70"] == "specialized experts"
    t5 = headlines(tables)["T5"]
    assert set(t5) == {"mass-market volume drivers", "specialized experts"}
    assert t5["mass-market volume drivers"][0] == "GPT X"


def test_models_below_min_users_leave_the_fit():
    fit = {r["group"]: r for r in run_study(economics_inputs(min_users=2), ["F40"])["F40"].to_pylist()}
    assert fit == {}  # each model has a single user
