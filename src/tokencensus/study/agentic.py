"""Agentic inference (STUDY.md F10-F17): reasoning models, tool calls, and how long requests get."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from tokencensus.study.figure import ChartSpec, Figure, StudyInputs
from tokencensus.study.headline import first_and_latest_mean, first_and_latest_share, pooled_share, weeks
from tokencensus.study.measures import (
    OTHER,
    PERCENTILES,
    SHARE_WEIGHTS,
    length_stats,
    model_shares,
    scope,
    share_table,
)
from tokencensus.study.options import option

_SHARE_CHART = {"x": "week", "y": "share_tokens", "weights": SHARE_WEIGHTS, "stack": True, "y_format": ".0%"}
#: Averages drawn beside their percentiles (averages hide the long tail); log y keeps p99 and p50 readable.
_LENGTH_SERIES = ("mean", *PERCENTILES)


def headline_top_models(table: pa.Table) -> dict[str, Any]:
    """The named models' shares of all the figure's tokens over the whole window, largest first."""
    shares = pooled_share(table, "model", weeks(table))
    named = sorted(((m, s) for m, s in shares.items() if m != OTHER), key=lambda kv: (-kv[1], kv[0]))
    return {"top_models": [{"model": m, "share_tokens": s} for m, s in named]}


# F10 / F11: reasoning -------------------------------------------------------------------------


def build_f10(inputs: StudyInputs) -> ir.Table:
    """Share of tokens served by reasoning requests, plus reasoning tokens / completion tokens per group."""
    t = scope(inputs)
    t = t.mutate(model_type=ibis.ifelse(t.is_reasoning, "reasoning", "non_reasoning"))
    shares = share_table(
        t, ["model_type"], reasoning_tokens=t.reasoning_tokens.sum(), completion_tokens=t.completion_tokens.sum()
    )
    return shares.mutate(reasoning_token_ratio=shares.reasoning_tokens / shares.completion_tokens.nullif(0))


def build_f11(inputs: StudyInputs) -> ir.Table:
    t = scope(inputs)
    t = t.filter(t.is_reasoning)
    if option(inputs.options, "exclude_free"):
        t = t.filter(~t.is_free)
    return model_shares(t, option(inputs.options, "top_n"))


# F12 / F13: tool calls ------------------------------------------------------------------------


def build_f12(inputs: StudyInputs) -> ir.Table:
    t = scope(inputs)
    t = t.mutate(request_type=ibis.ifelse(t.is_tool_call, "tool_call", "no_tool_call"))
    return share_table(t, ["request_type"])


def build_f13(inputs: StudyInputs) -> ir.Table:
    t = scope(inputs)
    return model_shares(t.filter(t.is_tool_call), option(inputs.options, "top_n"))


# F14 / F15 / F17: request length --------------------------------------------------------------


def _weekly_length(inputs: StudyInputs, value: Callable[[ir.Table], ir.NumericValue]) -> ir.Table:
    """Weekly length statistics of ``value`` (a function of the scoped requests table)."""
    t = scope(inputs)
    return length_stats(t, value(t))


def _sequence_tokens(t: ir.Table) -> ir.IntegerValue:
    """Prompt + completion tokens, null (left out) where the request reports neither."""
    reported = t.prompt_tokens.notnull() | t.completion_tokens.notnull()
    return ibis.ifelse(reported, t.tokens, ibis.null(t.tokens.type()))


def _length_figure(
    figure_id: str, title: str, what: str, value: Callable[[ir.Table], ir.NumericValue]
) -> Figure:
    """A per-week mean + p50/p90/p99 figure of one per-request token count."""
    return Figure(
        figure_id,
        title,
        "agentic",
        f"Mean {what} per request each week, with the exact 50th, 90th and 99th percentiles; requests "
        "that do not report it are left out.",
        lambda inputs: _weekly_length(inputs, value),
        ChartSpec(
            "line", x="week", y="mean", series=_LENGTH_SERIES, log_y=True, y_format=",.0f", y_label=f"{what} per request"
        ),
        first_and_latest_mean,
    )


FIGURES: tuple[Figure, ...] = (
    Figure(
        "F10",
        "Reasoning share of tokens",
        "agentic",
        "Weekly share of all tokens in requests served by reasoning models (catalog flag 'yes', or 'hybrid' "
        "with reasoning tokens > 0) vs the rest; reasoning_token_ratio = reasoning / completion tokens.",
        build_f10,
        ChartSpec("area", color="model_type", **_SHARE_CHART),
        lambda table: first_and_latest_share(table, "model_type", "reasoning"),
    ),
    Figure(
        "F11",
        "Top reasoning models",
        "agentic",
        "Weekly share of reasoning-request tokens by model: the top N models over the window by name, "
        "the rest as 'other' (optionally without ':free' variant requests).",
        build_f11,
        ChartSpec("area", color="model", **_SHARE_CHART),
        headline_top_models,
    ),
    Figure(
        "F12",
        "Tool-call share of tokens",
        "agentic",
        "Weekly share of all tokens in requests whose finish reason is tool_calls.",
        build_f12,
        ChartSpec("area", color="request_type", **_SHARE_CHART),
        lambda table: first_and_latest_share(table, "request_type", "tool_call"),
    ),
    Figure(
        "F13",
        "Top models by tool-call tokens",
        "agentic",
        "Weekly share of tool-call-request tokens by model: the top N models over the window by name, "
        "the rest as 'other'.",
        build_f13,
        ChartSpec("area", color="model", **_SHARE_CHART),
        headline_top_models,
    ),
    _length_figure("F14", "Prompt tokens per request", "prompt tokens", lambda t: t.prompt_tokens),
    _length_figure("F15", "Completion tokens per request", "completion tokens", lambda t: t.completion_tokens),
    _length_figure("F17", "Sequence length per request", "prompt + completion tokens", _sequence_tokens),
)
