"""Suppression: thin cells go, and so does whatever would give them away by subtraction."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tokencensus.study.estimate import suppress, suppressed_cells, suppression_counts

K = 50
PERIODS = [dt.date(2025, 1, 6) + dt.timedelta(weeks=i) for i in range(6)]


@st.composite
def share_tables(draw: st.DrawFn) -> pa.Table:
    """Weekly shares over a few groups: users around the threshold, tokens heavy-tailed."""
    n_periods = draw(st.integers(1, 4))
    n_groups = draw(st.integers(1, 6))
    rows = []
    for period in PERIODS[:n_periods]:
        present = draw(st.lists(st.sampled_from("abcdef"[:n_groups]), min_size=1, unique=True))
        for group in present:
            rows.append({"week": period, "group": group, "users": draw(st.integers(0, 2 * K)),
                         "tokens": draw(st.integers(1, 10**6))})
    table = pa.Table.from_pylist(rows)
    totals = {p: sum(r["tokens"] for r in rows if r["week"] == p) for p in PERIODS}
    shares = [r["tokens"] / totals[r["week"]] for r in rows]
    return table.append_column("share_tokens", pa.array(shares, pa.float64()))


def _removed(before: pa.Table, after: pa.Table, keys: list[str]) -> np.ndarray:
    """Which rows of ``before`` are not in ``after``."""
    kept = set(zip(*(after[k].to_pylist() for k in keys)))
    return np.array([row not in kept for row in zip(*(before[k].to_pylist() for k in keys))], dtype=bool)


def _recoverable(removed: np.ndarray, groups: list[np.ndarray]) -> list[np.ndarray]:
    """Groups in which exactly one cell is hidden and some are shown: total minus the rest gives it."""
    return [g for g in groups if removed[g].sum() == 1 and len(g) > 1]


def _groups_by(table: pa.Table, column: str) -> list[np.ndarray]:
    values = table[column].to_pylist()
    return [np.flatnonzero([v == u for v in values]) for u in dict.fromkeys(values)]


@settings(max_examples=200, deadline=None)
@given(share_tables())
def test_no_suppressed_share_can_be_recovered_by_subtraction(table: pa.Table) -> None:
    out = suppress(table, K)
    removed = _removed(table, out, ["week", "group"])
    assert not _recoverable(removed, _groups_by(table, "week"))
    thin = np.array(table["users"].to_pylist()) < K
    assert (removed >= thin).all()  # every thin cell is gone
    assert all(u >= K for u in out["users"].to_pylist())
    counts = suppression_counts(out)
    assert counts == {"primary": int(thin.sum()), "secondary": int(removed.sum() - thin.sum())}
    hidden = suppressed_cells(out)
    assert sorted(zip(hidden["week"].to_pylist(), hidden["group"].to_pylist())) == sorted(
        (w, g) for w, g, r in zip(table["week"].to_pylist(), table["group"].to_pylist(), removed) if r
    )


@st.composite
def tables_with_totals(draw: st.DrawFn) -> pa.Table:
    """Cells per (week, group) plus, per group, a whole-window row (null week) holding their sum."""
    n_groups = draw(st.integers(1, 5))
    rows = []
    for group in "abcde"[:n_groups]:
        weeks = draw(st.lists(st.sampled_from(PERIODS), min_size=1, unique=True))
        parts = [{"week": w, "group": group, "users": draw(st.integers(0, 2 * K)), "tokens": draw(st.integers(1, 10**6))}
                 for w in weeks]
        rows += parts
        rows.append({"week": None, "group": group, "users": max(p["users"] for p in parts) + draw(st.integers(0, K)),
                     "tokens": sum(p["tokens"] for p in parts)})
    schema = pa.schema([("week", pa.date32()), ("group", pa.string()), ("users", pa.int64()), ("tokens", pa.int64())])
    return pa.Table.from_pylist(rows, schema=schema)


@settings(max_examples=200, deadline=None)
@given(tables_with_totals())
def test_no_suppressed_part_can_be_recovered_from_its_total(table: pa.Table) -> None:
    out = suppress(table, K)
    removed = _removed(table, out, ["week", "group"])
    assert not _recoverable(removed, _groups_by(table, "group"))
    assert all(u >= K for u in out["users"].to_pylist())


def test_the_next_smallest_cell_of_the_group_goes_and_other_groups_stay() -> None:
    table = pa.table({
        "week": [PERIODS[0]] * 4 + [PERIODS[1]] * 2,
        "group": ["a", "b", "c", "d", "a", "b"],
        "users": [10, 80, 90, 60, 70, 90],
        "tokens": [5, 50, 30, 40, 10, 20],
    })
    table = table.append_column("share_tokens", pa.array([5 / 125, 50 / 125, 30 / 125, 40 / 125, 1 / 3, 2 / 3]))
    out = suppress(table, K)
    assert list(zip(out["week"].to_pylist(), out["group"].to_pylist())) == [
        (PERIODS[0], "b"), (PERIODS[0], "d"), (PERIODS[1], "a"), (PERIODS[1], "b")
    ]  # week 0: a thin, c (30 tokens) the next smallest; week 1 untouched
    assert suppression_counts(out) == {"primary": 1, "secondary": 1}


def test_shares_that_do_not_sum_to_one_need_no_second_cell() -> None:
    # a top-N table: shares of all tokens, the rest not shown, so nothing adds up to a known total
    table = pa.table({"author": ["a", "b", "c"], "users": [10, 80, 90], "tokens": [5, 50, 30],
                      "share_tokens": [0.05, 0.5, 0.3]})
    out = suppress(table, K)
    assert out["author"].to_pylist() == ["b", "c"]
    assert suppression_counts(out) == {"primary": 1, "secondary": 0}


@pytest.mark.parametrize("k", [0, 1])
def test_nothing_to_suppress_leaves_the_table_whole(k: int) -> None:
    table = pa.table({"group": ["a", "b"], "users": [1, 2], "share_tokens": [0.5, 0.5]})
    out = suppress(table, k)
    assert out.num_rows == 2 and suppressed_cells(out).num_rows == 0
