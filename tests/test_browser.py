"""The report in a real browser: headless Chromium opens a demo report with hostile logs planted.

Checks what only a browser can: every chart draws, nothing is fetched, no console error, the
weighting switch changes the numbers on screen, and log strings written as HTML or script stay
text. Screenshots of the summary and of every section, at laptop and phone width, are saved for
a person to look at (``TOKENCENSUS_ARTIFACTS``, else ``tests/artifacts/``), with the measured
load times. Skipped, with the reason, where Playwright or Chromium is missing; CI installs both.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pytest

from tokencensus import Study
from tokencensus.report.browser import chromium, missing, print_pdf, wait_for_charts
from tokencensus.simulate import simulate

SCRIPT_ATTACK = "<script>alert(1)</script>"
ATTR_ATTACK = '"><img src=x onerror=alert(1)>'
HOSTILE_ROWS = 1_500
WIDTHS = {"laptop": 1280, "phone": 390}
ARTIFACTS = Path(os.environ.get("TOKENCENSUS_ARTIFACTS") or Path(__file__).parent / "artifacts")
#: Anything the page would run from a planted string calls one of these, which raise the flag.
_TRIPWIRE = """
window.__pwned = false;
for (const name of ["alert", "confirm", "prompt"]) {
  window[name] = () => { window.__pwned = true; };
}
"""


def _plant_hostile_log(template: Path, out: Path) -> Path:
    """An activity CSV whose app names and model slugs are HTML and script, on real users' rows.

    The rows are copies of real ones (so enough distinct users stand behind them to pass the
    privacy threshold) with new ids, ending in tool calls with long prompts, so the hostile model
    slugs rank among the top tool-call models and reach a chart legend as well as the tables.
    """
    rows = pacsv.read_csv(template, convert_options=pacsv.ConvertOptions(strings_can_be_null=False, column_types={"created_at": pa.string()}))
    rows = rows.slice(0, HOSTILE_ROWS)
    n = rows.num_rows
    first_half = pc.less(pa.array(range(n)), n // 2)
    replace = {
        "generation_id": pa.array([f"gen-hostile-{i:06d}" for i in range(n)]),
        "app_name": pc.if_else(first_half, SCRIPT_ATTACK, ATTR_ATTACK),
        "model_permaslug": pc.if_else(first_half, ATTR_ATTACK, SCRIPT_ATTACK),
        "finish_reason_normalized": pa.array(["tool_calls"] * n),
        "tokens_prompt": pa.array(["200000"] * n),
    }
    for name, values in replace.items():
        rows = rows.set_column(rows.column_names.index(name), name, values.cast(rows.schema.field(name).type))
    pacsv.write_csv(rows, out)
    return out


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo report (about 50k requests) whose logs carry hostile app names and model slugs."""
    root = tmp_path_factory.mktemp("browser")
    # a 4% prompt sample (2,000 prompts) so that the category figures have cells above k users
    world = simulate(root / "logs", requests=50_000, seed=11, prompt_rate=0.04)
    hostile = _plant_hostile_log(world.activity_files[-1], root / "logs" / "hostile.csv")
    study = Study(root / "data")
    study.ingest([*world.activity_files, hostile, world.accounts])
    study.ingest(world.prompt_logs, format="openai", sample_rate=0.04, prompts_only=True)
    study.classify(truth=world.labels)
    return study.report(root / "report")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    reason = missing()
    if reason is not None:
        pytest.skip(f"browser tests need Playwright and Chromium: {reason}")
    with chromium() as launched:
        yield launched


@dataclass
class Visit:
    """An opened report page and everything it did that a test may object to."""

    page: Any
    load_s: float  # from navigation until every chart is drawn
    first_paint_s: float = 0.0  # first contentful paint: when the reader sees the page
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)


def _open(browser: Any, index: Path, width: int) -> Visit:
    """Open ``index`` at ``width`` px with every non-file request aborted; wait for the charts."""
    page = browser.new_page(viewport={"width": width, "height": 900})
    visit = Visit(page, 0.0)
    page.on("console", lambda message: visit.errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: visit.errors.append(str(error)))
    page.on("dialog", lambda dialog: (visit.dialogs.append(dialog.message), dialog.dismiss()))

    def route(request_route: Any) -> None:
        if request_route.request.url.startswith("file://"):
            request_route.continue_()
        else:
            visit.blocked.append(request_route.request.url)
            request_route.abort()

    page.route("**/*", route)
    page.add_init_script(_TRIPWIRE)
    started = time.perf_counter()
    page.goto(index.resolve().as_uri(), wait_until="load")
    state = wait_for_charts(page)
    visit.load_s = time.perf_counter() - started
    visit.first_paint_s = page.evaluate("performance.getEntriesByName('first-contentful-paint')[0].startTime") / 1000
    assert state == "ready", visit.errors
    return visit


