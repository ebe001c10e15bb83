"""Writes a chunk of rows as an OpenRouter Activity CSV export, with the deliberate bad records.

Why lines built as one string column: each CSV line is the join of a few text columns (``text``),
so a chunk's text is the data buffer of one Arrow string array, written as it is. A malformed line
or a timestamp that is not a time cannot exist in typed values: those few lines are taken from
their row's line, edited as text and written in its place. Negative tokens and an empty model slug
are typed values and are set before the lines are rendered.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import cached_property
from typing import BinaryIO

import numpy as np
import pyarrow as pa

from tokencensus.simulate import calibration as cal
from tokencensus.simulate.ids import assemble, byte_matrix, fixed_width_items, generation_ids, strings, take_items
from tokencensus.simulate.rows import FINISH, MonthRows
from tokencensus.simulate.text import categories, integers, join, mostly_integer, numbers, timestamps

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
FLAGS, VARIANTS = ("false", "true"), ("standard", "free")
#: Rows rendered at a time: small enough to keep every core busy on a chunk and to reuse memory,
#: large enough that the fixed cost of a slice (about a millisecond of lookup-table copies and kernel
#: calls) stays small. Measured: half the size costs more CPU, twice the size more fresh pages.
SLICE_ROWS = 65_536
WORKERS = max(1, min(4, os.cpu_count() or 1))


@dataclass(frozen=True)
class Vocab:
    """String tables shared by every month: slugs (with the unknown one and ""), users, key names."""

    slugs: list[str]
    users: pa.StringArray  # fixed width

    @cached_property
    def user_items(self) -> np.ndarray:
        """The user ids as fixed-width items, gathered by :func:`take_items` for every row."""
        return fixed_width_items(self.users)


def render_lines(rows: MonthRows, vocab: Vocab, gen_ids: pa.StringArray) -> list[pa.StringArray]:
    """Every row's CSV line, newline included, in the export's column order: slices of SLICE_ROWS rows
    rendered on all cores (Arrow and numpy release the GIL). Slices of one size also reuse the same
    memory, where columns of a whole chunk would take fresh pages from the system every time."""
    with ThreadPoolExecutor(WORKERS) as pool:
        return list(pool.map(lambda lo: _render(rows.take(slice(lo, lo + SLICE_ROWS)), vocab,
                                                gen_ids.slice(lo, SLICE_ROWS)), range(0, len(rows), SLICE_ROWS)))


def _render(rows: MonthRows, vocab: Vocab, gen_ids: pa.StringArray) -> pa.StringArray:
    cache = ~np.isnan(rows.cost_cache)
    byok = (rows.byok_usage != 0) | np.signbit(rows.byok_usage)
    return join([
        strings(assemble(len(rows), [byte_matrix(gen_ids), b",", *timestamps(rows.ts_ms)])),
        numbers(rows.cost_total),
        # cost_web_search, cost_cache, cost_file_processing, byok_usage_inference, tokens_prompt
        mostly_integer(rows.prompt, ",,0,0,", "", ~(cache | byok), lambda at: [
            "", numbers(rows.cost_cache[at], missing=~cache[at]), "0", numbers(rows.byok_usage[at]),
            integers(rows.prompt[at])]),
        # tokens_completion, tokens_reasoning, tokens_cached
        mostly_integer(rows.completion, "", ",0,0", (rows.reasoning == 0) & (rows.cached == 0), lambda at: [
            integers(rows.completion[at]), integers(rows.reasoning[at]), integers(rows.cached[at])]),
        categories([(rows.model, vocab.slugs), (rows.host, rows.host_vocab), (rows.free, VARIANTS),
                    (rows.cancelled, FLAGS), (rows.streamed, FLAGS)]),
        take_items(vocab.user_items, rows.user),
        categories([(rows.raw_finish, rows.raw_vocab), (rows.finish, FINISH)]),
        integers(rows.generation_ms),
        integers(rows.ttft_ms),
        categories([(rows.app, rows.app_vocab), (rows.user % len(cal.API_KEY_NAMES), cal.API_KEY_NAMES)], end="\n"),
    ])


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


def spoil_typed(rows: MonthRows, injection: Injection, empty_slug: int) -> MonthRows:
    """The rows with negative prompt tokens and an empty model slug where the injection puts them."""
    neg, missing = injection.rows["negative_tokens"], injection.rows["missing_model"]
    if not len(neg) and not len(missing):
        return rows
    prompt, model = rows.prompt.copy(), rows.model.copy()
    prompt[neg] = -np.maximum(prompt[neg], 1)
    model[missing] = empty_slug
    return replace(rows, prompt=prompt, model=model)


def write_month(out: BinaryIO, lines: list[pa.StringArray], injection: Injection) -> None:
    """Write the rows' lines (in slices) with every injected bad record in its place."""
    chunked = pa.chunked_array(lines, pa.string())
    special: list[tuple[int, int, bytes]] = []  # (row position, rows it replaces, text written before that row)
    for kind, edit in (("malformed_line", None), ("bad_timestamp", b"not-a-time")):
        rows = injection.rows[kind]
        for pos, line in zip(rows, _texts(chunked, rows)):
            text = line.rstrip(b"\n").rsplit(b",", 3)[0] + b"\n" if edit is None else _edit(line, "created_at", edit)
            special.append((int(pos), 1, text))
    for kind in ("duplicate_same", "duplicate_conflict"):
        rows = injection.rows[kind]
        for at, line in zip(injection.copy_at[kind], _texts(chunked, rows)):
            if kind == "duplicate_conflict":
                completion = int(line.split(b",")[COLUMNS.index("tokens_completion")])
                line = _edit(line, "tokens_completion", str(completion + 7).encode())
            special.append((int(at), 0, line))
    cursor = 0
    for pos, replaced, extra in sorted(special, key=lambda s: s[0]):  # stable: a duplicate follows a replaced row
        _write_rows(out, lines, cursor, pos)
        out.write(extra)
        cursor = max(cursor, pos + replaced)
    _write_rows(out, lines, cursor, len(chunked))


def _write_rows(out: BinaryIO, lines: list[pa.StringArray], start: int, stop: int) -> None:
    """Write the lines of rows start..stop-1 of the slices, straight from their buffers."""
    first = 0
    for piece in lines:
        lo, hi = max(start - first, 0), min(stop - first, len(piece))
        if lo < hi:
            offsets = np.frombuffer(piece.buffers()[1], dtype=np.int32, count=len(piece) + 1, offset=piece.offset * 4)
            out.write(memoryview(piece.buffers()[2])[offsets[lo]:offsets[hi]])
        first += len(piece)


def _texts(lines: pa.ChunkedArray, rows: np.ndarray) -> list[bytes]:
    return [line.encode() for line in lines.take(pa.array(rows, pa.int64())).to_pylist()]


def month_generation_ids(rows: MonthRows, first_counter: int, rng: np.random.Generator) -> pa.StringArray:
    return generation_ids(rows.ts_ms // 1000, np.arange(first_counter, first_counter + len(rows)), rng)
