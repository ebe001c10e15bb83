"""Headline numbers picked from an executed figure table (small, already in memory as Arrow).

The heavy lifting happened in the engine; these helpers only summarise a few hundred rows for
summary.json, so plain pyarrow compute is enough. Every value returned is JSON-ready (str keys,
float/int/str values).

Suppression: a table has lost its suppressed cells, and keeps their key columns in its metadata
(:func:`tokencensus.study.estimate.suppressed_cells`). A number that would need a suppressed cell
is not computed from the rest, which would read it as zero: it is None (null in summary.json)
and its dotted path is listed under the headline's ``"suppressed"`` key (:data:`SUPPRESSED`), so
the report can print "suppressed". Mappings of many keys (:func:`pooled_share`,
:func:`mean_weekly_share`) leave such keys out. Periods whose every cell was suppressed still
count as periods, and a period's total is read from any shown row (``tokens / share_tokens``), so
the suppressed rows stay in the denominators.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from tokencensus.study.estimate import suppressed_cells
from tokencensus.study.measures import PERCENTILES

#: How many weeks make the "first" and "latest" windows of a headline.
HEADLINE_WEEKS = 4
#: The headline key listing the dotted paths of numbers withheld because they need a suppressed cell.
SUPPRESSED = "suppressed"


def periods(table: pa.Table, column: str = "week") -> list[dt.date]:
    """The distinct periods of a table, oldest first, counting those whose cells were all suppressed."""
    hidden = suppressed_cells(table)
    found = pc.unique(table[column]).to_pylist()
    if column in hidden.column_names:
        found += pc.unique(hidden[column]).to_pylist()
    return sorted({p for p in found if p is not None})


def weeks(table: pa.Table) -> list[dt.date]:
    """The distinct weeks of a weekly table, oldest first."""
    return periods(table, "week")


def first_and_last_weeks(table: pa.Table, n: int = HEADLINE_WEEKS) -> tuple[list[dt.date], list[dt.date]]:
    """The first ``n`` and the latest ``n`` weeks of a weekly table."""
    all_weeks = weeks(table)
    return all_weeks[:n], all_weeks[-n:]


def _in_weeks(table: pa.Table, subset: list[dt.date], column: str = "week") -> pa.Table:
    return table.filter(pc.is_in(table[column], value_set=pa.array(subset, pa.date32())))


def first_and_last_periods(table: pa.Table, column: str = "period", days: int = 28) -> tuple[list[dt.date], list[dt.date]]:
    """The periods starting within ``days`` of the first and of the latest period: four weeks of
    a weekly table, one month of a monthly one."""
    found = periods(table, column)
    if not found:
        return [], []
    span = dt.timedelta(days=days)
    return [p for p in found if p < found[0] + span], [p for p in found if p > found[-1] - span]


def hidden_cells(table: pa.Table, subset: list[dt.date] | None = None, column: str = "week") -> pa.Table:
    """The suppressed cells of ``table`` (key columns), in the periods of ``subset`` when given."""
    hidden = suppressed_cells(table)
    if subset is None or column not in hidden.column_names:
        return hidden
    return _in_weeks(hidden, subset, column)


def hidden_periods(table: pa.Table, subset: list[dt.date] | None = None, column: str = "week") -> set[dt.date]:
    """The periods (of ``subset`` when given) in which a cell was suppressed."""
    hidden = hidden_cells(table, subset, column)
    return set(hidden[column].to_pylist()) if column in hidden.column_names else set()


def hidden_values(table: pa.Table, key: str, subset: list[dt.date] | None = None, column: str = "week") -> set[str]:
    """The values of ``key`` that have a suppressed cell (in the periods of ``subset`` when given)."""
    hidden = hidden_cells(table, subset, column)
    return {str(v) for v in hidden[key].to_pylist()} if key in hidden.column_names else set()


def _total(table: pa.Table, subset: list[dt.date], weight: str, column: str) -> float | None:
    """``weight`` summed over the periods in ``subset``, suppressed cells included: a period with a
    suppressed cell counts the total its shown rows imply (``weight / share_<weight>``). None when
    such a period has no shown row to read it from (or the table no share to read it with)."""
    rows = _in_weeks(table, subset, column)
    share = f"share_{weight}"
    if share in rows.column_names:
        implied = pc.divide(rows[weight].cast(pa.float64()), pc.if_else(pc.greater(rows[share], 0), rows[share], None))
        rows = rows.append_column("implied_total", implied)
    else:
        rows = rows.append_column("implied_total", pa.nulls(rows.num_rows, pa.float64()))
    per_period = {
        r[column]: r for r in rows.group_by(column).aggregate([(weight, "sum"), ("implied_total", "max")]).to_pylist()
    }
    incomplete = hidden_periods(table, subset, column)
    total = 0.0
    for period in set(per_period) | incomplete:
        row = per_period.get(period, {})
        value = row.get("implied_total_max") if period in incomplete else row.get(f"{weight}_sum")
        if value is None:
            return None
        total += value
    return total


def pooled_shares(
    table: pa.Table, key: str, subset: list[dt.date], weight: str = "tokens", column: str = "week"
) -> tuple[dict[str, float], set[str]] | None:
    """Each shown ``key``'s share of ``weight`` summed over the periods in ``subset`` (pooled), and
    the keys withheld because they have a suppressed cell there; None when the total is withheld."""
    total = _total(table, subset, weight, column)
    if total is None:
        return None
    hidden = hidden_values(table, key, subset, column)
    rows = _in_weeks(table, subset, column).group_by(key).aggregate([(weight, "sum")]).to_pylist()
    if not total:
        return {}, hidden
    return {str(r[key]): (r[f"{weight}_sum"] or 0) / total for r in rows if str(r[key]) not in hidden}, hidden


def pooled_share(
    table: pa.Table, key: str, subset: list[dt.date], weight: str = "tokens", column: str = "week"
) -> dict[str, float]:
    """Each ``key``'s share of ``weight`` summed over the periods in ``subset`` (pooled); keys with
    a suppressed cell there are left out (all of them when the total itself is withheld)."""
    pooled = pooled_shares(table, key, subset, weight, column)
    return {} if pooled is None else pooled[0]


def pooled_value(
    table: pa.Table, key: str, value: str, subset: list[dt.date], weight: str = "tokens", column: str = "week"
) -> float | None:
    """``value``'s pooled share (0.0 where it has no row), or None when it needs a suppressed cell."""
    pooled = pooled_shares(table, key, subset, weight, column)
    if pooled is None or value in pooled[1]:
        return None
    return pooled[0].get(value, 0.0)


