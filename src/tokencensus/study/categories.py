"""Categories (STUDY.md F6-F9, F16, F18-F28, T4): what the tokens are for, estimated from the sample.

Only a sample of requests is classified, so every share here is an estimate with a 95% interval
from the user-clustered bootstrap of :mod:`.estimate`. Shares are post-stratified: each figure
names the requests its numbers are about (its population: all scoped requests, the open-weight
ones, one author's), the sample is the classified part of them, and each size stratum's category
mix, read from the sample, is weighted by the stratum's tokens, requests and spend over all of the
population (see :class:`.estimate.Calibration`). Strata nest in the grouping keys every request
carries (the period, a source type, an author); sample-only keys (category, sub-category,
language) are what the sample estimates. The ``min_stratum`` option sets how many classified
requests a stratum holds at least (0: plain ratio estimates over the classified requests). Means
(F16, F18) stay plain ratio estimates over the classified requests. The ``category_view`` option
switches every figure between the report's 12 categories and the methodology's 9 buckets;
``sample_period`` picks monthly (default) or weekly series.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa
from ibis import Deferred

from tokencensus.classify.taxonomy import load_taxonomy
from tokencensus.study.enrich import LABEL_VIEWS
from tokencensus.study.estimate import (
    Calibration,
    Correction,
    bootstrap,
    correction,
    correction_matrix,
    load_confusion,
    ratio_of,
    share_of,
)
from tokencensus.study.figure import ChartSpec, Figure, StudyInputs
from tokencensus.study.headline import (
    first_and_last_periods,
    hidden_cells,
    hidden_values,
    lift_withheld,
    periods,
    pooled_value,
    withheld,
)
from tokencensus.study.measures import PERCENTILES, ranked, scope, top_label, with_user_share
from tokencensus.study.options import option

PERIOD = "period"
UNKNOWN = "unknown"
#: Sample-based shares by each weighting; the first is the charted one (``ci_low``/``ci_high``).
SHARES = {"share_tokens": share_of("tokens"), "share_requests": share_of("requests"), "share_spend": share_of("spend")}
SAMPLE_WEIGHTS = {"requests": "share_requests", "spend": "share_spend", "users": "share_users"}
N_AUTHOR_SLOTS = 6
Headline = Callable[[pa.Table], dict[str, Any]]

_EMPTY_LABELS = pa.schema(
    [("request_id", pa.string()), ("label", pa.string()), ("label_weight", pa.float64()),
     ("confidence", pa.float64()), ("classifier", pa.string())]
    + [(f"{kind}_{view}", pa.string()) for view in LABEL_VIEWS for kind in ("category", "subcategory")]
)


def view(inputs: StudyInputs) -> str:
    """The category roll-up the options ask for."""
    name = option(inputs.options, "category_view")
    if name not in LABEL_VIEWS:
        raise ValueError(f"category_view must be one of {LABEL_VIEWS}, not {name!r}")
    return name


def with_period(inputs: StudyInputs, t: ir.Table) -> ir.Table:
    """``t`` with ``period``: the request's week or month, as the ``sample_period`` option says."""
    name = option(inputs.options, "sample_period")
    if name not in ("week", "month"):
        raise ValueError(f"sample_period must be 'week' or 'month', not {name!r}")
    return t.mutate(period=t[name])


def population(inputs: StudyInputs) -> ir.Table:
    """Every scoped request with its ``period``: what the sample-based numbers are estimates of."""
    return with_period(inputs, scope(inputs))


def classify(inputs: StudyInputs, rows: ir.Table) -> ir.Table:
    """The requests of ``rows`` that carry a label, with ``category``/``subcategory`` of the chosen
    view and ``weight`` (a request's share of its labels). Empty when nothing is classified."""
    labels = inputs.labels if inputs.labels is not None else ibis.memtable(_EMPTY_LABELS.empty_table())
    labels = labels.rename(label_request_id="request_id")
    joined = rows.join(labels, rows.request_id == labels.label_request_id)
    v = view(inputs)
    return joined.mutate(
        category=joined[f"category_{v}"],
        subcategory=joined[f"subcategory_{v}"].fill_null("unspecified"),
        weight=joined.label_weight,
    )


def classified(inputs: StudyInputs) -> ir.Table:
    """Every classified request in scope (:func:`classify` of the :func:`population`)."""
    return classify(inputs, population(inputs))


