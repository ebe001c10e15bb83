"""Request rows written as day-partitioned Parquet while they are read, then deduplicated.

Rows are written as they arrive, on the bet that they are new (they almost always are), so the
Parquet encoding of one block overlaps the parsing of the next. A small sidecar keeps, per row, a
hash of its request_id, the file and line it came from and the part file and row it went to.
Deduplication then scans only that hash column: ids seen twice in this ingest or already in the
store are the only rows whose content is compared, only part files that hold such a row are read
back, and only those that hold a row that turns out not to be new are rewritten (a whole day of
rows). A repeat close to the first (in the same flush, as a retried or twice-logged request
usually is) is held back instead of written, so it costs no rewrite. Rows are ``new`` (the first
with their id), ``duplicate`` (same request_id, same content) or ``conflict`` (same request_id,
other content; quarantined).
Content means every canonical column but ``source``, so one request exported twice under two
file names is still a duplicate.

Part files go straight into the store's day folders under this batch's id: they count only once
the manifest lists the batch, and a crashed ingest's files are deleted when the store is next
opened (see ``layout``).
"""

from __future__ import annotations

import os
from collections import Counter, OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from tokencensus.schema import QUARANTINE, REQUEST_COLUMNS, REQUESTS
from tokencensus.sources._convert import RECORD_LIMIT
from tokencensus.store.layout import Layout

CONFLICT = "duplicate request_id with different content"
FileCounts = dict[int, Counter[str]]  # file index -> {"new"|"duplicate"|"conflict": rows}

FLUSH_ROWS = 1 << 19  # rows gathered before they are split by day and written (bounds memory)
MAX_OPEN = 256  # day files open at once; a day met again later starts a new part file
MEMORY_LIMIT = "1GB"  # DuckDB spills to the temp folder beyond this
SORT_BYTES = 256 << 20  # request id hashes sorted at once when looking for repeats
HELD = -1  # the sidecar's part number of a held row (its row is a row of tmp/held.parquet)
#: Low-cardinality columns, dictionary-encoded; for the others a dictionary costs time and saves nothing.
DICTIONARY = ["user_id", "app_id", "model", "provider", "finish_reason", "country", "source"]
_US_PER_DAY = 86_400_000_000
_EPOCH = date(1970, 1, 1)
_CONTENT = ", ".join(c for c in REQUEST_COLUMNS if c != "source")
_SIDECAR = pa.schema([("h", pa.uint64()), ("_file", pa.int32()), ("_seq", pa.int64()), ("_line", pa.int64()),
                      ("_part", pa.int32()), ("_row", pa.int64())])


def quote_sql(path: Path | str) -> str:
    """A path as a SQL string literal."""
    return "'" + str(path).replace("'", "''") + "'"


