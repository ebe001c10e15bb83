"""Vectorised parsing of text columns into canonical values, with a reason for every reject.

Every adapter first gets its fields as text (CSV cells, JSON values rendered as text) and then
runs them through these functions. Each parser returns the typed values and a parallel array of
reasons (null where the value is fine), so an adapter never loops over rows and every rejected
value can be quarantined with a reason a person can act on.
"""

from __future__ import annotations

import re

from collections.abc import Callable, Sequence

import pyarrow as pa
import pyarrow.compute as pc

from tokencensus.schema import FINISH_REASONS, QUARANTINE

#: Raw records in quarantine are cut to this many characters.
RECORD_LIMIT = 2048
#: Rows around a bad value that the slow, explaining parsers see (see ``_piecewise``).
SLOW_PIECE = 4096

_INT = r"^-?\d{1,18}(\.0*)?$"  # "12" and "12.0" (a float column that holds integers) are integers
_FLOAT = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d{1,3})?$"
_TS = r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$"  # date alone = midnight
_TS_ZONE = r"(Z|[+-]\d{2}:?\d{2})$"
_TRUE = ["true", "t", "1", "yes", "y"]
_FALSE = ["false", "f", "0", "no", "n"]

#: Finish reasons seen in gateway and provider logs, mapped to schema.FINISH_REASONS.
FINISH_REASON_MAP = {
    "stop": "stop",
    "end_turn": "stop",
    "stop_sequence": "stop",
    "eos": "stop",
    "length": "length",
    "max_tokens": "length",
    "tool_calls": "tool_calls",
    "tool_use": "tool_calls",
    "function_call": "tool_calls",
    "content_filter": "content_filter",
    "safety": "content_filter",
    "recitation": "content_filter",
    "error": "error",
    "cancelled": "cancelled",
    "canceled": "cancelled",
    "abort": "cancelled",
    "aborted": "cancelled",
}

Parsed = tuple[pa.Array, pa.Array]  # (values, reasons: string, null where the value is fine)


def _reasons(mask: pa.Array, reason: str) -> pa.Array:
    if not pc.any(mask).as_py():
        return pa.nulls(len(mask), pa.string())
    return pc.if_else(mask, pa.scalar(reason), pa.scalar(None, pa.string()))


def _by_dictionary(values: pa.Array, parse: Callable[[pa.Array], tuple[pa.Array, ...]]) -> tuple[pa.Array, ...]:
    """Apply ``parse`` to the distinct values only: flags and reasons repeat a handful of words."""
    encoded = pc.dictionary_encode(values)
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    return tuple(pc.take(out, encoded.indices) for out in parse(encoded.dictionary))


def _fill_false(mask: pa.Array) -> pa.Array:
    return pc.fill_null(mask, False)


def blank_to_null(values: pa.Array) -> pa.Array:
    """Empty or whitespace-only text means "not given"."""
    blank = pc.or_(pc.equal(values, ""), pc.utf8_is_space(values))
    if not pc.any(blank).as_py():
        return values
    return pc.if_else(blank, pa.scalar(None, pa.string()), values)


def _try_cast(values: pa.Array, to: pa.DataType) -> pa.Array | None:
    try:
        return pc.cast(values, to)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


def _cast_or_null(values: pa.Array, to: pa.DataType) -> pa.Array:
    """Cast, turning the few values Arrow still refuses (e.g. 2025-02-30) into nulls by bisection."""
    cast = _try_cast(values, to)
    if cast is not None:
        return cast
    if len(values) == 1:
        return pa.nulls(1, to)
    half = len(values) // 2
    return pa.concat_arrays([_cast_or_null(values[:half], to), _cast_or_null(values[half:], to)])


def _fast_cast(values: pa.Array, *targets: pa.DataType) -> pa.Array | None:
    """The common case: every value is clean or null, so one plain cast does it."""
    for to in targets:
        cast = _try_cast(values, to)
        if cast is not None:
            return cast
    return None


