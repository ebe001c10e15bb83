"""``simulate()``: a calibrated synthetic gateway world, written month by month as real log files.

Why month by month: every retention cohort is a calendar month and the export is one
``activity-YYYY-MM.csv`` per month. Inside a month, rows are drawn and written in chunks of whole
days, the next chunks being drawn while background threads write the previous ones (drawing and
writing overlap on separate cores), so memory stays bounded whatever the total. The same seed gives
byte-identical files: the world is drawn from one seeded numpy Generator in a fixed order, and the
cosmetic parts of each chunk (id characters, sub-categories) from a generator seeded by
(seed, month, chunk). The prompt log (``prompts-YYYY-MM.jsonl``, the hash-sampled requests as
OpenAI request/response pairs) is written beside the labels from a generator of its own, so turning
it on or off leaves every other file byte for byte as it was.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from tokencensus.catalog import load_catalog
from tokencensus.classify.sampling import DEFAULT_RATE
from tokencensus.simulate import calibration as cal
from tokencensus.simulate.labels import SCHEMA as LABELS_SCHEMA
from tokencensus.simulate.labels import label_table
from tokencensus.simulate.plan import Models, Plan, build_plan, country_shares, month_index
from tokencensus.simulate.prompt_log import PROMPT_STREAM, PromptLog
from tokencensus.simulate.prompts import PromptBook
from tokencensus.simulate.rows import MonthRows, draw_cells, draw_month
from tokencensus.simulate.truth import Truth
from tokencensus.simulate.users import COUNTRY_CODES, CohortAssigner, UserPool
from tokencensus.simulate.writer import (BAD_KINDS, HEADER, Injection, Vocab, month_generation_ids, render_lines,
                                         spoil_typed, write_month)

DEFAULT_START, DEFAULT_END = date(2024, 11, 4), date(2025, 11, 30)
CHUNK_ROWS = 250_000  # rows drawn and written at a time: bounds memory whatever the total
QUEUE_CHUNKS = 2  # chunks drawn but not yet written


@dataclass(frozen=True)
class SimulationResult:
    """What was written: paths, valid request count, the injected bad records by kind, and the prompt
    log's files (none when its rate is 0) and request count."""

    out_dir: Path
    activity_files: list[Path]
    accounts: Path
    labels: Path
    truth: Path
    requests: int
    injected: dict[str, int] = field(default_factory=dict)
    prompt_logs: list[Path] = field(default_factory=list)
    prompt_requests: int = 0


def injection_counts(total_requests: int, bad_rate: float) -> int:
    """Bad records per kind: about ``bad_rate`` of all rows, at least 3 each from 100k rows on."""
    if bad_rate <= 0:
        return 0
    per_kind = round(bad_rate * total_requests / len(BAD_KINDS))
    return max(per_kind, 3) if total_requests >= 100_000 else per_kind


def chunk_bounds(day: np.ndarray, size: int) -> np.ndarray:
    """Row offsets cutting day-sorted rows into chunks of about ``size`` rows, only between days."""
    day_starts = np.flatnonzero(np.diff(day)) + 1
    at = np.searchsorted(day_starts, np.arange(size, len(day), size))
    bounds = np.unique(np.concatenate([[0], day_starts[at[at < len(day_starts)]], [len(day)]])).astype(np.int64)
    return bounds if len(bounds) > 1 else np.zeros(2, dtype=np.int64)  # an empty month is one empty chunk


def _months(plan: Plan) -> Iterator[tuple[int, str, slice]]:
    """(month number, "YYYY-MM", slice of plan days) for each calendar month of the window."""
    month = month_index(plan.days)
    for k in range(int(month.max()) + 1):
        days = np.flatnonzero(month == k)
        first = date.fromordinal(int(plan.days[days[0]]))
        yield k, f"{first.year:04d}-{first.month:02d}", slice(int(days[0]), int(days[-1]) + 1)


