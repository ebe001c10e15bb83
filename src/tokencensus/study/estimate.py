"""Honest numbers from a sample: user-clustered Poisson bootstrap, classifier-error correction, suppression.

Why in the engine: category shares come from a classified sample of requests, so each needs an
interval. Requests of one user are not independent (a heavy user's traffic moves together), so
the resampling unit is the user. A Poisson bootstrap gives every (user, replicate) pair a weight
drawn from Poisson(1); it needs no resampling step, only a weighted group-by, so it runs as one
Ibis expression on DuckDB or Spark and scales with the sample.

The weight is a pure function of (user, replicate): the MD5 hex digest of ``"<user>:<replicate>"``
read as a uniform number and turned into a Poisson(1) draw by its inverse CDF. As in
:mod:`tokencensus.classify.sampling`, the inverse CDF is a ladder of plain string comparisons of
the digest against 32-digit hex thresholds computed once in Python, so no engine-specific
hex-to-integer conversion is needed and every engine draws the same weights.

Suppression (:func:`suppress`) enforces minimum aggregation on executed tables: any row backed
by fewer than ``min_users`` distinct users is removed before anything is drawn or summarised.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

#: A Poisson(1) draw above this is counted as this (probability ~1e-8: no effect on intervals).
POISSON_MAX = 10
_DIGITS = 32
#: Where :func:`suppress` records how many rows it removed, in the table's schema metadata.
SUPPRESSED_KEY = b"tokencensus.suppressed"

#: Computes one estimate from a table of (weighted) sums: ``estimator(sums, period_keys)``.
Estimator = Callable[[ir.Table, list[str]], ir.Value]
#: Maps a table of estimates to corrected ones: ``correct(estimates, period_keys)``.
Correction = Callable[[ir.Table, list[str]], ir.Table]


def poisson_thresholds(k_max: int = POISSON_MAX) -> list[str]:
    """Hex digests at the Poisson(1) CDF for 0..k_max-1: a digest below the k-th means a draw <= k."""
    cdf = np.cumsum([math.exp(-1.0) / math.factorial(k) for k in range(k_max)])
    return [format(math.ceil(p * 16**_DIGITS), f"0{_DIGITS}x") for p in cdf]


def poisson_weight(key: ir.StringValue) -> ir.IntegerValue:
    """Poisson(1) draw from the MD5 digest of ``key``: a CASE ladder on the digest as text."""
    digest = key.hexdigest("md5")
    return ibis.cases(*((digest < t, k) for k, t in enumerate(poisson_thresholds())), else_=POISSON_MAX)


def cluster_key(t: ir.Table) -> ir.StringValue:
    """The resampling unit: the user; a request without a user is a cluster of its own."""
    return t.user_id.coalesce("request:" + t.request_id)


def replicate_sums(
    t: ir.Table, keys: Sequence[str], sums: Mapping[str, ir.NumericValue], replicates: int
) -> ir.Table:
    """Per ``replicate`` x ``keys`` cell: each of ``sums`` re-weighted by the user's Poisson weight.

    The rows are first summed per (user, cell), so the replicate join touches one row per user
    and cell rather than one per request.
    """
    per_cluster = t.group_by([cluster_key(t).name("cluster"), *keys]).aggregate(**sums)
    clusters = per_cluster.select("cluster").distinct()
    reps = ibis.memtable(pa.table({"replicate": pa.array(range(replicates), pa.int32())}))
    weights = clusters.cross_join(reps)
    weights = weights.mutate(weight=poisson_weight(weights.cluster + ":" + weights.replicate.cast("string")))
    joined = per_cluster.join(weights, "cluster")
    return joined.group_by(["replicate", *keys]).aggregate(
        **{name: (joined[name] * joined.weight).sum() for name in sums}
    )


def interval_names(name: str, primary: bool) -> tuple[str, str]:
    """Column names of an estimate's interval: ``ci_low``/``ci_high`` for the figure's main estimate."""
    return ("ci_low", "ci_high") if primary else (f"ci_low_{name}", f"ci_high_{name}")


def bootstrap(
    t: ir.Table,
    over: Sequence[str],
    by: Sequence[str],
    sums: Mapping[str, ir.NumericValue],
    estimators: Mapping[str, Estimator],
    *,
    replicates: int,
    level: float = 0.95,
    extra: Mapping[str, ir.Value] | None = None,
    correct: Correction | None = None,
) -> ir.Table:
    """Point estimates per ``over`` x ``by`` cell with percentile intervals from the user bootstrap.

    ``sums`` are the additive parts (columns of ``t``); each estimator turns a table of those sums
    into one estimate, given the keys that make up a period (so a share divides by its period's
    total). The first estimator is the figure's main one and gets ``ci_low``/``ci_high``; the
    others ``ci_low_<name>``/``ci_high_<name>``. ``extra`` are point-only aggregates (percentiles);
    every cell also gets ``users``, the distinct users behind it. ``correct`` (see
    :func:`correction`) maps estimates to corrected ones, applied to the point and every replicate
    alike. With ``replicates`` 0 no interval columns are added.
    """
    keys = [*over, *by]
    cells = t.group_by(keys).aggregate(**sums, users=t.user_id.nunique(), **(extra or {}))
    point = cells.mutate(**{name: est(cells, list(over)) for name, est in estimators.items()})
    if correct is not None:
        point = correct(point, list(over))
    if replicates <= 0:
        return point.order_by(keys)
    reps = replicate_sums(t, keys, sums, replicates)
    reps = reps.mutate(**{name: est(reps, ["replicate", *over]) for name, est in estimators.items()})
    if correct is not None:
        reps = correct(reps, ["replicate", *over])
    tail = (1.0 - level) / 2
    bounds = {}
    for i, name in enumerate(estimators):
        low, high = interval_names(name, primary=i == 0)
        bounds[low] = reps[name].quantile(tail)
        bounds[high] = reps[name].quantile(1.0 - tail)
    intervals = reps.group_by(keys).aggregate(**bounds)
    return point.left_join(intervals, keys).drop(*(f"{k}_right" for k in keys)).order_by(keys)


def share_of(weight: str) -> Estimator:
    """A cell's share of its period's total ``weight``; null where the period's total is zero."""
    return lambda g, period: g[weight] / g[weight].sum().over(group_by=period or None).nullif(0)


