"""Study figures on a hand-built requests table whose answers are worked out by hand below."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import ibis
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tokencensus.schema import REQUESTS
from tokencensus.study import FIGURES, StudyInputs, headlines, run_study
from tokencensus.study.enrich import enrich

UTC = dt.timezone.utc
WEEK_A = dt.date(2025, 1, 6)  # a Monday
WEEK_B = dt.date(2025, 1, 13)

MODELS = pa.table(
    {
        "model_id": ["gpt-x", "closed-cn", "ds-r1", "qwen-hybrid", "llama-15", "llama-69", "llama-70"],
        "name": ["GPT X", "Closed CN", "DeepSeek R1", "Qwen Hybrid", "Llama 15B", "Llama 69.9B", "Llama 70B"],
        "author": ["OpenAI", "CNLab", "DeepSeek", "Qwen", "Meta", "Meta", "Meta"],
        "open_weights": [False, False, True, True, True, True, True],
        "country": ["US", "CN", "CN", "CN", "US", "US", "US"],
        "origin": ["RoW", "China", "China", "China", "RoW", "RoW", "RoW"],
        "total_params_b": [None, None, 671.0, 14.9, 15.0, 69.9, 70.0],
        "active_params_b": [None, None, 37.0, None, None, None, None],
        "reasoning": ["no", "no", "yes", "hybrid", "no", "no", "no"],
        "released": [dt.date(2024, 1, 1)] * 7,
        "price_in": [1.0] * 7,
        "price_out": [2.0] * 7,
    }
)

COUNTRIES = pa.table(
    {
        "iso2": ["US", "SG", "DE", "CN", "JP", "BR", "GB", "FR"],
        "continent": ["North America", "Asia", "Europe", "Asia", "Asia", "South America", "Europe", "Europe"],
    }
)


@dataclass
class StubCatalog:
    """Stand-in for tokencensus.catalog.Catalog: slug (minus ':free') equal to a model_id resolves."""

    models: pa.Table

    def resolve_many(self, slugs: list[str]) -> pa.Table:
        known = set(self.models["model_id"].to_pylist())
        base = [s.split("/")[-1].removesuffix(":free") for s in slugs]
        return pa.table({"slug": slugs, "model_id": [b if b in known else None for b in base]})


CATALOG = StubCatalog(MODELS)

# id, ts, user, model, prompt, completion, reasoning, cost, byok, finish, country
ROWS = [
    ("r1", dt.datetime(2025, 1, 6, 10, tzinfo=UTC), "u1", "openai/gpt-x", 100, 50, None, 1.0, False, "stop", "US"),
    ("r2", dt.datetime(2025, 1, 7, tzinfo=UTC), "u2", "deepseek/ds-r1", 200, 100, 80, 0.5, False, "tool_calls", None),
    ("r3", dt.datetime(2025, 1, 12, 23, 59, 59, tzinfo=UTC), "u3", "qwen/qwen-hybrid", 300, 0, 0, 2.0, True, "stop", "DE"),
    ("r8", dt.datetime(2025, 1, 8, tzinfo=UTC), "u6", "meta/llama-69", 30, 20, None, 0.1, False, "stop", "US"),
    ("r9", dt.datetime(2025, 1, 9, tzinfo=UTC), "u7", "cn/closed-cn", 1000, 0, None, 0.4, False, "stop", "CN"),
    ("r4", dt.datetime(2025, 1, 13, tzinfo=UTC), "u1", "qwen/qwen-hybrid:free", 50, 50, 10, 0.0, False, "tool_calls", "US"),
    ("r5", dt.datetime(2025, 1, 14, tzinfo=UTC), "u4", "mystery/model", 400, None, None, None, None, "length", None),
    ("r6", dt.datetime(2025, 1, 15, tzinfo=UTC), "u2", "meta/llama-15", None, 100, None, 0.25, False, "stop", "CN"),
    ("r7", dt.datetime(2025, 1, 16, tzinfo=UTC), "u5", "meta/llama-70", 10, 10, None, 0.75, False, "tool_calls", "JP"),
    ("r10", dt.datetime(2025, 1, 17, tzinfo=UTC), "u8", "openai/gpt-x", None, None, None, None, False, "error", "BR"),
]
ACCOUNTS = {"user_id": ["u1", "u2", "u3"], "country": ["GB", "SG", "FR"]}


def requests_table(rows: list[tuple]) -> pa.Table:
    names = ["request_id", "ts", "user_id", "model", "prompt_tokens", "completion_tokens", "reasoning_tokens",
             "cost_usd", "byok", "finish_reason", "country"]
    columns = dict(zip(names, zip(*rows, strict=True), strict=True)) if rows else {n: [] for n in names}
    return pa.table({f.name: pa.array(columns.get(f.name, [None] * len(rows)), f.type) for f in REQUESTS})


def make_inputs(rows: list[tuple] = ROWS, accounts: dict | None = ACCOUNTS, **options) -> StudyInputs:
    """Inputs over ``rows``; suppression is off (a handful of users) unless ``min_users`` is given."""
    options.setdefault("min_users", 0)
    requests = ibis.memtable(requests_table(rows))
    acct = None if accounts is None else ibis.memtable(pa.table(accounts))
    return StudyInputs(requests=enrich(requests, CATALOG, acct, COUNTRIES, options=options), options=options)


@pytest.fixture(scope="module")
def inputs() -> StudyInputs:
    return make_inputs()


@pytest.fixture(scope="module")
def tables(inputs: StudyInputs) -> dict[str, pa.Table]:
    return run_study(inputs)


@pytest.fixture(scope="module")
def enriched(inputs: StudyInputs) -> dict[str, dict]:
    return {r["request_id"]: r for r in inputs.requests.to_pyarrow().to_pylist()}


def cell(table: pa.Table, **where) -> dict:
    """The one row of ``table`` matching every column=value given."""
    mask = None
    for column, value in where.items():
        m = pc.equal(table[column], pa.scalar(value, table.schema.field(column).type))
        mask = m if mask is None else pc.and_(mask, m)
    rows = table.filter(mask).to_pylist()
    assert len(rows) == 1, (where, rows)
    return rows[0]


# enrichment -----------------------------------------------------------------------------------


def test_week_is_utc_monday_and_month_first_day(enriched):
    assert enriched["r3"]["week"] == WEEK_A  # Sunday 23:59:59 stays in the week before
    assert enriched["r4"]["week"] == WEEK_B  # Monday 00:00 starts a new week
    assert {r["week"].weekday() for r in enriched.values()} == {0}
    assert enriched["r4"]["month"] == dt.date(2025, 1, 1)


def test_tokens_count_missing_parts_as_zero(enriched):
    assert [enriched[i]["tokens"] for i in ("r1", "r5", "r6", "r10")] == [150, 400, 100, 0]


@pytest.mark.parametrize(
    ("request_id", "total", "active"),
    [("r3", "small", "small"), ("r6", "medium", "medium"), ("r8", "medium", "medium"),
     ("r7", "large", "large"), ("r2", "large", "medium"), ("r1", "unknown", "unknown")],
)
def test_size_class_boundaries(enriched, request_id, total, active):
    # 14.9B small, 15B medium, 69.9B medium, 70B large; DeepSeek 671B total / 37B active
    assert (enriched[request_id]["size_class"], enriched[request_id]["size_class_active"]) == (total, active)


def test_large_threshold_is_an_option():
    rows = {r["request_id"]: r for r in make_inputs(large_from_b=69.0).requests.to_pyarrow().to_pylist()}
    assert rows["r8"]["size_class"] == "large"


def test_reasoning_hybrid_needs_reasoning_tokens(enriched):
    flags = {i: enriched[i]["is_reasoning"] for i in ("r1", "r2", "r3", "r4", "r5")}
    assert flags == {"r1": False, "r2": True, "r3": False, "r4": True, "r5": False}


def test_source_and_origin_types(enriched):
    got = {i: (r["source_type"], r["origin_type"]) for i, r in enriched.items()}
    assert got["r1"] == ("closed", "closed_row")
    assert got["r9"] == ("closed", "closed_china")
    assert got["r2"] == ("open_china", "open_china")
    assert got["r7"] == ("open_row", "open_row")
    assert got["r5"] == ("unknown", "unknown")


def test_unknown_models_flagged_and_free_suffix_kept(enriched):
    assert [i for i, r in enriched.items() if not r["known_model"]] == ["r5"]
    assert enriched["r4"]["model_id"] == "qwen-hybrid" and enriched["r4"]["is_free"]
    assert enriched["r4"]["model"].endswith(":free")


def test_country_filled_from_accounts_only_when_missing(enriched):
    assert enriched["r2"]["country"] == "SG" and enriched["r2"]["continent"] == "Asia"
    assert enriched["r1"]["country"] == "US"  # the request's own country wins over the account's
    assert enriched["r5"]["country"] is None and enriched["r5"]["continent"] == "unknown"


def test_byok_and_missing_cost_excluded_from_spend(enriched):
    assert enriched["r3"]["spend"] == 0.0 and enriched["r3"]["cost_usd"] == 2.0
    assert enriched["r5"]["spend"] == 0.0
    assert enriched["r1"]["spend"] == 1.0


def test_tool_call_flag(enriched):
    assert sorted(i for i, r in enriched.items() if r["is_tool_call"]) == ["r2", "r4", "r7"]


def test_no_accounts_keeps_request_country():
    rows = {r["request_id"]: r for r in make_inputs(accounts=None).requests.to_pyarrow().to_pylist()}
    assert rows["r2"]["country"] is None and rows["r2"]["continent"] == "unknown"


def test_enrich_with_packaged_catalog():
    catalog_module = pytest.importorskip("tokencensus.catalog")
    rows = [
        ("a", dt.datetime(2025, 5, 5, tzinfo=UTC), "u1", "deepseek/deepseek-r1:free", 10, 5, 3, 0.0, False, "stop", "US"),
        ("b", dt.datetime(2025, 5, 6, tzinfo=UTC), "u1", "anthropic/claude-3-haiku", 10, 5, None, 0.1, False, "stop", "DE"),
        ("c", dt.datetime(2025, 5, 7, tzinfo=UTC), "u2", "nobody/nothing-7b", 10, 5, None, 0.1, False, "stop", None),
    ]
    enriched = enrich(
        ibis.memtable(requests_table(rows)), catalog_module.load_catalog(), None, catalog_module.load_countries()
    )
    got = {r["request_id"]: r for r in enriched.to_pyarrow().to_pylist()}
    assert (got["a"]["source_type"], got["a"]["size_class"], got["a"]["is_reasoning"]) == ("open_china", "large", True)
    assert got["a"]["is_free"] and got["a"]["continent"] == "North America"
    assert (got["b"]["source_type"], got["b"]["continent"]) == ("closed", "Europe")
    assert not got["c"]["known_model"] and got["c"]["source_type"] == "unknown"


# figures --------------------------------------------------------------------------------------


def test_registry_order_and_contract():
    ids = list(FIGURES)
    assert ids[:7] == ["F1", "F1_releases", "F2", "T1", "F3", "F4", "F5"]
    assert ids[-6:] == ["O1", "O2", "O3", "O4", "O5", "O6"]
    assert ids.index("T4") == ids.index("T3") + 1 and ids.index("T5") == ids.index("F40") + 1
    study_ids = {f"F{n}" for n in range(1, 41)} | {f"T{n}" for n in range(1, 6)}
    assert study_ids <= set(ids)
    for figure_id, figure in FIGURES.items():
        assert figure.id == figure_id and figure.title and figure.caption


def test_every_figure_columns_snake_case_and_week_is_date(tables):
    for figure_id, table in tables.items():
        assert all(name == name.lower() and " " not in name for name in table.column_names), figure_id
        if "week" in table.column_names:
            assert table.schema.field("week").type == pa.date32(), figure_id
        chart = FIGURES[figure_id].chart
        for column in (chart.x, chart.y, chart.color, *chart.weights.values()):
            assert column is None or column in table.column_names, (figure_id, column)


def test_f1_shares_by_each_weight(tables):
    f1 = tables["F1"]
    a_closed = cell(f1, week=WEEK_A, source_type="closed")
    assert a_closed["tokens"] == 1150 and a_closed["requests"] == 2 and a_closed["users"] == 2
    assert a_closed["share_tokens"] == pytest.approx(1150 / 1800)
    assert a_closed["share_requests"] == pytest.approx(2 / 5)
    assert a_closed["share_spend"] == pytest.approx(1.4 / 2.0)  # r3's BYOK 2.0 not counted
    b_unknown = cell(f1, week=WEEK_B, source_type="unknown")
    assert b_unknown["share_tokens"] == pytest.approx(400 / 620) and b_unknown["share_spend"] == 0.0
    for share in ("share_tokens", "share_requests", "share_spend"):
        sums = f1.group_by("week").aggregate([(share, "sum")])[f"{share}_sum"].to_pylist()
        assert sums == pytest.approx([1.0, 1.0])


def test_f1_headline_and_releases(tables):
    head = headlines(tables)["F1"]
    # both weeks are the latest 4: open = (600 + 50 + 100 + 120) / 2420
    assert head["latest_open_share"] == pytest.approx(870 / 2420)
    assert head["mean_weekly_share"]["unknown"] == pytest.approx((0 + 400 / 620) / 2)
    releases = tables["F1_releases"]
    assert releases["model_id"].to_pylist() == ["ds-r1", "llama-69", "qwen-hybrid", "llama-15", "llama-70"]
    assert cell(releases, model_id="llama-70")["week"] == WEEK_B


def test_f2_four_groups_and_mean_share(tables):
    f2 = tables["F2"]
    assert cell(f2, week=WEEK_A, origin_type="closed_china")["tokens"] == 1000
    head = headlines(tables)["F2"]
    assert head["mean_weekly_share_closed"] == pytest.approx((1150 / 1800 + 0 / 620) / 2)


def test_t1_top_open_authors(tables):
    t1 = tables["T1"]
    assert t1["author"].to_pylist() == ["Qwen", "DeepSeek", "Meta"]  # 400, 300, 170 open tokens
    assert t1["share_tokens"].to_pylist() == pytest.approx([400 / 870, 300 / 870, 170 / 870])
    assert t1["rank"].to_pylist() == [1, 2, 3]


def test_f3_other_groups_beyond_top_n():
    tables = run_study(make_inputs(top_open_n=2), ["F3"])
    f3 = tables["F3"]
    assert set(f3["model"].to_pylist()) == {"Qwen Hybrid", "DeepSeek R1", "other"}
    assert cell(f3, week=WEEK_B, model="other")["tokens"] == 120
    head = headlines(tables)["F3"]["latest_weeks"]
    assert head["top1_model"] == "Qwen Hybrid" and head["top1_share"] == pytest.approx(400 / 870)
    assert head["models_over_5pct"] == 2


def test_f4_size_share_of_open_tokens(tables):
    f4 = tables["F4"]
    assert cell(f4, week=WEEK_A, size_class="small")["share_tokens"] == pytest.approx(300 / 650)
    assert cell(f4, week=WEEK_A, size_class="medium")["share_tokens"] == pytest.approx(50 / 650)


def test_f4_by_active_parameters():
    f4 = run_study(make_inputs(size_basis="active"), ["F4"])["F4"]
    assert cell(f4, week=WEEK_A, size_class="medium")["share_tokens"] == pytest.approx(350 / 650)


def test_f5_models_available_cumulatively(tables):
    f5 = {(r["week"], r["size_class"]): r["models"] for r in tables["F5"].to_pylist()}
    assert f5 == {(WEEK_A, "large"): 1, (WEEK_A, "medium"): 1, (WEEK_A, "small"): 1,
                  (WEEK_B, "large"): 2, (WEEK_B, "medium"): 2, (WEEK_B, "small"): 1}


def test_f10_reasoning_share_and_ratio(tables):
    f10 = tables["F10"]
    a = cell(f10, week=WEEK_A, model_type="reasoning")
    assert a["share_tokens"] == pytest.approx(300 / 1800) and a["share_requests"] == pytest.approx(1 / 5)
    assert a["reasoning_token_ratio"] == pytest.approx(80 / 100)
    assert cell(f10, week=WEEK_B, model_type="reasoning")["share_tokens"] == pytest.approx(100 / 620)


def test_f11_free_period_can_be_excluded(tables):
    assert WEEK_B in tables["F11"]["week"].to_pylist()
    without_free = run_study(make_inputs(exclude_free=True), ["F11"])["F11"]
    assert without_free["week"].to_pylist() == [WEEK_A]


def test_f12_f13_tool_calls(tables):
    assert cell(tables["F12"], week=WEEK_B, request_type="tool_call")["share_tokens"] == pytest.approx(120 / 620)
    f13 = tables["F13"]
    assert cell(f13, week=WEEK_B, model="Qwen Hybrid")["share_tokens"] == pytest.approx(100 / 120)
    assert headlines(tables)["F13"]["top_models"][0]["model"] == "DeepSeek R1"  # 300 of 420


def test_length_percentiles_exact(tables):
    f14 = {r["week"]: r for r in tables["F14"].to_pylist()}
    assert f14[WEEK_A]["requests"] == 5 and f14[WEEK_A]["mean"] == pytest.approx(326)
    assert f14[WEEK_A]["p50"] == pytest.approx(200)
    # linear interpolation over [30, 100, 200, 300, 1000]: 0.9 -> 300 + 0.6 * 700
    assert f14[WEEK_A]["p90"] == pytest.approx(720)
    assert f14[WEEK_B]["requests"] == 3 and f14[WEEK_B]["p50"] == pytest.approx(50)
    f17 = {r["week"]: r for r in tables["F17"].to_pylist()}
    assert f17[WEEK_B]["requests"] == 4  # r10 reports no tokens at all
    head = headlines(tables)["F14"]
    assert head["first_weeks_mean"] == pytest.approx((1630 + 460) / 8)
    assert head["latest_week_percentiles"]["p50"] == pytest.approx(50)


def test_geography(tables):
    f29 = tables["F29"]
    assert cell(f29, week=WEEK_A, continent="Asia")["share_spend"] == pytest.approx(0.9 / 2.0)  # SG 0.5 + CN 0.4
    t2 = tables["T2"]
    assert t2["continent"].to_pylist()[0] == "Asia"  # 300 + 100 + 1000 + 20
    assert cell(t2, continent="unknown")["share_tokens"] == pytest.approx(400 / 2420)
    t3 = tables["T3"]
    assert t3["country"].to_pylist() == ["CN", "DE", "SG", "US", "JP", "BR"]
    assert t3["share_tokens"].to_pylist()[0] == pytest.approx(1100 / 2420)


def test_excluded_models_and_users_leave_every_figure():
    tables = run_study(make_inputs(exclude_models=["closed-cn"], exclude_users=["u4"]), ["F1"])
    a_closed = cell(tables["F1"], week=WEEK_A, source_type="closed")
    assert a_closed["tokens"] == 150
    assert "unknown" not in tables["F1"]["source_type"].to_pylist()


def test_unknown_figure_id_rejected(inputs):
    with pytest.raises(KeyError, match="F99"):
        run_study(inputs, ["F99"])


def test_headlines_are_json_ready(tables):
    import json

    json.dumps(headlines(tables), default=str)


# property -------------------------------------------------------------------------------------

_slugs = st.sampled_from(["openai/gpt-x", "cn/closed-cn", "deepseek/ds-r1", "meta/llama-70", "mystery/model"])
_row = st.tuples(
    st.integers(0, 40 * 24),  # hours after the first Monday
    st.sampled_from(["u1", "u2", "u3", None]),
    _slugs,
    st.one_of(st.none(), st.integers(0, 10**6)),
    st.one_of(st.none(), st.integers(0, 10**5)),
    st.one_of(st.none(), st.floats(0, 100, allow_nan=False)),
    st.one_of(st.none(), st.booleans()),
    st.sampled_from(["US", "CN", None]),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_row, min_size=1, max_size=40))
def test_shares_sum_to_one_per_week(raw):
    start = dt.datetime(2025, 3, 3, tzinfo=UTC)
    rows = [
        (f"r{i}", start + dt.timedelta(hours=h), u, m, p, c, None, cost, byok, "stop", country)
        for i, (h, u, m, p, c, cost, byok, country) in enumerate(raw)
    ]
    tables = run_study(make_inputs(rows, accounts=None), ["F1", "F2", "F29"])
    for table in tables.values():
        for weight in ("tokens", "requests", "spend"):
            per_week = table.group_by("week").aggregate([(weight, "sum"), (f"share_{weight}", "sum")]).to_pylist()
            for week in per_week:
                expected = 1.0 if week[f"{weight}_sum"] else None
                got = week[f"share_{weight}_sum"]
                assert (got is None or got == 0) if expected is None else abs(got - 1.0) <= 1e-9


# engine portability ---------------------------------------------------------------------------


def test_every_figure_compiles_for_spark(inputs):
    """The same expressions must run on Spark later: each compiles to Spark SQL without pyspark installed."""
    from ibis.config import Config

    if ibis.options.pyspark is None:  # registered by the pyspark backend, which needs pyspark itself

        class _PySparkOptions(Config):
            treat_nan_as_null: bool = False

        ibis.options.pyspark = _PySparkOptions()
    for figure_id, figure in FIGURES.items():
        sql = ibis.to_sql(figure.build(inputs), dialect="pyspark")
        assert "SELECT" in sql, figure_id
    assert "PERCENTILE(" in ibis.to_sql(FIGURES["F14"].build(inputs), dialect="pyspark")
