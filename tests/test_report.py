"""The report folder: an offline, escaped, reproducible page plus images, CSVs and summary.json."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
import vl_convert as vlc
from hypothesis import given, settings
from hypothesis import strategies as st

from tokencensus.report import browser, write_report
from tokencensus.report.browser import BrowserMissing
from tokencensus.report.cells import grid, show, show_d3
from tokencensus.report.charts import VL_VERSION, chart_spec
from tokencensus.report.jsonsafe import json_safe, records, script_json
from tokencensus.report.page import render_page
from tokencensus.report.presentation import key_numbers
from tokencensus.report.paths import Estimate, estimate, lookup
from tokencensus.study.figure import ChartSpec, Figure

SCRIPT_ATTACK = "</script><script>alert(1)</script>"
ATTR_ATTACK = '"><img src=x onerror=alert(1)>'
WEEKS = [dt.date(2025, 1, 6) + dt.timedelta(weeks=i) for i in range(12)]
GROUPS = ["closed", "open China", "open RoW", SCRIPT_ATTACK]


def _unused_build(inputs):  # the report never calls build: it receives executed tables
    raise AssertionError("the report must not build figures")


def _figure(figure_id: str, section: str, chart: ChartSpec, title: str = "A figure") -> Figure:
    return Figure(figure_id, title, section, f"What {figure_id} plots.", _unused_build, chart)  # type: ignore[arg-type]


def _weekly_shares() -> pa.Table:
    rng = np.random.default_rng(7)
    raw = rng.random((len(WEEKS), len(GROUPS)))
    tokens = (raw / raw.sum(axis=1, keepdims=True)).ravel()
    requests = (raw[:, ::-1] / raw.sum(axis=1, keepdims=True)).ravel()
    return pa.table(
        {
            "week": pa.array(np.repeat(WEEKS, len(GROUPS)), pa.date32()),
            "source_type": pa.array(GROUPS * len(WEEKS)),
            "share_tokens": tokens,
            "share_requests": requests,
            "share_users": requests[::-1],
        }
    )


FIGURES = [
    _figure("F1", "market", ChartSpec("area", "week", "share_tokens", "source_type", {"requests": "share_requests"}, stack=True, y_format=".0%")),
    _figure("T1", "market", ChartSpec("bar", "author", "tokens")),
    _figure("F10", "agentic", ChartSpec("line", "ts", "reasoning_share", y_format=".0%")),
    _figure("F30", "retention", ChartSpec("line", "months_since", "retained", "cohort", y_format=".0%"), title=f"Retention {SCRIPT_ATTACK}"),
    _figure("F38", "economics", ChartSpec("point", "tokens", "cost_per_m", "category", log_x=True, log_y=True)),
    _figure("T3", "geography", ChartSpec("table", y="token_share", y_format=".1%")),
    _figure("X1", "ours", ChartSpec("bar", "week", "tokens", "source_type", stack=False)),
    _figure("X2", "ours", ChartSpec("line", "week", "tokens")),  # no table: the study had no data for it
]

TABLES = {
    "F1": _weekly_shares(),
    "T1": pa.table({"author": ["DeepSeek", ATTR_ATTACK, "Qwen"], "tokens": pa.array([14_370, 5_590, 3_960], pa.int64())}),
    "F10": pa.table(
        {
            "ts": pa.array([dt.datetime(2025, 1, 6 + i, tzinfo=dt.UTC) for i in range(5)], pa.timestamp("us", "UTC")),
            "reasoning_share": [0.01, 0.1, 0.2, 0.4, 0.55],
        }
    ),
    "F30": pa.table(
        {
            "months_since": pa.array([0, 1, 2] * 2, pa.int64()),
            "cohort": pa.array([dt.date(2025, 5, 1)] * 3 + [dt.date(2025, 6, 1)] * 3, pa.date32()),
            "retained": [1.0, 0.45, 0.4, 1.0, 0.3, 0.35],
        }
    ),
    "F38": pa.table(
        {
            "category": ["programming", SCRIPT_ATTACK, "roleplay", "legal"],
            "tokens": [1e12, 3e9, 8e11, 0.0],  # the zero cannot sit on a log axis
            "cost_per_m": [2.0, 0.9, 0.3, 5.0],
        }
    ),
    "T3": pa.table({"country": ["US", "SG", ATTR_ATTACK], "token_share": [0.4717, 0.0921, None]}),
    "X1": _weekly_shares().rename_columns(["week", "source_type", "tokens", "requests", "users"]),
}
SUMMARY = {
    "F1": {
        "latest_open_share": 0.331,
        "latest_open_share_ci": [0.31, 0.35],
        "latest_share": {"open_china": 0.2, "open_row": 0.131},
        "gap": [0.31, float("nan")],
        "weeks": np.int64(12),
    },
    "T1": {"top_authors": [{"rank": 1, "author": ATTR_ATTACK, "share_tokens": 0.4}, {"rank": 2, "author": "Qwen", "share_tokens": 0.2}]},
}
QUALITY = {
    "date_range": [dt.date(2025, 1, 6), dt.date(2025, 3, 30)],
    "rows": 123_456,
    "quarantined": {"unparseable JSON": 3, SCRIPT_ATTACK: 1},
    "unknown_models": pa.table({"slug": ["acme/x-1", ATTR_ATTACK], "requests": [10, 2], "tokens": [1_000, 30]}),
    "sources": ["logs/a.jsonl", "logs/b.csv"],
    "versions": {"tokencensus": "0.1.0", "catalog": "2025.12"},
    "sample_rate": 0.0025,
}


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The same report written twice, into two folders."""
    first = write_report(tmp_path_factory.mktemp("a"), FIGURES, TABLES, SUMMARY, QUALITY).parent
    second = write_report(tmp_path_factory.mktemp("b"), FIGURES, TABLES, SUMMARY, QUALITY).parent
    return first, second


