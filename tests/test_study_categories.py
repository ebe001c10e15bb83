"""Category figures on the hand-built requests of test_study plus hand-made labels, worked out by hand."""

from __future__ import annotations

import ibis
import pyarrow as pa
import pytest
from test_study import WEEK_A, WEEK_B, cell, make_inputs

from tokencensus.classify.taxonomy import load_taxonomy
from tokencensus.study import StudyInputs, headlines, run_study
from tokencensus.study.enrich import enrich_labels

# request, label, subcategory, confidence. Week A classified tokens: r1 150 (programming, closed),
# r2 300 (roleplay, open China), r3 300 (programming, open China), r8 50 (creative writing, open RoW).
# Week B: r4 100 split between programming and technology; r5 dropped (confidence below 0.5).
LABELS = [
    ("r1", "programming", "general", 0.9),
    ("r2", "roleplay", "roleplaying_games", 0.8),
    ("r3", "programming", "development_tools", None),
    ("r8", "creative_writing", None, 0.7),
    ("r4", "programming", "general", 0.6),
    ("r4", "technology", None, 0.6),
    ("r5", "trivia", None, 0.3),
]
PROMPTS = {"request_id": ["r1", "r2", "r3"], "language": ["en", "zh", "en"]}


def category_inputs(labels: list[tuple] | None = LABELS, **options) -> StudyInputs:
    options = {"sample_period": "week", "replicates": 20, **options}
    base = make_inputs(**options)
    enriched = None
    if labels is not None:
        raw = pa.table(dict(zip(["request_id", "label", "subcategory", "confidence"], zip(*labels))))
        enriched = enrich_labels(ibis.memtable(raw), load_taxonomy(), options=base.options)
    prompts = ibis.memtable(pa.table(PROMPTS))
    return StudyInputs(requests=base.requests, options=base.options, labels=enriched, prompts=prompts)


@pytest.fixture(scope="module")
def tables() -> dict[str, pa.Table]:
    return run_study(category_inputs(), ["F6", "F7", "F8", "F16", "F18", "F19", "F20", "F21", "F24", "T4"])


def test_f19_shares_are_ratio_estimates_over_classified_tokens(tables):
    f19 = tables["F19"]
    assert cell(f19, period=WEEK_A, category="programming")["share_tokens"] == pytest.approx(450 / 800)
    assert cell(f19, period=WEEK_A, category="roleplay")["share_tokens"] == pytest.approx(350 / 800)  # + writing
    assert cell(f19, period=WEEK_B, category="technology")["share_tokens"] == pytest.approx(0.5)  # split label
    # week B: 5 requests, 1 classified (r4, split in two): half of it, scaled to all 5 requests
    assert cell(f19, period=WEEK_B, category="technology")["requests"] == pytest.approx(2.5)
    assert "trivia" not in f19["category"].to_pylist()  # confidence 0.3 dropped
    for row in f19.to_pylist():
        assert row["ci_low"] <= row["share_tokens"] <= row["ci_high"]


def test_f19_headline_follows_programming(tables):
    head = headlines(tables)["F19"]
    # both weeks are the first 28 days; each week's classified mix is weighted by all of its tokens:
    # week A 1,800 tokens (450 of 800 classified are programming), week B 620 (50 of 100)
    assert head["first_periods_share_tokens"] == pytest.approx((1800 * 450 / 800 + 620 * 50 / 100) / (1800 + 620))
    assert head["latest_period"]["share_tokens"] == pytest.approx(0.5)


def test_methodology_view_keeps_creative_writing_apart():
    f19 = run_study(category_inputs(category_view="methodology9"), ["F19"])["F19"]
    assert cell(f19, period=WEEK_A, category="creative_writing")["share_tokens"] == pytest.approx(50 / 800)
    assert cell(f19, period=WEEK_A, category="roleplay")["share_tokens"] == pytest.approx(300 / 800)
    assert cell(f19, period=WEEK_B, category="general_qa")["share_tokens"] == pytest.approx(0.5)