def weighted_values(t: ir.Table) -> dict[str, ir.NumericValue]:
    """Tokens, requests and spend of each classified row, counted by its label weight."""
    return {"tokens": t.tokens * t.weight, "requests": t.weight, "spend": t.spend * t.weight}


def calibration(inputs: StudyInputs, rows: ir.Table, keys: list[str]) -> Calibration | None:
    """Post-stratification of a sample of ``rows`` to their tokens, requests and spend, nested in
    the grouping ``keys`` every row carries; None when the ``min_stratum`` option turns it off."""
    min_requests = option(inputs.options, "min_stratum")
    if min_requests <= 0:
        return None
    totals = {"tokens": rows.tokens, "requests": ibis.literal(1, "int64"), "spend": rows.spend}
    nest = tuple(k for k in dict.fromkeys(keys) if k in rows.columns)
    return Calibration(rows, totals, nest=nest, min_requests=min_requests)


def _correct(inputs: StudyInputs, by: list[str]) -> Correction | None:
    """The classifier-error correction of category shares, when a confusion matrix is given."""
    confusion = option(inputs.options, "confusion")
    if confusion is None or by != ["category"]:
        return None
    labels, counts = load_confusion(confusion)
    taxonomy = load_taxonomy(option(inputs.options, "taxonomy"))
    rollup = {label: taxonomy.rollup(label, view(inputs)) for label in labels if label in taxonomy.labels}
    return correction(correction_matrix(labels, counts, rollup), list(SHARES))


def sample_shares(
    inputs: StudyInputs,
    rows: ir.Table,
    by: list[str],
    over: list[str] | None = None,
    *,
    sample: ir.Table | None = None,
    where: Deferred | None = None,
) -> ir.Table:
    """Estimated tokens, requests and spend of ``rows`` per ``over`` x ``by`` with each one's share
    of its ``over`` period and intervals, the distinct users behind each cell and ``share_users``.

    ``sample`` is the classified part of ``rows`` (default: :func:`classify`); ``where`` keeps
    the cells' sample rows (``_.category == "programming"``) while strata are weighed on all."""
    over = [PERIOD] if over is None else over
    sample = classify(inputs, rows) if sample is None else sample
    table = bootstrap(
        sample, over, by, weighted_values(sample), SHARES,
        replicates=option(inputs.options, "replicates"),
        level=option(inputs.options, "confidence_level"),
        correct=_correct(inputs, by),
        calibration=calibration(inputs, rows, [*over, *by]),
        where=where,
    )
    return with_user_share(table, sample if where is None else sample.filter(where), over)


def shares_with_window(
    inputs: StudyInputs, rows: ir.Table, by: list[str], keys: list[str] | None = None, where: Deferred | None = None
) -> ir.Table:
    """:func:`sample_shares` per period, plus the same over the whole window in rows whose
    ``period`` is null: a whole-window share pools many more users, so it survives suppression
    where thin monthly cells do not, and headlines read it with its own interval."""
    keys = keys or []
    per_period = sample_shares(inputs, rows, by, over=[PERIOD, *keys], where=where)
    window = sample_shares(inputs, rows, by, over=keys, where=where).mutate(period=ibis.null("date"))
    return per_period.union(window.select(per_period.columns)).order_by([PERIOD, *keys, *by])


def sample_means(inputs: StudyInputs, t: ir.Table, value: ir.NumericValue, by: list[str]) -> ir.Table:
    """Per period x ``by``: the mean of ``value`` over classified requests with an interval, and
    its exact percentiles (of the requests in the sample, unweighted)."""
    t = t.mutate(value=value).filter(ibis._.value.notnull())
    table = bootstrap(
        t, [PERIOD], by,
        {"total": t.value * t.weight, "requests": t.weight},
        {"mean": ratio_of("total", "requests")},
        replicates=option(inputs.options, "replicates"),
        level=option(inputs.options, "confidence_level"),
        extra={"quantiles": t.value.quantile(list(PERCENTILES.values()))},
    )
    spread = {name: table.quantiles[i] for i, name in enumerate(PERCENTILES)}
    return table.mutate(**spread).drop("quantiles", "total").order_by([PERIOD, *by])


# figures --------------------------------------------------------------------------------------


def build_mix(inputs: StudyInputs, where: str | None = None) -> ir.Table:
    """Category mix of the tokens per period, optionally of one source type (or all open weights)."""
    rows = population(inputs)
    if where == "open":
        rows = rows.filter(rows.open_weights)
    elif where is not None:
        rows = rows.filter(rows.source_type == where)
    return shares_with_window(inputs, rows, ["category"])


