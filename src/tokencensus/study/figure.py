"""What a figure of the study is: an Ibis expression plus how to draw and summarise it.

A figure never touches a backend directly. ``build`` receives Ibis tables and returns an Ibis
expression, so the same code runs on DuckDB or Spark; the report draws the executed table using
``chart``; ``headline`` picks the numbers that go into summary.json.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import ibis.expr.types as ir
import pyarrow as pa

Mark = Literal["area", "bar", "line", "point", "table"]
Section = Literal["market", "agentic", "categories", "geography", "retention", "economics", "ours"]


@dataclass(frozen=True)
class ChartSpec:
    """How the report draws a figure's table. Field names refer to the table's columns.

    ``y`` names the column for the token weighting; ``weights`` maps each other weighting the
    table carries (``requests``, ``spend``, ``users``) to its column, so the report can switch.
    """

    mark: Mark
    x: str | None = None
    y: str | None = None
    color: str | None = None
    weights: dict[str, str] = field(default_factory=dict)
    log_x: bool = False
    log_y: bool = False
    stack: bool = False
    y_format: str = ",.3~s"  # d3 format of the y axis and tooltips; ".0%" for shares


@dataclass(frozen=True)
class StudyInputs:
    """The Ibis tables every figure is built from.

    ``requests`` is the canonical requests table joined to the model catalog (see
    :func:`tokencensus.study.enrich.enrich`): it has every canonical column plus ``tokens``,
    ``spend`` (cost paid, BYOK excluded), ``week``, ``month``, ``model_id``, ``model_name``,
    ``author``, ``open_weights``, ``origin``, ``source_type``, ``origin_type``, ``size_class``,
    ``size_class_active``, ``is_reasoning``, ``is_tool_call``, ``is_free``, ``continent``,
    ``known_model``. ``options`` are read through :func:`tokencensus.study.options.option`.
    """

    requests: ir.Table
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Figure:
    """One figure or table of STUDY.md."""

    id: str
    title: str
    section: Section
    caption: str
    build: Callable[[StudyInputs], ir.Table]
    chart: ChartSpec
    headline: Callable[[pa.Table], dict[str, Any]] | None = None
