"""The simulator writes a real, deterministic OpenRouter activity export whose truth.json holds."""

from __future__ import annotations

import csv
import json
import re
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tokencensus.classify.taxonomy import load_taxonomy
from tokencensus.simulate import SimulationResult, simulate
from tokencensus.simulate import calibration as cal
from tokencensus.simulate import text
from tokencensus.simulate import world as world_module
from tokencensus.simulate import writer as writer_module
from tokencensus.simulate.ids import assemble, base62_strings, fixed_width_items, generation_ids, strings, take_items
from tokencensus.simulate.world import chunk_bounds, injection_counts
from tokencensus.simulate.writer import BAD_KINDS, FLAGS, HEADER, VARIANTS, Injection

N_ROWS = 200_000


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> SimulationResult:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(world_module, "CHUNK_ROWS", 4_000)  # several chunks per month, as at full size
        return simulate(tmp_path_factory.mktemp("world"), requests=N_ROWS, seed=7, bad_rate=2e-4)


@pytest.fixture(scope="module")
def truth(world: SimulationResult) -> dict:
    return json.loads(world.truth.read_text())


@pytest.fixture(scope="module")
def lines(world: SimulationResult) -> list[list[str]]:
    """Every data line of every month, split into fields."""
    rows: list[list[str]] = []
    for path in world.activity_files:
        with path.open(newline="") as f:
            reader = csv.reader(f)
            assert next(reader) == HEADER.split(",")
            rows.extend(reader)
    return rows


def _small(path: Path, seed: int) -> SimulationResult:
    return simulate(path, requests=20_000, seed=seed, start=date(2025, 4, 20), end=date(2025, 6, 10), bad_rate=1e-3)


def test_same_seed_gives_identical_files_and_another_seed_does_not(tmp_path: Path) -> None:
    a, b, c = _small(tmp_path / "a", 3), _small(tmp_path / "b", 3), _small(tmp_path / "c", 4)
    names = sorted(p.name for p in a.out_dir.iterdir())
    assert names == sorted(p.name for p in b.out_dir.iterdir())
    assert names == ["accounts.csv", "activity-2025-04.csv", "activity-2025-05.csv", "activity-2025-06.csv",
                     "labels.parquet", "prompts-2025-04.jsonl", "prompts-2025-05.jsonl", "prompts-2025-06.jsonl",
                     "truth.json"]
    for name in names:
        assert (a.out_dir / name).read_bytes() == (b.out_dir / name).read_bytes(), name
    assert (a.out_dir / "activity-2025-05.csv").read_bytes() != (c.out_dir / "activity-2025-05.csv").read_bytes()


def test_no_bad_records_when_asked(tmp_path: Path) -> None:
    result = simulate(tmp_path, requests=5_000, seed=1, start=date(2025, 1, 1), end=date(2025, 1, 31), bad_rate=0)
    assert {k: result.injected[k] for k in BAD_KINDS} == dict.fromkeys(BAD_KINDS, 0)
    con = duckdb.connect()
    count = con.sql(f"select count(*) from read_csv('{result.activity_files[0]}', header=true)").fetchall()[0][0]
    assert count == result.requests == 5_000


def test_rejects_an_empty_or_reversed_window(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        simulate(tmp_path, requests=0)
    with pytest.raises(ValueError):
        simulate(tmp_path, requests=10, start=date(2025, 2, 1), end=date(2025, 1, 1))


def test_headers_and_field_formats(world: SimulationResult, lines: list[list[str]]) -> None:
    assert world.accounts.read_text().splitlines()[0] == "user,country"
    good = [r for r in lines if len(r) == 23]
    ids = [r[0] for r in good]
    assert all(re.fullmatch(r"gen-\d{10}-[0-9A-Za-z]{20}", g) for g in ids)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}", r[1]) for r in good if r[1] != "not-a-time")
    assert {r[14] for r in good} == {"true", "false"} and {r[15] for r in good} == {"true", "false"}
    assert {r[18] for r in good} == {"stop", "length", "tool_calls", "content_filter", "error", ""}
    assert all(r[17] == "" and r[18] == "" for r in good if r[14] == "true")
    raw_by_vendor = {r[17] for r in good if r[11].startswith("anthropic/")}
    assert {"end_turn", "tool_use"} <= raw_by_vendor
    byok = [r for r in good if float(r[6]) > 0]
    assert 0.01 < len(byok) / len(good) < 0.06
    assert all(abs(float(r[2]) - 0.05 * float(r[6])) < 1e-9 for r in byok)


