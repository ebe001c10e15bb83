"""Cost vs usage (STUDY.md F38-F40, T5): what a million tokens costs, and whether price drives usage.

Effective cost is what was paid (cache discounts included) per million tokens, with BYOK
requests left out entirely, as in the report: their cost is paid to the provider outside the
log. F38 works on categories, so it is estimated from the classified sample (post-stratified on
the tokens and spend of every paid request, see :mod:`.estimate`); F39, F40 and T5 work on models
and use every request.

The price elasticity (F40) is the OLS slope of log(tokens) on log(cost per 1M tokens) across
models. The engine returns only the sums n, Sx, Sy, Sxx, Sxy, Syy per group, from which the
slope, its standard error (from the residual variance) and a 95% t interval follow; the t
quantile comes from a Cornish-Fisher expansion of the normal one (within 1% from 3 degrees of
freedom on, 0.1% from 5), so the interval is left empty below 3 degrees of freedom (5 models). Only models backed by at least ``min_users`` users enter the fit, so
the fit uses no number the report would suppress.
"""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from tokencensus.study.categories import calibration, classify, population, weighted_values
from tokencensus.study.estimate import bootstrap, ratio_of, share_of
from tokencensus.study.figure import ChartSpec, Figure, StudyInputs
from tokencensus.study.measures import scope
from tokencensus.study.options import option

PER_MILLION = 1e6
QUADRANTS = {
    (True, True): "premium workloads",
    (False, True): "mass-market volume drivers",
    (True, False): "specialized experts",
    (False, False): "niche utilities",
}
EXAMPLES_PER_QUADRANT = 3
MIN_MODELS_FOR_INTERVAL = 5
_Z975 = 1.959963984540054


def paid(t: ir.Table) -> ir.Table:
    """Requests whose cost is in the log: BYOK left out."""
    return t.filter(~t.byok.fill_null(False))


def quadrant(high_cost: ir.BooleanValue, high_usage: ir.BooleanValue) -> ir.StringValue:
    """The report's four quadrants from cost and usage above their medians."""
    return ibis.cases(*(((high_cost == c) & (high_usage == u), name) for (c, u), name in QUADRANTS.items()))


def with_quadrants(t: ir.Table, usage: str) -> ir.Table:
    """``t`` with the median cost and usage over its rows and each row's quadrant."""
    t = t.mutate(median_cost_per_m=t.cost_per_m.median().over(), median_usage=t[usage].median().over())
    return t.mutate(quadrant=quadrant(t.cost_per_m > t.median_cost_per_m, t[usage] > t.median_usage))


# F38: per category, from the sample --------------------------------------------------------------


def build_f38(inputs: StudyInputs) -> ir.Table:
    rows = paid(population(inputs))
    t = classify(inputs, rows)
    estimates = bootstrap(
        t, [], ["category"], weighted_values(t),
        {"cost_per_m": ratio_of("spend", "tokens", PER_MILLION), "share_tokens": share_of("tokens")},
        replicates=option(inputs.options, "replicates"),
        level=option(inputs.options, "confidence_level"),
        calibration=calibration(inputs, rows, ["category"]),
    )
    total = rows.aggregate(all_tokens=rows.tokens.sum())
    est = estimates.cross_join(total)
    est = est.mutate(total_tokens=est.share_tokens * est.all_tokens)
    if "ci_low_share_tokens" in est.columns:
        est = est.mutate(
            total_tokens_low=est.ci_low_share_tokens * est.all_tokens,
            total_tokens_high=est.ci_high_share_tokens * est.all_tokens,
        )
    est = est.drop("all_tokens").filter(ibis._.cost_per_m > 0)
    return with_quadrants(est, "total_tokens").order_by(ibis.desc("total_tokens"))


def headline_f38(table: pa.Table) -> dict[str, Any]:
    rows = table.to_pylist()
    return {
        "median_cost_per_m": rows[0]["median_cost_per_m"] if rows else None,
        "quadrants": {r["category"]: r["quadrant"] for r in rows},
    }


# F39 / F40 / T5: per model -------------------------------------------------------------------


def per_model(inputs: StudyInputs) -> ir.Table:
    """Paid tokens, spend and users per catalog model with its cost per 1M tokens (models that
    were paid for only: a log-log chart has no place for zero)."""
    t = paid(scope(inputs))
    t = t.filter(t.model_id.notnull())
    g = t.group_by(["model_id", t.model_name.name("model"), "author", "open_weights"]).aggregate(
        tokens=t.tokens.sum(), requests=t.count(), spend=t.spend.sum(), users=t.user_id.nunique()
    )
    g = g.filter((g.tokens > 0) & (g.spend > 0))
    return g.mutate(
        cost_per_m=g.spend / g.tokens * PER_MILLION,
        openness=ibis.ifelse(g.open_weights, "open", "closed"),
    ).drop("open_weights")


def build_f39(inputs: StudyInputs) -> ir.Table:
    return with_quadrants(per_model(inputs), "tokens").order_by(ibis.desc("tokens"))


def t_quantile(df: ir.NumericValue) -> ir.FloatingValue:
    """The 97.5% quantile of Student's t with ``df`` degrees of freedom (Cornish-Fisher expansion)."""
    z = _Z975
    g1 = (z**3 + z) / 4
    g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96
    g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384
    d = df.cast("float64")
    return z + g1 / d + g2 / d**2 + g3 / d**3


