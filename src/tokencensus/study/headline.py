"""Headline numbers picked from an executed figure table (small, already in memory as Arrow).

The heavy lifting happened in the engine; these helpers only summarise a few hundred rows for
summary.json, so plain pyarrow compute is enough. Every value returned is JSON-ready (str keys,
float/int/str values).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from tokencensus.study.measures import PERCENTILES

#: How many weeks make the "first" and "latest" windows of a headline.
HEADLINE_WEEKS = 4


def weeks(table: pa.Table) -> list[dt.date]:
    """The distinct weeks of a weekly table, oldest first."""
    return sorted(pc.unique(table["week"]).to_pylist())


def first_and_last_weeks(table: pa.Table, n: int = HEADLINE_WEEKS) -> tuple[list[dt.date], list[dt.date]]:
    """The first ``n`` and the latest ``n`` weeks of a weekly table."""
    all_weeks = weeks(table)
    return all_weeks[:n], all_weeks[-n:]


def _in_weeks(table: pa.Table, subset: list[dt.date], column: str = "week") -> pa.Table:
    return table.filter(pc.is_in(table[column], value_set=pa.array(subset, pa.date32())))


def first_and_last_periods(table: pa.Table, column: str = "period", days: int = 28) -> tuple[list[dt.date], list[dt.date]]:
    """The periods starting within ``days`` of the first and of the latest period: four weeks of
    a weekly table, one month of a monthly one."""
    periods = sorted(p for p in pc.unique(table[column]).to_pylist() if p is not None)
    if not periods:
        return [], []
    span = dt.timedelta(days=days)
    return [p for p in periods if p < periods[0] + span], [p for p in periods if p > periods[-1] - span]


def pooled_share(
    table: pa.Table, key: str, subset: list[dt.date], weight: str = "tokens", column: str = "week"
) -> dict[str, float]:
    """Each ``key``'s share of ``weight`` summed over the periods in ``subset`` (pooled)."""
    rows = _in_weeks(table, subset, column).group_by(key).aggregate([(weight, "sum")]).to_pylist()
    total = sum(r[f"{weight}_sum"] or 0 for r in rows)
    return {str(r[key]): (r[f"{weight}_sum"] or 0) / total for r in rows} if total else {}


def mean_weekly_share(table: pa.Table, key: str, share: str = "share_tokens") -> dict[str, float]:
    """Each ``key``'s weekly share averaged over all weeks (a week without the key counts as 0)."""
    n_weeks = len(weeks(table))
    rows = table.group_by(key).aggregate([(share, "sum")]).to_pylist()
    return {str(r[key]): (r[f"{share}_sum"] or 0.0) / n_weeks for r in rows} if n_weeks else {}


def iso(day: dt.date | None) -> str | None:
    """A date as ISO text for JSON."""
    return None if day is None else day.isoformat()


def first_and_latest_share(table: pa.Table, key: str, value: str) -> dict[str, Any]:
    """``value``'s pooled share of tokens and of requests in the first and the latest weeks."""
    first, latest = first_and_last_weeks(table)
    return {
        f"{window}_{weight}": pooled_share(table, key, subset, weight).get(value, 0.0)
        for window, subset in (("first_weeks_share", first), ("latest_weeks_share", latest))
        for weight in ("tokens", "requests")
    }


def first_and_latest_mean(table: pa.Table) -> dict[str, Any]:
    """For a length table (week, requests, mean, p50, ...): the mean over the first and the latest
    weeks (weighted by requests, so it equals the mean of those weeks' requests) and the latest
    week's percentiles."""
    first, latest = first_and_last_weeks(table)

    def pooled_mean(subset: list[dt.date]) -> float | None:
        rows = _in_weeks(table, subset)
        n = pc.sum(rows["requests"]).as_py() or 0
        return pc.sum(pc.multiply(rows["mean"], rows["requests"])).as_py() / n if n else None

    last = _in_weeks(table, latest[-1:]).to_pylist()
    percentiles = {name: last[0][name] for name in PERCENTILES} if last else {}
    return {
        "first_weeks_mean": pooled_mean(first),
        "latest_weeks_mean": pooled_mean(latest),
        "latest_week": iso(latest[-1]) if latest else None,
        "latest_week_percentiles": percentiles,
    }
