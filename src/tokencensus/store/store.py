"""The store: a directory of Hive-partitioned Parquet that every engine can read.

``requests/date=YYYY-MM-DD/part-<batch>-<n>.parquet`` holds canonical request rows,
``quarantine/part-<batch>.parquet`` every record that could not be read, ``accounts/`` the current
user -> country snapshot and ``manifest.json`` the committed batches. An ingest writes its files
under a fresh batch id and commits by replacing the manifest, so a crash at any point leaves the
store as it was once it is opened again.
"""

from __future__ import annotations

import fcntl
import hashlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from itertools import accumulate
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from tokencensus.classify.sampling import DEFAULT_RATE
from tokencensus.schema import QUARANTINE
from tokencensus.sources import Adapter, detect_format
from tokencensus.sources._io import prefetch
from tokencensus.sources.postgres import DatabaseTable, is_database_url
from tokencensus.store.layout import Layout, new_batch_id
from tokencensus.store.manifest import Manifest
from tokencensus.store.accounts import AccountStage
from tokencensus.store.prompts import PromptStage
from tokencensus.store.requests import FileCounts, RequestStage, quote_sql
from tokencensus.store.results import FileResult, IngestResult

Progress = Callable[[int, int], None]

#: Quarantine rows as stored: the canonical columns plus the batch that read them.
QUARANTINE_STORED = QUARANTINE.append(pa.field("batch", pa.string(), nullable=False))


def file_sha256(path: Path) -> str:
    if isinstance(path, DatabaseTable):  # a database source has a digest of its own
        return path.digest()
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _hash_files(paths: list[Path], sizes: list[int], known_sizes: set[int],
                pool: ThreadPoolExecutor) -> tuple[list[Future[str]], set[int]]:
    """Every file's sha256 as a future, and the files whose hash is needed before reading.

    Only a file as large as a stored source or as another file of this call can hold content
    that was read before, so only those are hashed up front (first, on the one-thread ``pool``);
    the others are hashed while they are read, which spares a pass over the data.
    """
    repeated = {size for size, n in Counter(sizes).items() if n > 1}
    early = {i for i, size in enumerate(sizes)
             if size in known_sizes or size in repeated or not isinstance(paths[i], Path)}
    order = sorted(range(len(paths)), key=lambda i: i not in early)
    futures = {i: pool.submit(file_sha256, paths[i]) for i in order}
    return [futures[i] for i in range(len(paths))], early


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    """Files as given; a folder stands for the files under it (hidden ones left out), sorted."""
    files = []
    for path in (DatabaseTable(p) if is_database_url(p) else Path(p) for p in paths):
        if path.is_dir():
            visible = (p for p in path.rglob("*") if not any(s.startswith(".") for s in p.relative_to(path).parts))
            files += sorted(p for p in visible if p.is_file())
        else:
            files.append(path)
    return files


class _QuarantineWriter:
    """Appends reject tables to the batch's quarantine file, opened on the first reject."""

    def __init__(self, path: Path, batch: str) -> None:
        self.path, self.batch = path, batch
        self.reasons: Counter[str] = Counter()
        self._writer: pq.ParquetWriter | None = None

    def write(self, rejects: pa.Table) -> None:
        if not rejects.num_rows:
            return
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._writer = pq.ParquetWriter(self.path, QUARANTINE_STORED, compression="zstd")
        batch = pa.repeat(pa.scalar(self.batch, pa.string()), rejects.num_rows)
        self._writer.write_table(rejects.append_column("batch", batch).cast(QUARANTINE_STORED))
        counts = pc.value_counts(rejects["reason"]).to_pylist()
        self.reasons.update({c["values"]: c["counts"] for c in counts})

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()


