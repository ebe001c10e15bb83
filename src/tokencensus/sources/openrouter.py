"""OpenRouter's two per-request logs: the Activity CSV export and ``/api/v1/generation`` records.

Both carry the same facts under different names, so one mapping (:func:`_to_requests`) serves
both; each adapter only says where its fields are and how it reads the file.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

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
from tokencensus.sources._csv import csv_header, read_csv_text, sniff_csv
from tokencensus.sources._io import logical_suffix, read_head
from tokencensus.sources._jsonl import read_jsonl_fields
from tokencensus.sources.base import AdapterBatch, Target, assemble

_COUNTS = ("prompt_tokens", "completion_tokens", "reasoning_tokens", "cached_tokens")

#: Activity CSV column for each canonical field (reference A1.2).
ACTIVITY_COLUMNS = {
    "request_id": "generation_id",
    "ts": "created_at",
    "user_id": "user",
    "app_id": "app_name",
    "model": "model_permaslug",
    "provider": "provider_name",
    "prompt_tokens": "tokens_prompt",
    "completion_tokens": "tokens_completion",
    "reasoning_tokens": "tokens_reasoning",
    "cached_tokens": "tokens_cached",
    "cost_usd": "cost_total",
    "byok": "byok_usage_inference",  # BYOK when the key owner paid the provider something
    "finish_reason": "finish_reason_normalized",
    "cancelled": "cancelled",
    "streamed": "streamed",
    # generation_time_ms is the whole generation; time_to_first_token_ms (TTFT) is a separate
    # column that the canonical table does not keep.
    "latency_ms": "generation_time_ms",
}

#: Generation record key for each canonical field (reference A1.1). Token counts prefer the
#: model's own tokenizer (``native_*``, what is billed) and fall back to the normalised ones.
GENERATION_KEYS = {
    "request_id": "id",
    "ts": "created_at",
    "user_id": "external_user",
    "app_id": "app_id",
    "model": "model",
    "provider": "provider_name",
    "prompt_tokens": "native_tokens_prompt",
    "completion_tokens": "native_tokens_completion",
    "reasoning_tokens": "native_tokens_reasoning",
    "cached_tokens": "native_tokens_cached",
    "cost_usd": "total_cost",
    "byok": "is_byok",
    "finish_reason": "finish_reason",
    "cancelled": "cancelled",
    "streamed": "streamed",
    # generation_time is time spent generating; ``latency`` behaves like time to first token.
    "latency_ms": "generation_time",
}
_GENERATION_FALLBACK = {"prompt_tokens": "tokens_prompt", "completion_tokens": "tokens_completion"}

#: Chat-completion response (reference A1.4) path for each canonical field: what an app that
#: logs OpenRouter's responses has. ``created`` is Unix seconds; there is no user or app.
CHAT_KEYS = {
    "request_id": "id",
    "ts": "created",
    "model": "model",
    "provider": "provider",
    "prompt_tokens": "usage.prompt_tokens",
    "completion_tokens": "usage.completion_tokens",
    "reasoning_tokens": "usage.completion_tokens_details.reasoning_tokens",
    "cached_tokens": "usage.prompt_tokens_details.cached_tokens",
    "cost_usd": "usage.cost",
    "byok": "usage.is_byok",
    "finish_reason": "choices[0].finish_reason",
}


def _byok_from_cost(values: pa.Array) -> Parsed:
    cost, reasons = parse_number(values)
    return pc.greater(cost, 0), reasons


def _to_requests(
    text: Callable[[str], pa.Array],
    names: Mapping[str, str],
    *,
    parse_ts: Callable[[pa.Array], Parsed] = parse_timestamp,
    parse_byok: Callable[[pa.Array], Parsed] = parse_bool,
    source: str,
    lines: pa.Array,
    records: Callable[[pa.Array], pa.Array],
    extra_rejects: pa.Table | None,
    bytes_done: int,
) -> AdapterBatch:
    """Canonical request rows from text columns.

    ``text(field)`` returns the text of a canonical field (null where the format lacks it);
    ``names`` says what the format calls each field, for quarantine rows.
    """
    strings = {f: parse_string(text(f)) for f in ("request_id", "user_id", "app_id", "model", "provider")}
    parsed = {
        "ts": parse_ts(text("ts")),
        **{f: parse_count(text(f)) for f in _COUNTS},
        "cost_usd": parse_number(text("cost_usd")),
        "byok": parse_byok(text("byok")),
        "streamed": parse_bool(text("streamed")),
        "latency_ms": parse_number(text("latency_ms")),
    }
    cancelled, cancelled_reasons = parse_bool(text("cancelled"))
    columns = {
        **strings,
        **{f: values for f, (values, _) in parsed.items()},
        "finish_reason": normalise_finish_reason(text("finish_reason"), cancelled),
        "source": pa.repeat(pa.scalar(source, pa.string()), len(lines)),
    }
    checks = [
        (names["request_id"], require(strings["request_id"])),
        (names["ts"], pc.coalesce(parsed["ts"][1], require(parsed["ts"][0]))),
        (names["model"], require(strings["model"])),
        *[(names.get(f, f), reasons) for f, (_, reasons) in parsed.items() if f != "ts"],
        (names.get("cancelled", "cancelled"), cancelled_reasons),
    ]
    return assemble(columns, REQUESTS, checks, source=source, lines=lines, records=records,
                    extra_rejects=extra_rejects, bytes_done=bytes_done)


class OpenRouterActivity:
    """The Activity page's CSV export, one row per generation, read by header name."""

    name = "openrouter-activity"
    target: Target = "requests"
    description = "OpenRouter Activity CSV export (generation_id, created_at, model_permaslug, ...)"

    def sniff(self, head: bytes, path: Path) -> str | None:
        return sniff_csv(head, path, ("generation_id", "created_at", "model_permaslug"))

    def read(self, path: Path) -> Iterator[AdapterBatch]:
        header = csv_header(read_head(path))
        for chunk in read_csv_text(path, header):
            length = len(chunk.lines)

            def text(field: str) -> pa.Array:
                return chunk.columns.get(ACTIVITY_COLUMNS.get(field, ""), pa.nulls(length, pa.string()))

            yield _to_requests(
                text,
                ACTIVITY_COLUMNS,
                parse_byok=_byok_from_cost,
                source=path.name,
                lines=chunk.lines,
                records=chunk.records,
                extra_rejects=chunk.malformed(path.name),
                bytes_done=chunk.bytes_done,
            )


