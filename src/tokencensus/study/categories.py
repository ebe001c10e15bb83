"""Categories (STUDY.md F6-F9, F16, F18-F28, T4): what the tokens are for, estimated from the sample.

Only a sample of requests is classified, so every number here is a ratio estimate over the
classified requests (a category's share of the classified tokens, a mean over classified
requests) with a 95% interval from the user-clustered bootstrap of :mod:`.estimate`. The
``category_view`` option switches every figure between the report's 12 categories and the
methodology's 9 buckets; ``sample_period`` picks monthly (default) or weekly series.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from tokencensus.classify.taxonomy import load_taxonomy
from tokencensus.study.enrich import LABEL_VIEWS
from tokencensus.study.estimate import Correction, bootstrap, correction, correction_matrix, load_confusion, ratio_of, share_of
from tokencensus.study.figure import ChartSpec, Figure, StudyInputs
from tokencensus.study.headline import first_and_last_periods, pooled_share
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


def classified(inputs: StudyInputs) -> ir.Table:
    """The scoped requests that carry a label, with ``category``/``subcategory`` of the chosen view,
    ``weight`` (a request's share of its labels) and ``period``. Empty when nothing is classified."""
    labels = inputs.labels if inputs.labels is not None else ibis.memtable(_EMPTY_LABELS.empty_table())
    t = scope(inputs)
    labels = labels.rename(label_request_id="request_id")
    joined = t.join(labels, t.request_id == labels.label_request_id)
    v = view(inputs)
    joined = joined.mutate(
        category=joined[f"category_{v}"],
        subcategory=joined[f"subcategory_{v}"].fill_null("unspecified"),
        weight=joined.label_weight,
    )
    return with_period(inputs, joined)


def weighted_sums(t: ir.Table) -> dict[str, ir.NumericValue]:
    """Tokens, requests and spend of ``t``, each request counted by its label weight."""
    return {"tokens": (t.tokens * t.weight).sum(), "requests": t.weight.sum(), "spend": (t.spend * t.weight).sum()}


def _correct(inputs: StudyInputs, by: list[str]) -> Correction | None:
    """The classifier-error correction of category shares, when a confusion matrix is given."""
    confusion = option(inputs.options, "confusion")
    if confusion is None or by != ["category"]:
        return None
    labels, counts = load_confusion(confusion)
    taxonomy = load_taxonomy(option(inputs.options, "taxonomy"))
    rollup = {label: taxonomy.rollup(label, view(inputs)) for label in labels if label in taxonomy.labels}
    return correction(correction_matrix(labels, counts, rollup), list(SHARES))


def sample_shares(inputs: StudyInputs, t: ir.Table, by: list[str], over: list[str] | None = None) -> ir.Table:
    """Shares of ``t``'s classified tokens (requests, spend) per ``over`` x ``by`` with intervals,
    the distinct users behind each cell and ``share_users``."""
    over = [PERIOD] if over is None else over
    table = bootstrap(
        t, over, by, weighted_sums(t), SHARES,
        replicates=option(inputs.options, "replicates"),
        level=option(inputs.options, "confidence_level"),
        correct=_correct(inputs, by),
    )
    return with_user_share(table, t, over)


def shares_with_window(inputs: StudyInputs, t: ir.Table, by: list[str], keys: list[str] | None = None) -> ir.Table:
    """:func:`sample_shares` per period, plus the same over the whole window in rows whose
    ``period`` is null: a whole-window share pools many more users, so it survives suppression
    where thin monthly cells do not, and headlines read it with its own interval."""
    keys = keys or []
    per_period = sample_shares(inputs, t, by, over=[PERIOD, *keys])
    window = sample_shares(inputs, t, by, over=keys).mutate(period=ibis.null("date"))
    return per_period.union(window.select(per_period.columns)).order_by([PERIOD, *keys, *by])


def sample_means(inputs: StudyInputs, t: ir.Table, value: ir.NumericValue, by: list[str]) -> ir.Table:
    """Per period x ``by``: the mean of ``value`` over classified requests with an interval, and
    its exact percentiles (of the requests in the sample, unweighted)."""
    t = t.mutate(value=value).filter(ibis._.value.notnull())
    table = bootstrap(
        t, [PERIOD], by,
        {"total": (t.value * t.weight).sum(), "requests": t.weight.sum()},
        {"mean": ratio_of("total", "requests")},
        replicates=option(inputs.options, "replicates"),
        level=option(inputs.options, "confidence_level"),
        extra={"quantiles": t.value.quantile(list(PERCENTILES.values()))},
    )
    spread = {name: table.quantiles[i] for i, name in enumerate(PERCENTILES)}
    return table.mutate(**spread).drop("quantiles", "total").order_by([PERIOD, *by])


# figures --------------------------------------------------------------------------------------


def build_mix(inputs: StudyInputs, where: str | None = None) -> ir.Table:
    """Category mix of classified tokens per period, optionally of one source type (or all open)."""
    t = classified(inputs)
    if where == "open":
        t = t.filter(t.open_weights)
    elif where is not None:
        t = t.filter(t.source_type == where)
    return shares_with_window(inputs, t, ["category"])


def build_source_types(inputs: StudyInputs, category: str) -> ir.Table:
    """Who serves one category's tokens: closed, open China, open rest of world, per period."""
    t = classified(inputs)
    return shares_with_window(inputs, t.filter(t.category == category), ["source_type"])


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
    t = classified(inputs)
    t = t.filter(t.category == "programming")
    t = top_label(t.mutate(author=t.author.fill_null(UNKNOWN)), "author", "author", option(inputs.options, "top_n"))
    return shares_with_window(inputs, t, ["author"])


def build_f21(inputs: StudyInputs) -> ir.Table:
    return sample_shares(inputs, classified(inputs), ["subcategory"], over=["category"])


def build_f22(inputs: StudyInputs) -> ir.Table:
    return sample_shares(inputs, classified(inputs), ["subcategory"], over=[PERIOD, "category"])


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
    t = classified(inputs)
    chosen = author_slot(inputs, slot).rename(chosen="author")
    t = t.join(chosen, t.author == chosen.chosen).drop("chosen")
    return shares_with_window(inputs, t, ["category"], keys=["author"])


def build_t4(inputs: StudyInputs) -> ir.Table:
    """Token share by the detected language of the sampled prompts (an estimate from the sample)."""
    prompts = inputs.prompts
    if prompts is None:
        prompts = ibis.memtable(pa.table({"request_id": pa.array([], pa.string()), "language": pa.array([], pa.string())}))
    t = scope(inputs)
    prompts = prompts.select(prompt_request_id=prompts.request_id, language=prompts.language)
    t = t.join(prompts, t.request_id == prompts.prompt_request_id).drop("prompt_request_id")
    t = t.mutate(language=t.language.fill_null(UNKNOWN), weight=ibis.literal(1.0))
    shares = sample_shares(inputs, t, ["language"], over=[])
    return shares.order_by([ibis.desc("tokens"), "language"])


# headlines ------------------------------------------------------------------------------------


def _window_rows(table: pa.Table, key: str) -> dict[str, dict[str, Any]]:
    """The whole-window rows (null ``period``) by ``key``: share of tokens, its interval, users."""
    return {
        str(r[key]): {k: r.get(k) for k in ("share_tokens", "ci_low", "ci_high", "users")}
        for r in table.to_pylist() if r[PERIOD] is None
    }


def _window_shares(table: pa.Table, key: str, value: str) -> dict[str, Any]:
    """``value``'s pooled token share in the first and the latest periods, and over the whole window."""
    first, latest = first_and_last_periods(table)
    out: dict[str, Any] = {
        f"{name}_share_tokens": pooled_share(table, key, subset, column=PERIOD).get(value, 0.0)
        for name, subset in (("first_periods", first), ("latest_periods", latest))
    }
    out["whole_window"] = _window_rows(table, key).get(value)
    return out


def headline_mix(key: str = "category") -> Headline:
    """Each ``key``'s token share over the whole window with its interval, largest first."""

    def headline(table: pa.Table) -> dict[str, Any]:
        rows = _window_rows(table, key)
        return {"whole_window": dict(sorted(rows.items(), key=lambda kv: -(kv[1]["share_tokens"] or 0)))}

    return headline


def headline_f19(table: pa.Table) -> dict[str, Any]:
    out = _window_shares(table, "category", "programming")
    rows = [r for r in table.to_pylist() if r["category"] == "programming" and r[PERIOD] is not None]
    last = max(rows, key=lambda r: r[PERIOD], default=None)
    if last is not None:
        out["latest_period"] = {k: last.get(k) for k in (PERIOD, "share_tokens", "ci_low", "ci_high", "users")}
    return out


def headline_f20(table: pa.Table) -> dict[str, Any]:
    return {
        author: _window_shares(table, "author", author)
        for author in ("Anthropic", "OpenAI", "Google") if author in set(table["author"].to_pylist())
    }


def headline_shares(key: str) -> Headline:
    """Whole-table shares by ``key`` with their intervals (tables without a period)."""

    def headline(table: pa.Table) -> dict[str, Any]:
        return {
            str(r[key]): {k: r.get(k) for k in ("share_tokens", "ci_low", "ci_high", "users")}
            for r in table.to_pylist()
        }

    return headline


def headline_f21(table: pa.Table) -> dict[str, Any]:
    return {
        category: {r["subcategory"]: r["share_tokens"] for r in table.to_pylist() if r["category"] == category}
        for category in sorted(set(table["category"].to_pylist()))
    }


def headline_means(table: pa.Table) -> dict[str, Any]:
    """Mean per group pooled over all periods (weighted by the sampled requests)."""
    totals: dict[str, list[float]] = {}
    key = next(c for c in ("category", "group") if c in table.column_names)
    for r in table.to_pylist():
        if r["mean"] is not None:
            acc = totals.setdefault(str(r[key]), [0.0, 0.0])
            acc[0] += r["mean"] * r["requests"]
            acc[1] += r["requests"]
    return {"all_periods_mean": {k: s / n for k, (s, n) in totals.items() if n}}


# registry -------------------------------------------------------------------------------------

_SAMPLE_NOTE = (
    " Estimated from the classified sample: shares of classified tokens, with 95% intervals from a "
    "Poisson bootstrap clustered by user; monthly unless the sample_period option asks for weeks."
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

__all__ = ["FIGURES", "classified", "sample_means", "sample_shares"]