def build_source_types(inputs: StudyInputs, category: str) -> ir.Table:
    """Who serves one category's tokens: closed, open China, open rest of world, per period."""
    return shares_with_window(inputs, population(inputs), ["source_type"], where=ibis._.category == category)


def build_f16(inputs: StudyInputs) -> ir.Table:
    t = classified(inputs)
    return sample_means(inputs, t, t.prompt_tokens, ["category"])


def build_f18(inputs: StudyInputs) -> ir.Table:
    """Mean sequence length of programming requests beside that of all classified requests."""
    t = classified(inputs)
    reported = t.prompt_tokens.notnull() | t.completion_tokens.notnull()
    t = t.filter(reported)
    both = t.filter(t.category == "programming").mutate(group=ibis.literal("programming")).union(
        t.mutate(group=ibis.literal("all"))
    )
    return sample_means(inputs, both, both.tokens, ["group"])


def build_f20(inputs: StudyInputs) -> ir.Table:
    """Programming tokens by author: the top N authors by classified programming tokens by name."""
    rows = population(inputs)
    rows = rows.mutate(author=rows.author.fill_null(UNKNOWN))
    programming = ibis._.category == "programming"
    ranked_on = classify(inputs, rows).filter(programming)
    rows = top_label(rows, "author", "author", option(inputs.options, "top_n"), among=ranked_on)
    return shares_with_window(inputs, rows, ["author"], where=programming)


def build_f21(inputs: StudyInputs) -> ir.Table:
    return sample_shares(inputs, population(inputs), ["subcategory"], over=["category"])


def build_f22(inputs: StudyInputs) -> ir.Table:
    return sample_shares(inputs, population(inputs), ["subcategory"], over=[PERIOD, "category"])


def author_slot(inputs: StudyInputs, slot: int) -> ir.Table:
    """A one-row table (``author``) naming the ``slot``-th author (1-based): from the ``authors``
    option, else the authors ranked by tokens over all requests."""
    named = list(option(inputs.options, "authors"))
    if named:
        return ibis.memtable(pa.table({"author": pa.array(named[slot - 1: slot], pa.string())}))
    t = scope(inputs)
    totals = t.filter(t.author.notnull()).group_by("author").aggregate(tokens=t.tokens.sum())
    return ranked(totals, "author", slot).filter(ibis._.rank == slot).select("author")


def build_author_mix(inputs: StudyInputs, slot: int) -> ir.Table:
    rows = population(inputs)
    chosen = author_slot(inputs, slot).rename(chosen="author")
    rows = rows.join(chosen, rows.author == chosen.chosen).drop("chosen")
    return shares_with_window(inputs, rows, ["category"], keys=["author"])


def build_t4(inputs: StudyInputs) -> ir.Table:
    """Token share by the detected language of the sampled prompts (an estimate from the sample)."""
    prompts = inputs.prompts
    if prompts is None:
        prompts = ibis.memtable(pa.table({"request_id": pa.array([], pa.string()), "language": pa.array([], pa.string())}))
    rows = population(inputs)
    prompts = prompts.select(prompt_request_id=prompts.request_id, language=prompts.language)
    sample = rows.join(prompts, rows.request_id == prompts.prompt_request_id).drop("prompt_request_id")
    # an int cast to float: a float literal is DECIMAL in Spark SQL, and sums of it keep 6 digits
    sample = sample.mutate(language=sample.language.fill_null(UNKNOWN), weight=ibis.literal(1).cast("float64"))
    shares = sample_shares(inputs, rows, ["language"], over=[], sample=sample)
    return shares.order_by([ibis.desc("tokens"), "language"])


# headlines ------------------------------------------------------------------------------------


def _window_rows(table: pa.Table, key: str) -> dict[str, dict[str, Any]]:
    """The whole-window rows (null ``period``) by ``key``: share of tokens, its interval, users."""
    return {
        str(r[key]): {k: r.get(k) for k in ("share_tokens", "ci_low", "ci_high", "users")}
        for r in table.to_pylist() if r[PERIOD] is None
    }


def _hidden_in_window(table: pa.Table, key: str) -> set[str]:
    """The values of ``key`` whose whole-window row was suppressed."""
    hidden = hidden_cells(table).to_pylist()
    return {str(r[key]) for r in hidden if r.get(PERIOD) is None and key in r}