def _first_object(head: bytes) -> dict | None:
    """The first line of ``head`` that parses as a JSON object (a bad first line is quarantined later)."""
    for line in head.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            return record
    return None


class _JsonRecords:
    """JSON Lines of one record shape; subclasses say where each field is."""

    name: str
    target: Target = "requests"
    description: str
    paths: Mapping[str, str]  # canonical field -> JSON path inside a record
    fallbacks: Mapping[str, str] = {}  # canonical field -> path used where the first is null
    sniff_keys: tuple[str, ...]  # top-level keys the first record must have
    parse_ts: Callable[[pa.Array], Parsed] = staticmethod(parse_timestamp)
    unwrap: str | None = None  # key of an envelope object to read records from, if present

    def sniff(self, head: bytes, path: Path) -> str | None:
        if logical_suffix(path) not in (".jsonl", ".ndjson", ".json"):
            return f"extension '{logical_suffix(path)}' is not .jsonl, .ndjson or .json"
        record = _first_object(head)
        if record is None:
            return "no line in the first 64 KiB is a complete JSON object"
        if self.unwrap and isinstance(record.get(self.unwrap), dict):
            record = record[self.unwrap]
        missing = [k for k in self.sniff_keys if k not in record]
        return f"first record lacks {', '.join(missing)}" if missing else None

    def read(self, path: Path) -> Iterator[AdapterBatch]:
        paths = {**self.paths, **{f"fallback {f}": p for f, p in self.fallbacks.items()}}
        for chunk in read_jsonl_fields(path, paths, unwrap=self.unwrap):

            def text(field: str) -> pa.Array:
                if field in self.fallbacks:
                    return pc.coalesce(chunk.columns[field], chunk.columns[f"fallback {field}"])
                return chunk.columns.get(field, pa.nulls(len(chunk.lines), pa.string()))

            yield _to_requests(
                text,
                self.paths,
                parse_ts=self.parse_ts,
                source=path.name,
                lines=chunk.lines,
                records=lambda mask, raw=chunk.text: pc.filter(raw, mask),
                extra_rejects=chunk.rejects,
                bytes_done=chunk.bytes_done,
            )


class OpenRouterGeneration(_JsonRecords):
    """``GET /api/v1/generation`` records, as ``{"data": {...}}`` envelopes or bare objects."""

    name = "openrouter-generation"
    description = "OpenRouter /api/v1/generation records as JSON Lines (id, created_at, model, ...)"
    paths = GENERATION_KEYS
    fallbacks = _GENERATION_FALLBACK
    sniff_keys = ("id", "created_at", "model")
    unwrap = "data"


class OpenRouterChat(_JsonRecords):
    """Chat-completion responses with OpenRouter's ``usage`` (cost, BYOK), one per line."""

    name = "openrouter-chat"
    description = "OpenRouter chat.completion responses with usage, as JSON Lines (id, created, model, usage, ...)"
    paths = CHAT_KEYS
    sniff_keys = ("id", "created", "model", "usage")
    parse_ts = staticmethod(parse_unix_seconds)