@pytest.fixture(scope="module")
def laptop(browser: Any, report: Path) -> Iterator[Visit]:
    visit = _open(browser, report, WIDTHS["laptop"])
    yield visit
    visit.page.close()


def _record(name: str, value: Any) -> None:
    """Keep a measurement beside the screenshots (timings are recorded, never asserted)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / "measurements.json"
    known = json.loads(path.read_text()) if path.exists() else {}
    path.write_text(json.dumps({**known, name: value}, indent=2, sort_keys=True) + "\n")


def test_report_file_is_small_and_self_contained(report: Path) -> None:
    size = report.stat().st_size
    _record("index_html_bytes", size)
    assert size < 5_000_000
    text = report.read_text(encoding="utf-8")
    assert SCRIPT_ATTACK not in text and ATTR_ATTACK not in text


def test_every_figure_renders_offline_without_errors(laptop: Visit) -> None:
    _record("all_charts_drawn_s_laptop", round(laptop.load_s, 3))
    _record("first_paint_s_laptop", round(laptop.first_paint_s, 3))
    assert laptop.blocked == [] and laptop.errors == []
    drawn = laptop.page.evaluate(
        """() => Array.from(document.querySelectorAll("script.chart-spec")).map((spec) => {
             const target = document.getElementById(spec.dataset.target);
             const svg = target.querySelector("svg");
             const marks = svg ? svg.querySelectorAll("path, rect, line, circle, text").length : 0;
             const canvas = target.querySelector("canvas");
             return [spec.dataset.target, marks + (canvas && canvas.width > 0 ? 1 : 0)];
           })"""
    )
    assert len(drawn) >= 10
    empty = [target for target, marks in drawn if marks < 10]
    assert empty == []
    tables = laptop.page.locator(".chart table").count()
    assert tables >= 3  # table figures are HTML tables


def test_weighting_switch_changes_the_numbers_shown(laptop: Visit) -> None:
    chart = laptop.page.locator("#chart-F2")
    labels = chart.locator("g.role-axis-label text")
    title = chart.locator("g.role-axis-title text")
    before = labels.all_text_contents()
    assert "tokens" in " ".join(title.all_text_contents())
    chart.locator("input[type=radio][value=requests]").check()
    laptop.page.wait_for_function(
        "(before) => JSON.stringify(Array.from(document.querySelectorAll('#chart-F2 g.role-axis-label text'), (t) => t.textContent)) !== before",
        arg=json.dumps(before),
    )
    after = labels.all_text_contents()
    assert after != before and "requests" in " ".join(title.all_text_contents())
    assert laptop.errors == []


def test_hostile_strings_render_as_text_and_never_run(laptop: Visit) -> None:
    page = laptop.page
    assert laptop.dialogs == [] and page.evaluate("window.__pwned") is False
    assert page.locator('img[src="x"]').count() == 0
    assert page.evaluate("document.querySelectorAll('main script:not(.chart-spec)').length") == 0
    shown = page.locator("#method").inner_text()
    assert SCRIPT_ATTACK in shown and ATTR_ATTACK in shown  # listed as unknown models, as text
    legends = " ".join(page.locator("g.role-legend-label text").all_text_contents())
    assert SCRIPT_ATTACK in legends or ATTR_ATTACK in legends  # and drawn as text in a chart
    page.mouse.move(10, 10)
    for target in page.locator("g.role-legend-label text").all()[:20]:
        target.hover()  # tooltips and legend hovers render names too
    assert laptop.dialogs == [] and page.evaluate("window.__pwned") is False


@pytest.mark.parametrize("device", list(WIDTHS))
def test_screenshots_of_every_section(browser: Any, report: Path, device: str) -> None:
    width = WIDTHS[device]
    visit = _open(browser, report, width)
    _record(f"all_charts_drawn_s_{device}", round(visit.load_s, 3))
    _record(f"first_paint_s_{device}", round(visit.first_paint_s, 3))
    page = visit.page
    try:
        overflow = page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= width, f"the page scrolls sideways at {width}px ({overflow}px wide)"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        sections = page.locator("main > section").all()
        assert len(sections) >= 5
        for section in sections:
            section.screenshot(path=str(ARTIFACTS / f"{device}-{section.get_attribute('id')}.png"))
        page.screenshot(path=str(ARTIFACTS / f"{device}-top.png"))
    finally:
        page.close()


def test_pdf_prints_every_chart_with_no_print_date(browser: Any, report: Path, tmp_path: Path) -> None:
    pdf = print_pdf(report, tmp_path / "report.pdf", browser).read_bytes()
    assert pdf.startswith(b"%PDF-") and len(pdf) > 100_000
    assert b"/CreationDate (D:19700101000000" in pdf  # the print time would make every run differ
