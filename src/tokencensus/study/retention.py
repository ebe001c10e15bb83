"""Retention (STUDY.md F30-F37): monthly cohorts of a model's users and how many keep coming back.

A user's cohort is the calendar month of their first request to the model; they count as
retained in month k if they use the model in the k-th month after, whatever happened in between
(activity retention: curves may rise). Each of the eight figures shows one model slot, so the
registry stays static while the models adapt to the data: the ``retention_models`` option (or
the report's eight) first, then the models with the most users.

Two flags are computed with the curves, by rules stated here and in the captions:

- foundational: the cohort's retention at month K (``foundational_month``, 5) is at least
  ``foundational_ratio`` (2) times the median month-K retention of the later cohorts of the
  same model and at least ``foundational_floor`` (25%);
- boomerang: from month 2 on, retention rises at least ``boomerang_points`` (10 points) above
  the lowest retention of the earlier months.

Only cohorts of at least ``min_users`` users are flagged or enter the later-cohort median,
since small cohorts are noise (and are suppressed from the outputs anyway).
"""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from tokencensus.study.figure import ChartSpec, Figure, StudyInputs
from tokencensus.study.measures import scope
from tokencensus.study.options import option

#: The models whose cohorts the report charts, in its order.
REPORT_MODELS = (
    "anthropic/claude-sonnet-4", "google/gemini-2.5-pro", "google/gemini-2.5-flash", "openai/gpt-4o-mini",
    "meta-llama/llama-4-maverick", "google/gemini-2.0-flash-001", "deepseek/deepseek-r1",
    "deepseek/deepseek-chat-v3-0324",
)
N_SLOTS = 8


def model_slot(inputs: StudyInputs, slot: int) -> ir.Table:
    """One row (``model_id``, ``model``) for the ``slot``-th model (1-based): the preferred models
    that occur in the data in their order, then the rest by distinct users (ties by id)."""
    preferred = list(option(inputs.options, "retention_models")) or list(REPORT_MODELS)
    t = scope(inputs)
    t = t.filter(t.model_id.notnull() & t.user_id.notnull())
    per_model = t.group_by(["model_id", t.model_name.name("model")]).aggregate(users=t.user_id.nunique())
    order = ibis.memtable(pa.table({"pref_id": pa.array(preferred, pa.string()), "pref_rank": range(len(preferred))}))
    ranked = per_model.left_join(order, per_model.model_id == order.pref_id)
    position = ibis.row_number().over(
        order_by=[ranked.pref_rank.coalesce(len(preferred)), ibis.desc(ranked.users), ranked.model_id]
    )
    return ranked.mutate(position=position).filter(ibis._.position == slot - 1).select("model_id", "model")


def cohorts(t: ir.Table, months: ir.Table) -> ir.Table:
    """Per cohort x months since first use: cohort size (``users``), ``retained`` and ``retention``.

    ``t`` holds one model's requests; ``months`` the calendar months of the whole window, so a
    month without any returning user shows as 0 rather than missing.
    """
    active = t.filter(t.user_id.notnull()).select("user_id", "month").distinct()
    first = active.group_by("user_id").aggregate(cohort=active.month.min())
    sizes = first.group_by("cohort").aggregate(users=first.count())
    joined = active.join(first, "user_id")
    counts = joined.group_by(["cohort", joined.month.name("active_month")]).aggregate(retained=joined.count())
    grid = sizes.join(months, months.month >= sizes.cohort)
    grid = grid.left_join(counts, (grid.cohort == counts.cohort) & (grid.month == counts.active_month))
    since = (grid.month.year() - grid.cohort.year()) * 12 + grid.month.month() - grid.cohort.month()
    retained = grid.retained.fill_null(0)
    return grid.select(
        cohort=grid.cohort, months_since=since.cast("int32"), users=grid.users, retained=retained,
        retention=retained / grid.users,
    )