def build_f40(inputs: StudyInputs) -> ir.Table:
    """OLS of log(tokens) on log(cost per 1M tokens) across models: all, open and closed."""
    m = per_model(inputs)
    m = m.filter(m.users >= option(inputs.options, "min_users"))
    m = m.mutate(x=m.cost_per_m.ln(), y=m.tokens.cast("float64").ln())
    both = m.mutate(group=m.openness).union(m.mutate(group=ibis.literal("all")))
    s = both.group_by("group").aggregate(
        models=both.count(), users=both.users.sum(), sx=both.x.sum(), sy=both.y.sum(),
        sxx=(both.x * both.x).sum(), sxy=(both.x * both.y).sum(), syy=(both.y * both.y).sum(),
    )
    n = s.models.cast("float64")
    cxx = s.sxx - s.sx * s.sx / n
    cxy = s.sxy - s.sx * s.sy / n
    cyy = s.syy - s.sy * s.sy / n
    slope = cxy / cxx.nullif(0)
    residual = ibis.greatest(cyy - slope * cxy, 0.0) / (n - 2).nullif(0)
    se = (residual / cxx.nullif(0)).sqrt()
    half = t_quantile(s.models - 2) * se
    fit = s.mutate(
        elasticity=slope,
        intercept=(s.sy - slope * s.sx) / n,
        std_error=se,
        ci_low=ibis.ifelse(s.models >= MIN_MODELS_FOR_INTERVAL, slope - half, ibis.null("float64")),
        ci_high=ibis.ifelse(s.models >= MIN_MODELS_FOR_INTERVAL, slope + half, ibis.null("float64")),
        r2=(cxy * cxy) / (cxx * cyy).nullif(0),
    )
    return fit.drop("sx", "sy", "sxx", "sxy", "syy").order_by("group")


def headline_f40(table: pa.Table) -> dict[str, Any]:
    return {
        r["group"]: {k: r[k] for k in ("elasticity", "ci_low", "ci_high", "models", "r2")} for r in table.to_pylist()
    }


def build_t5(inputs: StudyInputs) -> ir.Table:
    """The models with the most tokens in each quadrant of F39 (medians over the models shown)."""
    m = per_model(inputs)
    m = with_quadrants(m.filter(m.users >= option(inputs.options, "min_users")), "tokens")
    rank = ibis.row_number().over(group_by="quadrant", order_by=[ibis.desc(m.tokens), m.model_id]) + 1
    m = m.mutate(rank=rank)
    return m.filter(m.rank <= EXAMPLES_PER_QUADRANT).order_by(["quadrant", "rank"])


def headline_t5(table: pa.Table) -> dict[str, Any]:
    out: dict[str, list[str]] = {}
    for r in table.to_pylist():
        out.setdefault(r["quadrant"], []).append(r["model"])
    return out


def headline_f39(table: pa.Table) -> dict[str, Any]:
    rows = table.to_pylist()
    return {"models": len(rows), "median_cost_per_m": rows[0]["median_cost_per_m"] if rows else None}


_QUADRANT_RULE = (
    "Quadrants split at the medians of cost and usage over the points shown: premium workloads (both above), "
    "mass-market volume drivers (cheaper, more used), specialized experts (dearer, less used), niche utilities "
    "(both below)."
)

FIGURES: tuple[Figure, ...] = (
    Figure(
        "F38", "Cost vs usage by category", "economics",
        "Per category: effective cost per 1M tokens (paid cost, BYOK excluded) vs total tokens, log-log, with the "
        "median cost line. Estimated from the classified sample, post-stratified by request size on the tokens "
        "and spend of all paid requests (total tokens = the category's estimated share x all paid tokens), 95% "
        "intervals from a Poisson bootstrap clustered by user. "
        + _QUADRANT_RULE,
        build_f38,
        ChartSpec("point", x="total_tokens", y="cost_per_m", color="quadrant", log_x=True, log_y=True,
                  y_format="$,.2f", x_label="tokens", y_label="cost per 1M tokens"),
        headline_f38,
    ),
    Figure(
        "F39", "Cost vs usage by model", "economics",
        "Per model: effective cost per 1M tokens (paid cost, BYOK excluded) vs total tokens, log-log, open vs "
        "closed weights; models with no paid tokens are left out. " + _QUADRANT_RULE,
        build_f39,
        ChartSpec("point", x="tokens", y="cost_per_m", color="openness", log_x=True, log_y=True,
                  y_format="$,.2f", x_label="tokens", y_label="cost per 1M tokens"),
        headline_f39,
    ),
    Figure(
        "F40", "Price elasticity across models", "economics",
        "Cross-sectional price elasticity: OLS slope of ln(tokens) on ln(cost per 1M tokens) across models with "
        "at least min_users users, for all, open and closed models, with a 95% t interval from the residual "
        "variance. A slope of -0.06 means 10% cheaper goes with about 0.6% more usage.",
        build_f40,
        ChartSpec("table", x="group", y="elasticity", y_format=".3f"),
        headline_f40,
    ),
    Figure(
        "T5", "Example models per quadrant", "economics",
        "The three models with the most paid tokens in each cost x usage quadrant of F39 (models with at least "
        "min_users users). " + _QUADRANT_RULE,
        build_t5,
        ChartSpec("table", x="model", y="cost_per_m", color="quadrant", y_format="$,.2f"),
        headline_t5,
    ),
)
