"""write_report: a study's figures, tables and numbers become the report folder.

::

    out_dir/index.html          one self-contained page (no network), every figure interactive
    out_dir/figures/<ID>.png    static image of each figure (and <ID>.svg; <ID>.pdf with ``pdf``)
    out_dir/data/<ID>.csv       each figure's table (and <ID>.parquet)
    out_dir/summary.json        {"figures": {id: headline numbers}, "quality": data-quality facts}
    out_dir/report.pdf          with ``pdf``: the page printed by headless Chromium

Figure ids become file names and HTML ids, so they are checked here before anything is written.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from tokencensus.report.browser import print_pdf, require_pdf_printer
from tokencensus.report.charts import VL_VERSION, chart_spec, static_spec, table_image_spec
from tokencensus.report.export import write_images, write_pdfs, write_summary, write_tables
from tokencensus.report.page import render_page
from tokencensus.study.figure import Figure, Section

_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")


def _check_figures(figures: Sequence[Figure]) -> None:
    ids = [figure.id for figure in figures]
    bad = [figure_id for figure_id in ids if not _ID.fullmatch(figure_id)]
    if bad:
        raise ValueError(f"figure ids must be a letter then letters, digits, '_' or '-': {bad}")
    repeated = sorted({figure_id for figure_id in ids if ids.count(figure_id) > 1})
    if repeated:
        raise ValueError(f"figure ids appear more than once: {repeated}")
    sections = typing.get_args(Section)
    unknown = sorted({figure.section for figure in figures} - set(sections))
    if unknown:
        raise ValueError(f"unknown report sections {unknown}; known: {list(sections)}")


def _image_spec(figure: Figure, table: pa.Table, page_spec: dict[str, Any] | None) -> dict[str, Any]:
    """The still image's spec: the page's chart (or a drawn table), titled, since it travels alone."""
    spec = static_spec(page_spec) if page_spec is not None else table_image_spec(figure, table)
    return {**spec, "title": f"{figure.id}. {figure.title}"}


def write_report(
    out_dir: Path,
    figures: Sequence[Figure],
    tables: Mapping[str, pa.Table],
    summary: Mapping[str, Mapping[str, Any]],
    quality: Mapping[str, Any],
    *,
    pdf: bool = False,
) -> Path:
    """Write the report folder for ``figures`` and return the path of its index.html.

    ``tables`` maps a figure id to its executed table; a figure without one is listed on the page
    as having no data, and gets no image or CSV. ``summary`` maps a figure id to its headline
    numbers. ``quality`` holds the data-quality facts: ``date_range`` ([first, last]), ``rows``,
    ``quarantined`` ({reason: records}), ``unknown_models`` (table or records with slug, requests,
    tokens), ``sources`` (table, records or names), ``versions`` ({component: version}); any other
    key is listed as is. The same inputs always give byte-identical files.

    ``pdf`` also writes each figure as a vector PDF and the whole page as ``report.pdf``, which
    needs Playwright and a system Chromium: without them :class:`BrowserMissing` is raised
    before anything is written.
    """
    _check_figures(figures)
    if pdf:
        require_pdf_printer()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    present = [figure for figure in figures if figure.id in tables]
    specs = {
        f.id: chart_spec(f, tables[f.id], tables.get(f.chart.markers) if f.chart.markers else None)
        for f in present
        if f.chart.mark != "table" and tables[f.id].num_rows
    }
    images = {f.id: _image_spec(f, tables[f.id], specs.get(f.id)) for f in present}
    write_images(images, out_dir / "figures", VL_VERSION)
    write_tables({f.id: tables[f.id] for f in present}, out_dir / "data")
    write_summary(out_dir / "summary.json", {f.id: summary.get(f.id, {}) for f in figures}, quality)
    index = out_dir / "index.html"
    index.write_text(render_page(figures, tables, specs, summary, quality), encoding="utf-8")
    if pdf:
        write_pdfs(images, out_dir / "figures", VL_VERSION)
        print_pdf(index, out_dir / "report.pdf")
    return index
