"""Open vs closed (STUDY.md F1-F5, T1): who serves the tokens, and how concentrated open weights are."""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.compute as pc

from tokencensus.study.figure import ChartSpec, Figure, StudyInputs
from tokencensus.study.headline import (
    first_and_last_weeks,
    hidden_values,
    iso,
    lift_withheld,
    mean_weekly_share,
    pooled_share,
    pooled_shares_withheld,
    pooled_value,
    withheld,
)
from tokencensus.study.measures import (
    OTHER,
    SHARE_WEIGHTS,
    VOLUME_WEIGHTS,
    model_shares,
    ranked,
    scope,
    share_table,
)
from tokencensus.study.options import option

OPEN_SOURCE_TYPES = ("open_china", "open_row")


def _open_weight(inputs: StudyInputs) -> ir.Table:
    t = scope(inputs)
    return t.filter(t.open_weights)


def _share_chart(color: str, markers: str | None = None) -> ChartSpec:
    """Stacked weekly shares, switchable between token, request and spend weighting."""
    return ChartSpec(
        "area",
        x="week",
        y="share_tokens",
        color=color,
        weights=SHARE_WEIGHTS,
        stack=True,
        y_format=".0%",
        markers=markers,
    )


# F1 -------------------------------------------------------------------------------------------


def build_f1(inputs: StudyInputs) -> ir.Table:
    return share_table(scope(inputs), ["source_type"])


def headline_f1(table: pa.Table) -> dict[str, Any]:
    _, latest = first_and_last_weeks(table)
    open_shares = [pooled_value(table, "source_type", s, latest) for s in OPEN_SOURCE_TYPES]
    out = {
        "latest_weeks": [iso(latest[0]), iso(latest[-1])] if latest else None,
        "latest_open_share": None if None in open_shares else sum(open_shares),
        "latest_share": pooled_shares_withheld(table, "source_type", latest),
        "mean_weekly_share": mean_weekly_share(table, "source_type"),
    }
    return lift_withheld(withheld(out, ["latest_open_share"] if out["latest_open_share"] is None else []))


def build_f1_releases(inputs: StudyInputs) -> ir.Table:
    """Notable open-weight releases: the top-N open models by tokens, dated by their first request."""
    t = _open_weight(inputs)
    per_model = t.group_by(["model_id", "model_name", "author", "origin"]).aggregate(
        week=t.week.min(), tokens=t.tokens.sum(), users=t.user_id.nunique()
    )
    return ranked(per_model, "model_id", option(inputs.options, "top_n")).order_by(["week", "model_id"])


# F2 -------------------------------------------------------------------------------------------


def build_f2(inputs: StudyInputs) -> ir.Table:
    return share_table(scope(inputs), ["origin_type"])


def headline_f2(table: pa.Table) -> dict[str, Any]:
    means = mean_weekly_share(table, "origin_type")
    closed = ("closed_row", "closed_china")
    hidden = hidden_values(table, "origin_type") & set(closed)
    out = {"mean_weekly_share": means, "mean_weekly_share_closed": sum(means.get(k, 0.0) for k in closed)}
    return withheld(out, ["mean_weekly_share_closed"] if hidden else [])


# T1 -------------------------------------------------------------------------------------------


def build_t1(inputs: StudyInputs) -> ir.Table:
    by_author = share_table(_open_weight(inputs), ["author"], over=())
    return ranked(by_author, "author", option(inputs.options, "top_n"))


def headline_t1(table: pa.Table) -> dict[str, Any]:
    return {"top_authors": table.select(["rank", "author", "tokens", "share_tokens"]).to_pylist()}


# F3 -------------------------------------------------------------------------------------------


def build_f3(inputs: StudyInputs) -> ir.Table:
    return model_shares(_open_weight(inputs), option(inputs.options, "top_open_n"))


def _concentration(table: pa.Table, subset: list) -> dict[str, Any]:
    named = {m: s for m, s in pooled_share(table, "model", subset).items() if m != OTHER}
    top = max(named.items(), key=lambda kv: kv[1], default=(None, 0.0))
    return {"top1_model": top[0], "top1_share": top[1], "models_over_5pct": sum(s > 0.05 for s in named.values())}


