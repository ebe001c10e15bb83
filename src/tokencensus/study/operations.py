"""Ours, beyond the report: who hosts and who calls, and how requests behave in operation.

The report attributes tokens to model authors only; a gateway log also says which inference
provider served a request and which app sent it, how long it took, whether it streamed, how it
ended and how much of its prompt came from cache. Those are the views the report collected but
never showed. All of them use every request (no sample), and all carry the users behind each
cell so suppression covers them too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from tokencensus.study.figure import ChartSpec, Figure, StudyInputs
from tokencensus.study.headline import first_and_latest_share, pooled_share, weeks
from tokencensus.study.measures import PERCENTILES, SHARE_WEIGHTS, length_stats, scope, share_table, top_label
from tokencensus.study.options import option

UNKNOWN = "unknown"


def _shares_of_top(inputs: StudyInputs, column: str) -> ir.Table:
    """Weekly shares by ``column`` (top N by tokens, the rest 'other', missing values 'unknown')."""
    t = scope(inputs)
    t = t.mutate(**{column: t[column].nullif("").fill_null(UNKNOWN)})
    return share_table(top_label(t, column, column, option(inputs.options, "top_n")), [column])


def headline_whole_window(key: str) -> Callable[[pa.Table], dict[str, Any]]:
    """Each ``key``'s token and request share over the whole window."""

    def headline(table: pa.Table) -> dict[str, Any]:
        every = weeks(table)
        return {f"share_{w}": pooled_share(table, key, every, w) for w in ("tokens", "requests")}

    return headline


def build_latency(inputs: StudyInputs) -> ir.Table:
    t = scope(inputs)
    return length_stats(t, t.latency_ms)


def build_streaming(inputs: StudyInputs) -> ir.Table:
    t = scope(inputs)
    mode = ibis.cases((t.streamed, "streamed"), (~t.streamed, "not_streamed"), else_=UNKNOWN)
    return share_table(t.mutate(mode=mode), ["mode"])


def build_finish(inputs: StudyInputs) -> ir.Table:
    t = scope(inputs)
    return share_table(t.mutate(finish_reason=t.finish_reason.fill_null(UNKNOWN)), ["finish_reason"])


def build_cache(inputs: StudyInputs) -> ir.Table:
    """Weekly cache reads: share of prompt tokens read from cache and of requests with any, by source type."""
    t = scope(inputs)
    t = t.filter(t.prompt_tokens.notnull() & t.cached_tokens.notnull())
    g = t.group_by(["week", "source_type"]).aggregate(
        requests=t.count(),
        users=t.user_id.nunique(),
        prompt_tokens=t.prompt_tokens.sum(),
        cached_tokens=t.cached_tokens.sum(),
        hit_requests=(t.cached_tokens > 0).cast("int64").sum(),
    )
    return g.mutate(
        cached_share=g.cached_tokens / g.prompt_tokens.nullif(0),
        hit_rate=g.hit_requests / g.requests.nullif(0),
    ).order_by(["week", "source_type"])


def headline_cache(table: pa.Table) -> dict[str, Any]:
    rows = table.to_pylist()
    prompt = sum(r["prompt_tokens"] or 0 for r in rows)
    return {"cached_share": sum(r["cached_tokens"] or 0 for r in rows) / prompt if prompt else None}


def _share_chart(color: str) -> ChartSpec:
    return ChartSpec("area", x="week", y="share_tokens", color=color, weights=SHARE_WEIGHTS, stack=True, y_format=".0%")


FIGURES: tuple[Figure, ...] = (
    Figure("O1", "Token share by inference provider", "ours",
           "Weekly share of tokens by the provider (host) that served the request: the top N by name, the rest "
           "as 'other', 'unknown' where the log does not say.",
           lambda inputs: _shares_of_top(inputs, "provider"), _share_chart("provider"), headline_whole_window("provider")),
    Figure("O2", "Token share by app", "ours",
           "Weekly share of tokens by the app that sent the request (where the log carries it): the top N by "
           "name, the rest as 'other', 'unknown' where the log does not say.",
           lambda inputs: _shares_of_top(inputs, "app_id"), _share_chart("app_id"), headline_whole_window("app_id")),
    Figure("O3", "Latency per request", "ours",
           "Mean generation latency (ms) per request each week, with the exact 50th, 90th and 99th percentiles; "
           "requests without a latency are left out.",
           build_latency,
           ChartSpec("line", x="week", y="mean", series=("mean", *PERCENTILES), log_y=True, y_format=",.0f",
                     y_label="latency (ms)")),
    Figure("O4", "Streaming", "ours",
           "Weekly share of tokens and requests sent with streaming on, off, or not logged.",
           build_streaming, _share_chart("mode"), lambda table: first_and_latest_share(table, "mode", "streamed")),
    Figure("O5", "How requests end", "ours",
           "Weekly share of requests by normalised finish reason (cancelled = the client aborted).",
           build_finish,
           ChartSpec("area", x="week", y="share_requests", color="finish_reason", stack=True, y_format=".1%",
                     weights={"tokens": "share_tokens", "spend": "share_spend", "users": "share_users"}),
           lambda table: first_and_latest_share(table, "finish_reason", "cancelled")),
    Figure("O6", "Prompt cache hits", "ours",
           "Weekly share of prompt tokens read from cache (cached_share) and share of requests with any cache "
           "read (hit_rate) by source type; requests that do not log cached tokens are left out.",
           build_cache,
           ChartSpec("line", x="week", y="cached_share", color="source_type", y_format=".0%",
                     weights={"requests": "hit_rate"}),
           headline_cache),
)
