"""Writes a month of rows as an OpenRouter Activity CSV export, with the deliberate bad records.

Why text splicing: pyarrow writes the valid rows fast, but a malformed line or a timestamp that is
not a time cannot exist in a typed table. Those few lines are rendered from their row, edited as
text and written in their place between slices of the table. Negative tokens and an empty model
slug are typed values and are set in the table itself.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from tokencensus.simulate import calibration as cal
from tokencensus.simulate.ids import generation_ids
from tokencensus.simulate.rows import FINISH, MonthRows

HEADER = (
    "generation_id,created_at,cost_total,cost_web_search,cost_cache,cost_file_processing,"
    "byok_usage_inference,tokens_prompt,tokens_completion,tokens_reasoning,tokens_cached,model_permaslug,"
    "provider_name,variant,cancelled,streamed,user,finish_reason_raw,finish_reason_normalized,"
    "generation_time_ms,time_to_first_token_ms,app_name,api_key_name"
)
COLUMNS = HEADER.split(",")
BAD_KINDS = ("malformed_line", "negative_tokens", "bad_timestamp", "missing_model", "duplicate_same", "duplicate_conflict")
#: Kinds that spoil a row in place (it stops being a valid request); the duplicates are extra lines.
SPOILING = BAD_KINDS[:4]
SLICE_ROWS = 32_768  # rows rendered at a time; small enough to keep every core busy
_OPTIONS = pacsv.WriteOptions(include_header=False, quoting_style="none", batch_size=SLICE_ROWS)
WORKERS = max(1, min(4, os.cpu_count() or 1))


def _dict(codes: np.ndarray, vocab: list[str] | np.ndarray) -> pa.DictionaryArray:
    return pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32)), pa.array(list(vocab), pa.string()))


@dataclass(frozen=True)
class Vocab:
    """String tables shared by every month: slugs (with the unknown one and ""), users, key names."""

    slugs: list[str]
    users: pa.StringArray


def to_table(rows: MonthRows, vocab: Vocab, gen_ids: pa.StringArray) -> pa.Table:
    """The month as an Arrow table in the export's column order. Booleans and constant columns are
    dictionaries of their text, which the CSV writer renders faster than it formats the typed values."""
    n = len(rows)
    flag = ["false", "true"]
    data = {
        "generation_id": gen_ids,
        "created_at": pa.array(rows.ts_ms.astype("datetime64[ms]")),
        "cost_total": pa.array(rows.cost_total),
        "cost_web_search": pa.nulls(n, pa.float64()),
        "cost_cache": pa.array(rows.cost_cache, mask=np.isnan(rows.cost_cache)),
        "cost_file_processing": _dict(np.zeros(n, dtype=np.int8), ["0"]),
        "byok_usage_inference": pa.array(rows.byok_usage),
        "tokens_prompt": pa.array(rows.prompt),
        "tokens_completion": pa.array(rows.completion),
        "tokens_reasoning": pa.array(rows.reasoning),
        "tokens_cached": pa.array(rows.cached),
        "model_permaslug": _dict(rows.model, vocab.slugs),
        "provider_name": _dict(rows.host, rows.host_vocab),
        "variant": _dict(rows.free.astype(np.int8), ["standard", "free"]),
        "cancelled": _dict(rows.cancelled, flag),
        "streamed": _dict(rows.streamed, flag),
        "user": pa.DictionaryArray.from_arrays(pa.array(rows.user.astype(np.int32)), vocab.users),
        "finish_reason_raw": _dict(rows.raw_finish, rows.raw_vocab),
        "finish_reason_normalized": _dict(rows.finish, list(FINISH)),
        "generation_time_ms": pa.array(rows.generation_ms),
        "time_to_first_token_ms": pa.array(rows.ttft_ms),
        "app_name": _dict(rows.app, rows.app_vocab),
        "api_key_name": _dict(rows.user % len(cal.API_KEY_NAMES), list(cal.API_KEY_NAMES)),
    }
    return pa.table(data)


def _lines(table: pa.Table) -> list[bytes]:
    sink = pa.BufferOutputStream()
    pacsv.write_csv(table, sink, _OPTIONS)
    return sink.getvalue().to_pybytes().splitlines(keepends=True)


def _edit(line: bytes, column: str, value: bytes) -> bytes:
    fields = line.rstrip(b"\n").split(b",")
    fields[COLUMNS.index(column)] = value
    return b",".join(fields) + b"\n"


@dataclass(frozen=True)
class Injection:
    """Row positions (into the month) of each bad kind; a duplicate copies its row and is written
    before the row at ``copy_at`` (somewhere after the original, as a re-export would be)."""

    rows: dict[str, np.ndarray]
    copy_at: dict[str, np.ndarray]

    @classmethod
    def draw(cls, n_rows: int, counts: dict[str, int], rng: np.random.Generator) -> Injection:
        total = sum(counts.values())
        picked = rng.choice(n_rows, size=min(total, n_rows), replace=False) if total else np.zeros(0, np.int64)
        bounds = np.cumsum([0] + [counts[k] for k in BAD_KINDS])
        rows = {k: np.sort(picked[bounds[i]:bounds[i + 1]]) for i, k in enumerate(BAD_KINDS)}
        copy_at = {k: rng.integers(rows[k] + 1, n_rows + 1) for k in BAD_KINDS[4:]}
        return cls(rows, copy_at)

    def spoiled(self, n_rows: int) -> np.ndarray:
        mask = np.zeros(n_rows, dtype=bool)
        for kind in SPOILING:
            mask[self.rows[kind]] = True
        return mask


def write_month(out: BinaryIO, table: pa.Table, injection: Injection, empty_slug: int) -> None:
    """Write the month's rows with every injected bad record in its place."""
    table = _spoil_typed(table, injection, empty_slug)
    special: list[tuple[int, int, bytes]] = []  # (row position, rows it replaces, text written before that row)
    for kind, edit in (("malformed_line", None), ("bad_timestamp", b"not-a-time")):
        rows = injection.rows[kind]
        for pos, line in zip(rows, _lines(table.take(rows)) if len(rows) else []):
            text = line.rstrip(b"\n").rsplit(b",", 3)[0] + b"\n" if edit is None else _edit(line, "created_at", edit)
            special.append((int(pos), 1, text))
    for kind in ("duplicate_same", "duplicate_conflict"):
        rows = injection.rows[kind]
        for at, line in zip(injection.copy_at[kind], _lines(table.take(rows)) if len(rows) else []):
            if kind == "duplicate_conflict":
                completion = int(line.split(b",")[COLUMNS.index("tokens_completion")])
                line = _edit(line, "tokens_completion", str(completion + 7).encode())
            special.append((int(at), 0, line))
    pieces: list[pa.Table | bytes] = []
    cursor = 0
    for pos, replaced, text in sorted(special, key=lambda s: s[0]):  # stable: a duplicate follows a replaced row
        pieces += _slices(table, cursor, pos)
        pieces.append(text)
        cursor = max(cursor, pos + replaced)
    pieces += _slices(table, cursor, table.num_rows)
    _write_pieces(out, pieces)


