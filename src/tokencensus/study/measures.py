"""The few Ibis building blocks every figure is made of: scope, shares, top-N, length statistics.

Figures differ only in which rows they keep and which column they group by. Writing the share,
ranking and percentile logic once keeps the definitions identical across figures (and engines):
a share is always given by tokens, requests and spend, with the distinct users behind it.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import ibis.expr.types as ir

from tokencensus.study.figure import StudyInputs
from tokencensus.study.options import option

#: The weightings every share table carries; tokens is the report's, the others are ours.
WEIGHTS = ("tokens", "requests", "spend")
#: ChartSpec.weights for a share table whose y is ``share_tokens``.
SHARE_WEIGHTS = {"requests": "share_requests", "spend": "share_spend", "users": "share_users"}
#: ChartSpec.weights for a volume table whose y is ``tokens``.
VOLUME_WEIGHTS = {"requests": "requests", "spend": "spend", "users": "users"}
#: Percentiles reported beside every average. Exact (``quantile``: DuckDB percentile_cont, Spark
#: percentile; both interpolate linearly) rather than ``approx_quantile``, whose sketches differ by
#: engine, so both engines give the same numbers.
PERCENTILES = {"p50": 0.5, "p90": 0.9, "p99": 0.99}
OTHER = "other"


def scope(inputs: StudyInputs) -> ir.Table:
    """The enriched requests minus the models and accounts the options exclude."""
    t = inputs.requests
    models = list(option(inputs.options, "exclude_models"))
    users = list(option(inputs.options, "exclude_users"))
    if models:
        t = t.filter(~t.model_id.isin(models) | t.model_id.isnull())
    if users:
        t = t.filter(~t.user_id.isin(users) | t.user_id.isnull())
    return t


def share_table(
    t: ir.Table, by: Sequence[str], over: Sequence[str] = ("week",), **metrics: ir.Scalar
) -> ir.Table:
    """Tokens, requests, spend and users per ``over`` x ``by`` cell, with each weight's share of ``over``.

    ``metrics`` are further aggregates of ``t`` computed in the same pass. A share is null where
    its period's total is zero (a week with no spend has no spend share). ``share_users`` is the
    cell's distinct users over the period's distinct users: a user active in several cells counts
    in each, so these shares can add up to more than 1.
    """
    g = t.group_by([*over, *by]).aggregate(
        tokens=t.tokens.sum(), requests=t.count(), spend=t.spend.sum(), users=t.user_id.nunique(), **metrics
    )
    period = list(over) or None
    shares = {f"share_{w}": g[w] / g[w].sum().over(group_by=period).nullif(0) for w in WEIGHTS}
    return with_user_share(g.mutate(**shares), t, over).order_by([*over, *by])


def with_user_share(g: ir.Table, t: ir.Table, over: Sequence[str]) -> ir.Table:
    """``g`` (cells of ``t`` with a ``users`` column) plus ``share_users``: the cell's distinct users
    over its ``over`` period's distinct users in ``t``."""
    everyone = t.group_by(list(over)).aggregate(period_users=t.user_id.nunique()) if over else (
        t.aggregate(period_users=t.user_id.nunique())
    )
    g = g.join(everyone, list(over)) if over else g.cross_join(everyone)
    return g.mutate(share_users=g.users / g.period_users.nullif(0)).drop("period_users")


def ranked(g: ir.Table, key: str, n: int) -> ir.Table:
    """The ``n`` rows of ``g`` with the most tokens (ties by ``key``), numbered from 1 in ``rank``."""
    rank = ibis.row_number().over(order_by=[ibis.desc(g.tokens), g[key]]) + 1
    return g.mutate(rank=rank).filter(ibis._.rank <= n).order_by("rank")


def top_label(t: ir.Table, key: str, label: str, n: int, among: ir.Table | None = None) -> ir.Table:
    """``t`` with ``label`` kept where ``key`` is among the ``n`` biggest by tokens in ``among``
    (default ``t``) over the whole window, and ``"other"`` elsewhere (a null key counts as other too)."""
    among = t if among is None else among
    ranked_rows = among.filter(among[key].notnull())
    totals = ranked_rows.group_by(list(dict.fromkeys([key, label]))).aggregate(tokens=ranked_rows.tokens.sum())
    top = ranked(totals, key, n).select(top_key=key, top_label=label)
    joined = t.left_join(top, t[key] == top.top_key)
    return joined.mutate(**{label: joined.top_label.coalesce(OTHER)}).drop("top_key", "top_label")


def top_models(t: ir.Table, n: int) -> ir.Table:
    """``t`` with a ``model_label`` column: the model's name if among the ``n`` biggest by tokens in ``t``
    over the whole window, else ``"other"``. Unknown models go by their logged slug."""
    t = t.mutate(model_key=t.model_id.coalesce(t.model), model_label=t.model_name.coalesce(t.model))
    return top_label(t, "model_key", "model_label", n).drop("model_key")


def model_shares(t: ir.Table, n: int) -> ir.Table:
    """Weekly shares of ``t``'s tokens among its top ``n`` models (column ``model``) and ``other``."""
    return share_table(top_models(t, n), ["model_label"]).rename(model="model_label")


def length_stats(t: ir.Table, value: ir.NumericValue) -> ir.Table:
    """Per week: how many requests report ``value`` (a column of ``t``), the distinct users behind
    the week, the mean and exact percentiles."""
    per_week = t.group_by("week").aggregate(
        requests=value.count(),
        users=t.user_id.nunique(),
        mean=value.mean(),
        quantiles=value.quantile(list(PERCENTILES.values())),
    )
    spread = {name: per_week.quantiles[i] for i, name in enumerate(PERCENTILES)}
    return per_week.mutate(**spread).drop("quantiles").order_by("week")