def connect(tmp_dir: Path) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB that spills to ``tmp_dir``, so merging needs bounded memory."""
    con = duckdb.connect(config={"temp_directory": str(tmp_dir / "duckdb"), "memory_limit": MEMORY_LIMIT,
                                 "preserve_insertion_order": False})
    con.execute("SET TimeZone = 'UTC'")
    return con


def write_rows(writer: pq.ParquetWriter, table: pa.Table) -> None:
    """One row group into a part file (runs in a worker thread; Parquet encoding drops the GIL)."""
    writer.write_table(table)


@dataclass
class _Part:
    number: int
    writer: pq.ParquetWriter
    rows: int = 0


class _DayFiles:
    """The open part file of each day, at most ``MAX_OPEN`` at once.

    The least recently used is retired when another day needs a file; a retired file may still
    be written by a flush in progress, so it is closed by ``close_retired`` once that is done.
    """

    def __init__(self, layout: Layout, batch: str) -> None:
        self.layout, self.batch = layout, batch
        self.paths: dict[int, Path] = {}  # part number -> path
        self._open: OrderedDict[int, _Part] = OrderedDict()  # day number -> part
        self._retired: list[pq.ParquetWriter] = []

    def reserve(self, day: int, rows: int) -> tuple[_Part, int]:
        """The part file to append ``rows`` rows of ``day`` to, and the row they start at."""
        part = self._open.pop(day, None)
        if part is None:
            if len(self._open) >= MAX_OPEN:
                self._retired.append(self._open.popitem(last=False)[1].writer)
            number = len(self.paths)
            folder = self.layout.requests / f"date={(_EPOCH + timedelta(days=day)).isoformat()}"
            folder.mkdir(parents=True, exist_ok=True)
            self.paths[number] = folder / f"part-{self.batch}-{number}.parquet"
            part = _Part(number, _writer(self.paths[number]))
        self._open[day] = part
        start, part.rows = part.rows, part.rows + rows
        return part, start

    def close_retired(self) -> None:
        while self._retired:
            self._retired.pop().close()

    def close(self) -> None:
        self.close_retired()
        while self._open:
            self._open.popitem()[1].writer.close()


class RequestStage:
    """Candidate request rows of one ingest, written as they come and classified at the end."""

    def __init__(self, layout: Layout, tmp_dir: Path, batch: str) -> None:
        self.layout, self.tmp_dir, self.batch = layout, tmp_dir, batch
        self.stored = layout.request_parts()  # the store before this ingest
        self.files = _DayFiles(layout, batch)
        self.con = connect(tmp_dir)
        self._hasher = duckdb.connect()  # keeps row order, which the merge connection need not
        self._sidecar = pq.ParquetWriter(tmp_dir / "ids.parquet", _SIDECAR, compression="none",
                                         use_dictionary=False, write_statistics=False)
        self._pool = ThreadPoolExecutor(max_workers=os.cpu_count() or 1)
        self._pending: list[Future[None]] = []
        self._buffer: list[tuple[pa.Table, int, pa.Array]] = []  # (rows, file index, lines)
        self._buffered = self._rows = 0
        self._counts: Counter[int] = Counter()  # rows staged per file
        self._held: pq.ParquetWriter | None = None
        self._held_rows = 0

    def add(self, table: pa.Table, file_index: int, lines: pa.Array) -> None:
        """Stage request rows read from file number ``file_index`` at physical ``lines``."""
        self._buffer.append((table if table.schema == REQUESTS else table.cast(REQUESTS), file_index, lines))
        self._counts[file_index] += table.num_rows
        self._rows += table.num_rows
        self._buffered += table.num_rows
        if self._buffered >= FLUSH_ROWS:
            self._flush()

    def has_rows(self) -> bool:
        return self._rows > 0

    def _flush(self) -> None:
        """Split the buffered rows by day and hand each day's rows to a writer thread."""
        self._wait()  # the previous flush may still write to the same day files
        if not self._buffered:
            return
        table = pa.concat_tables([t for t, _, _ in self._buffer])
        hashes = _hashes(self._hasher, table["request_id"]).to_numpy()  # one query per flush, not per block
        meta = pa.table({
            "h": hashes,
            "_file": np.repeat(np.array([f for _, f, _ in self._buffer], np.int32), [t.num_rows for t, _, _ in self._buffer]),
            "_seq": np.arange(self._rows - self._buffered, self._rows, dtype=np.int64),
            "_line": pa.chunked_array([lines.cast(pa.int64()) for _, _, lines in self._buffer], pa.int64()),
        })
        self._buffer, self._buffered = [], 0
        held = _repeats(hashes, table["request_id"])
        if held.any():
            table, meta = self._hold(table, meta, held)
            if not table.num_rows:
                return
        days = pc.cast(table["ts"], pa.int64()).to_numpy() // _US_PER_DAY
        runs = _day_runs(days)
        if len(runs) > 2 * len({int(days[lo]) for lo, _ in runs}):  # days interleaved: gather them, not slivers
            order = np.argsort(days, kind="stable")
            table, meta, days = table.take(order), meta.take(order), days[order]
            runs = _day_runs(days)
        parts = np.empty(len(days), np.int32)
        rows = np.empty(len(days), np.int64)
        by_day: dict[int, list[tuple[int, int]]] = {}
        for lo, hi in runs:
            by_day.setdefault(int(days[lo]), []).append((lo, hi))
        for day, day_runs in by_day.items():
            part, start = self.files.reserve(day, sum(hi - lo for lo, hi in day_runs))
            slices = []
            for lo, hi in day_runs:
                parts[lo:hi] = part.number
                rows[lo:hi] = np.arange(start, start + hi - lo)
                start += hi - lo
                slices.append(table.slice(lo, hi - lo))
            self._pending.append(self._pool.submit(_write_all, part.writer, slices))
        self._sidecar.write_table(meta.append_column("_part", pa.array(parts)).append_column("_row", pa.array(rows)))

    def _hold(self, table: pa.Table, meta: pa.Table, held: np.ndarray) -> tuple[pa.Table, pa.Table]:
        """Put the ``held`` rows aside in tmp/held.parquet (their fate is decided at the end);
        return the others (slices around the held rows: nothing is copied)."""
        if self._held is None:
            self._held = pq.ParquetWriter(self.tmp_dir / "held.parquet", REQUESTS, compression="none")
        rows = np.flatnonzero(held)
        self._held.write_table(table.take(rows))
        kept = meta.take(rows)
        self._sidecar.write_table(kept.append_column("_part", pa.array(np.full(len(rows), HELD, np.int32)))
                                  .append_column("_row", pa.array(np.arange(self._held_rows, self._held_rows + len(rows)))))
        self._held_rows += len(rows)
        bounds = zip([0, *(rows + 1).tolist()], [*rows.tolist(), len(held)], strict=True)
        pieces = [(lo, hi - lo) for lo, hi in bounds if hi > lo]
        return (pa.concat_tables([table.slice(*piece) for piece in pieces] or [table.slice(0, 0)]),
                pa.concat_tables([meta.slice(*piece) for piece in pieces] or [meta.slice(0, 0)]))

    def _wait(self) -> None:
        pending, self._pending = self._pending, []
        for future in pending:
            future.result()
        self.files.close_retired()

    def finish(self) -> tuple[FileCounts, pa.Table]:
        """Classify the staged rows and drop from the part files those that are not new.

        Returns counts per file and the conflict rows to quarantine.
        """
        self._flush()
        self._sidecar.close()
        if self._held is not None:
            self._held.close()
        repeated = _repeated(self.tmp_dir / "ids.parquet", self._rows)  # while the last rows are written
        self._wait()
        self.files.close()
        con = self.con
        con.execute(f"CREATE VIEW ids AS SELECT * FROM read_parquet({quote_sql(self.tmp_dir / 'ids.parquet')})")
        counts: FileCounts = {index: Counter(new=n) for index, n in self._counts.items()}
        conflicts = QUARANTINE.empty_table()
        if self._find_suspects(repeated):
            self._classify()
            for index, status, n in con.execute("SELECT _file, status, count(*) FROM classified "
                                                "WHERE status <> 'new' GROUP BY ALL").fetchall():
                counts[index][status] += n
                counts[index]["new"] -= n
            conflicts = con.sql(f"""
                SELECT s.source, 'line ' || c._line AS location, 'request_id' AS field, '{CONFLICT}' AS reason,
                       left(CAST(to_json(struct_pack({", ".join(f"s.{c}" for c in REQUEST_COLUMNS)})) AS VARCHAR),
                            {RECORD_LIMIT}) AS record
                FROM classified c JOIN suspect_rows s USING (_part, _row)
                WHERE c.status = 'conflict' ORDER BY c._seq
            """).to_arrow_table().cast(QUARANTINE)
            dropped = con.execute(f"SELECT _part, list(_row) FROM classified WHERE status <> 'new' AND _part <> {HELD} "
                                  "GROUP BY _part")
            for future in [self._pool.submit(_drop_rows, self.files.paths[number], rows)
                           for number, rows in dropped.fetchall()]:
                future.result()
        return counts, conflicts

    def _find_suspects(self, repeated: np.ndarray) -> bool:
        """Hashes of request_ids met twice in this ingest (``repeated``) or already in the store;
        whether there are any.

        Only the request_id column of the store is scanned.
        """
        con = self.con
        con.register("repeated", pa.table({"h": pa.array(repeated, pa.uint64())}))
        con.execute("CREATE TABLE suspects AS SELECT h FROM repeated")
        con.unregister("repeated")
        if self.stored:
            con.execute(f"CREATE TABLE hits AS SELECT request_id, date FROM {_parquet(self.stored)} "
                        "WHERE hash(request_id) IN (SELECT h FROM ids)")
            con.execute("INSERT INTO suspects SELECT DISTINCT hash(request_id) FROM hits")
        else:
            con.execute("CREATE TABLE hits (request_id VARCHAR, date DATE)")
        return con.execute("SELECT count(*) FROM suspects").fetchone()[0] > 0

    def _classify(self) -> None:
        """Table ``classified``: (_file, _seq, _line, _part, _row, status) of the suspect rows.

        Their content is read back from the held rows and only from this batch's files that hold a
        suspect row (the sidecar says which), and from the store only in the day partitions that
        hold a matching id.
        """
        con = self.con
        numbers = con.execute(f"SELECT DISTINCT _part FROM ids WHERE h IN (SELECT h FROM suspects) AND _part <> {HELD} "
                              "ORDER BY 1").fetchall()
        sources = []
        if numbers:
            staged = _parquet([self.files.paths[number] for (number,) in numbers],
                              "hive_partitioning = false, filename = true, file_row_number = true")
            sources.append("SELECT * EXCLUDE (filename, file_row_number), "
                           "CAST(regexp_extract(filename, '-(\\d+)\\.parquet$', 1) AS INTEGER) AS _part, "
                           f"file_row_number AS _row FROM {staged}")
        if self._held_rows:
            sources.append(f"SELECT * EXCLUDE (file_row_number), {HELD} AS _part, file_row_number AS _row "
                           f"FROM {_parquet([self.tmp_dir / 'held.parquet'], 'file_row_number = true')}")
        con.execute(f"""
            CREATE TABLE suspect_rows AS
            SELECT *, hash({_CONTENT}) AS content FROM ({" UNION ALL ".join(sources)})
            WHERE hash(request_id) IN (SELECT h FROM suspects)
        """)
        con.execute(f"CREATE TABLE existing AS SELECT request_id, hash({_CONTENT}) AS content "
                    f"FROM {_parquet(self.stored)} "
                    "WHERE date IN (SELECT DISTINCT date FROM hits) AND request_id IN (SELECT request_id FROM hits)"
                    if self.stored else "CREATE TABLE existing (request_id VARCHAR, content UBIGINT)")
        con.execute("""
            CREATE TABLE classified AS
            WITH rows AS (SELECT i._file, i._seq, i._line, i._part, i._row, s.request_id, s.content
                          FROM suspect_rows s JOIN ids i USING (_part, _row)),
                 firsts AS (SELECT request_id, min(_seq) AS first_seq, arg_min(content, _seq) AS first_content
                            FROM rows GROUP BY request_id)
            SELECT r._file, r._seq, r._line, r._part, r._row, CASE
                WHEN e.content IS NOT NULL THEN CASE WHEN r.content = e.content THEN 'duplicate' ELSE 'conflict' END
                WHEN r._seq = f.first_seq THEN 'new'
                WHEN r.content = f.first_content THEN 'duplicate'
                ELSE 'conflict' END AS status
            FROM rows r JOIN firsts f USING (request_id) LEFT JOIN existing e USING (request_id)
        """)

    def close(self) -> None:
        """Release threads, files and DuckDB (also after an error)."""
        for future in self._pending:
            future.cancel()
        self._pool.shutdown(wait=True)
        self.files.close()
        self._sidecar.close()
        self.con.close()
        self._hasher.close()