@dataclass
class _Writer:
    """Makes each chunk's generation ids, renders and writes its CSV lines, writes its labels and its
    prompt log (which needs the labels), and adds it to the truth: six streams, each a background
    thread taking the chunks in order, while the next chunks are drawn. Each stream runs at its own
    pace; at most QUEUE_CHUNKS chunks wait for the slowest, which bounds memory."""

    out_dir: Path
    labels: pq.ParquetWriter
    vocab: Vocab
    seed: int
    truth: Truth
    prompts: PromptLog | None
    streams: tuple[ThreadPoolExecutor, ...] = field(
        default_factory=lambda: tuple(ThreadPoolExecutor(1) for _ in range(6)))
    pending: deque[list[Future[Any]]] = field(default_factory=deque)

    def __enter__(self) -> _Writer:
        return self

    def __exit__(self, *exc: object) -> None:
        for stream in self.streams:
            stream.shutdown(cancel_futures=exc[0] is not None)

    def submit(self, key: tuple[int, int], rows: MonthRows, injection: Injection, first_id: int, month: str) -> None:
        rng = np.random.default_rng([self.seed, *key])  # the chunk's cosmetic draws: ids, then sub-categories
        ids, render, csv, labels, prompts, truth = self.streams
        gen_ids = ids.submit(month_generation_ids, rows, first_id, rng)
        lines = render.submit(self._render, rows, injection, gen_ids)
        table = labels.submit(self._write_labels, rows, injection, gen_ids, rng)
        self.pending.append([gen_ids, lines, table,
                             csv.submit(self._write_csv, month, key[1] == 0, injection, lines),
                             prompts.submit(self._write_prompts, key, month, rows, injection, table),
                             truth.submit(self.truth.add, rows, injection, month)])
        while len(self.pending) > QUEUE_CHUNKS:
            self._finish_oldest()

    def wait(self) -> None:
        while self.pending:
            self._finish_oldest()

    def _finish_oldest(self) -> None:
        for job in self.pending.popleft():
            job.result()

    def _render(self, rows: MonthRows, injection: Injection,
                gen_ids: Future[pa.StringArray]) -> list[pa.StringArray]:
        return render_lines(spoil_typed(rows, injection, empty_slug=len(self.vocab.slugs) - 1), self.vocab,
                            gen_ids.result())

    def _write_csv(self, month: str, first: bool, injection: Injection,
                   lines: Future[list[pa.StringArray]]) -> None:
        with activity_path(self.out_dir, month).open("wb" if first else "ab") as out:
            if first:
                out.write(HEADER.encode() + b"\n")
            write_month(out, lines.result(), injection)

    def _write_labels(self, rows: MonthRows, injection: Injection, gen_ids: Future[pa.StringArray],
                      rng: np.random.Generator) -> pa.Table:
        """The labels of the chunk's valid requests, written; ``rng`` is used once the ids are made, as
        they draw from it first."""
        keep = np.flatnonzero(~injection.spoiled(len(rows)))
        ids = gen_ids.result() if len(keep) == len(rows) else gen_ids.result().take(pa.array(keep))
        labels = label_table(ids, rows.category[keep], rng)
        self.labels.write_table(labels)
        return labels

    def _write_prompts(self, key: tuple[int, int], month: str, rows: MonthRows, injection: Injection,
                       labels: Future[pa.Table]) -> None:
        if self.prompts is not None:
            self.prompts.write(prompt_log_path(self.out_dir, month), key[1] == 0, rows, labels.result(),
                               np.flatnonzero(~injection.spoiled(len(rows))),
                               np.random.default_rng([self.seed, *key, PROMPT_STREAM]))


def activity_path(out_dir: Path, month: str) -> Path:
    return out_dir / f"activity-{month}.csv"


def prompt_log_path(out_dir: Path, month: str) -> Path:
    return out_dir / f"prompts-{month}.jsonl"


