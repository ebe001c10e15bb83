"""Geography (STUDY.md F29, T2, T3): where the tokens and the spend come from, by billing country.

Token share and spend share are kept as separate metrics: the report's own tables mix them.
"""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from tokencensus.study.figure import ChartSpec, Figure, StudyInputs
from tokencensus.study.headline import first_and_last_weeks, lift_withheld, pooled_shares_withheld
from tokencensus.study.measures import SHARE_WEIGHTS, ranked, scope, share_table
from tokencensus.study.options import option

UNKNOWN_COUNTRY = "unknown"


def build_f29(inputs: StudyInputs) -> ir.Table:
    return share_table(scope(inputs), ["continent"])


def headline_f29(table: pa.Table) -> dict[str, Any]:
    first, latest = first_and_last_weeks(table)
    return lift_withheld({
        "first_weeks_spend_share": pooled_shares_withheld(table, "continent", first, "spend"),
        "latest_weeks_spend_share": pooled_shares_withheld(table, "continent", latest, "spend"),
    })


def build_t2(inputs: StudyInputs) -> ir.Table:
    by_continent = share_table(scope(inputs), ["continent"], over=())
    return by_continent.order_by([ibis.desc("tokens"), "continent"])


def headline_t2(table: pa.Table) -> dict[str, Any]:
    rows = table.to_pylist()
    return {f"share_{w}": {r["continent"]: r[f"share_{w}"] for r in rows} for w in ("tokens", "spend")}


def build_t3(inputs: StudyInputs) -> ir.Table:
    """Countries ranked by tokens; shares are of ALL tokens, including requests with no known country."""
    t = scope(inputs)
    by_country = share_table(t.mutate(country=t.country.fill_null(UNKNOWN_COUNTRY)), ["country"], over=())
    known = by_country.filter(by_country.country != UNKNOWN_COUNTRY)
    return ranked(known, "country", option(inputs.options, "top_n"))


def headline_t3(table: pa.Table) -> dict[str, Any]:
    return {"top_countries": table.select(["rank", "country", "share_tokens"]).to_pylist()}


FIGURES: tuple[Figure, ...] = (
    Figure(
        "F29",
        "Spend share by continent",
        "geography",
        "Weekly share of effective spend (cost paid, BYOK requests excluded) by the continent of the "
        "account's billing country; 'unknown' where no country is known.",
        build_f29,
        ChartSpec(
            "area",
            x="week",
            y="share_spend",
            color="continent",
            weights={"tokens": "share_tokens", "requests": "share_requests"},
            stack=True,
            y_format=".0%",
        ),
        headline_f29,
    ),
    Figure(
        "T2",
        "Token share by continent",
        "geography",
        "Share of all tokens over the whole window by the continent of the account's billing country, "
        "with the shares of requests and spend and the distinct users behind each.",
        build_t2,
        ChartSpec("table", x="continent", y="share_tokens", weights=SHARE_WEIGHTS, y_format=".1%"),
        headline_t2,
    ),
    Figure(
        "T3",
        "Top countries by token share",
        "geography",
        "The top N billing countries by tokens over the whole window, each with its share of all tokens "
        "(requests with no known country count in the total but are not ranked).",
        build_t3,
        ChartSpec("table", x="country", y="share_tokens", weights=SHARE_WEIGHTS, y_format=".1%"),
        headline_t3,
    ),
)