def _piecewise(
    values: pa.Array, fast: Callable[[pa.Array], pa.Array | None], slow: Callable[[pa.Array], Parsed]
) -> Parsed:
    """``fast`` on the largest pieces it accepts, ``slow`` only on small pieces around bad values.

    ``fast`` returns None when any value of a piece fails (a plain Arrow cast); ``slow`` never
    fails and says why each bad value is bad (regular expressions, about fifty times dearer). A
    block with one bad value thus costs a few extra casts and one slow pass over ``SLOW_PIECE``
    rows instead of a slow pass over the whole block.
    """
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    done: list[Parsed] = []
    todo = [values]
    while todo:
        piece = todo.pop()
        converted = fast(piece)
        if converted is not None:
            done.append((converted, _no_reasons(len(piece))))
        elif len(piece) <= SLOW_PIECE:
            done.append(slow(piece))
        else:
            half = len(piece) // 2
            todo += [piece[half:], piece[:half]]  # the first half is taken next: order is kept
    if len(done) == 1:
        return done[0]
    return pa.concat_arrays([v for v, _ in done]), pa.concat_arrays([r for _, r in done])


def _matching(values: pa.Array, pattern: str) -> tuple[pa.Array, pa.Array]:
    """Trimmed values that match ``pattern`` (others null) and the mask of given-but-not-matching."""
    trimmed = pc.utf8_trim_whitespace(blank_to_null(values))
    ok = _fill_false(pc.match_substring_regex(trimmed, pattern))
    return pc.if_else(ok, trimmed, pa.scalar(None, pa.string())), pc.and_(pc.is_valid(trimmed), pc.invert(ok))


def parse_string(values: pa.Array) -> pa.Array:
    """Identifiers and names are kept as logged; only blanks become null."""
    return blank_to_null(values)


def require(values: pa.Array) -> pa.Array:
    """Reasons for a required field: ``missing`` where it is null."""
    return _reasons(pc.is_null(values), "missing required field")


def _reject(values: pa.Array, reasons: pa.Array, mask: pa.Array, reason: str) -> Parsed:
    """Parsed values with those under ``mask`` made null for ``reason`` (untouched when none is:
    the common case costs one pass over the mask, not two copies)."""
    mask = _fill_false(mask)
    if not pc.any(mask).as_py():
        return values, reasons
    return pc.if_else(mask, pa.scalar(None, values.type), values), pc.coalesce(reasons, _reasons(mask, reason))


def _no_reasons(length: int) -> pa.Array:
    return pa.nulls(length, pa.string())


def parse_count(values: pa.Array) -> Parsed:
    """Token counts: non-negative integers ("12.0" counts as 12)."""
    ints, reasons = _piecewise(values, lambda piece: _try_cast(piece, pa.int64()), _parse_count_text)
    return _reject(ints, reasons, pc.less(ints, 0), "negative token count")


def _parse_count_text(values: pa.Array) -> Parsed:
    text, bad = _matching(values, _INT)
    ints = _cast_or_null(pc.replace_substring_regex(text, r"\.0*$", ""), pa.int64())
    return ints, _reasons(bad, "not an integer")


def parse_number(values: pa.Array) -> Parsed:
    """Costs and durations: finite decimal numbers."""
    numbers, reasons = _piecewise(values, lambda piece: _try_cast(piece, pa.float64()), _parse_number_text)
    return _reject(numbers, reasons, pc.invert(pc.is_finite(numbers)), "not a finite number")


def _parse_number_text(values: pa.Array) -> Parsed:
    text, bad = _matching(values, _FLOAT)
    return _cast_or_null(text, pa.float64()), _reasons(bad, "not a number")


def parse_bool(values: pa.Array) -> Parsed:
    """Flags written as true/false, 1/0 or yes/no, in any case."""
    flags = _fast_cast(values, pa.bool_())
    if flags is not None:
        return flags, _no_reasons(len(values))
    return _by_dictionary(values, _parse_bool)


def _parse_bool(values: pa.Array) -> Parsed:
    text = pc.utf8_lower(pc.utf8_trim_whitespace(blank_to_null(values)))
    is_true = pc.is_in(text, value_set=pa.array(_TRUE))
    is_false = pc.is_in(text, value_set=pa.array(_FALSE))
    known = pc.or_(is_true, is_false)
    result = pc.if_else(known, is_true, pa.scalar(None, pa.bool_()))
    return result, _reasons(pc.and_(pc.is_valid(text), pc.invert(known)), "not a boolean (true/false)")


_UTC = pa.timestamp("us", tz="UTC")


def parse_timestamp(values: pa.Array) -> Parsed:
    """ISO 8601 times (space or ``T``, optional fraction, ``Z`` or offset); naive times are UTC."""
    return _piecewise(values, _cast_timestamp, _parse_timestamp_text)