def _window_shares(table: pa.Table, key: str, value: str) -> dict[str, Any]:
    """``value``'s pooled token share in the first and the latest periods, and over the whole window."""
    first, latest = first_and_last_periods(table)
    out: dict[str, Any] = {
        f"{name}_share_tokens": pooled_value(table, key, value, subset, column=PERIOD)
        for name, subset in (("first_periods", first), ("latest_periods", latest))
    }
    out["whole_window"] = _window_rows(table, key).get(value)
    hidden_window = ["whole_window"] if value in _hidden_in_window(table, key) else []
    missing = [name for name, share in out.items() if share is None and name != "whole_window"]
    return withheld(out, missing + hidden_window)


def headline_mix(key: str = "category") -> Headline:
    """Each ``key``'s token share over the whole window with its interval, largest first."""

    def headline(table: pa.Table) -> dict[str, Any]:
        rows = _window_rows(table, key)
        out = {"whole_window": dict(sorted(rows.items(), key=lambda kv: -(kv[1]["share_tokens"] or 0)))}
        return withheld(out, [f"whole_window.{v}" for v in sorted(_hidden_in_window(table, key))])

    return headline


def headline_f19(table: pa.Table) -> dict[str, Any]:
    out = _window_shares(table, "category", "programming")
    rows = [r for r in table.to_pylist() if r["category"] == "programming" and r[PERIOD] is not None]
    last = max(rows, key=lambda r: r[PERIOD], default=None)
    later = [p for p in periods(table, PERIOD) if last is None or p > last[PERIOD]]
    if "programming" in hidden_values(table, "category", later, PERIOD):
        return withheld(out, ["latest_period"])
    if last is not None:
        out["latest_period"] = {k: last.get(k) for k in (PERIOD, "share_tokens", "ci_low", "ci_high", "users")}
    return out


def headline_f20(table: pa.Table) -> dict[str, Any]:
    return lift_withheld({
        author: _window_shares(table, "author", author)
        for author in ("Anthropic", "OpenAI", "Google")
        if author in set(table["author"].to_pylist()) | hidden_values(table, "author")
    })


def headline_shares(key: str) -> Headline:
    """Whole-table shares by ``key`` with their intervals (tables without a period)."""

    def headline(table: pa.Table) -> dict[str, Any]:
        out = {
            str(r[key]): {k: r.get(k) for k in ("share_tokens", "ci_low", "ci_high", "users")}
            for r in table.to_pylist()
        }
        return withheld(out, sorted(hidden_values(table, key)))

    return headline


def headline_f21(table: pa.Table) -> dict[str, Any]:
    hidden = hidden_cells(table).to_pylist()
    out = {
        category: {r["subcategory"]: r["share_tokens"] for r in table.to_pylist() if r["category"] == category}
        for category in sorted(set(table["category"].to_pylist()) | {r["category"] for r in hidden})
    }
    return withheld(out, [f"{r['category']}.{r['subcategory']}" for r in hidden])


def headline_means(table: pa.Table) -> dict[str, Any]:
    """Mean per group pooled over all periods (weighted by the sampled requests); a group with a
    suppressed period is withheld."""
    key = next(c for c in ("category", "group") if c in table.column_names)
    hidden = hidden_values(table, key)
    totals: dict[str, list[float]] = {}
    for r in table.to_pylist():
        if r["mean"] is not None and str(r[key]) not in hidden:
            acc = totals.setdefault(str(r[key]), [0.0, 0.0])
            acc[0] += r["mean"] * r["requests"]
            acc[1] += r["requests"]
    out = {"all_periods_mean": {k: s / n for k, (s, n) in totals.items() if n}}
    return withheld(out, [f"all_periods_mean.{k}" for k in sorted(hidden)])


# registry -------------------------------------------------------------------------------------

_SAMPLE_NOTE = (
    " Estimated from the classified sample, post-stratified by request size on the tokens, requests and "
    "spend of all requests, with 95% intervals from a Poisson bootstrap clustered by user; monthly unless "
    "the sample_period option asks for weeks."
)


def _mix_chart(color: str, x: str = PERIOD) -> ChartSpec:
    return ChartSpec("area", x=x, y="share_tokens", color=color, weights=SAMPLE_WEIGHTS, stack=True, y_format=".0%")


