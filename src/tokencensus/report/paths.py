"""Point at one number inside summary.json with a short path, and read it with its interval.

The report's summary cards and its comparison with the published study name numbers by path
(``F1.latest_open_share``, ``T3.top_countries[country=US].share_tokens``) rather than by code,
so picking another number is an edit of a data file. Syntax: dot-separated keys (a key may hold
spaces, not dots); ``name[field=value]`` picks the record of a list whose ``field`` equals
``value`` (compared as text).

A number may carry its 95% interval in any of the shapes the study writes: a sibling
``<key>_ci`` list ``[low, high]``, siblings ``<key>_ci_low``/``<key>_ci_high``, or the number
itself being a mapping ``{"estimate" | "value": x, "ci_low": l, "ci_high": h}``. Where the
interval sits elsewhere, ``interval`` names its path: a ``[low, high]`` list or a mapping with
``ci_low``/``ci_high`` (F40 keeps ``elasticity`` beside them).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_STEP = re.compile(r"^(?P<key>[^\[\]]+?)(?:\[(?P<field>[^=\]]+)=(?P<value>[^\]]*)\])?$")
_MISSING = object()


@dataclass(frozen=True)
class Estimate:
    """A number read from the summary, with its 95% interval when the study gave one."""

    value: float
    low: float | None = None
    high: float | None = None


def _step(node: Any, step: str) -> Any:
    match = _STEP.match(step)
    if match is None or not isinstance(node, Mapping):
        return _MISSING
    node = node.get(match["key"], _MISSING)
    if match["field"] is None:
        return node
    if not isinstance(node, list):
        return _MISSING
    field, wanted = match["field"], match["value"]
    return next((r for r in node if isinstance(r, Mapping) and str(r.get(field)) == wanted), _MISSING)


def lookup(summary: Mapping[str, Any], path: str) -> Any:
    """The value at ``path`` in ``summary`` (None when any step is missing)."""
    node: Any = summary
    for step in path.split("."):
        node = _step(node, step)
        if node is _MISSING:
            return None
    return node


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def _bounds(value: Any) -> tuple[float | None, float | None]:
    """``(low, high)`` from a ``[low, high]`` list or a mapping with ``ci_low``/``ci_high``."""
    if isinstance(value, list) and len(value) == 2:
        return _number(value[0]), _number(value[1])
    if isinstance(value, Mapping):
        return _number(value.get("ci_low")), _number(value.get("ci_high"))
    return None, None


def estimate(summary: Mapping[str, Any], path: str, interval: str | None = None) -> Estimate | None:
    """The number at ``path`` with its interval, or None when there is no finite number there."""
    value = lookup(summary, path)
    if interval is not None:
        point = None if isinstance(value, Mapping) else _number(value)
        low, high = _bounds(lookup(summary, interval))
    elif isinstance(value, Mapping):
        point = _number(value.get("estimate", value.get("value")))
        low, high = _number(value.get("ci_low")), _number(value.get("ci_high"))
    else:
        point = _number(value)
        parent, _, key = path.rpartition(".")
        pair = lookup(summary, f"{parent}.{key}_ci" if parent else f"{key}_ci")
        if isinstance(pair, list):
            low, high = _bounds(pair)
        else:
            prefix = f"{parent}.{key}" if parent else key
            low, high = _number(lookup(summary, f"{prefix}_ci_low")), _number(lookup(summary, f"{prefix}_ci_high"))
    if point is None:
        return None
    return Estimate(point, low, high) if low is not None and high is not None else Estimate(point)
