"""Join the canonical requests to what the log does not say: the model catalog, accounts, continents.

Every figure groups by the same derived columns (week, source type, size class, reasoning, ...).
Deriving them once here, as one Ibis expression, keeps the definitions of STUDY.md in a single
place and lets every figure stay a short group-by. Only the distinct model slugs are resolved in
Python (a few hundred at most); the row-level work stays in the engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from tokencensus.study.options import option

#: Catalog columns carried onto each request, renamed where they would clash with request columns.
_MODEL_COLUMNS = {
    "model_id": "model_id",
    "model_name": "name",
    "author": "author",
    "open_weights": "open_weights",
    "origin": "origin",
    "total_params_b": "total_params_b",
    "active_params_b": "active_params_b",
    "reasoning_flag": "reasoning",
}

class CatalogLike(Protocol):
    """What enrichment needs from :class:`tokencensus.catalog.Catalog`."""

    @property
    def models(self) -> pa.Table: ...

    def resolve_many(self, slugs: list[str]) -> pa.Table: ...


def _lookup(table: ir.Table, lookup: ir.Table, left: str, right: str) -> ir.Table:
    """Left-join ``lookup`` on ``table[left] == lookup[right]`` and drop the lookup's key."""
    return table.left_join(lookup, table[left] == lookup[right]).drop(right)


def size_class(params_b: ir.NumericValue, small_below_b: float, large_from_b: float) -> ir.StringValue:
    """small / medium / large by parameter count in billions; unknown when the catalog has none."""
    return ibis.cases(
        (params_b < small_below_b, "small"),
        (params_b < large_from_b, "medium"),
        (params_b >= large_from_b, "large"),
        else_="unknown",
    )


def _model_lookup(requests: ir.Table, catalog: CatalogLike) -> ir.Table:
    """slug -> catalog row for the slugs that occur, built from the distinct slugs only."""
    slugs = requests.select("model").distinct().to_pyarrow()["model"].to_pylist()
    models = catalog.models.select(list(_MODEL_COLUMNS.values())).rename_columns(list(_MODEL_COLUMNS))
    resolved = catalog.resolve_many(sorted(slugs))
    # typed explicitly: when no slug resolves, the model_id column may come back as nulls of type null
    slug_ids = pa.table(
        {"cat_slug": resolved["slug"], "model_id": resolved["model_id"].cast(models.schema.field("model_id").type)}
    )
    return ibis.memtable(slug_ids.join(models, "model_id", join_type="left outer"))


def enrich(
    requests: ir.Table,
    catalog: CatalogLike,
    accounts: ir.Table | None,
    countries: pa.Table,
    *,
    options: Mapping[str, Any] | None = None,
) -> ir.Table:
    """The requests table plus every derived column the figures group by (see StudyInputs).

    ``accounts`` (user_id, country) fills a request's missing billing country; ``countries``
    (iso2, continent; :func:`tokencensus.catalog.load_countries`) rolls countries up to continents.
    """
    t = _lookup(requests, _model_lookup(requests, catalog), "model", "cat_slug")
    if accounts is not None:
        account_countries = accounts.select(acct_user=accounts.user_id, acct_country=accounts.country)
        t = _lookup(t, account_countries, "user_id", "acct_user")
        t = t.mutate(country=t.country.coalesce(t.acct_country)).drop("acct_country")
    continents = ibis.memtable(countries.select(["iso2", "continent"]).rename_columns(["cc", "continent"]))
    t = _lookup(t, continents, "country", "cc")

    small, large = option(options, "small_below_b"), option(options, "large_from_b")
    known = t.model_id.notnull()
    open_weights = t.open_weights.fill_null(False)
    china = t.origin == "China"
    source_type = ibis.cases(
        (~known, "unknown"), (~open_weights, "closed"), (china, "open_china"), else_="open_row"
    )
    origin_type = ibis.cases(
        (~known, "unknown"),
        (~open_weights & china, "closed_china"),
        (~open_weights, "closed_row"),
        (china, "open_china"),
        else_="open_row",
    )
    reasoning_tokens = t.reasoning_tokens.fill_null(0)
    return t.mutate(
        tokens=t.prompt_tokens.fill_null(0) + t.completion_tokens.fill_null(0),
        spend=ibis.ifelse(t.byok.fill_null(False), 0.0, t.cost_usd.fill_null(0.0)),
        week=t.ts.truncate("W").date(),
        month=t.ts.truncate("M").date(),
        known_model=known,
        open_weights=open_weights,
        source_type=source_type,
        origin_type=origin_type,
        size_class=size_class(t.total_params_b, small, large),
        size_class_active=size_class(t.active_params_b.coalesce(t.total_params_b), small, large),
        is_reasoning=(
            (t.reasoning_flag == "yes") | ((t.reasoning_flag == "hybrid") & (reasoning_tokens > 0))
        ).fill_null(False),
        is_tool_call=(t.finish_reason == "tool_calls").fill_null(False),
        is_free=t.model.endswith(":free"),
        continent=t.continent.fill_null("unknown"),
    )


