"""Honest numbers from a sample: post-stratified estimates, a user-clustered Poisson bootstrap,
classifier-error correction and suppression.

Estimator. Only a sample of requests is classified, but every request's tokens, spend and size are
in the store. A plain ratio estimate (a category's share of the classified tokens) is at the mercy
of prompt lengths: they are heavy-tailed, the long ones are mostly programming, and whether a few
very long requests fall in the sample moves programming's share by points. So the estimates are
post-stratified on what is known for every request (:class:`Calibration`). Strata are size
classes (requests of 2**k to 2**(k+1) - 1 tokens), merged in order of size in runs of about
``min_requests`` classified requests, nested in the grouping keys that every request carries (the period, a source type, an author). A stratum's category mix comes from the sample,
its weight from all rows: each classified request of stratum h counts, for each measure m
(tokens, requests, spend), with weight ``g_mh = T_mh / s_mh``, the stratum's total over all
requests divided by its total over the classified ones, and a cell's estimate is
``sum_h g_mh * y_mh``. Within a size class tokens vary at most twofold, so the tail no longer
decides how much weight each category gets: at ~5,000 classified requests of 100,000 the
standard deviation of programming's token share falls from ~1.8 to ~1.0 points, with no
measurable bias.

Intervals. Requests of one user are not independent (a heavy user's traffic moves together), so
the resampling unit is the user. A Poisson bootstrap gives every (user, replicate) pair a weight
drawn from Poisson(1); it needs no resampling step, only weighted group-bys, so it runs as Ibis
expressions on DuckDB or Spark and scales with the sample. The replicate weights are applied inside
the strata: each replicate recomputes ``s_mh`` from its re-weighted sample, so the interval is that
of the post-stratified estimator. The point estimate is the replicate whose weights are all 1.

The weight is a pure function of (user, replicate): the MD5 hex digest of ``"<user>:<replicate>"``
read as a uniform number and turned into a Poisson(1) draw by its inverse CDF. As in
:mod:`tokencensus.classify.sampling`, the inverse CDF is a ladder of plain string comparisons of
the digest against 32-digit hex thresholds computed once in Python, so no engine-specific
hex-to-integer conversion is needed and every engine draws the same weights.

Suppression (:func:`suppress`) enforces minimum aggregation on executed tables: a row backed by
fewer than ``min_users`` distinct users is removed (primary suppression), and so is, for every
additive relation the table publishes (shares that sum to 1 within a group; a total row with a
null key beside its parts) in which exactly one cell is suppressed, the next-smallest cell of that
relation (secondary suppression), which would otherwise give the first away by subtraction.
"""

from __future__ import annotations

import base64
import itertools
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from ibis import Deferred

#: A Poisson(1) draw above this is counted as this (probability ~1e-8: no effect on intervals).
POISSON_MAX = 10
_DIGITS = 32
#: The replicate number of the point estimate: every cluster weighs 1.
POINT = -1
#: Size classes go up to 2**SIZE_CLASSES tokens; anything longer shares the last class.
SIZE_CLASSES = 48

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


def replicate_weights(t: ir.Table, replicates: int) -> ir.Table:
    """(cluster, replicate, rep_weight) for every ``cluster`` of ``t``: a Poisson(1) weight per
    replicate 0..replicates-1, and weight 1 in replicate :data:`POINT` (the point estimate)."""
    clusters = t.select("cluster").distinct()
    point = clusters.mutate(replicate=ibis.literal(POINT, "int32"), rep_weight=ibis.literal(1, "int64"))
    if replicates <= 0:
        return point
    reps = ibis.memtable(pa.table({"replicate": pa.array(range(replicates), pa.int32())}))
    drawn = clusters.cross_join(reps)
    drawn = drawn.mutate(
        rep_weight=poisson_weight(drawn.cluster + ":" + drawn.replicate.cast("string")).cast("int64")
    )
    return point.union(drawn.select(point.columns))


def size_class(size: ir.IntegerValue) -> ir.IntegerValue:
    """floor(log2(size + 1)) by integer comparisons (no floating log, so engines agree at 2**k)."""
    x = size.fill_null(0) + 1
    return ibis.cases(*((x < 2 ** (k + 1), k) for k in range(SIZE_CLASSES)), else_=SIZE_CLASSES).cast("int32")