def test_injected_records_are_all_there(world: SimulationResult, truth: dict, lines: list[list[str]]) -> None:
    injected = truth["injected"]
    assert injected == world.injected
    assert all(injected[k] == injection_counts(N_ROWS, 2e-4) for k in BAD_KINDS)
    assert sum(len(r) != 23 for r in lines) == injected["malformed_line"]
    good = [r for r in lines if len(r) == 23]
    assert sum(r[1] == "not-a-time" for r in good) == injected["bad_timestamp"]
    assert sum(int(r[7]) < 0 for r in good) == injected["negative_tokens"]
    assert sum(r[11] == "" for r in good) == injected["missing_model"]
    by_id: dict[str, list[list[str]]] = {}
    for r in good:
        by_id.setdefault(r[0], []).append(r)
    twins = [v for v in by_id.values() if len(v) > 1]
    assert all(len(v) == 2 for v in twins)
    assert sum(v[0] == v[1] for v in twins) == injected["duplicate_same"]
    assert sum(v[0] != v[1] for v in twins) == injected["duplicate_conflict"]
    assert sum(r[11] == cal.UNKNOWN_MODEL for r in good) == injected["unknown_model_rows"] > 0


def test_truth_totals_match_the_csv(world: SimulationResult, truth: dict) -> None:
    glob = str(world.out_dir / "activity-*.csv")
    con = duckdb.connect()
    con.sql(f"""create view raw as select *, row_number() over () as line
                from read_csv('{glob}', header=true, all_varchar=true, ignore_errors=true)""")
    tokens, requests, cost = con.sql("""
        with valid as (
            select * from raw where try_cast(created_at as timestamp) is not null
              and cast(tokens_prompt as bigint) >= 0 and model_permaslug is not null),
        first as (select * from valid qualify row_number() over (partition by generation_id order by line) = 1)
        select sum(cast(tokens_prompt as bigint) + cast(tokens_completion as bigint)), count(*),
               sum(cast(cost_total as double)) from first""").fetchall()[0]
    assert truth["totals"]["tokens"] == tokens
    assert truth["totals"]["requests"] == truth["requests"] == world.requests == requests
    assert truth["totals"]["cost_usd"] == pytest.approx(cost, rel=1e-9)
    assert sum(w["requests"] for w in truth["weekly"]) == requests
    labels = pq.read_table(world.labels)
    assert labels.num_rows == requests and len(set(labels["request_id"].to_pylist())) == requests
    assert set(labels["label"].to_pylist()) == set(cal.CATEGORIES)


def _rolled_up_labels(world: SimulationResult) -> duckdb.DuckDBPyRelation:
    """Each valid request's tokens with its label rolled up to the report's 12 categories, the
    taxonomy's way: the roll-up's sub-category where it sets one, else the label's own."""
    con = duckdb.connect()
    con.register("rollup", load_taxonomy().rollup_table("report12"))
    glob = str(world.out_dir / "activity-*.csv")
    return con.sql(f"""
        select cast(tokens_prompt as bigint) + cast(tokens_completion as bigint) as tokens, r.category,
               coalesce(r.subcategory, cast(l.subcategory as varchar)) as subcategory
        from read_csv('{glob}', header=true, all_varchar=true, ignore_errors=true) a
        join read_parquet('{world.labels}') l on a.generation_id = l.request_id
        join rollup r on r.label = cast(l.label as varchar)
        qualify row_number() over (partition by generation_id) = 1""")


def test_labels_are_taxonomy_leaves_whose_roll_up_is_the_truth(world: SimulationResult, truth: dict) -> None:
    taxonomy = load_taxonomy()
    assert cal.CATEGORIES == taxonomy.labels
    for leaf, subs in cal.SUBCATEGORIES.items():
        assert set(subs) <= set(taxonomy.subcategories[leaf]) and sum(subs.values()) <= 1 + 1e-9
    assert {taxonomy.rollup(leaf) for leaf in cal.ROLEPLAY_FAMILY} == {"roleplay"}
    rows = _rolled_up_labels(world)
    tokens = dict(rows.aggregate("category, sum(tokens)").fetchall())
    total = sum(tokens.values())
    share = truth["category_token_share"]
    assert set(share) == set(taxonomy.categories("report12")) and share["seo"] == 0.0
    for category, value in tokens.items():
        assert share[category] == pytest.approx(value / total, rel=1e-9)