def ratio_of(numerator: str, denominator: str, scale: float = 1.0) -> Estimator:
    """``scale * numerator / denominator`` within the cell (a mean, a cost per token)."""
    return lambda g, period: scale * g[numerator] / g[denominator].nullif(0)


# classifier-error correction ------------------------------------------------------------------


def load_confusion(source: str | Path | Mapping[str, Any]) -> tuple[list[str], np.ndarray]:
    """Labels and counts (rows: true label, columns: predicted) from ``classifier eval`` JSON.

    Accepts ``{"labels": [...], "matrix": [[...]]}`` or ``{"confusion": {true: {predicted: n}}}``
    (either at the top level or under ``"confusion"``), as a path or an already-parsed mapping.
    """
    raw = source if isinstance(source, Mapping) else json.loads(Path(source).read_text(encoding="utf-8"))
    if "matrix" in raw:
        labels = [str(x) for x in raw["labels"]]
        return labels, np.asarray(raw["matrix"], dtype=float)
    nested = raw.get("confusion", raw)
    if isinstance(nested, Mapping) and "matrix" in nested:
        return load_confusion(nested)
    labels = sorted({*nested, *(p for row in nested.values() for p in row)})
    matrix = np.array([[float(nested.get(a, {}).get(b, 0)) for b in labels] for a in labels])
    return labels, matrix


