"""Merging an ingest's candidate rows into the store, deduplicated.

Candidates are appended to an Arrow IPC file in the batch's temp folder as they are read, then
memory-mapped, so the merge needs little RAM whatever the input size. DuckDB classifies every
candidate against the store and against earlier candidates with set operations: ``new`` rows are
written as day partitions with pyarrow's Parquet writer (the cheapest writer measured here),
``duplicate`` rows (same request_id, same content) are counted, ``conflict`` rows (same
request_id, other content) go to quarantine. Content means every canonical column except
``source``, so the same request exported twice under two file names is still a duplicate.
"""

from __future__ import annotations

import os
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from tokencensus.schema import QUARANTINE, REQUEST_COLUMNS, REQUESTS
from tokencensus.sources._convert import RECORD_LIMIT
from tokencensus.store.layout import Layout

CONFLICT = "duplicate request_id with different content"
_CONTENT = ", ".join(c for c in REQUEST_COLUMNS if c != "source")
_WRITE_ROWS = 1 << 20  # rows gathered and written at a time
_US_PER_DAY = 86_400_000_000
_EPOCH = date(1970, 1, 1)

FileCounts = dict[int, Counter[str]]  # file index -> {"new"|"duplicate"|"conflict": rows}


def quote_sql(path: Path | str) -> str:
    """A path as a SQL string literal."""
    return "'" + str(path).replace("'", "''") + "'"


