"""Text columns of the activity export, exactly as Arrow's CSV writer renders the values, built whole.

Why not the CSV writer itself: it formats every value of every column, and each field of a line
costs it a fixed amount per row. Here a line is the comma join of a few text columns: a number's
text is looked up in a table of the small integers where it can be (a gather costs a third of
formatting), a cost below 1 is built from its ten decimal digits, and other numbers are cast by
Arrow (the CSV writer's own formatting); adjacent categorical fields are looked up in a table of
their combinations; adjacent fields that read the same on most rows are one column, only the other
rows being rendered field by field; the time is a fixed-width byte matrix.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from functools import cache
from itertools import product

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tokencensus.simulate.ids import assemble, decimal_digits, strings
from tokencensus.simulate.rows import EPOCH_DAY

SMALL_INTEGERS = 100_000  # integers below this are looked up, not formatted
#: "HH:MM:SS" of every second of a day, one uint64 each.
_CLOCK = assemble(86_400, [decimal_digits(np.arange(86_400) // 3600, 2), b":",
                           decimal_digits(np.arange(86_400) // 60 % 60, 2), b":",
                           decimal_digits(np.arange(86_400) % 60, 2)]).view(np.uint64).ravel()

Fields = Sequence[pa.Array | str]


def join(fields: Fields, separator: str = ",") -> pa.StringArray:
    """Row by row, the fields' texts (a str is the same on every row) separated by commas; a null is
    an empty field."""
    return pc.binary_join_element_wise(*fields, separator, null_handling="replace", null_replacement="")


def numbers(values: np.ndarray, missing: np.ndarray | None = None) -> pa.StringArray:
    """Numbers as Arrow writes them (null where ``missing``); costs through :func:`_fractions`."""
    if values.dtype.kind != "f":
        return _arrow_text(values, missing)
    plain = _is_fraction(values) if missing is None else _is_fraction(values) & ~missing
    texts = _fractions(np.where(plain, values, 0.0))
    other = np.flatnonzero(~plain)
    if not len(other):
        return texts
    rest = _arrow_text(values[other], None if missing is None else missing[other])
    return _with_others(texts, np.arange(len(values)), other, rest)


def _arrow_text(values: np.ndarray, missing: np.ndarray | None) -> pa.StringArray:
    return pa.array(values, mask=missing).cast(pa.string())


def _is_fraction(values: np.ndarray) -> np.ndarray:
    """Where a float is 0 or a multiple of 1e-10 (as costs rounded to 10 decimals are) in [1e-6, 1):
    Arrow writes those in fixed notation (an exponent below 1e-6), which :func:`_fractions` builds."""
    tenths = np.rint(values * 1e10)
    return ~np.signbit(values) & ((values == 0) | ((values >= 1e-6) & (values < 1) & (tenths / 1e10 == values)))


def _fractions(values: np.ndarray) -> pa.StringArray:
    """Floats where :func:`_is_fraction` holds as Arrow writes them, at a third of the cost of its cast.

    Arrow writes the shortest decimal that reads back as the same double. ``values`` are the doubles
    nearest to k / 1e10 for a k below 1e10, so k's ten digits after "0." read back as the value, and
    no shorter decimal does (decimals of at most 15 significant digits read back as distinct
    doubles): the text is "0." and those digits with trailing zeros dropped, and "0" for zero.
    """
    digits = decimal_digits(np.rint(values * 1e10).astype(np.int64), 10)
    padded = strings(assemble(len(values), [b"0.", digits]))
    return pc.utf8_rtrim(pc.utf8_rtrim(padded, characters="0"), characters=".")


def _with_others(table: pa.StringArray, index: np.ndarray, other: np.ndarray, texts: pa.StringArray) -> pa.StringArray:
    """``table.take(index)`` except at the positions ``other``, which read ``texts`` in order."""
    index = index.copy()
    index[other] = len(table) + np.arange(len(other))
    return pa.concat_arrays([table, texts]).take(pa.array(index))


@cache
def _integer_table(before: str, after: str) -> pa.StringArray:
    return join([before, numbers(np.arange(SMALL_INTEGERS)), after], separator="")


def mostly_integer(values: np.ndarray, before: str, after: str, usual: np.ndarray,
                   fields: Callable[[np.ndarray], Fields]) -> pa.StringArray:
    """Adjacent fields as one text column: on ``usual`` rows they read ``before`` + the integer in
    ``values`` + ``after``, looked up in a table built once; the other rows (and those whose integer
    is negative or not small) are their ``fields(rows)`` joined."""
    table = _integer_table(before, after)
    other = np.flatnonzero(~usual | (values < 0) | (values >= SMALL_INTEGERS))
    if not len(other):
        return table.take(pa.array(values))
    return _with_others(table, values, other, join(fields(other)))


def integers(values: np.ndarray) -> pa.StringArray:
    """Integers as Arrow writes them."""
    return mostly_integer(values, "", "", np.ones(len(values), dtype=bool), lambda at: [numbers(values[at])])


def categories(columns: Sequence[tuple[np.ndarray, Sequence[str]]], end: str = "") -> pa.StringArray:
    """Adjacent categorical fields, given as (codes, names), as one text column (``end`` appended),
    looked up in a table of every combination built once."""
    key = np.zeros(len(columns[0][0]), dtype=np.int64)
    for codes, names in columns:
        key = key * len(names) + codes
    return _combinations(tuple(tuple(names) for _, names in columns), end).take(pa.array(key))


@cache
def _combinations(names: tuple[tuple[str, ...], ...], end: str) -> pa.StringArray:
    return pa.array([",".join(combo) + end for combo in product(*names)], pa.string())


def timestamps(ts_ms: np.ndarray) -> list[bytes | np.ndarray]:
    """The parts of "YYYY-MM-DD HH:MM:SS.mmm" (as Arrow writes a timestamp[ms]) of Unix milliseconds,
    for :func:`~tokencensus.simulate.ids.assemble`: the date as two words looked up per day, the
    clock as one per second."""
    day, ms = np.divmod(ts_ms, 86_400_000)
    first = int(day.min()) if len(day) else 0
    days = range(first, int(day.max()) + 1 if len(day) else first)
    dates = np.frombuffer("".join(date.fromordinal(EPOCH_DAY + d).isoformat() for d in days).encode(),
                          dtype=np.uint8).reshape(-1, 10)
    year_month = np.ascontiguousarray(dates[:, :8]).view(np.uint64).ravel()
    day_of_month = np.ascontiguousarray(dates[:, 8:]).view(np.uint16).ravel()
    second, milli = np.divmod(ms, 1000)
    return [year_month[day - first], day_of_month[day - first], b" ", _CLOCK[second], b".", decimal_digits(milli, 3)]