class Store:
    """A tokencensus data directory. Opening it undoes whatever a crashed ingest left behind."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.layout = Layout(self.path)
        if self.path.is_dir():
            with self._locked(wait=False) as locked:
                if locked:  # another process holding the lock is ingesting: its files are not garbage
                    self._recover()

    # -- reading ---------------------------------------------------------------------------

    def manifest(self) -> list[dict[str, Any]]:
        """One entry per ingested source: sha256, path, name, size, format, counts, batch, committed_at."""
        return Manifest.load(self.layout.manifest).sources()

    def requests_glob(self) -> str:
        """Glob of the request part files, for ``read_parquet(glob, hive_partitioning=true)``."""
        return self.layout.requests_glob()

    def row_count(self) -> int:
        if not self.layout.request_parts():
            return 0
        sql = f"SELECT count(*) FROM read_parquet({quote_sql(self.requests_glob())})"
        return duckdb.connect().execute(sql).fetchone()[0]

    def quarantine_table(self) -> pa.Table:
        """Every quarantined record (QUARANTINE columns plus ``batch``), oldest batch first."""
        parts = sorted(self.layout.quarantine.glob("part-*.parquet"))
        return pa.concat_tables([pq.read_table(p, schema=QUARANTINE_STORED) for p in parts] or
                                [QUARANTINE_STORED.empty_table()])

    def accounts_path(self) -> Path | None:
        """The current accounts snapshot (user_id, country), one row per user; None if never ingested."""
        batch = Manifest.load(self.layout.manifest).accounts_batch
        return self.layout.accounts_part(batch) if batch else None

    def labels_glob(self) -> str | None:
        """Glob of the classify stage's labels (request_id, label, subcategory, confidence,
        classifier); None while there are none."""
        return self._parts_glob("labels")

    def prompts_glob(self) -> str | None:
        """Glob of the sampled, scrubbed prompts (request_id, text); None while there are none."""
        return self._parts_glob("prompts")

    def prompt_rate(self) -> float | None:
        """The sample rate every stored prompt was kept at: the lowest rate of the sources that
        gave prompts (hash samples nest, so that sample is complete); None without prompts."""
        rates = [s["prompt_rate"] for s in self.manifest() if s.get("prompts")]
        return min(rates) if rates else None

    def _parts_glob(self, table: str) -> str | None:
        folder = self.path / table
        return str(folder / "**" / "*.parquet") if next(folder.glob("**/*.parquet"), None) else None

    def accounts_table(self) -> pa.Table | None:
        path = self.accounts_path()
        return pq.read_table(path) if path is not None else None

    # -- writing ---------------------------------------------------------------------------

    def ingest(
        self,
        paths: Iterable[str | Path],
        format: str | None = None,
        progress: Progress | None = None,
        *,
        sample_rate: float = DEFAULT_RATE,
        prompts_only: bool = False,
    ) -> IngestResult:
        """Read log files (or folders of them) into the store, all in one batch.

        Every file's format is checked before anything is written (``FormatError`` names the
        formats tried). A file whose content hash is already in the manifest is skipped and
        reported as all duplicates. Invariant: read = stored + duplicates + quarantined.

        Prompt text, where a format logs it, is kept only for requests in the hash sample at
        ``sample_rate``, scrubbed (see :mod:`tokencensus.store.prompts`). ``prompts_only`` reads
        the files as prompt logs of requests that another log records.
        """
        if not 0.0 <= sample_rate <= 1.0:
            raise ValueError(f"the prompt sample rate must be within [0, 1], got {sample_rate!r}")
        plan = [(path, detect_format(path, format)) for path in expand_paths(paths)]
        if prompts_only and (bad := [str(p) for p, a in plan if a.target != "requests"]):
            raise ValueError(f"--prompts-only reads request logs with prompts; not: {', '.join(bad)}")
        with self._locked(wait=True):
            manifest = Manifest.load(self.layout.manifest)
            self._recover(manifest)
            batch = new_batch_id()
            try:
                return self._ingest(plan, manifest, batch, progress, sample_rate, prompts_only)
            finally:
                self._recover()  # an exception leaves no trace; after a commit this drops temp files

    def _ingest(self, plan: list[tuple[Path, Adapter]], manifest: Manifest, batch: str,
                progress: Progress | None, sample_rate: float, prompts_only: bool) -> IngestResult:
        known = manifest.by_hash()
        paths = [path for path, _ in plan]
        sizes = [path.stat().st_size for path in paths]
        with ThreadPoolExecutor(max_workers=1) as hasher:
            hashes, early = _hash_files(paths, sizes, {s["size"] for s in known.values()}, hasher)
            first_index: dict[str, int] = {}  # content read in this call -> the file that carries it
            for index in sorted(early):
                if (sha := hashes[index].result()) not in known:
                    first_index.setdefault(sha, index)
            todo = [(i, *plan[i]) for i in sorted({*first_index.values(), *set(range(len(plan))) - early})]

            read: Counter[int] = Counter()
            rejected: Counter[int] = Counter()
            counts: FileCounts = {}
            kept: Counter[int] = Counter()
            reasons: dict[str, int] = {}
            if todo:
                tmp_dir = self.layout.tmp_dir(batch)
                tmp_dir.mkdir(parents=True, exist_ok=True)
                requests, accounts = RequestStage(self.layout, tmp_dir, batch), AccountStage(tmp_dir)
                prompts = PromptStage(tmp_dir, sample_rate)
                quarantine = _QuarantineWriter(self.layout.quarantine_part(batch), batch)
                try:
                    read, rejected = self._stage(todo, sizes, requests, accounts, prompts, quarantine, progress,
                                                 prompts_only)
                    if requests.has_rows():
                        request_counts, conflicts = requests.finish()
                        quarantine.write(conflicts)
                        counts.update(request_counts)
                    found, missing, orphans = prompts.match_claims(self.layout.request_parts())
                    quarantine.write(orphans)
                    for index in found.keys() | missing.keys():
                        counts.setdefault(index, Counter()).update(duplicate=found[index], conflict=missing[index])
                    kept = prompts.write(self.layout.prompts_part(batch), self.prompts_glob())
                    if accounts.has_rows():
                        counts.update(accounts.merge(self.layout, batch, self.accounts_path()))
                        manifest.accounts_batch = batch
                finally:
                    requests.close()
                    accounts.close()
                    quarantine.close()
                reasons = dict(quarantine.reasons)
            shas = [future.result() for future in hashes]

        files = []
        stored = {index for index, _, _ in todo}
        for index, (path, adapter) in enumerate(plan):
            entry = {"sha256": shas[index], "path": str(path), "name": path.name, "size": sizes[index],
                     "format": adapter.name, "prompt_rate": sample_rate, "prompts_only": prompts_only}
            if index not in stored:  # content already stored, or read earlier in this call
                sha = shas[index]
                n = known[sha]["read"] if sha in known else read[first_index[sha]]
                files.append(FileResult(**entry, read=n, stored=0, duplicates=n, quarantined=0, skipped=True))
                continue
            c = counts.get(index, Counter())
            files.append(FileResult(**entry, read=read[index], stored=c["new"], duplicates=c["duplicate"],
                                    quarantined=rejected[index] + c["conflict"], prompts=kept[index]))
        if not todo:
            return IngestResult(batch=None, files=tuple(files))
        manifest.batches.append({
            "batch": batch,
            "committed_at": datetime.now(UTC).isoformat(),
            "sources": [files[index].as_dict() for index, _, _ in todo],
        })
        manifest.commit(self.layout.manifest)
        return IngestResult(batch=batch, files=tuple(files), reasons=reasons)

    def _stage(self, todo: list[tuple[int, Path, Adapter]], sizes: list[int], requests: RequestStage,
               accounts: AccountStage, prompts: PromptStage, quarantine: _QuarantineWriter,
               progress: Progress | None, prompts_only: bool) -> tuple[Counter[int], Counter[int]]:
        """Read every file into staging and quarantine; return records read and rejected per file.

        A prompt log's rows only claim requests (see :mod:`.prompts`); they are not staged."""
        read: Counter[int] = Counter()
        rejected: Counter[int] = Counter()
        total = sum(sizes[index] for index, _, _ in todo)
        before = dict(zip((index for index, _, _ in todo), accumulate((sizes[i] for i, _, _ in todo), initial=0)))
        # the adapters read and convert in a thread of their own (Arrow and DuckDB release the
        # GIL), so the next block is parsed while this one is staged and written
        every = ((index, adapter, chunk) for index, path, adapter in todo for chunk in adapter.read(path))
        with closing(prefetch(every)) as chunks:
            for index, adapter, chunk in chunks:
                if chunk.table.num_rows:
                    prompts.add(chunk.table, chunk.prompts, index)
                    if prompts_only:
                        prompts.claim(chunk.table, index, chunk.lines)
                    else:
                        (requests if adapter.target == "requests" else accounts).add(chunk.table, index, chunk.lines)
                quarantine.write(chunk.rejects)
                read[index] += chunk.read
                rejected[index] += chunk.rejects.num_rows
                if progress:
                    progress(before[index] + chunk.bytes_done, total)
        return read, rejected

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the store's writer lock (waiting for another writer) while a stage writes to it."""
        with self._locked(wait=True):
            yield

    # -- crash safety ----------------------------------------------------------------------

    def _recover(self, manifest: Manifest | None = None) -> None:
        manifest = manifest or Manifest.load(self.layout.manifest)
        self.layout.recover(manifest.committed(), manifest.accounts_batch)

    @contextmanager
    def _locked(self, wait: bool) -> Iterator[bool]:
        """Hold the store's writer lock; with ``wait=False`` yield False instead of waiting."""
        self.path.mkdir(parents=True, exist_ok=True)
        with open(self.layout.lock, "a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