def test_sub_tags_follow_the_report(world: SimulationResult) -> None:
    """Sub-category shares of requests inside each report category (a few thousand requests each
    here: within 2-3 points)."""
    counts = _rolled_up_labels(world).aggregate("category, subcategory, count(*)").fetchall()
    by_category: dict[str, dict[str | None, int]] = {}
    for category, sub, n in counts:
        by_category.setdefault(category, {})[sub] = n
    share = {c: {s: n / sum(subs.values()) for s, n in subs.items()} for c, subs in by_category.items()}
    assert 0.57 < share["roleplay"]["roleplaying_games"] < 0.61
    assert share["roleplay"]["writers_resources"] == pytest.approx(0.156, abs=0.015)
    assert share["roleplay"]["adult"] == pytest.approx(0.154, abs=0.015)
    assert share["programming"]["general"] > 2 / 3 - 0.02
    assert share["programming"]["development_tools"] == pytest.approx(0.264, abs=0.02)
    assert share["science"]["machine_learning_ai"] == pytest.approx(0.804, abs=0.03)


def test_truth_cohorts_match_the_csv(world: SimulationResult, truth: dict) -> None:
    glob = str(world.out_dir / "activity-*.csv")
    rows = duckdb.connect().sql(f"""
        with valid as (
            select distinct "user", strftime(try_cast(created_at as timestamp), '%Y-%m') as month
            from read_csv('{glob}', header=true, all_varchar=true, ignore_errors=true)
            where model_permaslug = 'anthropic/claude-4-sonnet-20250522'
              and try_cast(created_at as timestamp) is not null and cast(tokens_prompt as bigint) >= 0),
        first as (select "user", min(month) as cohort from valid group by 1),
        size as (select cohort, count(*) as n from first group by 1)
        select cohort, month, count(*) / any_value(n)
        from valid join first using ("user") join size using (cohort) group by cohort, month""").fetchall()
    curves = truth["cohorts"]["anthropic/claude-sonnet-4"]
    for cohort, month, share in rows:
        k = (int(month[:4]) - int(cohort[:4])) * 12 + int(month[5:]) - int(cohort[5:])
        assert curves[cohort][k] == pytest.approx(share, abs=1e-6)


def test_models_never_appear_before_release(world: SimulationResult) -> None:
    glob = str(world.out_dir / "activity-*.csv")
    first = dict(duckdb.connect().sql(f"""
        select model_permaslug, min(try_cast(created_at as timestamp))::date
        from read_csv('{glob}', header=true, all_varchar=true, ignore_errors=true) group by 1""").fetchall())
    for spec in cal.MODELS:
        slug = spec.canonical or spec.model_id
        if slug in first:
            assert first[slug] >= date.fromisoformat(spec.released), slug
    assert "anthropic/claude-4-sonnet-20250522" in first  # permaslugs, not request ids, are logged
    assert "anthropic/claude-sonnet-4" not in first