@pytest.fixture(scope="module")
def html(reports: tuple[Path, Path]) -> str:
    return (reports[0] / "index.html").read_text(encoding="utf-8")


def _chart_specs(page: str) -> dict[str, dict]:
    found = re.findall(r'<script type="application/json" class="chart-spec" data-target="chart-([^"]+)">(.*?)</script>', page, re.S)
    return {figure_id: json.loads(text) for figure_id, text in found}


def test_page_loads_nothing_from_outside(html: str) -> None:
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", html, re.I)
    assert not re.search(r"<script[^>]*\bsrc\s*=", html, re.I)
    assert not re.search(r"<link\b", html, re.I)
    for host in ("cdn.jsdelivr.net", "unpkg.com", "cdnjs.cloudflare.com", "fonts.googleapis.com"):
        assert host not in html


def test_vega_scripts_inlined_once_and_page_small(html: str) -> None:
    assert html.count("window.vegaEmbed=") == 1
    assert html.count("window.vegaLite=") == 1
    assert len(html.encode()) < 5_000_000


def test_one_chart_container_per_figure_in_section_order(html: str) -> None:
    containers = re.findall(r'data-figure="([^"]+)"', html)
    assert containers == ["F1", "T1", "F10", "T3", "F30", "F38", "X1", "X2"]
    sections = re.findall(r'<section id="([a-z]+)">', html)
    assert sections == ["summary", "market", "agentic", "geography", "retention", "economics", "ours", "published", "method"]
    specs = _chart_specs(html)
    assert sorted(specs) == ["F1", "F10", "F30", "F38", "T1", "X1"]  # tables are HTML, X2 has no data
    assert "This study has no data for this figure." in html


def test_hostile_strings_never_reach_the_page_unescaped(html: str) -> None:
    for attack in (SCRIPT_ATTACK, ATTR_ATTACK, "<script>alert(1)", "<img src=x"):
        assert attack not in html
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in html  # shown as text
    assert html.count("</script>") == html.count("<script")
    # inside the chart JSON the strings survive intact once parsed
    values = json.dumps(_chart_specs(html)["F38"]["datasets"])
    assert json.dumps(SCRIPT_ATTACK) in values


