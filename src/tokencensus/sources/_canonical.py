"""Canonical request rows from text columns, for every adapter whose fields arrive as text.

JSON records, database rows and mapped CSV/Parquet columns all reach this module as one text
column per canonical field, so they share one set of parsers and one set of reject reasons.
Times may be ISO 8601 text or Unix epochs in seconds, milliseconds, microseconds or nanoseconds
(told apart by magnitude), because the formats mix them: LiteLLM writes both, OTLP nanoseconds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pyarrow as pa
import pyarrow.compute as pc

from tokencensus.schema import REQUESTS
from tokencensus.sources._convert import (
    Parsed,
    normalise_finish_reason,
    parse_bool,
    parse_count,
    parse_number,
    parse_string,
    parse_timestamp,
    parse_unix_seconds,
    require,
)
from tokencensus.sources.accounts import parse_country
from tokencensus.sources.base import AdapterBatch, Prompts, assemble

#: Canonical fields an adapter may provide, besides ``end`` (the end time, for latency).
STRINGS = ("request_id", "user_id", "app_id", "model", "provider")
COUNTS = ("prompt_tokens", "completion_tokens", "reasoning_tokens", "cached_tokens")
NUMBERS = ("cost_usd", "latency_ms")
FLAGS = ("byok", "tools_offered", "streamed")
FIELDS = (*STRINGS, "ts", "end", *COUNTS, *NUMBERS, *FLAGS, "finish_reason", "country")

_NUMERIC = r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d{1,3})?\s*$"
#: Epoch magnitudes: below 1e11 seconds, then milliseconds, microseconds, nanoseconds.
_EPOCH_SCALES = ((1e11, 1.0), (1e14, 1e3), (1e17, 1e6), (1e20, 1e9))


def parse_time(values: pa.Array) -> Parsed:
    """ISO 8601 text, or a Unix epoch whose unit is told by its magnitude."""
    numeric = pc.fill_null(pc.match_substring_regex(values, _NUMERIC), False)
    if not pc.any(numeric).as_py():
        return parse_timestamp(values)
    seconds, reasons = parse_number(pc.if_else(numeric, values, pa.scalar(None, pa.string())))
    scale = pa.scalar(None, pa.float64())
    for bound, divisor in reversed(_EPOCH_SCALES):
        scale = pc.if_else(pc.fill_null(pc.less(pc.abs(seconds), bound), False), pa.scalar(divisor), scale)
    epoch, epoch_reasons = parse_unix_seconds(pc.cast(pc.divide(seconds, scale), pa.string()))
    iso, iso_reasons = parse_timestamp(pc.if_else(numeric, pa.scalar(None, pa.string()), values))
    too_big = pc.and_(pc.is_valid(seconds), pc.is_null(scale))
    epoch_reasons = pc.coalesce(reasons, epoch_reasons, pc.if_else(too_big, pa.scalar("not a Unix time"),
                                                                    pa.scalar(None, pa.string())))
    return pc.if_else(numeric, epoch, iso), pc.if_else(numeric, epoch_reasons, iso_reasons)


def _optional_country(values: pa.Array) -> Parsed:
    """A billing country where one is given; its absence is no fault in a request log."""
    country, reasons = parse_country(values)
    given = pc.is_valid(parse_string(values))
    return country, pc.if_else(given, reasons, pa.scalar(None, pa.string()))


def to_requests(
    text: Callable[[str], pa.Array | None],
    names: Mapping[str, str],
    *,
    source: str,
    lines: pa.Array,
    records: Callable[[pa.Array], pa.Array],
    extra_rejects: pa.Table | None = None,
    bytes_done: int,
    prompts: Prompts | None = None,
) -> AdapterBatch:
    """An AdapterBatch of REQUESTS rows from ``text(field)`` (None where the format lacks it).

    ``names`` says what the format calls each field, for quarantine rows. ``latency_ms`` falls
    back to ``end - ts`` where the format gives an end time rather than a duration. ``prompts``
    are the records' prompts, for formats that log them (see ``AdapterBatch.prompts``).
    """
    length = len(lines)

    def column(field: str) -> pa.Array:
        values = text(field)
        return pa.nulls(length, pa.string()) if values is None else values

    strings = {f: parse_string(column(f)) for f in STRINGS}
    ts, end = parse_time(column("ts")), parse_time(column("end"))
    parsed = {
        **{f: parse_count(column(f)) for f in COUNTS},
        **{f: parse_number(column(f)) for f in NUMBERS},
        **{f: parse_bool(column(f)) for f in FLAGS},
        "country": _optional_country(column("country")),
    }
    values = {f: v for f, (v, _) in parsed.items()}
    micros = pc.subtract(pc.cast(end[0], pa.int64()), pc.cast(ts[0], pa.int64()))
    elapsed = pc.divide(pc.cast(micros, pa.float64(), safe=False), 1e3)
    elapsed = pc.if_else(pc.fill_null(pc.greater_equal(elapsed, 0), False), elapsed, pa.scalar(None, pa.float64()))
    values["latency_ms"] = pc.coalesce(values["latency_ms"], elapsed)
    columns = {
        **strings,
        **values,
        "ts": ts[0],
        "finish_reason": normalise_finish_reason(column("finish_reason")),
        "source": pa.repeat(pa.scalar(source, pa.string()), length),
    }
    checks = [
        (names.get("request_id", "request_id"), require(strings["request_id"])),
        (names.get("ts", "ts"), pc.coalesce(ts[1], require(ts[0]))),
        (names.get("model", "model"), require(strings["model"])),
        (names.get("end", "end"), end[1]),
        *[(names.get(f, f), reasons) for f, (_, reasons) in parsed.items()],
    ]
    return assemble(columns, REQUESTS, checks, source=source, lines=lines, records=records,
                    extra_rejects=extra_rejects, bytes_done=bytes_done, prompts=prompts)