def correction_matrix(labels: Sequence[str], counts: np.ndarray, rollup: Mapping[str, str]) -> pa.Table:
    """The linear map from observed to corrected category shares, as (observed, category, coef) rows.

    ``counts`` (true x predicted) are first summed into categories through ``rollup`` (label ->
    category; a label that is already a category maps to itself). With P[i, j] = P(predicted j |
    true i), observed shares are ``q = P^T p``, so ``p = (P^T)^-1 q``. Categories the evaluation
    never saw as a true label are left as observed.
    """
    cats = sorted({rollup.get(label, label) for label in labels})
    index = {c: i for i, c in enumerate(cats)}
    where = np.array([index[rollup.get(label, label)] for label in labels])
    rolled = np.zeros((len(cats), len(cats)))
    np.add.at(rolled, (where[:, None], where[None, :]), counts)
    seen = rolled.sum(axis=1) > 0
    p = np.eye(len(cats))
    p[seen] = rolled[seen] / rolled[seen].sum(axis=1, keepdims=True)
    inverse = np.linalg.inv(p.T)
    observed, true = np.meshgrid(np.arange(len(cats)), np.arange(len(cats)))
    nonzero = np.abs(inverse) > 1e-12
    return pa.table({
        "observed": pa.array([cats[i] for i in observed[nonzero]], pa.string()),
        "category": pa.array([cats[i] for i in true[nonzero]], pa.string()),
        "coef": pa.array(inverse[nonzero], pa.float64()),
    })


def correction(matrix: pa.Table, columns: Sequence[str], key: str = "category") -> Correction:
    """A ``correct`` step for :func:`bootstrap`: replace ``columns`` (shares over ``key`` that sum
    to 1 per period) by their ``coef``-weighted sums over the observed categories, clipped at zero
    and renormalised to sum to 1 again. Other columns of a cell are kept as they were; a category
    the correction moves share into but that has no observed cell is not added."""
    coefs = ibis.memtable(matrix)

    def apply(table: ir.Table, period: list[str]) -> ir.Table:
        joined = table.join(coefs, table[key] == coefs.observed)
        fixed = joined.group_by([*(joined[p] for p in period), coefs.category.name("fixed_key")]).aggregate(
            **{f"fixed_{c}": ibis.greatest((joined[c] * joined.coef).sum(), 0.0) for c in columns}
        )
        fixed = fixed.mutate(**{
            f"fixed_{c}": fixed[f"fixed_{c}"] / fixed[f"fixed_{c}"].sum().over(group_by=period or None).nullif(0)
            for c in columns
        })
        fixed = fixed.rename({f"fixed_period_{p}": p for p in period})
        on = [table[p] == fixed[f"fixed_period_{p}"] for p in period] + [table[key] == fixed.fixed_key]
        out = table.left_join(fixed, on)
        return out.mutate(**{c: out[f"fixed_{c}"].coalesce(out[c]) for c in columns}).select(table.columns)

    return apply


# privacy --------------------------------------------------------------------------------------


def suppress(table: pa.Table, min_users: int) -> pa.Table:
    """``table`` without the rows backed by fewer than ``min_users`` distinct users.

    Applies to any table with a ``users`` column; the number of removed rows is kept in the
    schema metadata (see :func:`suppressed_rows`). A null ``users`` counts as zero.
    """
    if "users" not in table.column_names or min_users <= 0:
        return table
    keep = pc.fill_null(pc.greater_equal(table["users"], min_users), False)
    kept = table.filter(keep)
    removed = table.num_rows - kept.num_rows
    metadata = {**(kept.schema.metadata or {}), SUPPRESSED_KEY: str(removed).encode()}
    return kept.replace_schema_metadata(metadata)


def suppressed_rows(table: pa.Table) -> int:
    """How many rows :func:`suppress` removed from ``table`` (0 when it never ran on it)."""
    return int((table.schema.metadata or {}).get(SUPPRESSED_KEY, b"0"))