def test_weekly_shares_are_near_the_published_targets(truth: dict) -> None:
    """Tolerances: a few points on window means (each week holds ~2-5k requests here, and token
    shares carry the heavy tail of prompt lengths); trends are checked as early-vs-late orderings.
    At 2M requests the same quantities land within a point or two of the plan (see truth.json)."""
    c = {k: v["simulated"] for k, v in truth["calibration"].items()}
    assert c["china_open_share_mean"] == pytest.approx(0.130, abs=0.03)
    assert c["row_open_share_mean"] == pytest.approx(0.137, abs=0.03)
    assert c["closed_share_mean"] == pytest.approx(0.70, abs=0.05)
    assert c["china_open_share_first_week"] < 0.05 and c["china_open_share_peak_week"] > 0.22
    assert 0.22 < c["open_share_late_2025"] < 0.40
    assert c["reasoning_share_early_2025"] < 0.03 and c["reasoning_share_late_2025"] > 0.5
    assert c["programming_share_early_2025"] < 0.18 and c["programming_share_late_2025"] > 0.5
    assert 6_000 < c["avg_prompt_tokens_late_2025"] < 7_000
    assert 5_400 < c["avg_sequence_length_late_2025"] < 7_400
    assert c["avg_completion_tokens_early"] < 170 and 360 < c["avg_completion_tokens_late_2025"] < 440
    assert c["programming_avg_prompt_tokens"] == pytest.approx(20_000, rel=0.1)
    assert c["other_large_categories_avg_prompt_tokens"] == pytest.approx(5_000, rel=0.1)
    assert c["roleplay_share_of_open"] == pytest.approx(0.52, abs=0.06)
    assert c["open_top_model_share_late_2025_max"] < 0.25
    weekly = truth["weekly"]
    assert np.mean([w["share_tool_calls"] for w in weekly[-8:]]) > 2 * np.mean([w["share_tool_calls"] for w in weekly[:8]])
    for w in weekly:
        assert w["share_closed"] + w["share_open_china"] + w["share_open_row"] + w["share_unknown"] == pytest.approx(1.0)


def test_anthropic_holds_programming_until_the_week_of_2025_11_17(truth: dict) -> None:
    """One week holds only a few hundred programming requests here (±5 points on a share), so the
    weeks before are checked as a whole and the fall as the last two weeks against the four before."""
    share = {w["week"]: w["anthropic_share_of_programming"] for w in truth["weekly"]}
    weeks = sorted(share)
    before = [share[w] for w in weeks if w < "2025-11-17"]
    assert np.median(before) > 0.65 and np.mean(before[-4:]) > 0.6
    assert np.mean([share["2025-11-17"], share["2025-11-24"]]) < np.mean(before[-4:]) - 0.04


def test_open_weight_authors_follow_the_report(truth: dict) -> None:
    tokens = truth["open_author_tokens"]
    assert list(tokens)[:4] == ["DeepSeek", "Qwen", "Meta", "Mistral"]
    assert tokens["Qwen"] > 1.2 * tokens["Meta"]
    top = {a: tokens[a] for a in list(cal.OPEN_AUTHOR_TOKENS)[:10]}
    target = {a: cal.OPEN_AUTHOR_TOKENS[a] for a in top}
    for author, value in top.items():
        assert value / sum(top.values()) == pytest.approx(target[author] / sum(target.values()), rel=0.15), author


def test_geography_follows_the_report(truth: dict) -> None:
    country, continent = truth["country_token_share"], truth["continent_token_share"]
    assert country["US"] == pytest.approx(0.4717, abs=0.04)
    assert sorted(country, key=country.get, reverse=True)[:3] == ["US", "SG", "DE"]
    assert continent["Asia"] == pytest.approx(0.2861, abs=0.04)
    assert continent["Europe"] == pytest.approx(0.2132, abs=0.04)
    spend = truth["continent_spend_share_by_month"]  # monthly spend is noisy at this size: 3-month means
    months = sorted(spend)
    mean = lambda ms, c: np.mean([spend[m][c] for m in ms])  # noqa: E731
    assert mean(months[:3], "Asia") < 0.18 and mean(months[-3:], "Asia") > mean(months[:3], "Asia") + 0.1
    assert mean(months[-3:], "North America") < 0.5


def test_foundational_cohorts_retain_far_above_later_ones(truth: dict) -> None:
    for model, cohort in (("anthropic/claude-sonnet-4", "2025-05"), ("google/gemini-2.5-pro", "2025-06")):
        curves = truth["cohorts"][model]
        assert curves[cohort][0] == 1.0 and len(curves[cohort]) >= 6
        later = [x for k, v in curves.items() if k > cohort for x in v[1:]]
        assert later and np.mean(curves[cohort][1:6]) > 1.6 * np.mean(later)
        assert curves[cohort][5] > 0.25
    assert set(truth["cohorts"]) == set(cal.RETENTION_MODELS)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(10**9, 10**10 - 1), min_size=1, max_size=50), st.integers(0, 2**32 - 1))