def headline_f3(table: pa.Table) -> dict[str, Any]:
    first, latest = first_and_last_weeks(table)
    return {"first_weeks": _concentration(table, first), "latest_weeks": _concentration(table, latest)}


# F4 / F5 --------------------------------------------------------------------------------------


def _sized(inputs: StudyInputs) -> ir.Table:
    """Open-weight requests with ``size_class`` by the basis the options ask for (total or active)."""
    t = _open_weight(inputs)
    basis = option(inputs.options, "size_basis")
    if basis not in ("total", "active"):
        raise ValueError(f"size_basis must be 'total' or 'active', not {basis!r}")
    return t if basis == "total" else t.mutate(size_class=t.size_class_active)


def build_f4(inputs: StudyInputs) -> ir.Table:
    return share_table(_sized(inputs), ["size_class"])


def headline_f4(table: pa.Table) -> dict[str, Any]:
    return {"mean_weekly_share": mean_weekly_share(table, "size_class")}


def build_f5(inputs: StudyInputs) -> ir.Table:
    """Each open model is available from the week of its first request; count them per week and class."""
    t = _sized(inputs)
    first = t.group_by(["model_id", "size_class"]).aggregate(first_week=t.week.min())
    all_weeks = scope(inputs).select("week").distinct()
    available = all_weeks.join(first, all_weeks.week >= first.first_week)
    return available.group_by(["week", "size_class"]).aggregate(models=ibis._.count()).order_by(["week", "size_class"])


def headline_f5(table: pa.Table) -> dict[str, Any]:
    if table.num_rows == 0:
        return {"latest_week": None, "latest_models": {}}
    last = pc.max(table["week"]).as_py()
    rows = table.filter(pc.equal(table["week"], last)).to_pylist()
    return {"latest_week": iso(last), "latest_models": {r["size_class"]: r["models"] for r in rows}}


FIGURES: tuple[Figure, ...] = (
    Figure(
        "F1",
        "Token share by source type",
        "market",
        "Weekly share of all tokens (prompt + completion) served by closed models, open-weight models "
        "from China, open-weight models from the rest of the world, and models missing from the catalog.",
        build_f1,
        _share_chart("source_type", markers="F1_releases"),
        headline_f1,
    ),
    Figure(
        "F1_releases",
        "Notable open-weight releases",
        "market",
        "The open-weight models with the most tokens over the window, each dated by the week of its "
        "first request: the release markers of F1.",
        build_f1_releases,
        ChartSpec("table", x="week", color="origin"),
    ),
    Figure(
        "F2",
        "Token volume by model type",
        "market",
        "Weekly tokens by openness x origin (closed rest of world, closed China, open rest of world, open "
        "China, unknown model); the headline is each group's weekly share averaged over all weeks.",
        build_f2,
        ChartSpec("bar", x="week", y="tokens", color="origin_type", weights=VOLUME_WEIGHTS, stack=True),
        headline_f2,
    ),
    Figure(
        "T1",
        "Top open-weight authors",
        "market",
        "Total tokens of open-weight models by model author over the whole window, top N, with each "
        "author's share of all open-weight tokens.",
        build_t1,
        ChartSpec("table", x="author", y="tokens", weights=VOLUME_WEIGHTS),
        headline_t1,
    ),
    Figure(
        "F3",
        "Concentration among open-weight models",
        "market",
        "Weekly share of open-weight tokens by model: the 15 open-weight models with the most tokens over "
        "the window by name, all others as 'other'.",
        build_f3,
        _share_chart("model"),
        headline_f3,
    ),
    Figure(
        "F4",
        "Open-weight tokens by model size",
        "market",
        "Weekly share of open-weight tokens by size class of total parameters: small < 15B, medium 15B to "
        "< 70B, large >= 70B; 'unknown' where the catalog has no parameter count.",
        build_f4,
        _share_chart("size_class"),
        headline_f4,
    ),
    Figure(
        "F5",
        "Open-weight models available by size",
        "market",
        "Number of open-weight models available each week by size class; a model counts as available from "
        "the week of its first request onward.",
        build_f5,
        ChartSpec("line", x="week", y="models", color="size_class", y_format=",d"),
        headline_f5,
    ),
)