def test_charts_follow_their_chart_spec(html: str) -> None:
    specs = _chart_specs(html)
    area = specs["F1"]
    assert area["mark"]["type"] == "area" and area["encoding"]["y"]["stack"] == "zero"
    assert area["encoding"]["x"]["type"] == "temporal" and area["encoding"]["x"]["scale"]["type"] == "utc"
    switch = next(p for p in area["params"] if p["name"] == "weighting")
    # the figure names requests; share_users is found in the table by the study's naming
    assert switch["bind"]["options"] == ["share_tokens", "share_requests", "share_users"]
    assert switch["bind"]["labels"] == ["tokens", "requests", "users"]
    assert any(p.get("bind") == "legend" for p in area["params"])
    value_axis = area["encoding"]["y"]
    assert value_axis["scale"]["domain"] == [0.0, 1.0]  # stacked shares end at 100%, not 110%
    assert "share of requests" in value_axis["axis"]["title"]["expr"]  # the title follows the switch
    spend_first = _figure("F29", "geography", ChartSpec("area", "week", "share_spend", weights={"tokens": "share_tokens"}))
    table = pa.table({"week": WEEKS[:2], "share_spend": [0.5, 0.6], "share_tokens": [0.4, 0.3]})
    assert chart_spec(spend_first, table)["params"][0]["bind"]["labels"] == ["spend", "tokens"]
    tooltip_fields = {t["field"] for t in area["encoding"]["tooltip"]}
    assert tooltip_fields == {"week", "source_type", "share_tokens", "share_requests", "share_users"}
    assert specs["F10"]["encoding"]["y"]["title"] == "reasoning share"  # a real title, never "selected weighting"

    bar = specs["T1"]  # a category axis turns the bars horizontal, longest first
    assert bar["encoding"]["y"]["field"] == "author" and bar["encoding"]["y"]["sort"] == "-x"
    assert specs["X1"]["encoding"]["xOffset"]["field"] == "source_type"  # unstacked bars side by side
    scatter = specs["F38"]
    assert scatter["encoding"]["x"]["scale"]["type"] == "log" and scatter["encoding"]["y"]["scale"]["type"] == "log"
    assert any("> 0" in t.get("filter", "") for t in scatter["transform"])
    assert specs["F10"]["datasets"][specs["F10"]["data"]["name"]][0]["ts"] == "2025-01-06T00:00:00.000Z"


def test_page_specs_compile_with_the_bundled_vega_lite(html: str) -> None:
    for figure_id, spec in _chart_specs(html).items():
        vega = vlc.vegalite_to_vega(spec, vl_version=VL_VERSION)
        bound = [signal["bind"]["input"] for signal in vega.get("signals", []) if "bind" in signal]
        assert bound == (["radio"] if figure_id in ("F1", "X1") else []), figure_id


def test_table_figure_and_quality_section(html: str) -> None:
    assert "<td>47.2%</td>" in html and "<td>9.2%</td>" in html
    assert "2025-01-06 to 2025-03-30" in html and "123,456" in html
    assert "<td>unparseable JSON</td><td>3</td>" in html
    assert "<td>acme/x-1</td><td>10</td><td>1,000</td>" in html
    assert "<td>logs/b.csv</td>" in html and "2025.12" in html


def test_images_are_real_pngs_and_svgs(reports: tuple[Path, Path]) -> None:
    figures = reports[0] / "figures"
    for figure_id in ("F1", "T1", "F10", "F30", "F38", "T3", "X1"):
        png = (figures / f"{figure_id}.png").read_bytes()
        assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5_000
        assert (figures / f"{figure_id}.svg").read_text().startswith("<svg")
    assert not (figures / "X2.png").exists()


def test_csv_round_trips(reports: tuple[Path, Path]) -> None:
    for figure_id, table in TABLES.items():
        options = pacsv.ConvertOptions(column_types=table.schema, quoted_strings_can_be_null=False)
        back = pacsv.read_csv(reports[0] / "data" / f"{figure_id}.csv", convert_options=options)
        assert back.equals(table), figure_id


