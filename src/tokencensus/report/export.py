"""The report's files beside the HTML page: PNG and SVG per figure, CSV and Parquet per figure, summary.json.

These are what people paste into slides, load into a spreadsheet or diff between two runs, so
each is written with no browser, no timestamps and sorted keys: the same study gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import vl_convert as vlc

from tokencensus.report.jsonsafe import dumps

#: PNG pixels per SVG pixel: sharp on high-density screens and in slides.
PNG_SCALE = 2.0


def write_images(specs: Mapping[str, dict[str, Any]], folder: Path, vl_version: str) -> None:
    """``<id>.svg`` and ``<id>.png`` for each Vega-Lite spec, rendered by vl-convert (no browser).

    The chart is laid out once (to SVG) and the PNG rasterised from that SVG, which costs about
    a third less than asking vl-convert for each format separately. Rendering stays in this
    process: vl-convert serialises calls on one JavaScript engine, so threads gain nothing, and
    on two cores worker processes gained under 10% for 16 figures (about 0.1 s each).
    """
    folder.mkdir(parents=True, exist_ok=True)
    for figure_id, spec in specs.items():
        svg = vlc.vegalite_to_svg(spec, vl_version=vl_version)
        (folder / f"{figure_id}.svg").write_text(svg, encoding="utf-8")
        (folder / f"{figure_id}.png").write_bytes(vlc.svg_to_png(svg, scale=PNG_SCALE))


def write_pdfs(specs: Mapping[str, dict[str, Any]], folder: Path, vl_version: str) -> None:
    """``<id>.pdf`` for each Vega-Lite spec (vector, for print), rendered by vl-convert."""
    folder.mkdir(parents=True, exist_ok=True)
    for figure_id, spec in specs.items():
        (folder / f"{figure_id}.pdf").write_bytes(vlc.vegalite_to_pdf(spec, vl_version=vl_version))


def write_tables(tables: Mapping[str, pa.Table], folder: Path) -> None:
    """``<id>.csv`` (spreadsheets) and ``<id>.parquet`` (types kept, for programs) with each
    figure's table, exactly as the study computed it."""
    folder.mkdir(parents=True, exist_ok=True)
    for figure_id, table in tables.items():
        pacsv.write_csv(table, folder / f"{figure_id}.csv")
        pq.write_table(table, folder / f"{figure_id}.parquet", compression="zstd")


def write_summary(path: Path, headlines: Mapping[str, Any], quality: Mapping[str, Any]) -> None:
    """summary.json: every figure's headline numbers and the data-quality facts, JSON-safe."""
    path.write_text(dumps({"figures": headlines, "quality": quality}, indent=2) + "\n", encoding="utf-8")
