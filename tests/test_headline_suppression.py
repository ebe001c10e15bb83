"""Headlines on suppressed tables: a number that needs a suppressed cell is null and says so."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from tokencensus.study.estimate import suppress
from tokencensus.study.headline import (
    SUPPRESSED,
    first_and_latest_mean,
    first_and_latest_share,
    lift_withheld,
    mean_weekly_share,
    pooled_share,
    weeks,
)

K = 50
WEEKS = [dt.date(2025, 1, 6) + dt.timedelta(weeks=i) for i in range(8)]
# (users, tokens) per source type; in the last week open China has 10 users, so it goes, and open
# RoW (the next smallest by tokens) goes with it, or open China would be 1 minus the others
CELLS = {"closed": (200, 700), "open_china": (60, 200), "open_row": (80, 100)}


def share_table() -> pa.Table:
    rows = []
    for week in WEEKS:
        for source, (users, tokens) in CELLS.items():
            thin = week == WEEKS[-1] and source == "open_china"
            rows.append({"week": week, "source_type": source, "users": 10 if thin else users, "tokens": tokens,
                         "requests": tokens // 10, "share_tokens": tokens / 1000, "share_requests": tokens / 1000})
    return pa.Table.from_pylist(rows)


@pytest.fixture(scope="module")
def suppressed_table() -> pa.Table:
    table = suppress(share_table(), K)
    assert table.num_rows == 3 * len(WEEKS) - 2
    return table


def test_a_suppressed_share_is_null_not_zero(suppressed_table):
    head = first_and_latest_share(suppressed_table, "source_type", "open_china")
    assert head["latest_weeks_share_tokens"] is None
    assert head["first_weeks_share_tokens"] == pytest.approx(0.2)
    assert set(head[SUPPRESSED]) == {"latest_weeks_share_tokens", "latest_weeks_share_requests"}


def test_shown_shares_keep_the_suppressed_cells_in_their_denominator(suppressed_table):
    latest = pooled_share(suppressed_table, "source_type", WEEKS[-4:])
    assert latest == {"closed": pytest.approx(0.7)}  # not 700 / 700: the week's total is read from its share
    means = mean_weekly_share(suppressed_table, "source_type")
    assert means == {"closed": pytest.approx(0.7)}  # open China and open RoW have a suppressed week


def test_a_wholly_suppressed_week_still_counts_as_a_week():
    table = share_table()
    table = table.set_column(table.column_names.index("users"), "users",
                             pa.array([5 if r["week"] == WEEKS[-1] else r["users"] for r in table.to_pylist()]))
    out = suppress(table, K)
    assert weeks(out) == WEEKS
    head = first_and_latest_share(out, "source_type", "closed")
    assert head["latest_weeks_share_tokens"] is None  # the last week's total is unknown


def test_a_suppressed_week_withholds_the_mean_of_its_window():
    table = pa.table({
        "week": WEEKS,
        "requests": [100] * 8,
        "users": [60] * 7 + [3],
        "mean": [1.0] * 8,
        "p50": [1.0] * 8, "p90": [2.0] * 8, "p99": [3.0] * 8,
    })
    head = first_and_latest_mean(suppress(table, K))
    assert head["first_weeks_mean"] == pytest.approx(1.0)
    assert head["latest_weeks_mean"] is None and head["latest_week_percentiles"] is None
    assert head[SUPPRESSED] == ["latest_weeks_mean", "latest_week_percentiles"]


def test_nested_withheld_paths_are_lifted_to_the_top():
    nested = {"Qwen": {"a": None, SUPPRESSED: ["a"]}, "OpenAI": {"a": 0.1}, SUPPRESSED: ["top"]}
    assert lift_withheld(nested) == {"Qwen": {"a": None}, "OpenAI": {"a": 0.1}, SUPPRESSED: ["top", "Qwen.a"]}
    assert SUPPRESSED not in lift_withheld({"Qwen": {"a": 1.0}})