def test_summary_json_has_every_figure_and_is_json_safe(reports: tuple[Path, Path]) -> None:
    summary = json.loads((reports[0] / "summary.json").read_text(encoding="utf-8"))
    assert sorted(summary["figures"]) == sorted(f.id for f in FIGURES)
    assert summary["figures"]["F1"]["gap"] == [0.31, None] and summary["figures"]["F1"]["weeks"] == 12
    assert summary["figures"]["F1"]["latest_share"] == {"open_china": 0.2, "open_row": 0.131}  # complete, not just the cards
    assert summary["quality"]["date_range"] == ["2025-01-06", "2025-03-30"]
    assert summary["quality"]["unknown_models"][1] == {"requests": 2, "slug": ATTR_ATTACK, "tokens": 30}


def test_same_inputs_give_identical_bytes(reports: tuple[Path, Path]) -> None:
    first, second = reports
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    for name in files:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_bad_inputs_fail_before_writing(tmp_path: Path) -> None:
    line = ChartSpec("line", "week", "tokens")
    with pytest.raises(ValueError, match="figure ids"):
        write_report(tmp_path, [_figure("../F1", "market", line)], {}, {}, {})
    with pytest.raises(ValueError, match="more than once"):
        write_report(tmp_path, [_figure("F1", "market", line), _figure("F1", "agentic", line)], {}, {}, {})
    with pytest.raises(ValueError, match="not in its table"):
        chart_spec(_figure("F1", "market", ChartSpec("line", "week", "missing")), TABLES["X1"])
    assert not any(tmp_path.iterdir())


def test_json_safe_and_display_text() -> None:
    table = pa.table(
        {
            "x": pa.array([1.5, float("nan"), float("inf"), None]),
            "d": pa.array([dt.date(2025, 1, 1), None, None, None], pa.date32()),
            "n": pa.array([1, 2, 3, 4], pa.decimal128(10, 0)),
        }
    )
    assert records(table)[0] == {"x": 1.5, "d": "2025-01-01", "n": 1.0}
    assert [row["x"] for row in records(table)] == [1.5, None, None, None]
    noisy = pa.table({"x": [0.5488135039273248, 1234567.891, 0.0, -3.14159265, None]})
    assert [row["x"] for row in records(noisy, significant=6)] == [0.548814, 1234570.0, 0.0, -3.14159, None]
    assert json_safe({1: np.float64("nan"), "t": (np.int32(3), dt.datetime(2025, 1, 1, 12))}) == {
        "1": None,
        "t": [3, "2025-01-01T12:00:00"],
    }
    with pytest.raises(TypeError):
        json_safe(object())
    assert show(1234567) == "1,234,567" and show(0.47171) == "0.4717"
    assert show(None) == show(float("nan")) == "–"
    assert show_d3(0.4717, ".1%") == "47.2%" and show_d3(2.5, "$,.2f") == "$2.50"
    assert show_d3(1.5e9, ",.3~s") == "1,500,000,000"  # no SI prefixes in Python: plain digits
    assert grid({"a": 1}, ("reason", "records")).rows == [["a", "1"]]


@given(st.text())
def test_script_json_cannot_break_out_of_a_script(text: str) -> None:
    encoded = script_json({"model": text})
    assert not set(encoded) & {"<", ">", "&", "\u2028", "\u2029"}
    assert json.loads(encoded) == {"model": text}


@settings(max_examples=25, deadline=None)
@given(st.text(min_size=1).map(lambda s: s + "<x>"))
def test_any_model_name_is_escaped_on_the_page(name: str) -> None:
    figure = _figure("T1", "market", ChartSpec("bar", "model", "tokens"))
    table = pa.table({"model": [name, "plain"], "tokens": [3, 4]})
    page = render_page([figure], {"T1": table}, {"T1": chart_spec(figure, table)}, {"T1": {"top": name}}, {"rows": 1})
    assert name not in page
    spec = _chart_specs(page)["T1"]
    assert spec["datasets"][spec["data"]["name"]][0]["model"] == name


def test_summary_cards_are_worded_numbers_with_intervals(html: str) -> None:
    cards = re.search(r'<section id="summary">(.*?)</section>', html, re.S)
    assert cards is not None
    text = cards.group(1)
    assert "33.1%" in text and "95% CI 31.0% to 35.0%" in text  # the number and its interval
    assert "20.0% from Chinese open-weight models, 13.1% from the rest of the world." in text
    assert "{" not in text and "latest_open_share" not in text  # words, not a dump of dicts
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt; leads, ahead of Qwen at 20.0%." in text  # escaped


