"""The study: every figure of STUDY.md as an Ibis expression, in one ordered registry.

``FIGURES`` maps a figure id to its :class:`Figure`, in the order of STUDY.md (each table right
after the figure it belongs with, "ours" last). Building a figure only composes Ibis
expressions; :func:`run_study` is the one place that executes them, and the one place that
applies minimum aggregation (primary and secondary suppression, :func:`.estimate.suppress`), so
no output can skip it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import pyarrow as pa

from tokencensus.study import agentic, categories, economics, geography, market, operations, retention
from tokencensus.study.estimate import suppress, suppression_counts
from tokencensus.study.figure import ChartSpec, Figure, StudyInputs
from tokencensus.study.options import option

#: Where a table (T) or an extra view sits in STUDY.md: right after the figure named here.
_PLACED_AFTER = {"T1": "F2", "T2": "F29", "T3": "F29", "T4": "F29", "T5": "F40"}
_OURS = 1000


def _position(figure_id: str) -> float:
    """Sort key for study order: F<n> by n, tables after their figure, 'ours' views (O<n>) last."""
    anchor = _PLACED_AFTER.get(figure_id, figure_id)
    kind, number = re.match(r"([A-Z])(\d+)", anchor).groups()
    offset = 0.5 if anchor != figure_id else 0.0
    return int(number) + offset + (_OURS if kind == "O" else 0)


_ALL = [f for module in (market, agentic, geography, categories, retention, economics, operations) for f in module.FIGURES]
FIGURES: dict[str, Figure] = {f.id: f for f in sorted(_ALL, key=lambda f: _position(f.id))}


def run_study(inputs: StudyInputs, ids: Iterable[str] | None = None) -> dict[str, pa.Table]:
    """Execute the named figures (default: all, in study order) and return their tables by id.

    Every table with a ``users`` column loses the rows backed by fewer than the ``min_users``
    option's distinct users, and the rows that would give those away by subtraction; each table
    carries both counts, which :func:`suppressed` reports per figure.
    """
    wanted = list(FIGURES) if ids is None else list(ids)
    unknown = [i for i in wanted if i not in FIGURES]
    if unknown:
        raise KeyError(f"unknown figure id(s) {unknown}; known: {', '.join(FIGURES)}")
    k = option(inputs.options, "min_users")
    return {i: suppress(FIGURES[i].build(inputs).to_pyarrow(), k) for i in wanted}


def suppressed(tables: Mapping[str, pa.Table]) -> dict[str, dict[str, int]]:
    """Rows removed by minimum aggregation per figure id, as ``{"primary": n, "secondary": m}``:
    primary for too few users, secondary to keep those from being recovered by subtraction
    (figures with none left out)."""
    counts = {i: suppression_counts(table) for i, table in tables.items()}
    return {i: c for i, c in counts.items() if any(c.values())}


def headlines(tables: Mapping[str, pa.Table]) -> dict[str, dict[str, Any]]:
    """The headline numbers of each executed figure that has any, keyed by figure id."""
    return {
        i: headline(table)
        for i, table in tables.items()
        if i in FIGURES and (headline := FIGURES[i].headline) is not None
    }


__all__ = ["FIGURES", "ChartSpec", "Figure", "StudyInputs", "headlines", "run_study", "suppressed"]
