"""Turn study results into plain JSON, the same bytes every run, safe inside an HTML ``<script>``.

Figure tables and the quality mapping carry Arrow dates, NaN, decimals and numpy scalars, none
of which JSON has. Converting them here, once, keeps summary.json and the chart data embedded in
the page agreeing on one spelling (ISO dates, ``null`` for missing or non-finite numbers).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# Characters that could end a <script> element or start an HTML comment or entity, plus the two
# line separators that some JavaScript parsers reject inside string literals.
_SCRIPT_ESCAPES = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)


def _jsonable_column(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """One column as types JSON can hold: dates and times as ISO text, NaN and inf as null."""
    kind = column.type
    if pa.types.is_dictionary(kind):
        return _jsonable_column(column.cast(kind.value_type))
    if pa.types.is_timestamp(kind):
        # naive timestamps are UTC in this project; milliseconds are what a JavaScript Date holds
        utc = column.cast(pa.timestamp("ms", "UTC"), safe=False)
        return pc.strftime(utc, format="%Y-%m-%dT%H:%M:%SZ")  # %S carries the milliseconds
    if pa.types.is_decimal(kind):
        column = column.cast(pa.float64())
        kind = column.type
    if pa.types.is_floating(kind):
        return pc.if_else(pc.is_finite(column), column, pa.scalar(None, kind))
    if pa.types.is_date(kind) or pa.types.is_time(kind) or pa.types.is_duration(kind):
        return column.cast(pa.string())
    return column


def _round_significant(column: pa.ChunkedArray, digits: int) -> pa.ChunkedArray:
    """Floats rounded to ``digits`` significant digits: ``0.548814`` instead of 17 digits of noise."""
    values = column.to_numpy()  # nulls come out as NaN here and are masked back to null below
    with np.errstate(divide="ignore", invalid="ignore"):
        magnitude = np.floor(np.log10(np.abs(values)))
        scale = np.power(10.0, digits - 1 - np.where(np.isfinite(magnitude), magnitude, 0))
        rounded = np.round(values * scale) / scale
    return pa.chunked_array([pa.array(rounded, mask=pc.is_null(column).to_numpy(zero_copy_only=False))])


def jsonable_table(table: pa.Table, significant: int | None = None) -> pa.Table:
    """``table`` with every column converted by :func:`_jsonable_column` (vectorised).

    ``significant`` rounds floats to that many significant digits, for data that is only drawn.
    """
    columns = [_jsonable_column(c) for c in table.columns]
    if significant is not None:
        columns = [
            _round_significant(c, significant) if pa.types.is_floating(c.type) else c for c in columns
        ]
    return pa.table(columns, names=table.column_names)


def records(table: pa.Table, significant: int | None = None) -> list[dict[str, Any]]:
    """The rows of ``table`` as JSON-ready dicts (what a Vega-Lite ``values`` array holds)."""
    return jsonable_table(table, significant).to_pylist()


def json_safe(value: Any) -> Any:
    """A copy of ``value`` made only of dict, list, str, int, float, bool and None."""
    if isinstance(value, pa.Table):
        return records(value)
    if isinstance(value, pa.Scalar):
        return json_safe(value.as_py())
    if isinstance(value, (np.ndarray, np.generic)):
        return json_safe(value.tolist())
    if isinstance(value, Mapping):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(item) for item in value]
    if isinstance(value, (set, frozenset)):
        return sorted(json_safe(item) for item in value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Decimal):
        return json_safe(float(value))
    if isinstance(value, (dt.date, dt.time)):  # datetime is a date
        return value.isoformat()
    if value is None or isinstance(value, (str, int)):  # bool is an int
        return value
    raise TypeError(f"cannot put a {type(value).__name__} into JSON: {value!r}")


def dumps(value: Any, *, indent: int | None = None) -> str:
    """Deterministic JSON: sorted keys, no NaN, UTF-8 text kept as is."""
    separators = (",", ": ") if indent else (",", ":")
    return json.dumps(
        json_safe(value),
        sort_keys=True,
        ensure_ascii=False,
        allow_nan=False,
        indent=indent,
        separators=separators,
    )


def script_json(value: Any) -> str:
    """JSON that can sit inside ``<script>`` unchanged: ``</script>`` in a model name stays text."""
    return dumps(value).translate(_SCRIPT_ESCAPES)