def _cast_timestamp(values: pa.Array) -> pa.Array | None:
    """One cast, to the zoned or the naive type as the first value suggests.

    Trying the other type as well would be correct but slow: a failing zoned cast of naive text
    costs fifty times a successful one. A piece that mixes both goes to the slow path.
    """
    head = values.slice(0, 64).drop_null()
    zoned = len(head) > 0 and re.search(_TS_ZONE, head[0].as_py()) is not None
    times = _try_cast(values, _UTC if zoned else pa.timestamp("us"))
    return None if times is None else pc.cast(times, _UTC)


def _parse_timestamp_text(values: pa.Array) -> Parsed:
    text, bad = _matching(values, _TS)
    text = pc.replace_substring_regex(text, r"(\.\d{6})\d+", r"\1")  # microseconds are the store's unit
    zoned = pc.if_else(
        _fill_false(pc.match_substring_regex(text, _TS_ZONE)), text, pc.binary_join_element_wise(text, "Z", "")
    )
    times = _cast_or_null(zoned, _UTC)
    impossible = pc.and_(pc.is_valid(text), pc.is_null(times))
    reason = "not a time (expected ISO 8601 like 2025-07-14 09:12:33.401 or 2025-07-14T09:12:33Z)"
    return times, _reasons(pc.or_(bad, impossible), reason)


def parse_unix_seconds(values: pa.Array) -> Parsed:
    """Unix times in seconds (``created`` of OpenAI-style responses)."""
    seconds, reasons = parse_number(values)
    plausible = _fill_false(pc.and_(pc.greater_equal(seconds, 0), pc.less(seconds, 1e11)))
    micros = pc.cast(pc.round(pc.multiply(pc.if_else(plausible, seconds, None), 1e6)), pa.int64())
    implausible = pc.and_(pc.is_valid(seconds), pc.invert(plausible))
    reasons = pc.coalesce(reasons, _reasons(implausible, "not a Unix time in seconds"))
    return pc.cast(micros, pa.timestamp("us", tz="UTC")), reasons


def normalise_finish_reason(values: pa.Array, cancelled: pa.Array | None = None) -> pa.Array:
    """Map a logged finish reason onto schema.FINISH_REASONS; unknown reasons become ``other``."""
    if pc.all(pc.is_in(values, value_set=pa.array(FINISH_REASONS), skip_nulls=True)).as_py():
        result = values  # already normalised, as OpenRouter logs are
    else:
        (result,) = _by_dictionary(values, _normalise_finish_reason)
    if cancelled is not None and pc.any(cancelled).as_py():
        result = pc.if_else(_fill_false(cancelled), pa.scalar("cancelled"), result)
    return result


def _normalise_finish_reason(values: pa.Array) -> tuple[pa.Array]:
    text = pc.utf8_lower(pc.utf8_trim_whitespace(blank_to_null(values)))
    keys = pa.array(list(FINISH_REASON_MAP))
    mapped = pc.take(pa.array(list(FINISH_REASON_MAP.values())), pc.index_in(text, value_set=keys))
    return (pc.if_else(pc.and_(pc.is_valid(text), pc.is_null(mapped)), pa.scalar("other"), mapped),)


def first_problem(checks: Sequence[tuple[str, pa.Array]], length: int) -> tuple[pa.Array, pa.Array]:
    """Per row, the first (field, reason) among ``checks`` that has a reason; null when none."""
    fields = pa.nulls(length, pa.string())
    reasons = pa.nulls(length, pa.string())
    for name, reason in reversed(checks):
        if reason.null_count == len(reason):
            continue
        has = pc.is_valid(reason)
        fields = pc.if_else(has, pa.scalar(name), fields)
        reasons = pc.if_else(has, reason, reasons)
    return fields, reasons


def quarantine_rows(
    source: str, lines: pa.Array, fields: pa.Array, reasons: pa.Array, records: pa.Array
) -> pa.Table:
    """A QUARANTINE table; ``lines`` are physical line numbers, ``records`` the raw text."""
    location = pc.binary_join_element_wise("line ", pc.cast(lines, pa.string()), "")
    return pa.Table.from_arrays(
        [
            pa.repeat(pa.scalar(source, pa.string()), len(lines)),
            location,
            pc.cast(fields, pa.string()),
            pc.cast(reasons, pa.string()),
            pc.utf8_slice_codeunits(pc.cast(records, pa.string()), 0, RECORD_LIMIT),
        ],
        schema=QUARANTINE,
    )