@dataclass(frozen=True)
class Calibration:
    """Post-stratification of a sample to totals known for every request (see the module docstring).

    ``population`` holds every request the estimates are about (the sample's rows are among them);
    ``totals`` maps each calibrated measure to its value on a population row (``tokens``: the
    tokens, ``requests``: 1, ...); a :func:`bootstrap` value of the same name is that measure on a
    sample row. Strata are size classes of ``size`` nested in the ``nest`` columns (present in both
    tables), merged in order of size in runs of about ``min_requests`` classified requests.
    """

    population: ir.Table
    totals: Mapping[str, ir.NumericValue]
    nest: tuple[str, ...] = ()
    size: str = "tokens"
    min_requests: int = 30

    def strata(self, sample: ir.Table) -> ir.Table:
        """(nest..., size_class, stratum, total_<measure>...) for every size class of the population.

        A class's stratum is the number of classified requests in the smaller classes of its nest
        group, divided by ``min_requests`` and rounded down: consecutive classes share a stratum
        until the running count passes the next multiple of ``min_requests``, and classes without
        classified requests join their neighbours (so no population total is left unallocated
        while its nest group has any classified request).
        """
        nest = list(self.nest)
        pop = self.population.mutate(
            size_class=size_class(self.population[self.size]),
            **{f"total_{name}": value for name, value in self.totals.items()},
        )
        totals = pop.group_by([*nest, "size_class"]).aggregate(
            **{f"total_{name}": pop[f"total_{name}"].sum() for name in self.totals}
        )
        classified = sample.mutate(size_class=size_class(sample[self.size]))
        counts = classified.group_by([*nest, "size_class"]).aggregate(classified=classified.request_id.nunique())
        joined = _join(totals, counts, [*nest, "size_class"], how="left")
        n = joined.classified.fill_null(0)
        window = ibis.window(group_by=nest or None, order_by="size_class", preceding=None, following=0)
        before = n.sum().over(window) - n
        return joined.mutate(stratum=(before // self.min_requests).cast("int64")).drop("classified")


def _join(left: ir.Table, right: ir.Table, keys: Sequence[str], how: str = "inner") -> ir.Table:
    """``left`` joined to ``right`` on equal (null-safe) ``keys``, each key kept once."""
    if not keys:
        return left.cross_join(right)
    on = [left[k].identical_to(right[k]) for k in keys]
    return left.join(right, on, how=how).drop(*(f"{k}_right" for k in keys))


def _weighted(part: ir.Table, weights: ir.Table, keys: Sequence[str], names: Sequence[str]) -> ir.Table:
    """Per replicate x ``keys``: each of ``names`` (per-cluster sums in ``part``) times the weights."""
    joined = part.join(weights, "cluster")
    return joined.group_by(["replicate", *keys]).aggregate(**{n: (joined[n] * joined.rep_weight).sum() for n in names})


def _replicate_sums(
    t: ir.Table, keys: Sequence[str], names: Sequence[str], replicates: int,
    calibration: Calibration | None, where: Deferred | None,
) -> ir.Table:
    """(replicate, keys..., names...): the cells' sums of each ``value_<name>`` column of ``t`` (the
    rows ``where`` keeps) under each replicate's weights (replicate :data:`POINT`: the estimate
    itself), post-stratified when a calibration is given. Rows are first summed per (cluster,
    cell[, stratum]) in one pass over ``t``, so the replicate join touches one row per user and cell
    rather than one per request."""
    t = t.mutate(cluster=cluster_key(t), in_cell=True if where is None else where)
    if calibration is None:
        cells = t.filter(t.in_cell)
        part = cells.group_by(["cluster", *keys]).aggregate(**{n: cells[f"value_{n}"].sum() for n in names})
        return _weighted(part, replicate_weights(part, replicates), keys, names)
    strata = calibration.strata(t)
    stratum = [*calibration.nest, "stratum"]
    fine = list(dict.fromkeys([*keys, *stratum]))
    t = _join(t.mutate(size_class=size_class(t[calibration.size])),
              strata.select(*calibration.nest, "size_class", "stratum"), [*calibration.nest, "size_class"])
    summed = t.group_by(["cluster", *fine, "in_cell"]).aggregate(**{n: t[f"value_{n}"].sum() for n in names})
    weights = replicate_weights(summed, replicates)
    base = summed.group_by(["cluster", *stratum]).aggregate(**{n: summed[n].sum() for n in names})
    targets = strata.group_by(stratum).aggregate(**{f"target_{n}": strata[f"total_{n}"].sum() for n in names})
    scale = _join(_weighted(base, weights, stratum, names), targets, stratum)
    scale = scale.select("replicate", *stratum, **{f"g_{n}": scale[f"target_{n}"] / scale[n].nullif(0) for n in names})
    part = summed.filter(summed.in_cell)
    expanded = _join(_weighted(part, weights, fine, names), scale, ["replicate", *stratum])
    return expanded.group_by(["replicate", *keys]).aggregate(
        **{n: (expanded[n] * expanded[f"g_{n}"]).sum() for n in names}
    )


def interval_names(name: str, primary: bool) -> tuple[str, str]:
    """Column names of an estimate's interval: ``ci_low``/``ci_high`` for the figure's main estimate."""
    return ("ci_low", "ci_high") if primary else (f"ci_low_{name}", f"ci_high_{name}")


def bootstrap(
    t: ir.Table,
    over: Sequence[str],
    by: Sequence[str],
    values: Mapping[str, ir.NumericValue],
    estimators: Mapping[str, Estimator],
    *,
    replicates: int,
    level: float = 0.95,
    extra: Mapping[str, ir.Value] | None = None,
    correct: Correction | None = None,
    calibration: Calibration | None = None,
    where: Deferred | None = None,
) -> ir.Table:
    """Point estimates per ``over`` x ``by`` cell with percentile intervals from the user bootstrap.

    ``values`` are per-row values of ``t`` (tokens times the label weight, ...) summed per cell;
    with a ``calibration`` each is post-stratified to the population total of the same name.
    ``where`` keeps the cells' rows (a filter on sample-only columns such as the category) while
    the strata are still weighed on all of ``t``. Each estimator turns the table of sums into one
    estimate, given the keys that make up a period (so a share divides by its period's total). The
    first estimator is the figure's main one and gets ``ci_low``/``ci_high``; the others
    ``ci_low_<name>``/``ci_high_<name>``. ``extra`` are point-only aggregates of the cells' rows
    (percentiles); every cell also gets ``users``, the distinct users behind it. ``correct`` (see
    :func:`correction`) maps estimates to corrected ones, applied to the point and every replicate
    alike. With ``replicates`` 0 no interval columns are added.
    """
    keys = [*over, *by]
    names = list(values)
    cells = t if where is None else t.filter(where)
    info = cells.group_by(keys).aggregate(users=cells.user_id.nunique(), **(extra or {}))
    t = t.mutate(**{f"value_{n}": v for n, v in values.items()})
    sums = _replicate_sums(t, keys, names, replicates, calibration, where)
    period = ["replicate", *over]
    est = sums.mutate(**{name: e(sums, period) for name, e in estimators.items()})
    if correct is not None:
        est = correct(est, period)
    point = _join(info, est.filter(est.replicate == POINT).drop("replicate"), keys)
    point = point.select(*keys, *names, "users", *(extra or {}), *estimators)
    if replicates <= 0:
        return point.order_by(keys)
    reps = est.filter(est.replicate != POINT)
    tail = (1.0 - level) / 2
    bounds = {}
    for i, name in enumerate(estimators):
        low, high = interval_names(name, primary=i == 0)
        bounds[low] = reps[name].quantile(tail)
        bounds[high] = reps[name].quantile(1.0 - tail)
    intervals = reps.group_by(keys).aggregate(**bounds)
    return _join(point, intervals, keys, how="left").order_by(keys)


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

#: Schema metadata :func:`suppress` writes: rows removed by each rule, and the removed cells' keys.
PRIMARY_KEY = b"tokencensus.suppressed"
SECONDARY_KEY = b"tokencensus.suppressed_secondary"
CELLS_KEY = b"tokencensus.suppressed_cells"
#: Share columns that add up to 1 within a group (``share_users`` does not: users are in many cells).
ADDITIVE_SHARES = ("share_tokens", "share_requests", "share_spend")
#: Additive measures; the first a table has is what "smallest cell" and a total row are read on.
ADDITIVE_MEASURES = ("tokens", "requests", "spend")
#: How close a group's shares must come to 1, or a total row to its parts (relative), to count.
SUM_TOLERANCE = 1e-6


def key_columns(table: pa.Table) -> list[str]:
    """The columns that name a cell rather than measure it: all but the numeric ones."""
    numeric = (pa.types.is_integer, pa.types.is_floating, pa.types.is_decimal)
    return [f.name for f in table.schema if not any(test(f.type) for test in numeric)]


def _floats(table: pa.Table, column: str) -> np.ndarray:
    """A numeric column as float64 with nulls as NaN."""
    return pc.fill_null(table[column].cast(pa.float64()), math.nan).to_numpy()


def _groups(table: pa.Table, by: Sequence[str]) -> list[np.ndarray]:
    """Row numbers of ``table`` per distinct value of ``by`` (a null key is a value of its own)."""
    rows = pa.array(np.arange(table.num_rows))
    if not by:
        return [rows.to_numpy()] if table.num_rows else []
    grouped = table.select(list(by)).append_column("row", rows).group_by(list(by), use_threads=False)
    return [np.asarray(g, dtype=np.int64) for g in grouped.aggregate([("row", "list")])["row_list"].to_pylist()]


def share_relations(table: pa.Table) -> list[np.ndarray]:
    """Groups of rows whose shares add up to 1: for each share column, the fewest key columns
    whose groups all sum to 1 (groups with no share at all aside)."""
    keys = key_columns(table)
    candidates = [by for size in range(len(keys) + 1) for by in itertools.combinations(keys, size)]
    found: dict[tuple[str, ...], list[np.ndarray]] = {}
    for column in (c for c in ADDITIVE_SHARES if c in table.column_names):
        values = _floats(table, column)
        for by in candidates:
            groups = _groups(table, by)
            if _sums_to_one(values, groups):
                found[by] = groups
                break
    return [rows for groups in found.values() for rows in groups]


def _sums_to_one(values: np.ndarray, groups: list[np.ndarray]) -> bool:
    sums = [np.nansum(values[g]) for g in groups if not np.isnan(values[g]).all()]
    return bool(sums) and all(abs(s - 1.0) <= SUM_TOLERANCE for s in sums)


def total_relations(table: pa.Table) -> list[np.ndarray]:
    """Groups of rows made of a total (a row whose key column is null, say the whole window) and
    its parts (the rows that differ from it only in that column), where the total equals their sum."""
    measure = next((m for m in ADDITIVE_MEASURES if m in table.column_names), None)
    if measure is None:
        return []
    values, keys, found = _floats(table, measure), key_columns(table), []
    for column in keys:
        is_total = pc.is_null(table[column]).to_numpy(zero_copy_only=False)
        if not is_total.any() or is_total.all():
            continue
        groups = _groups(table, [k for k in keys if k != column])
        relations = [g for g in groups if is_total[g].sum() == 1 and len(g) > 1]
        if relations and all(_adds_up(values[g], is_total[g]) for g in relations):
            found += relations
    return found


def _adds_up(values: np.ndarray, is_total: np.ndarray) -> bool:
    total, parts = values[is_total].sum(), np.nansum(values[~is_total])
    return abs(total - parts) <= SUM_TOLERANCE * max(1.0, abs(total))


def complementary(hidden: np.ndarray, relations: Sequence[np.ndarray], size: np.ndarray) -> np.ndarray:
    """``hidden`` plus the cells that keep each relation from giving a hidden cell away: while a
    relation has exactly one hidden cell and some shown, hide its smallest shown cell (ties: the
    first row). Returns the new mask; the cells it adds are ``result & ~hidden``."""
    out = hidden.copy()
    order = np.nan_to_num(size, nan=np.inf)
    changed = True
    while changed:
        changed = False
        for rows in relations:
            mask = out[rows]
            if mask.sum() == 1 and not mask.all():
                shown = rows[~mask]
                out[shown[np.lexsort((shown, order[shown]))[0]]] = True
                changed = True
    return out


def suppress(table: pa.Table, min_users: int) -> pa.Table:
    """``table`` without the rows backed by fewer than ``min_users`` distinct users (primary) and
    without the rows that would give those away by subtraction (secondary, see
    :func:`complementary`; the relations are found in the table itself by :func:`share_relations`
    and :func:`total_relations`).

    Applies to any table with a ``users`` column; a null ``users`` counts as zero. How many rows
    each rule removed, and the key columns of the removed cells, are kept in the schema metadata
    (see :func:`suppression_counts` and :func:`suppressed_cells`).
    """
    if "users" not in table.column_names or min_users <= 0:
        return table
    primary = ~pc.fill_null(pc.greater_equal(table["users"], min_users), False).to_numpy(zero_copy_only=False)
    hidden = primary
    if primary.any():
        measure = next((m for m in ADDITIVE_MEASURES if m in table.column_names), "users")
        hidden = complementary(primary, [*share_relations(table), *total_relations(table)], _floats(table, measure))
    removed = table.filter(pa.array(hidden)).select(key_columns(table)).replace_schema_metadata(None)
    metadata = {
        **(table.schema.metadata or {}),
        PRIMARY_KEY: str(int(primary.sum())).encode(),
        SECONDARY_KEY: str(int((hidden & ~primary).sum())).encode(),
        CELLS_KEY: _encode(removed),
    }
    return table.filter(pa.array(~hidden)).replace_schema_metadata(metadata)


def suppression_counts(table: pa.Table) -> dict[str, int]:
    """Rows :func:`suppress` removed from ``table``: ``primary`` (too few users) and ``secondary``
    (complementary); zeros when it never ran on it."""
    metadata = table.schema.metadata or {}
    return {"primary": int(metadata.get(PRIMARY_KEY, b"0")), "secondary": int(metadata.get(SECONDARY_KEY, b"0"))}


def suppressed_cells(table: pa.Table) -> pa.Table:
    """The key columns of the rows :func:`suppress` removed (no rows when none, or never run):
    what a headline needs to tell a suppressed number from a zero."""
    encoded = (table.schema.metadata or {}).get(CELLS_KEY)
    if encoded is None:
        return table.select(key_columns(table)).slice(0, 0)
    return pa.ipc.open_stream(base64.b64decode(encoded)).read_all()


def _encode(cells: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, cells.schema) as writer:
        writer.write_table(cells)
    return base64.b64encode(sink.getvalue().to_pybytes())
