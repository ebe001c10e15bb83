"""The study: every figure of STUDY.md as an Ibis expression, in one ordered registry.

``FIGURES`` maps a figure id to its :class:`Figure`, in the order of STUDY.md. Building a figure
only composes Ibis expressions; :func:`run_study` is the one place that executes them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pyarrow as pa

from tokencensus.study import agentic, geography, market
from tokencensus.study.figure import ChartSpec, Figure, StudyInputs

FIGURES: dict[str, Figure] = {f.id: f for module in (market, agentic, geography) for f in module.FIGURES}


def run_study(inputs: StudyInputs, ids: Iterable[str] | None = None) -> dict[str, pa.Table]:
    """Execute the named figures (default: all, in study order) and return their tables by id."""
    wanted = list(FIGURES) if ids is None else list(ids)
    unknown = [i for i in wanted if i not in FIGURES]
    if unknown:
        raise KeyError(f"unknown figure id(s) {unknown}; known: {', '.join(FIGURES)}")
    return {i: FIGURES[i].build(inputs).to_pyarrow() for i in wanted}


def headlines(tables: Mapping[str, pa.Table]) -> dict[str, dict[str, Any]]:
    """The headline numbers of each executed figure that has any, keyed by figure id."""
    return {
        i: headline(table)
        for i, table in tables.items()
        if i in FIGURES and (headline := FIGURES[i].headline) is not None
    }


__all__ = ["FIGURES", "ChartSpec", "Figure", "StudyInputs", "headlines", "run_study"]
