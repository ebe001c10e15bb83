"""Numbers and small tables as text for the HTML page: headlines, table figures, data quality.

The page shows values a person reads, not values a program parses (those are in the CSVs and
summary.json), so numbers get thousands separators and a few significant digits. Escaping is not
done here: the template's autoescape does it for every string this module returns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from tokencensus.report.jsonsafe import json_safe, records

#: Rows of a table shown on the page; the CSV always has them all.
MAX_HTML_ROWS = 200
MISSING = "–"

TableLike = pa.Table | Sequence[Any] | Mapping[str, Any]


def show(value: Any) -> str:
    """A value as short readable text: ``1,234,567``, ``0.4717``, ``[0.28, 0.32]``, ``2025-11-17``."""
    return _show(json_safe(value))


def _show(value: Any) -> str:
    if value is None:
        return MISSING
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 10_000 else f"{value:.4g}"
    if isinstance(value, list):
        return "[" + ", ".join(_show(item) for item in value) + "]"
    if isinstance(value, dict):
        return ", ".join(f"{key}: {_show(item)}" for key, item in value.items())
    return str(value)


def show_d3(value: Any, d3_format: str) -> str:
    """``value`` in a chart's d3 number format where Python's format mini-language agrees.

    d3's ``%``, ``f``, ``e``, ``g`` and ``,`` mean what they mean in Python; its ``~`` (trim
    zeros), ``s`` (SI prefix) and currency ``$`` do not, so ``~`` is dropped, ``$`` becomes a
    prefix, and anything else falls back to :func:`show`.
    """
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return show(value)
    spec = d3_format.replace("~", "")
    prefix = "$" if spec.startswith("$") else ""
    try:
        return prefix + format(value, spec.removeprefix("$"))
    except ValueError:
        return show(value)


@dataclass(frozen=True)
class Grid:
    """A small table as header and rows of display text; ``hidden`` rows were cut for length."""

    columns: list[str]
    rows: list[list[str]]
    hidden: int = 0


def _records(value: TableLike, columns: tuple[str, str]) -> tuple[list[str], list[Mapping[str, Any]], int]:
    """Column names, the first rows as mappings, and the total row count of a table-like value."""
    if isinstance(value, pa.Table):
        return value.column_names, records(value.slice(0, MAX_HTML_ROWS)), value.num_rows
    if isinstance(value, Mapping):
        rows = [{columns[0]: key, columns[1]: item} for key, item in value.items()]
        return list(columns), rows[:MAX_HTML_ROWS], len(rows)
    rows = [row if isinstance(row, Mapping) else {columns[0]: row} for row in value[:MAX_HTML_ROWS]]
    return list(dict.fromkeys(name for row in rows for name in row)), rows, len(value)


def grid(value: TableLike, columns: tuple[str, str] = ("key", "value"), formats: Mapping[str, str] | None = None) -> Grid:
    """Any table-like value as a :class:`Grid` for the page.

    An Arrow table or a list of records keeps its columns; a mapping becomes two columns named by
    ``columns`` (quarantined records by reason); a list of plain values becomes one column named
    ``columns[0]``. ``formats`` gives a d3 number format per column (a table figure's y column).
    """
    names, rows, total = _records(value, columns)
    formats = formats or {}
    cells = [
        [show_d3(row.get(name), formats[name]) if name in formats else show(row.get(name)) for name in names]
        for row in rows
    ]
    return Grid(names, cells, total - len(rows))