def test_published_comparison_sits_beside_our_numbers(html: str) -> None:
    section = re.search(r'<section id="published">(.*?)</section>', html, re.S)
    assert section is not None
    assert "Open-weight share of tokens, late 2025" in section.group(1)
    assert "about 1/3, settling near 30%" in section.group(1) and "33.1%" in section.group(1)
    assert "arXiv 2601.10088" in section.group(1)
    assert re.search(r"\d+ more published numbers have no counterpart", section.group(1))


def test_parquet_exports_keep_types(reports: tuple[Path, Path]) -> None:
    for figure_id, table in TABLES.items():
        assert pq.read_table(reports[0] / "data" / f"{figure_id}.parquet").equals(table), figure_id


def test_series_markers_and_intervals_are_drawn() -> None:
    lengths = pa.table(
        {"week": WEEKS[:3], "mean": [10.0, 20.0, 30.0], "p50": [5.0, 6.0, 7.0], "p99": [90.0, 99.0, 120.0]}
    )
    series = _figure("F14", "agentic", ChartSpec("line", "week", "mean", series=("mean", "p50", "p99"), y_label="prompt tokens per request"))
    spec = chart_spec(series, lengths)
    assert spec["transform"][0] == {"fold": ["mean", "p50", "p99"], "as": ["statistic", "weighted_value"]}
    assert spec["encoding"]["color"]["field"] == "statistic"
    assert spec["encoding"]["y"]["title"] == "prompt tokens per request"

    releases = pa.table({"week": WEEKS[2:4], "model_name": ["DeepSeek R1", SCRIPT_ATTACK]})
    marked = _figure("F1", "market", ChartSpec("area", "week", "share_tokens", "source_type", stack=True, markers="F1_releases"))
    spec = chart_spec(marked, _weekly_shares(), releases)
    rules = spec["layer"][1]["layer"][0]
    assert rules["mark"]["type"] == "rule" and spec["layer"][1]["data"] == {"name": "markers"}
    assert [row["model_name"] for row in spec["datasets"]["markers"]] == ["DeepSeek R1", SCRIPT_ATTACK]

    shares = pa.table({"week": WEEKS[:2], "share_tokens": [0.3, 0.4], "ci_low": [0.25, 0.35], "ci_high": [0.36, 0.44]})
    spec = chart_spec(_figure("F19", "categories", ChartSpec("line", "week", "share_tokens", y_format=".0%")), shares)
    assert spec["layer"][1]["mark"]["type"] == "errorband"
    assert spec["layer"][1]["encoding"]["y2"]["field"] == "ci_high"
    for drawn in (spec, chart_spec(marked, _weekly_shares(), releases)):
        vlc.vegalite_to_svg(drawn, vl_version=VL_VERSION)  # compiles and renders


def test_a_figure_without_rows_says_so(tmp_path: Path) -> None:
    figure = _figure("F19", "categories", ChartSpec("line", "week", "share_tokens"))
    empty = pa.table({"week": pa.array([], pa.date32()), "share_tokens": pa.array([], pa.float64())})
    page = write_report(tmp_path, [figure], {"F19": empty}, {}, {}).read_text(encoding="utf-8")
    assert "This study has no data for this figure." in page and not _chart_specs(page)