class TaxonomyLike(Protocol):
    """What label roll-up needs from :class:`tokencensus.classify.taxonomy.Taxonomy`."""

    @property
    def labels(self) -> tuple[str, ...]: ...

    def categories(self, view: str = ...) -> tuple[str, ...]: ...

    def rollup_table(self, view: str = ...) -> pa.Table: ...


#: Category roll-ups every labels table gets, as ``category_<view>`` / ``subcategory_<view>``.
LABEL_VIEWS = ("report12", "methodology9")
OTHER_CATEGORY = "other"


def _view_lookup(taxonomy: TaxonomyLike, view: str) -> ir.Table:
    """label -> (category, subcategory) of ``view``; a name that is already one of the view's
    categories (a classifier or simulator that labels in categories) passes through as itself."""
    table = taxonomy.rollup_table(view)
    passthrough = [c for c in taxonomy.categories(view) if c not in set(table["label"].to_pylist())]
    extra = pa.table({"label": passthrough, "category": passthrough, "subcategory": pa.nulls(len(passthrough), pa.string())})
    both = pa.concat_tables([table, extra.cast(table.schema)])
    return ibis.memtable(both.rename_columns(["lk_label", f"lk_category_{view}", f"lk_sub_{view}"]))


def enrich_labels(labels: ir.Table, taxonomy: TaxonomyLike, *, options: Mapping[str, Any] | None = None) -> ir.Table:
    """The classify stage's labels rolled up into every view the study charts.

    ``labels`` has ``request_id`` and ``label`` (a taxonomy leaf; a table with ``category``
    instead, like the simulator's answer key, is read the same way) and optionally
    ``subcategory``, ``confidence`` and ``classifier``. Labels below the ``min_confidence``
    option are dropped (a null confidence is kept). A request with several labels splits its
    weight equally between them (``label_weight``), so category shares still add up to 1.
    Unknown labels roll up to ``other``.
    """
    t = labels
    if "label" not in t.columns:
        t = t.rename(label="category")
    t = t.mutate(label=t.label.cast("string"))
    if "confidence" in t.columns:
        t = t.filter(t.confidence.isnull() | (t.confidence >= option(options, "min_confidence")))
    defaults = {"subcategory": ibis.null("string"), "confidence": ibis.null("float64"), "classifier": ibis.null("string")}
    t = t.mutate(**{name: value for name, value in defaults.items() if name not in t.columns})
    t = t.mutate(subcategory=t.subcategory.cast("string"))
    # 1 / float: a float literal is DECIMAL in Spark SQL, and DECIMAL / count keeps only 6 digits
    t = t.mutate(label_weight=1 / t.count().over(group_by="request_id").cast("float64"))
    columns = ["request_id", "label", "label_weight", "confidence", "classifier"]
    for view in LABEL_VIEWS:
        t = _lookup(t, _view_lookup(taxonomy, view), "label", "lk_label")
        t = t.mutate(**{
            f"category_{view}": t[f"lk_category_{view}"].coalesce(OTHER_CATEGORY),
            f"subcategory_{view}": t[f"lk_sub_{view}"].coalesce(t.subcategory),
        })
        columns += [f"category_{view}", f"subcategory_{view}"]
    return t.select(columns)