def _line(color: str) -> ChartSpec:
    return ChartSpec("line", x=PERIOD, y="share_tokens", color=color, weights=SAMPLE_WEIGHTS, y_format=".0%")


def _means_chart(color: str, label: str) -> ChartSpec:
    return ChartSpec("line", x=PERIOD, y="mean", color=color, log_y=True, y_format=",.0f", y_label=label)


def _author_figure(slot: int) -> Figure:
    return Figure(
        f"F{22 + slot}",
        f"Category mix of author #{slot}",
        "categories",
        f"Category mix of the tokens of one model author: the authors option's #{slot}, by default the "
        f"author with the #{slot} most tokens over the window (column author)." + _SAMPLE_NOTE,
        lambda inputs: build_author_mix(inputs, slot),
        _mix_chart("category"),
        headline_mix(),
    )


FIGURES: tuple[Figure, ...] = (
    Figure("F6", "Category mix of open-weight tokens", "categories",
           "Share of open-weight classified tokens by category." + _SAMPLE_NOTE,
           lambda inputs: build_mix(inputs, "open"), _mix_chart("category"), headline_mix()),
    Figure("F7", "Category mix of Chinese open-weight tokens", "categories",
           "Share of classified tokens of open-weight models from China by category." + _SAMPLE_NOTE,
           lambda inputs: build_mix(inputs, "open_china"), _mix_chart("category"), headline_mix()),
    Figure("F8", "Programming tokens by source type", "categories",
           "Share of classified programming tokens served by closed, open China and open rest-of-world "
           "models." + _SAMPLE_NOTE,
           lambda inputs: build_source_types(inputs, "programming"), _mix_chart("source_type"),
           headline_mix("source_type")),
    Figure("F9", "Roleplay tokens by source type", "categories",
           "Share of classified roleplay tokens served by closed, open China and open rest-of-world models."
           + _SAMPLE_NOTE,
           lambda inputs: build_source_types(inputs, "roleplay"), _mix_chart("source_type"),
           headline_mix("source_type")),
    Figure("F16", "Prompt tokens per request by category", "agentic",
           "Mean prompt tokens per classified request by category, with the exact 50th, 90th and 99th "
           "percentiles of the sampled requests." + _SAMPLE_NOTE,
           build_f16, _means_chart("category", "prompt tokens per request"), headline_means),
    Figure("F18", "Sequence length: programming vs all", "agentic",
           "Mean prompt + completion tokens per classified request, programming requests vs all classified "
           "requests, with percentiles." + _SAMPLE_NOTE,
           build_f18, _means_chart("group", "tokens per request"), headline_means),
    Figure("F19", "Programming share of classified tokens", "categories",
           "Share of all classified tokens by category; the headline follows programming." + _SAMPLE_NOTE,
           build_mix, _mix_chart("category"), headline_f19),
    Figure("F20", "Programming tokens by model author", "categories",
           "Share of classified programming tokens by model author: the top N authors by name, the rest as "
           "'other'." + _SAMPLE_NOTE,
           build_f20, _line("author"), headline_f20),
    Figure("F21", "Sub-categories inside each category", "categories",
           "Share of each category's classified tokens by sub-category over the whole window ('unspecified' "
           "where the classifier gives none)." + _SAMPLE_NOTE,
           build_f21, ChartSpec("bar", x="category", y="share_tokens", color="subcategory", weights=SAMPLE_WEIGHTS,
                                stack=True, y_format=".0%"), headline_f21),
    Figure("F22", "Sub-categories inside each category over time", "categories",
           "Share of each category's classified tokens by sub-category, per period." + _SAMPLE_NOTE,
           build_f22, ChartSpec("line", x=PERIOD, y="share_tokens", color="subcategory", weights=SAMPLE_WEIGHTS,
                                y_format=".0%")),
    *(_author_figure(slot) for slot in range(1, N_AUTHOR_SLOTS + 1)),
    Figure("T4", "Token share by prompt language", "geography",
           "Share of the sampled prompts' tokens by their detected language over the whole window, with 95% "
           "intervals from a Poisson bootstrap clustered by user.",
           build_t4, ChartSpec("table", x="language", y="share_tokens", weights=SAMPLE_WEIGHTS, y_format=".1%"),
           headline_shares("language")),
)

__all__ = ["FIGURES", "calibration", "classified", "classify", "population", "sample_means", "sample_shares", "weighted_values"]