def test_generation_ids_are_well_formed_and_unique(seconds: list[int], seed: int) -> None:
    secs = np.array(sorted(seconds), dtype=np.int64)
    ids = generation_ids(secs, np.arange(len(secs)), np.random.default_rng(seed)).to_pylist()
    assert len(set(ids)) == len(ids)
    assert all(i == f"gen-{s}-{i[15:]}" and re.fullmatch(r"[0-9A-Za-z]{20}", i[15:]) for i, s in zip(ids, secs))


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 5_000), st.lists(st.integers(0, 20), min_size=6, max_size=6), st.integers(0, 1000))
def test_injection_positions_are_distinct_and_in_range(n_rows: int, counts: list[int], seed: int) -> None:
    injection = Injection.draw(n_rows, dict(zip(BAD_KINDS, counts)), np.random.default_rng(seed))
    picked = np.concatenate(list(injection.rows.values()))
    assert len(set(picked.tolist())) == len(picked) == min(sum(counts), n_rows)
    assert ((picked >= 0) & (picked < n_rows)).all()
    for kind, at in injection.copy_at.items():
        assert (at > injection.rows[kind]).all() and (at <= n_rows).all()


@given(st.lists(st.integers(0, 30), max_size=200), st.integers(1, 50))
def test_chunks_cut_only_between_days(day_list: list[int], size: int) -> None:
    day = np.sort(np.array(day_list, dtype=np.int64))
    bounds = chunk_bounds(day, size)
    assert bounds[0] == 0 and bounds[-1] == len(day) and (np.diff(bounds) >= 0).all()
    inner = bounds[1:-1]
    assert (day[inner] != day[inner - 1]).all()
    assert len(bounds) >= 2


@given(st.integers(0, 10**8), st.floats(0, 1e-3))
def test_injection_counts(requests: int, rate: float) -> None:
    n = injection_counts(requests, rate)
    assert n == 0 if rate == 0 else n >= (3 if requests >= 100_000 else 0)


def test_world_models_are_catalog_models_logged_by_permaslug() -> None:
    from tokencensus.catalog import load_catalog

    catalog = load_catalog()
    released = dict(zip(catalog.models["model_id"].to_pylist(), catalog.models["released"].to_pylist()))
    for spec in cal.MODELS:
        assert catalog.resolve(spec.canonical or spec.model_id) == spec.model_id
        assert released[spec.model_id] <= date.fromisoformat(spec.released), spec.model_id
    assert catalog.resolve(cal.UNKNOWN_MODEL) is None


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(-(10**12), 10**12) | st.integers(0, 200_000), max_size=300))
def test_integers_read_as_arrow_writes_them(values: list[int]) -> None:
    array = np.array(values, dtype=np.int64)
    assert text.integers(array).equals(pa.array(array).cast(pa.string()))


COSTS = (st.floats(0, 2, allow_subnormal=False).map(lambda x: round(x, 10))  # as rows.py rounds costs
         | st.sampled_from([0.0, -0.0, 1e-6, 9.99e-7, 1.0, 0.1, 1e-10, 0.9999999999, float("nan")])
         | st.floats(allow_nan=False, allow_infinity=True))


@settings(max_examples=100, deadline=None)
@given(st.lists(COSTS, max_size=300), st.data())
def test_floats_read_as_arrow_writes_them(values: list[float], data: st.DataObject) -> None:
    array = np.array(values, dtype=np.float64)
    missing = np.array(data.draw(st.lists(st.booleans(), min_size=len(values), max_size=len(values))), dtype=bool)
    assert text.numbers(array).equals(pa.array(array).cast(pa.string()))
    assert text.numbers(array, missing=missing).equals(pa.array(array, mask=missing).cast(pa.string()))


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(0, 99), max_size=300), st.integers(0, 1000))
def test_take_items_is_arrows_take(index: list[int], seed: int) -> None:
    users = base62_strings("u_", np.arange(100), 8, np.random.default_rng(seed))
    rows = np.array(index, dtype=np.int64)
    assert take_items(fixed_width_items(users), rows).equals(users.take(pa.array(rows, pa.int64())))


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(0, 200_000), max_size=300), st.data())
def test_mostly_integer_reads_the_same_whichever_rows_are_usual(values: list[int], data: st.DataObject) -> None:
    array = np.array(values, dtype=np.int64)
    usual = np.array(data.draw(st.lists(st.booleans(), min_size=len(values), max_size=len(values))), dtype=bool)
    got = text.mostly_integer(array, ",,0,", ",x", usual, lambda at: ["", "", "0", text.integers(array[at]), "x"])
    assert got.to_pylist() == [f",,0,{v},x" for v in values]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(0, 4_102_444_799_999), max_size=300))