def pooled_shares_withheld(
    table: pa.Table, key: str, subset: list[dt.date], weight: str = "tokens", column: str = "week"
) -> dict[str, Any]:
    """:func:`pooled_share` with the keys withheld by suppression listed under :data:`SUPPRESSED`
    (the report shows those as suppressed rather than missing)."""
    pooled = pooled_shares(table, key, subset, weight, column)
    if pooled is None:
        return {SUPPRESSED: sorted(str(k) for k in pc.unique(table[key]).to_pylist())}
    shares, hidden = pooled
    return {**shares, SUPPRESSED: sorted(hidden)} if hidden else shares


def mean_weekly_share(table: pa.Table, key: str, share: str = "share_tokens") -> dict[str, float]:
    """Each ``key``'s weekly share averaged over all weeks (a week without the key counts as 0);
    keys with a suppressed cell in any week are left out."""
    n_weeks = len(weeks(table))
    hidden = hidden_values(table, key)
    rows = table.group_by(key).aggregate([(share, "sum")]).to_pylist()
    if not n_weeks:
        return {}
    return {str(r[key]): (r[f"{share}_sum"] or 0.0) / n_weeks for r in rows if str(r[key]) not in hidden}


def iso(day: dt.date | None) -> str | None:
    """A date as ISO text for JSON."""
    return None if day is None else day.isoformat()


def withheld(out: dict[str, Any], paths: Iterable[str]) -> dict[str, Any]:
    """``out`` with the numbers at ``paths`` (top-level names) set to None and listed under
    :data:`SUPPRESSED`, after any paths already listed there."""
    paths = list(paths)
    if not paths:
        return out
    return {**out, **dict.fromkeys(p for p in paths if "." not in p), SUPPRESSED: [*out.get(SUPPRESSED, []), *paths]}


def lift_withheld(out: Mapping[str, Any]) -> dict[str, Any]:
    """``out`` with the :data:`SUPPRESSED` lists of nested mappings merged into one top-level list
    of dotted paths (``{"Qwen": {"suppressed": ["x"]}}`` -> ``{"Qwen": {}, "suppressed": ["Qwen.x"]}``)."""
    lifted: dict[str, Any] = {}
    paths = list(out.get(SUPPRESSED, []))
    for name, value in out.items():
        if name == SUPPRESSED:
            continue
        if isinstance(value, Mapping):
            value = lift_withheld(value)
            paths += [f"{name}.{p}" for p in value.pop(SUPPRESSED, [])]
        lifted[name] = value
    return {**lifted, SUPPRESSED: paths} if paths else lifted


def first_and_latest_share(table: pa.Table, key: str, value: str) -> dict[str, Any]:
    """``value``'s pooled share of tokens and of requests in the first and the latest weeks."""
    first, latest = first_and_last_weeks(table)
    out = {
        f"{window}_{weight}": pooled_value(table, key, value, subset, weight)
        for window, subset in (("first_weeks_share", first), ("latest_weeks_share", latest))
        for weight in ("tokens", "requests")
    }
    return withheld(out, [name for name, share in out.items() if share is None])


def first_and_latest_mean(table: pa.Table) -> dict[str, Any]:
    """For a length table (week, requests, mean, p50, ...): the mean over the first and the latest
    weeks (weighted by requests, so it equals the mean of those weeks' requests) and the latest
    week's percentiles; a window with a suppressed week is withheld."""
    first, latest = first_and_last_weeks(table)
    hidden = hidden_periods(table)

    def pooled_mean(subset: list[dt.date]) -> float | None:
        rows = _in_weeks(table, subset)
        n = pc.sum(rows["requests"]).as_py() or 0
        return pc.sum(pc.multiply(rows["mean"], rows["requests"])).as_py() / n if n else None

    last = _in_weeks(table, latest[-1:]).to_pylist()
    out = {
        "first_weeks_mean": pooled_mean(first),
        "latest_weeks_mean": pooled_mean(latest),
        "latest_week": iso(latest[-1]) if latest else None,
        "latest_week_percentiles": {name: last[0][name] for name in PERCENTILES} if last else {},
    }
    windows = {"first_weeks_mean": first, "latest_weeks_mean": latest, "latest_week_percentiles": latest[-1:]}
    return withheld(out, [name for name, subset in windows.items() if hidden & set(subset)])