def test_summary_paths_read_numbers_and_intervals() -> None:
    summary = {
        "a": {"x": 0.5, "x_ci": [0.4, 0.6], "y": {"estimate": 2.0, "ci_low": 1.0, "ci_high": 3.0}},
        "rows": [{"country": "US", "share": 0.47, "share_ci_low": 0.4, "share_ci_high": 0.5}, {"country": "SG", "share": 0.09}],
        "North America": float("nan"),
    }
    assert estimate(summary, "a.x") == Estimate(0.5, 0.4, 0.6)
    assert estimate(summary, "a.y") == Estimate(2.0, 1.0, 3.0)
    assert estimate(summary, "rows[country=US].share") == Estimate(0.47, 0.4, 0.5)
    assert estimate(summary, "rows[country=SG].share") == Estimate(0.09)
    assert estimate(summary, "rows[country=XX].share") is None and estimate(summary, "North America") is None
    assert lookup(summary, "a.x.deeper") is None and lookup(summary, "rows[country=US") is None
    fit = {"all": {"elasticity": -0.06, "ci_low": -0.08, "ci_high": -0.04, "r2": 0.5}}
    assert estimate(fit, "all.elasticity", interval="all") == Estimate(-0.06, -0.08, -0.04)
    assert estimate(fit, "all.r2") == Estimate(0.5)  # no interval unless one is named


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.text(alphabet=st.characters(blacklist_characters=".[]=\n", blacklist_categories=("Cs",)), min_size=1), min_size=1, max_size=4),
    st.floats(allow_nan=False, allow_infinity=False),
)
def test_any_nested_key_path_finds_its_number(keys: list[str], value: float) -> None:
    nested: dict = {}
    node = nested
    for key in keys[:-1]:
        node = node.setdefault(key, {})
    node[keys[-1]] = value
    found = estimate(nested, ".".join(keys))
    assert found == Estimate(value) or len(set(keys)) < len(keys)


def test_pdf_without_a_browser_fails_clearly_before_writing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(browser, "missing", lambda: "no Chromium found on PATH")
    with pytest.raises(BrowserMissing, match="no Chromium found on PATH"):
        write_report(tmp_path / "out", FIGURES, TABLES, SUMMARY, QUALITY, pdf=True)
    assert not (tmp_path / "out").exists()


def test_method_section_states_privacy_and_classifier_accuracy() -> None:
    figure = _figure("T1", "market", ChartSpec("bar", "model", "tokens"))
    table = pa.table({"model": ["a"], "tokens": [3]})
    evaluation = {"n": 120, "truth": "labels.parquet", "macro_f1": 0.8123, "macro_f1_report12": 0.7456,
                  "per_label": {"programming": {"precision": 0.9, "recall": 0.8, "f1": 0.847, "support": 100},
                                "roleplay": {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 20}}}
    quality = {
        "rows": 1,
        "privacy": {"min_users": 50, "suppressed": {"F1": {"primary": 4, "secondary": 2},
                                                    "T3": {"primary": 1, "secondary": 0}}},
        "sample": {"classified_requests": 130, "used_requests": 120, "min_confidence": 0.5, "classifiers": ["fast@1"],
                   "sample_rate": 0.0025, "replicates": 200, "confidence_level": 0.95, "evaluation": evaluation},
    }
    page = render_page([figure], {"T1": table}, {"T1": chart_spec(figure, table)}, {}, quality)
    assert "fewer than 50 distinct users" in page and "5 cells, and 2 more" in page and "in 2 figures" in page
    assert "130 classified requests" in page and "(0.25% of requests)" in page and "fast@1" in page
    assert "macro-F1 is 0.812 over the leaf labels and 0.746 over the 12 chart categories" in page
    assert "<td>programming</td>" in page and "<td>0.847</td>" in page
    quiet = render_page([figure], {"T1": table}, {"T1": chart_spec(figure, table)}, {},
                        {"rows": 1, "privacy": {"min_users": 50, "suppressed": {}},
                         "sample": {"classified_requests": 0, "classifiers": []}})
    assert "no cell had to be" in quiet and "No prompt was classified" in quiet


def test_suppressed_headlines_say_so_instead_of_vanishing() -> None:
    summary = {"F19": {"first_periods_share_tokens": None, "latest_periods_share_tokens": 0.5,
                       "suppressed": ["first_periods_share_tokens"]}}
    picks = [{"figure": "F19", "label": "first", "value": "first_periods_share_tokens"},
             {"figure": "F19", "label": "latest", "value": "latest_periods_share_tokens", "format": ".0%"},
             {"figure": "F19", "label": "absent", "value": "no_such_number"}]
    cards = {card.label: card.value for card in key_numbers(summary, picks)}
    assert cards == {"first": "suppressed", "latest": "50%"}
