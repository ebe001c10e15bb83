"""End to end: simulate -> ingest -> study -> report, checked against the simulator's truth.json.

The simulator sums its truth from the rows it writes, in numpy; the study computes the same
quantities with Ibis on DuckDB from the ingested store. Two independent implementations that must
agree to float precision, plus the accounting of every injected bad record.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tokencensus import Study
from tokencensus.cli import app
from tokencensus.simulate import simulate

REL = 1e-9


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("pipeline")
    result = simulate(root / "logs", requests=120_000, seed=3, bad_rate=1e-4)
    truth = json.loads(Path(result.truth).read_text())
    study = Study(root / "data", options={"min_users": 0})  # exact comparison with truth: no suppression
    ingested = study.ingest([*result.activity_files, result.accounts])
    return result, truth, study, ingested


def _by(rows: list[dict], key: str, value: str, where: dict | None = None) -> dict:
    where = where or {}
    return {str(r[key]): r[value] for r in rows if all(r[k] == v for k, v in where.items())}


def test_every_record_is_accounted_for(world) -> None:
    result, truth, study, ingested = world
    counts = ingested.as_dict()
    assert counts["read"] == counts["stored"] + counts["duplicates"] + counts["quarantined"]
    injected = truth["injected"]
    assert counts["duplicates"] == injected["duplicate_same"]
    bad = ("malformed_line", "negative_tokens", "bad_timestamp", "missing_model", "duplicate_conflict")
    assert counts["quarantined"] == sum(injected[k] for k in bad)
    assert study.store.row_count() == truth["requests"]
    reasons = study.quality()["quarantined"]
    assert reasons["duplicate request_id with different content"] == injected["duplicate_conflict"]


def test_unknown_models_are_stored_and_listed(world) -> None:
    _, truth, study, _ = world
    unknown = study.quality()["unknown_models"]
    assert sum(u["requests"] for u in unknown) == truth["injected"]["unknown_model_rows"]
    assert all(u["slug"] for u in unknown)


def test_weekly_source_type_shares_equal_truth(world) -> None:
    _, truth, study, _ = world
    rows = study.figure("F1").to_pylist()
    for week in truth["weekly"]:
        got = _by(rows, "source_type", "share_tokens", {"week": _date(week["week"])})
        for source_type in ("closed", "open_china", "open_row"):
            assert got.get(source_type, 0.0) == pytest.approx(week[f"share_{source_type}"], rel=REL, abs=1e-12)


def test_reasoning_tool_calls_and_lengths_equal_truth(world) -> None:
    _, truth, study, _ = world
    f10 = study.figure("F10").to_pylist()
    f12 = study.figure("F12").to_pylist()
    f14 = {r["week"]: r for r in study.figure("F14").to_pylist()}
    f15 = {r["week"]: r for r in study.figure("F15").to_pylist()}
    for week in truth["weekly"]:
        day = _date(week["week"])
        reasoning = _by(f10, "model_type", "share_tokens", {"week": day}).get("reasoning", 0.0)
        tool_calls = _by(f12, "request_type", "share_tokens", {"week": day}).get("tool_call", 0.0)
        assert reasoning == pytest.approx(week["share_reasoning"], rel=REL, abs=1e-12)
        assert tool_calls == pytest.approx(week["share_tool_calls"], rel=REL, abs=1e-12)
        assert f14[day]["mean"] == pytest.approx(week["avg_prompt_tokens"], rel=REL)
        assert f15[day]["mean"] == pytest.approx(week["avg_completion_tokens"], rel=REL)
        assert f14[day]["p50"] <= f14[day]["p90"] <= f14[day]["p99"]


def test_authors_and_geography_equal_truth(world) -> None:
    _, truth, study, _ = world
    t1 = _by(study.figure("T1").to_pylist(), "author", "tokens")
    top = sorted(truth["open_author_tokens"].items(), key=lambda kv: -kv[1])[:10]
    assert t1 == dict(top)
    t2 = _by(study.figure("T2").to_pylist(), "continent", "share_tokens")
    for continent, share in truth["continent_token_share"].items():
        assert t2[continent] == pytest.approx(share, rel=REL)
    t3 = _by(study.figure("T3").to_pylist(), "country", "share_tokens")
    for country, share in t3.items():
        assert share == pytest.approx(truth["country_token_share"][country], rel=REL)


def test_calibrated_quantities_land_near_the_published_numbers(world) -> None:
    _, truth, study, _ = world
    summary = study.summary()
    mean_share = summary["F1"]["mean_weekly_share"]
    assert mean_share["open_china"] == pytest.approx(0.13, abs=0.03)
    assert mean_share["open_row"] == pytest.approx(0.137, abs=0.03)
    assert mean_share["closed"] == pytest.approx(0.70, abs=0.05)
    assert summary["F10"]["latest_weeks_share_tokens"] > 0.45
    assert summary["F10"]["first_weeks_share_tokens"] < 0.1
    t2 = _by(study.figure("T2").to_pylist(), "continent", "share_tokens")
    assert t2["North America"] == pytest.approx(0.4722, abs=0.04)
    assert t2["Asia"] == pytest.approx(0.2861, abs=0.04)
    t1 = study.figure("T1").column("author").to_pylist()
    assert t1[0] == "DeepSeek" and t1[1] == "Qwen"


def test_report_has_every_figure(world, tmp_path: Path) -> None:
    _, _, study, _ = world
    index = study.report(tmp_path / "report")
    html = index.read_text()
    summary = json.loads((tmp_path / "report" / "summary.json").read_text())
    for figure_id in study.figures():
        assert (tmp_path / "report" / "data" / f"{figure_id}.csv").stat().st_size > 0
        assert (tmp_path / "report" / "figures" / f"{figure_id}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert figure_id in summary["figures"]
        assert f'id="fig-{figure_id}"' in html or f'id="{figure_id}"' in html or f"{figure_id}." in html
    assert summary["quality"]["rows"] == study.store.row_count()


def test_cli_demo_runs_every_stage(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    run = CliRunner().invoke(app, ["demo", "--requests", "20000", "--out", str(out)])
    assert run.exit_code == 0, run.output
    assert (out / "report" / "index.html").is_file()
    assert (out / "data" / "manifest.json").is_file()
    # the demo classified the sampled prompts and the report says how accurate that was
    sample = json.loads((out / "report" / "summary.json").read_text())["quality"]["sample"]
    assert sample["classified_requests"] > 20 and [c.split("@")[0] for c in sample["classifiers"]] == ["fast"]
    assert sample["evaluation"]["n"] == sample["classified_requests"] and sample["evaluation"]["macro_f1"] > 0.5
    assert "Accuracy on this data" in (out / "report" / "index.html").read_text()
    ingest = CliRunner().invoke(
        app, ["ingest", str(out / "logs" / "accounts.csv"), "--data", str(out / "data"), "--json"]
    )
    assert ingest.exit_code == 0, ingest.output
    counts = json.loads(ingest.output.strip().splitlines()[-1])
    assert counts["read"] == counts["duplicates"] > 0 and counts["stored"] == 0
    # a second demo (another world) replaces the first rather than adding to its store
    rows = Study(out / "data").store.row_count()
    again = CliRunner().invoke(app, ["demo", "--requests", "10000", "--seed", "1", "--out", str(out)])
    assert again.exit_code == 0, again.output
    assert 0 < Study(out / "data").store.row_count() < rows


def test_cli_reports_bad_input_clearly(tmp_path: Path) -> None:
    junk = tmp_path / "notes.txt"
    junk.write_text("this is not a gateway log\n")
    run = CliRunner().invoke(app, ["ingest", str(junk), "--data", str(tmp_path / "data")])
    assert run.exit_code != 0
    assert "openrouter-activity" in run.output


def _date(text: str):
    from datetime import date

    return date.fromisoformat(text)
