"""Canonical tables of the store.

Every adapter turns its log format into rows of ``REQUESTS``; every stage after ingest reads only
these columns. Keeping the schema in one place means a new log format touches ``sources/`` and
nothing else, and a new analysis can rely on the same names everywhere.
"""

from __future__ import annotations

import pyarrow as pa

#: Normalised finish reasons (DESIGN.md). Anything else an adapter meets maps to ``other``.
FINISH_REASONS = ("stop", "length", "tool_calls", "content_filter", "error", "cancelled", "other")

#: One row per LLM request. ``request_id``, ``ts`` and ``model`` are required; the rest is
#: nullable because real gateways leave them out. Prompt text is not a column: it only ever
#: reaches the store through the classify stage's sampling and scrubbing.
REQUESTS = pa.schema(
    [
        pa.field("request_id", pa.string(), nullable=False),
        pa.field("ts", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("user_id", pa.string()),
        pa.field("app_id", pa.string()),
        pa.field("model", pa.string(), nullable=False),
        pa.field("provider", pa.string()),
        pa.field("prompt_tokens", pa.int64()),
        pa.field("completion_tokens", pa.int64()),
        pa.field("reasoning_tokens", pa.int64()),
        pa.field("cached_tokens", pa.int64()),
        pa.field("cost_usd", pa.float64()),
        pa.field("byok", pa.bool_()),
        pa.field("finish_reason", pa.string()),
        pa.field("tools_offered", pa.bool_()),
        pa.field("streamed", pa.bool_()),
        pa.field("latency_ms", pa.float64()),
        pa.field("country", pa.string()),
        pa.field("source", pa.string()),
    ]
)

#: A record that could not become a request row, with enough context for a person to act on it.
QUARANTINE = pa.schema(
    [
        pa.field("source", pa.string(), nullable=False),
        pa.field("location", pa.string(), nullable=False),  # "line 17", "row 3", "record 5"
        pa.field("field", pa.string()),
        pa.field("reason", pa.string(), nullable=False),
        pa.field("record", pa.string()),  # the raw record, truncated
    ]
)

REQUEST_COLUMNS = tuple(REQUESTS.names)