def test_timestamps_read_as_arrow_writes_them(ms: list[int]) -> None:
    ts = np.sort(np.array(ms, dtype=np.int64))
    expected = pa.array(ts.astype("datetime64[ms]")).cast(pa.string())
    assert strings(assemble(len(ts), text.timestamps(ts))).equals(expected)


def test_lines_are_what_the_pyarrow_csv_writer_writes(tmp_path: Path) -> None:
    """The rendered lines (typed bad values included) against pyarrow's CSV writer on the typed columns."""
    from tokencensus.catalog import load_catalog
    from tokencensus.simulate.plan import Models, build_plan, country_shares
    from tokencensus.simulate.rows import FINISH, draw_cells, draw_month
    from tokencensus.simulate.users import CohortAssigner, UserPool

    rng = np.random.default_rng(5)
    models = Models.from_catalog(cal.MODELS, load_catalog().models)
    plan = build_plan(models, date(2025, 9, 1), date(2025, 9, 30), 30_000, rng)
    pool = UserPool.create(3_000, country_shares(), rng)
    day, model, category = draw_cells(plan, slice(0, 30), len(models), rng)
    user = CohortAssigner(pool, models.ids, rng).assign(model, 0, "2025-09", plan.country_p[0])
    rows = draw_month(plan, models, day, model, category, user, rng)
    rows.prompt[:50] *= 40  # above the looked-up integers
    vocab = writer_module.Vocab(slugs=list(models.slugs) + [cal.UNKNOWN_MODEL, ""], users=pool.ids)
    bad = {**dict.fromkeys(BAD_KINDS, 0), "negative_tokens": 20, "missing_model": 20}
    injection = Injection.draw(len(rows), bad, rng)
    gen_ids = writer_module.month_generation_ids(rows, 0, rng)
    spoiled = writer_module.spoil_typed(rows, injection, empty_slug=len(vocab.slugs) - 1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(writer_module, "SLICE_ROWS", 1_000)
        lines = writer_module.render_lines(spoiled, vocab, gen_ids)
    assert len(lines) == -(-len(rows) // 1_000)

    def codes(values: np.ndarray, names: list[str] | tuple[str, ...]) -> pa.DictionaryArray:
        return pa.DictionaryArray.from_arrays(pa.array(values.astype(np.int32)), pa.array(list(names)))

    typed = pa.table({
        "generation_id": gen_ids, "created_at": pa.array(rows.ts_ms.astype("datetime64[ms]")),
        "cost_total": rows.cost_total, "cost_web_search": pa.nulls(len(rows), pa.float64()),
        "cost_cache": pa.array(rows.cost_cache, mask=np.isnan(rows.cost_cache)),
        "cost_file_processing": np.zeros(len(rows), dtype=np.int64), "byok_usage_inference": rows.byok_usage,
        "tokens_prompt": spoiled.prompt, "tokens_completion": rows.completion, "tokens_reasoning": rows.reasoning,
        "tokens_cached": rows.cached, "model_permaslug": codes(spoiled.model, vocab.slugs),
        "provider_name": codes(rows.host, rows.host_vocab), "variant": codes(rows.free, VARIANTS),
        "cancelled": codes(rows.cancelled, FLAGS), "streamed": codes(rows.streamed, FLAGS),
        "user": pa.DictionaryArray.from_arrays(pa.array(rows.user.astype(np.int32)), pool.ids),
        "finish_reason_raw": codes(rows.raw_finish, rows.raw_vocab),
        "finish_reason_normalized": codes(rows.finish, FINISH),
        "generation_time_ms": rows.generation_ms, "time_to_first_token_ms": rows.ttft_ms,
        "app_name": codes(rows.app, rows.app_vocab),
        "api_key_name": codes(rows.user % len(cal.API_KEY_NAMES), cal.API_KEY_NAMES),
    })
    expected = pa.BufferOutputStream()
    pacsv.write_csv(typed, expected, pacsv.WriteOptions(include_header=False, quoting_style="none"))
    assert b"".join(line.encode() for piece in lines for line in piece.to_pylist()) == expected.getvalue().to_pybytes()