def test_open_weight_mixes(tables):
    assert cell(tables["F6"], period=WEEK_A, category="roleplay")["share_tokens"] == pytest.approx(350 / 650)
    assert cell(tables["F7"], period=WEEK_A, category="programming")["share_tokens"] == pytest.approx(0.5)
    # strata nest in source types: closed week A holds r1 (150 tokens, programming) and the unclassified
    # r9 (1,000), so closed programming is estimated at 1,150 tokens; open China's 600 are half programming
    assert cell(tables["F8"], period=WEEK_A, source_type="closed")["share_tokens"] == pytest.approx(1150 / 1450)
    window = headlines(tables)["F6"]["whole_window"]["roleplay"]
    assert window["share_tokens"] == pytest.approx(350 / 750)
    assert window["ci_low"] <= window["share_tokens"] <= window["ci_high"]
    whole = [r for r in tables["F6"].to_pylist() if r["period"] is None and r["category"] == "roleplay"]
    assert [r["users"] for r in whole] == [2]  # u2 and u6


def test_subcategories_inside_roleplay(tables):
    f21 = tables["F21"]
    assert cell(f21, category="roleplay", subcategory="roleplaying_games")["share_tokens"] == pytest.approx(300 / 350)
    assert cell(f21, category="roleplay", subcategory="writers_resources")["share_tokens"] == pytest.approx(50 / 350)
    assert cell(f21, category="technology", subcategory="unspecified")["share_tokens"] == pytest.approx(1.0)


def test_mean_prompt_tokens_by_category_and_programming_vs_all(tables):
    f16 = tables["F16"]
    programming = cell(f16, period=WEEK_A, category="programming")
    assert programming["mean"] == pytest.approx(200) and programming["p50"] == pytest.approx(200)
    f18 = tables["F18"]
    assert cell(f18, period=WEEK_A, group="programming")["mean"] == pytest.approx(225)  # (150 + 300) / 2
    assert cell(f18, period=WEEK_A, group="all")["mean"] == pytest.approx(800 / 4)


def test_programming_by_author(tables):
    f20 = tables["F20"]
    assert cell(f20, period=WEEK_A, author="Qwen")["share_tokens"] == pytest.approx(300 / 450)
    assert cell(f20, period=WEEK_A, author="OpenAI")["share_tokens"] == pytest.approx(150 / 450)


def test_author_slots_follow_tokens_or_the_option(tables):
    # all-request tokens by author: CNLab 1000, Qwen 400, DeepSeek 300, ...: slot 2 is Qwen
    f24 = tables["F24"]
    assert set(f24["author"].to_pylist()) == {"Qwen"}
    assert cell(f24, period=WEEK_A, category="programming")["share_tokens"] == pytest.approx(1.0)
    named = run_study(category_inputs(authors=["Meta", "OpenAI"]), ["F23", "F24", "F25"])
    assert set(named["F23"]["author"].to_pylist()) == {"Meta"}
    assert set(named["F24"]["author"].to_pylist()) == {"OpenAI"}
    assert named["F25"].num_rows == 0  # no third author named


def test_language_shares_from_prompts(tables):
    t4 = tables["T4"]
    assert t4["language"].to_pylist() == ["en", "zh"]
    assert cell(t4, language="en")["share_tokens"] == pytest.approx(450 / 750)


def test_no_labels_gives_empty_tables_with_their_columns():
    tables = run_study(category_inputs(labels=None), ["F19", "F21", "F38"])
    for table in tables.values():
        assert table.num_rows == 0 and "share_tokens" in table.column_names


def test_monthly_periods_by_default():
    f19 = run_study(category_inputs(sample_period="month"), ["F19"])["F19"]
    assert set(f19["period"].to_pylist()) == {WEEK_A.replace(day=1), None}  # None: the whole window


def test_confusion_correction_moves_share_back():
    # the classifier calls 20% of true programming "technology"; corrected week-B shares move toward programming
    confusion = {"confusion": {"programming": {"programming": 80, "technology": 20}, "technology": {"technology": 100}}}
    f19 = run_study(category_inputs(confusion=confusion), ["F19"])["F19"]
    # observed week B: 0.5 / 0.5 -> programming 0.5 / 0.8 = 0.625, technology 0.375
    assert cell(f19, period=WEEK_B, category="programming")["share_tokens"] == pytest.approx(0.625)
    assert cell(f19, period=WEEK_B, category="technology")["share_tokens"] == pytest.approx(0.375)