class Staging:
    """The candidate rows of one ingest in file order, each with its file index, line and ``_seq``."""

    def __init__(self, tmp_dir: Path) -> None:
        tmp_dir.mkdir(parents=True, exist_ok=True)
        self.tmp_dir = tmp_dir
        self.con = duckdb.connect(config={"temp_directory": str(tmp_dir / "duckdb")})
        self.con.execute("SET TimeZone = 'UTC'")
        self._writers: dict[str, pa.ipc.RecordBatchFileWriter] = {}
        self._rows: Counter[str] = Counter()

    def add(self, target: str, table: pa.Table, file_index: int, lines: pa.Array) -> None:
        """Stage ``table`` (requests or accounts rows) read from file number ``file_index``."""
        n, first = table.num_rows, self._rows[target]
        staged = (
            table.append_column("_file", pa.repeat(pa.scalar(file_index, pa.int32()), n))
            .append_column("_seq", pa.array(np.arange(first, first + n, dtype=np.int64)))
            .append_column("_line", lines.cast(pa.int64()))
        )
        if target not in self._writers:
            self._writers[target] = pa.ipc.new_file(self.tmp_dir / f"{target}.arrow", staged.schema)
        self._writers[target].write_table(staged)
        self._rows[target] += n

    def has(self, target: str) -> bool:
        return target in self._rows

    def _staged(self, target: str) -> pa.Table:
        """The staged rows, memory-mapped (zero copy), registered in DuckDB as ``staged``."""
        self._writers.pop(target).close()
        table = pa.ipc.open_file(pa.memory_map(str(self.tmp_dir / f"{target}.arrow"))).read_all()
        self.con.register("staged", table)
        return table

    def _counts(self, table: str) -> FileCounts:
        counts: FileCounts = {}
        rows = self.con.execute(f"SELECT _file, status, count(*) FROM {table} GROUP BY ALL").fetchall()
        for file_index, status, n in rows:
            counts.setdefault(file_index, Counter())[status] = n
        return counts

    def merge_requests(self, layout: Layout, batch: str) -> tuple[FileCounts, pa.Table]:
        """Write the new requests as part files of ``batch``; return counts and conflict rows."""
        con = self.con
        staged = self._staged("requests")
        con.execute(f"CREATE TABLE hashed AS SELECT request_id, _file, _seq, hash({_CONTENT}) AS h FROM staged")
        if layout.request_parts():
            store = f"read_parquet({quote_sql(layout.requests_glob())}, hive_partitioning = true)"
            # Only the request_id column of the whole store is scanned; full rows are read back
            # only from the day partitions that hold a matching id.
            con.execute(f"CREATE TABLE hits AS SELECT request_id, date FROM {store} "
                        "WHERE request_id IN (SELECT request_id FROM hashed)")
            con.execute(f"CREATE TABLE existing AS SELECT request_id, hash({_CONTENT}) AS h FROM {store} "
                        "WHERE date IN (SELECT DISTINCT date FROM hits) "
                        "AND request_id IN (SELECT request_id FROM hits)")
        else:
            con.execute("CREATE TABLE existing (request_id VARCHAR, h UBIGINT)")
        con.execute("""
            CREATE TABLE classified AS
            SELECT s._file, s._seq, CASE
                WHEN e.h IS NOT NULL THEN CASE WHEN s.h = e.h THEN 'duplicate' ELSE 'conflict' END
                WHEN s._seq = f.first_seq THEN 'new'
                WHEN s.h = f.first_h THEN 'duplicate'
                ELSE 'conflict' END AS status
            FROM hashed s
            JOIN (SELECT request_id, min(_seq) AS first_seq, arg_min(h, _seq) AS first_h
                  FROM hashed GROUP BY request_id) f USING (request_id)
            LEFT JOIN existing e USING (request_id)
        """)
        new = con.execute("SELECT _seq FROM classified WHERE status = 'new'").fetchnumpy()["_seq"]
        _write_days(staged.select(list(REQUEST_COLUMNS)).cast(REQUESTS), np.asarray(new), layout, batch)
        columns = ", ".join(f"s.{c}" for c in REQUEST_COLUMNS)
        conflicts = con.sql(f"""
            SELECT s.source, 'line ' || s._line AS location, 'request_id' AS field, '{CONFLICT}' AS reason,
                   left(CAST(to_json(struct_pack({columns})) AS VARCHAR), {RECORD_LIMIT}) AS record
            FROM staged s SEMI JOIN (SELECT _seq FROM classified WHERE status = 'conflict') c USING (_seq)
            ORDER BY s._seq
        """).to_arrow_table().cast(QUARANTINE)
        return self._counts("classified"), conflicts

    def merge_accounts(self, layout: Layout, batch: str, current: Path | None) -> FileCounts:
        """Write the new accounts snapshot of ``batch`` (latest row per user wins); return counts.

        A row that repeats the country its user already has (in the store or earlier in this
        ingest) is a duplicate; any other row is stored, even if a later row overrides it.
        """
        con = self.con
        self._staged("accounts")
        if current is not None:
            snapshot = f"read_parquet({quote_sql(current)})"
            con.execute(f"CREATE TABLE current_accounts AS SELECT user_id, country FROM {snapshot}")
        else:
            con.execute("CREATE TABLE current_accounts (user_id VARCHAR, country VARCHAR)")
        con.execute("""
            CREATE TABLE classified_accounts AS
            SELECT s.*, CASE WHEN s.country IS NOT DISTINCT FROM coalesce(
                    lag(s.country) OVER (PARTITION BY s.user_id ORDER BY s._seq), c.country)
                THEN 'duplicate' ELSE 'new' END AS status
            FROM staged s LEFT JOIN current_accounts c USING (user_id)
        """)
        layout.accounts.mkdir(parents=True, exist_ok=True)
        con.execute(f"""
            COPY (SELECT user_id, arg_max(country, _seq) AS country FROM (
                    SELECT user_id, country, -1 AS _seq FROM current_accounts
                    UNION ALL SELECT user_id, country, _seq FROM classified_accounts)
                  GROUP BY user_id ORDER BY user_id)
            TO {quote_sql(layout.accounts_part(batch))} (FORMAT parquet, COMPRESSION zstd)
        """)
        return self._counts("classified_accounts")

    def close(self) -> None:
        for writer in self._writers.values():
            writer.close()
        self.con.close()


def _write_days(table: pa.Table, rows: np.ndarray, layout: Layout, batch: str) -> None:
    """Write ``table``'s ``rows`` into ``requests/date=YYYY-MM-DD/part-<batch>-<n>.parquet``, by time.

    Rows are gathered a million at a time in time order; the day files of each gather are written
    in parallel (the Parquet encoder releases the GIL).
    """
    ts = table["ts"].cast(pa.int64()).to_numpy()
    order = rows[np.argsort(ts[rows], kind="stable")]
    parts: Counter[int] = Counter()
    with ThreadPoolExecutor(max_workers=os.cpu_count()) as pool:
        for start in range(0, len(order), _WRITE_ROWS):
            chunk = order[start:start + _WRITE_ROWS]
            days = ts[chunk] // _US_PER_DAY
            bounds = [0, *(np.flatnonzero(np.diff(days)) + 1), len(chunk)]
            gathered = table.take(chunk)
            jobs = []
            for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
                day = int(days[lo])
                folder = layout.requests / f"date={(_EPOCH + timedelta(days=day)).isoformat()}"
                folder.mkdir(parents=True, exist_ok=True)
                jobs.append((gathered.slice(lo, hi - lo), folder / f"part-{batch}-{parts[day]}.parquet"))
                parts[day] += 1
            list(pool.map(lambda job: pq.write_table(*job, compression="zstd"), jobs))