def _repeated(sidecar: Path, rows: int) -> np.ndarray:
    """The hashes met more than once among the ``rows`` of the sidecar.

    Sorting the hashes and comparing neighbours takes half the CPU of a hash aggregate in DuckDB.
    Memory stays bounded: beyond ``SORT_BYTES`` the hashes are taken in slices by value
    (``h mod slices``), one read of the hash column and one sort per slice.
    """
    slices = max(1, -(-rows * 8 // SORT_BYTES))
    repeated = [np.empty(0, np.uint64)]
    for piece in range(slices):
        hashes = [np.empty(0, np.uint64)]
        for batch in pq.ParquetFile(sidecar).iter_batches(columns=["h"]):
            h = batch.column(0).to_numpy()
            hashes.append(h if slices == 1 else h[h % slices == piece])  # only this slice is ever held
        ordered = np.sort(np.concatenate(hashes))
        repeated.append(np.unique(ordered[1:][ordered[1:] == ordered[:-1]]))
    return np.concatenate(repeated)


def _repeats(hashes: np.ndarray, request_ids: pa.ChunkedArray) -> np.ndarray:
    """Per row, whether its request id is the id of an earlier row: found by sorting the hashes,
    then checked on the ids of the few rows whose hash is met twice. Such a row is never new."""
    ordered = np.sort(hashes)
    twice = np.unique(ordered[1:][ordered[1:] == ordered[:-1]])
    later = np.zeros(len(hashes), bool)
    if len(twice):
        rows = np.flatnonzero(np.isin(hashes, twice))
        ids = pc.dictionary_encode(request_ids.take(rows).combine_chunks()).indices.to_numpy()
        later[rows] = True
        later[rows[np.unique(ids, return_index=True)[1]]] = False
    return later


def _hashes(con: duckdb.DuckDBPyConnection, request_ids: pa.ChunkedArray) -> pa.ChunkedArray:
    """DuckDB's ``hash`` of each request id, in order: the hash the store's ids are scanned by."""
    expression = duckdb.FunctionExpression("hash", duckdb.ColumnExpression("request_id")).alias("h")
    return con.from_arrow(pa.table({"request_id": request_ids})).select(expression).to_arrow_table()["h"]


def _writer(path: Path) -> pq.ParquetWriter:
    return pq.ParquetWriter(path, REQUESTS, compression="zstd", use_dictionary=DICTIONARY)


def _write_all(writer: pq.ParquetWriter, tables: list[pa.Table]) -> None:
    for table in tables:
        write_rows(writer, table)


def _parquet(paths: list[Path], options: str = "hive_partitioning = true") -> str:
    """``read_parquet`` of exactly these files."""
    return f"read_parquet([{', '.join(map(quote_sql, paths))}], {options})"


def _day_runs(days: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) of each run of rows of one day."""
    bounds = np.concatenate([[0], np.flatnonzero(np.diff(days)) + 1, [len(days)]]).tolist()
    return list(zip(bounds[:-1], bounds[1:], strict=True))


def _drop_rows(path: Path, rows: list[int]) -> None:
    """Rewrite a staged part file without ``rows``; remove it when nothing is left."""
    table = pq.read_table(path, schema=REQUESTS)
    keep = np.ones(table.num_rows, dtype=bool)
    keep[rows] = False
    if keep.any():
        with _writer(path) as writer:
            writer.write_table(table.filter(pa.array(keep)))
    else:
        path.unlink()