def _slices(table: pa.Table, start: int, stop: int) -> list[pa.Table]:
    return [table.slice(at, min(SLICE_ROWS, stop - at)) for at in range(start, stop, SLICE_ROWS)]


def _write_pieces(out: BinaryIO, pieces: list[pa.Table | bytes]) -> None:
    """Render table slices to CSV on all cores (pyarrow releases the GIL), writing them in order."""
    render = lambda p: p if isinstance(p, bytes) else _csv_bytes(p)  # noqa: E731
    wave = 2 * WORKERS  # bounds the rendered text held in memory
    with ThreadPoolExecutor(WORKERS) as pool:
        for first in range(0, len(pieces), wave):
            for text in pool.map(render, pieces[first:first + wave]):
                out.write(text)


def _csv_bytes(table: pa.Table) -> pa.Buffer:
    sink = pa.BufferOutputStream()
    pacsv.write_csv(table, sink, _OPTIONS)
    return sink.getvalue()


def _spoil_typed(table: pa.Table, injection: Injection, empty_slug: int) -> pa.Table:
    """Negative prompt tokens and an empty model slug, set in the typed columns."""
    neg, missing = injection.rows["negative_tokens"], injection.rows["missing_model"]
    if len(neg):
        prompt = table["tokens_prompt"].to_numpy().copy()
        prompt[neg] = -np.maximum(prompt[neg], 1)
        table = table.set_column(COLUMNS.index("tokens_prompt"), "tokens_prompt", pa.array(prompt))
    if len(missing):
        slug = table["model_permaslug"].combine_chunks()
        codes = slug.indices.to_numpy().copy()
        codes[missing] = empty_slug
        table = table.set_column(
            COLUMNS.index("model_permaslug"), "model_permaslug",
            pa.DictionaryArray.from_arrays(pa.array(codes), slug.dictionary),
        )
    return table


def month_generation_ids(rows: MonthRows, first_counter: int, rng: np.random.Generator) -> pa.StringArray:
    return generation_ids(rows.ts_ms // 1000, np.arange(first_counter, first_counter + len(rows)), rng)