def flags(curves: ir.Table, inputs: StudyInputs) -> ir.Table:
    """``curves`` with the ``foundational`` and ``boomerang`` flags of each cohort (see module doc)."""
    k = option(inputs.options, "foundational_month")
    at_k = curves.filter((curves.months_since == k) & (curves.users >= option(inputs.options, "min_users")))
    at_k = at_k.select(k_cohort=at_k.cohort, k_retention=at_k.retention)
    later = at_k.rename(later_cohort="k_cohort", later_retention="k_retention")
    pairs = at_k.join(later, later.later_cohort > at_k.k_cohort)
    medians = pairs.group_by("k_cohort").aggregate(
        k_retention=pairs.k_retention.max(), later_median=pairs.later_retention.median()
    )
    foundational = medians.mutate(
        foundational=(medians.k_retention >= option(inputs.options, "foundational_ratio") * medians.later_median)
        & (medians.k_retention >= option(inputs.options, "foundational_floor"))
    ).select("k_cohort", "foundational", "later_median")

    after = curves.filter(curves.months_since >= 1)
    after = after.mutate(low=after.retention.cummin(group_by="cohort", order_by="months_since"))
    after = after.mutate(earlier_low=after.low.lag().over(group_by="cohort", order_by="months_since"))
    rises = after.group_by(after.cohort.name("b_cohort")).aggregate(
        rise=(after.retention - after.earlier_low).max()
    )
    sizable = curves.filter((curves.months_since == 0) & (curves.users >= option(inputs.options, "min_users")))
    sizable = sizable.select(s_cohort=sizable.cohort)
    rises = rises.join(sizable, rises.b_cohort == sizable.s_cohort).drop("s_cohort")
    rises = rises.mutate(boomerang=(rises.rise >= option(inputs.options, "boomerang_points")).fill_null(False))

    out = curves.left_join(foundational, curves.cohort == foundational.k_cohort).drop("k_cohort")
    out = out.left_join(rises, out.cohort == rises.b_cohort).drop("b_cohort", "rise")
    return out.mutate(foundational=out.foundational.fill_null(False), boomerang=out.boomerang.fill_null(False))


def build_retention(inputs: StudyInputs, slot: int) -> ir.Table:
    t = scope(inputs)
    chosen = model_slot(inputs, slot).rename(chosen_id="model_id")
    months = t.select("month").distinct()
    one = t.join(chosen, t.model_id == chosen.chosen_id)
    curves = flags(cohorts(one, months), inputs)
    return curves.cross_join(chosen).drop("chosen_id").relocate("model").order_by(["cohort", "months_since"])


def headline_retention(table: pa.Table) -> dict[str, Any]:
    rows = table.to_pylist()
    if not rows:
        return {"model": None, "foundational": [], "boomerang": []}

    def curve(cohort: Any) -> list[float]:
        return [r["retention"] for r in sorted(rows, key=lambda r: r["months_since"]) if r["cohort"] == cohort]

    flagged = {name: sorted({r["cohort"] for r in rows if r[name]}) for name in ("foundational", "boomerang")}
    return {
        "model": rows[0]["model"],
        "cohorts": len({r["cohort"] for r in rows}),
        **{name: [{"cohort": c.isoformat(), "retention": curve(c)} for c in cs] for name, cs in flagged.items()},
    }


def _figure(slot: int) -> Figure:
    return Figure(
        f"F{29 + slot}",
        f"Cohort retention of model #{slot}",
        "retention",
        f"Activity retention of model slot #{slot} (the retention_models option, else the report's eight models "
        "when present, then the models with the most users): share of each monthly cohort (users by the "
        "month of their first request to the model) active on it k months later, gaps allowed. Flags: "
        "foundational = month-5 retention >= 2x the median month-5 retention of later cohorts and >= 25%; "
        "boomerang = retention rises >= 10 points above its lowest earlier value (from month 2 on). "
        "users is the cohort size.",
        lambda inputs: build_retention(inputs, slot),
        ChartSpec("line", x="months_since", y="retention", color="cohort", y_format=".0%",
                  x_label="months since first use", weights={"users": "retained"}),
        headline_retention,
    )


FIGURES: tuple[Figure, ...] = tuple(_figure(slot) for slot in range(1, N_SLOTS + 1))