def simulate(
    out_dir: Path,
    *,
    requests: int = 2_000_000,
    start: date = DEFAULT_START,
    end: date = DEFAULT_END,
    seed: int = 0,
    bad_rate: float = 2e-5,
    prompt_rate: float = DEFAULT_RATE,
    progress: Callable[[int, int], None] | None = None,
) -> SimulationResult:
    """Write activity-YYYY-MM.csv files, accounts.csv, labels.parquet and truth.json into ``out_dir``,
    and prompts-YYYY-MM.jsonl for the requests in the hash sample at ``prompt_rate`` (0: none)."""
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    if requests < 1:
        raise ValueError(f"requests must be at least 1, not {requests}")
    if not 0.0 <= prompt_rate <= 1.0:
        raise ValueError(f"prompt_rate must be within [0, 1], not {prompt_rate}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    models = Models.from_catalog(cal.MODELS, load_catalog().models)
    plan = build_plan(models, start, end, requests, rng)
    pool = UserPool.create(max(1_000, int(requests * cal.USERS_PER_REQUEST)), country_shares(), rng)
    assigner = CohortAssigner(pool, models.ids, rng)
    truth = Truth(models, pool, start, end)
    months = list(_months(plan))
    month_rows = np.array([plan.requests[days].sum() for _, _, days in months])
    per_kind = injection_counts(requests, bad_rate)
    bad = {kind: rng.multinomial(per_kind, month_rows / max(month_rows.sum(), 1)) for kind in BAD_KINDS}

    done = 0
    labels_path = out_dir / "labels.parquet"
    vocab = Vocab(slugs=list(models.slugs) + [cal.UNKNOWN_MODEL, ""], users=pool.ids)
    prompts = PromptLog(prompt_rate, PromptBook.load(), vocab, [*models.ids, cal.UNKNOWN_MODEL]) if prompt_rate else None
    with pq.ParquetWriter(labels_path, LABELS_SCHEMA, compression="zstd", compression_level=1,
                          use_dictionary=["label", "subcategory"]) as labels:
        with _Writer(out_dir, labels, vocab, seed, truth, prompts) as writer:
            for k, label, days in months:
                day, model, category = draw_cells(plan, days, len(models), rng)
                user = assigner.assign(model, k, label, plan.country_p[k])
                bounds = chunk_bounds(day, CHUNK_ROWS)
                share = np.diff(bounds) / max(len(day), 1)
                bad_here = {kind: rng.multinomial(int(bad[kind][k]), share) for kind in BAD_KINDS}
                for j, (lo, hi) in enumerate(zip(bounds[:-1], bounds[1:])):
                    rows = draw_month(plan, models, day[lo:hi], model[lo:hi], category[lo:hi], user[lo:hi], rng)
                    injection = Injection.draw(len(rows), {kind: int(bad_here[kind][j]) for kind in BAD_KINDS}, rng)
                    writer.submit((k, j), rows, injection, done, label)
                    done += len(rows)
                    if progress is not None:
                        progress(done, requests)
            writer.wait()
            accounts, truth_path = out_dir / "accounts.csv", out_dir / "truth.json"
            _write_accounts(accounts, pool, np.flatnonzero(truth.users_seen))
            truth_json = truth.to_json(seed)
            truth_path.write_text(json.dumps(truth_json, indent=1) + "\n")

    return SimulationResult(
        out_dir, [activity_path(out_dir, month) for _, month, _ in months], accounts, labels_path, truth_path,
        truth_json["requests"], dict(truth.injected),
        prompt_logs=[prompt_log_path(out_dir, month) for _, month, _ in months] if prompts else [],
        prompt_requests=prompts.requests if prompts else 0,
    )


def _write_accounts(path: Path, pool: UserPool, users: np.ndarray) -> None:
    """The account table: every user seen in the log and their billing country (ISO 3166-1 alpha-2)."""
    table = pa.table({
        "user": pool.ids.take(pa.array(users)),
        "country": pa.array(np.array(COUNTRY_CODES)[pool.country[users]]),
    })
    with path.open("wb") as out:
        out.write(b"user,country\n")
        pacsv.write_csv(table, out, pacsv.WriteOptions(include_header=False, quoting_style="none"))
