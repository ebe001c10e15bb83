"""The simulated gateway's prompt log: the sampled requests as OpenAI request/response pairs.

Why a second view of the same requests: the activity export holds no prompt text, but the study
classifies the prompts of a hash sample of requests. Logging proxies keep such prompts as
``{"request": ..., "response": ...}`` lines; this log holds one line for every valid request whose
id is in the sample at the log's rate (:func:`tokencensus.classify.sampling.in_sample`), so a study
sampling at that rate or a lower one finds every prompt it needs. Every value but the text is the
request's activity row: id, time (Unix seconds), model, provider, user, stream flag, finish reason
(``cancelled`` where the row is cancelled), tokens, cost and BYOK. Rows the export spoils on purpose
(the injected bad records) are not valid requests and have no prompt.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from tokencensus.classify.sampling import in_sample_array
from tokencensus.simulate.ids import base62_strings
from tokencensus.simulate.prompts import Exchange, PromptBook
from tokencensus.simulate.rows import FINISH, TOOL_CALLS, MonthRows
from tokencensus.simulate.writer import Vocab

#: Appended to a chunk's generator key for the prompt draws, so they never disturb the row draws.
PROMPT_STREAM = 0x70726F6D
#: The answer carries no text when it was stopped by a filter or an error.
SILENT = (FINISH.index("content_filter"), FINISH.index("error"))
#: The activity row's columns a pair repeats.
_ROW_FIELDS = ("ts_ms", "model", "host", "prompt", "completion", "reasoning", "cached", "finish", "cancelled",
               "streamed", "cost_total", "byok_usage")


@dataclass
class PromptLog:
    """Writes each chunk's sampled requests as JSON lines; counts the requests written."""

    rate: float
    book: PromptBook
    vocab: Vocab
    request_slugs: Sequence[str]  # the model a request asks for, by model number (the log shows the permaslug)
    con: duckdb.DuckDBPyConnection = field(default_factory=lambda: duckdb.connect(config={"threads": 1}))
    requests: int = 0

    def write(self, path: Path, first: bool, rows: MonthRows, labels: pa.Table, positions: np.ndarray,
              rng: np.random.Generator) -> None:
        """Append the sampled requests of a chunk: ``labels`` holds the chunk's valid requests, which
        are the rows at ``positions``."""
        sampled = np.flatnonzero(in_sample_array(labels["request_id"], self.rate, self.con))
        lines = self._lines(rows.take(positions[sampled]), labels.take(pa.array(sampled)), rng)
        with path.open("wb" if first else "ab") as out:
            out.writelines(lines)
        self.requests += len(sampled)

    def _lines(self, rows: MonthRows, labels: pa.Table, rng: np.random.Generator) -> Iterator[bytes]:
        call_ids = base62_strings("call_", np.arange(len(rows)), 19, rng).to_pylist()
        users = self.vocab.users.take(pa.array(rows.user)).to_pylist()
        columns = [labels[name].to_pylist() for name in ("request_id", "label", "subcategory")]
        values = [getattr(rows, name).tolist() for name in _ROW_FIELDS]  # plain Python values, read fast
        for request_id, label, sub, user, call_id, *row in zip(*columns, users, call_ids, *values):
            value = dict(zip(_ROW_FIELDS, row))
            exchange = self.book.draw(label, sub, value["finish"] == TOOL_CALLS, rng)
            request: dict[str, Any] = {"model": self.request_slugs[value["model"]], "messages": exchange.messages,
                                       "user": user, "stream": value["streamed"]}
            if exchange.tools:
                request["tools"] = exchange.tools
            response = self._response(value, request_id, rows.host_vocab[value["host"]], exchange, call_id)
            pair = {"request": request, "response": response}
            yield json.dumps(pair, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"

    def _response(self, row: dict[str, Any], request_id: str, provider: str, exchange: Exchange,
                  call_id: str) -> dict[str, Any]:
        """The chat.completion of an activity row (its values by name): its values and the exchange's answer."""
        message: dict[str, Any] = {"role": "assistant"}
        if exchange.tool_call:
            message |= {"content": None,
                        "tool_calls": [{"id": call_id, "type": "function", "function": exchange.tool_call}]}
        else:
            message["content"] = "" if row["finish"] in SILENT else exchange.reply
        return {
            "id": request_id, "object": "chat.completion", "created": row["ts_ms"] // 1000,
            "model": self.vocab.slugs[row["model"]], "provider": provider,
            "choices": [{"index": 0, "finish_reason": "cancelled" if row["cancelled"] else FINISH[row["finish"]],
                         "message": message}],
            "usage": {"prompt_tokens": row["prompt"], "completion_tokens": row["completion"],
                      "total_tokens": row["prompt"] + row["completion"],
                      "prompt_tokens_details": {"cached_tokens": row["cached"]},
                      "completion_tokens_details": {"reasoning_tokens": row["reasoning"]},
                      "cost": row["cost_total"], "is_byok": row["byok_usage"] > 0},
        }
