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

    The rest is optional and only changes how the chart reads: ``x_label``/``y_label`` are the
    axis titles (default: a title the report derives from the column name); ``series`` names
    several y columns drawn together as lines, one colour each (a mean beside its percentiles);
    ``y_domain`` fixes the y scale (stacked shares: ``(0, 1)``, which the report sets itself);
    ``markers`` is the id of another figure whose rows are drawn as dated rules on this chart
    (its table has this chart's x column; F1 marks the releases of ``F1_releases``). A table
    with ``ci_low``/``ci_high`` columns gets its 95% interval drawn around ``y``.
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
    x_label: str | None = None
    y_label: str | None = None
    series: tuple[str, ...] = ()
    y_domain: tuple[float, float] | None = None
    markers: str | None = None


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
    #: The classify stage's labels rolled up (:func:`tokencensus.study.enrich.enrich_labels`):
    #: request_id, label, label_weight, confidence, classifier, category_<view>, subcategory_<view>.
    labels: ir.Table | None = None
    #: Sampled prompts' request_id and detected language (never their text).
    prompts: ir.Table | None = None


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
