"""The report page: one HTML file with every chart, its data and the scripts to draw it inline.

A study's report gets mailed, archived and opened on air-gapped machines, so the page loads
nothing: Vega, Vega-Lite and vega-embed are inlined once from vl-convert's bundle, and each chart
is a JSON spec in a ``<script type="application/json">`` that a few lines of script hand to
vega-embed. Every string that comes from data goes through Jinja2 autoescape (HTML) or
:func:`~tokencensus.report.jsonsafe.script_json` (JSON inside script), never raw.
"""

from __future__ import annotations

import functools
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jinja2
import pyarrow as pa
import vl_convert as vlc
from markupsafe import Markup

from tokencensus import __version__
from tokencensus.report.cells import Grid, grid, show
from tokencensus.report.charts import VL_VERSION
from tokencensus.report.jsonsafe import script_json
from tokencensus.report.labels import title
from tokencensus.report.presentation import key_numbers, published_view
from tokencensus.study.figure import Figure, Section

#: Section headings; the page follows the order of ``figure.Section``.
SECTION_TITLES: dict[str, str] = {
    "market": "Open vs closed models",
    "agentic": "Agentic inference",
    "categories": "Categories",
    "geography": "Geography and language",
    "retention": "Retention",
    "economics": "Cost vs usage",
    "ours": "Beyond the report",
}

#: Quality facts with their own place on the page; any other key is listed under "Other facts".
QUALITY_KEYS = ("date_range", "rows", "quarantined", "unknown_models", "sources", "versions", "sample", "privacy")


@dataclass(frozen=True)
class FigureView:
    """What the template needs for one figure: text, and either a chart spec or a table."""

    figure: Figure
    spec_json: Markup | None
    table: Grid | None
    available: bool


@functools.cache
def vega_bundle() -> Markup:
    """Vega, Vega-Lite and vega-embed as one script (about 0.9 MB), safe to inline in ``<script>``."""
    bundle = vlc.javascript_bundle(vl_version=VL_VERSION)
    if "</script" in bundle.lower() or "<!--" in bundle:
        raise RuntimeError("the vl-convert script bundle cannot be inlined in <script>")
    return Markup(bundle)


def _figure_view(figure: Figure, table: pa.Table | None, spec: Mapping[str, Any] | None) -> FigureView:
    if table is None or table.num_rows == 0:
        return FigureView(figure, None, None, available=False)
    if figure.chart.mark == "table":
        shares = {name: ".1%" for name in table.column_names if name.startswith("share_")}
        formats = shares | ({figure.chart.y: figure.chart.y_format} if figure.chart.y else {})
        return FigureView(figure, None, grid(table, formats=formats), available=True)
    page_spec = {key: item for key, item in (spec or {}).items() if key != "$schema"}
    return FigureView(figure, Markup(script_json(page_spec)), None, available=True)


def classifier_scores(evaluation: Mapping[str, Any] | None) -> Grid | None:
    """Per-label precision, recall, F1 and support of the classifier on the known tasks."""
    if not evaluation:
        return None
    rows = [{"label": label, **{k: s[k] for k in ("precision", "recall", "f1", "support")}}
            for label, s in evaluation["per_label"].items() if s["support"]]
    return grid(rows, formats={"precision": ".3f", "recall": ".3f", "f1": ".3f"})


def suppression_rows(privacy: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """Per figure: cells suppressed for too few users, and more suppressed so those cannot be
    recovered by subtraction."""
    counts = (privacy or {}).get("suppressed") or {}
    return [{"figure": figure_id, "cells under the minimum": c["primary"], "cells hiding them": c["secondary"]}
            for figure_id, c in counts.items()]


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("tokencensus.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["show"] = show
    env.filters["column_title"] = title
    env.globals["grid"] = grid
    return env


def render_page(
    figures: Sequence[Figure],
    tables: Mapping[str, pa.Table],
    specs: Mapping[str, Mapping[str, Any]],
    summary: Mapping[str, Mapping[str, Any]],
    quality: Mapping[str, Any],
) -> str:
    """The whole HTML page as text. ``specs`` holds the chart spec of each non-table figure."""
    views = [_figure_view(f, tables.get(f.id), specs.get(f.id)) for f in figures]
    sections = [
        (key, SECTION_TITLES[key], [view for view in views if view.figure.section == key])
        for key in typing.get_args(Section)
    ]
    shown = {view.figure.id for view in views if view.available}
    template = _environment().get_template("report.html.j2")
    return template.render(
        sections=[section for section in sections if section[2]],
        key_numbers=[card for card in key_numbers(summary) if card.figure_id in shown],
        published=published_view({key: item for key, item in summary.items() if key in shown}),
        titles={f.id: f.title for f in figures},
        quality=quality,
        other_quality={key: item for key, item in quality.items() if key not in QUALITY_KEYS},
        classifier_scores=classifier_scores((quality.get("sample") or {}).get("evaluation")),
        suppression=suppression_rows(quality.get("privacy")),
        version=__version__,
        vega_bundle=vega_bundle(),
    )
