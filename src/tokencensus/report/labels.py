"""Words a reader sees instead of column names and codes: axis titles, legend labels, weightings.

Figure tables keep short machine names (``share_tokens``, ``open_china``) because CSVs, Parquet
and summary.json are read by programs. A chart is read by people, so its titles and legend
labels are looked up here; a name missing from these tables is shown with ``_`` as spaces.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

#: The weightings a share or volume can be switched between, in the order the switch shows them.
WEIGHTINGS = ("tokens", "requests", "spend", "users")

COLUMN_TITLES: dict[str, str] = {
    "week": "week (UTC, Monday start)",
    "month": "month (UTC)",
    "share_tokens": "share of tokens",
    "share_requests": "share of requests",
    "share_spend": "share of spend",
    "share_users": "share of users",
    "tokens": "tokens (prompt + completion)",
    "requests": "requests",
    "spend": "spend (USD, BYOK excluded)",
    "users": "distinct users",
    "models": "models available",
    "source_type": "source type",
    "origin_type": "model type",
    "size_class": "size class",
    "model_type": "model type",
    "request_type": "request type",
    "model": "model",
    "continent": "continent",
    "country": "country",
    "author": "author",
    "statistic": "statistic",
    "months_since": "months since first use",
    "cohort": "cohort (first-use month)",
}

VALUE_LABELS: dict[str, str] = {
    "closed": "closed",
    "open_china": "open weights, China",
    "open_row": "open weights, rest of world",
    "closed_row": "closed, rest of world",
    "closed_china": "closed, China",
    "reasoning": "reasoning models",
    "non_reasoning": "other models",
    "tool_call": "ended in a tool call",
    "no_tool_call": "no tool call",
    "mean": "mean",
    "p50": "median (p50)",
    "p90": "90th percentile",
    "p99": "99th percentile",
}


def title(column: str, override: str | None = None) -> str:
    """The axis or legend title for ``column``: the figure's own if it gave one."""
    return override or COLUMN_TITLES.get(column, column.replace("_", " "))


def weighting_of(column: str) -> str | None:
    """The weighting a column carries: ``share_spend`` -> ``spend``, ``tokens`` -> ``tokens``."""
    name = column.removeprefix("share_")
    return name if name in WEIGHTINGS else None


def vega_lookup(key: str, mapping: Mapping[str, str], default: str) -> str:
    """A Vega expression mapping the string expression ``key`` through ``mapping`` (else ``default``).

    Keys and values are written as JSON-style string literals, so no text can end the expression.
    """
    expression = default
    for name, label in reversed(list(mapping.items())):
        expression = f"{key} === {quote(name)} ? {quote(label)} : {expression}"
    return expression


def legend_label_expr(values: Iterable[str]) -> str | None:
    """A legend ``labelExpr`` that words the known codes among ``values`` (None: nothing to word)."""
    known = {value: VALUE_LABELS[value] for value in values if value in VALUE_LABELS and VALUE_LABELS[value] != value}
    return vega_lookup("datum.label", known, "datum.label") if known else None


def quote(text: str) -> str:
    """``text`` as a Vega expression string literal."""
    escaped = text.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n").replace("\r", "\\r")
    return "'" + escaped + "'"
