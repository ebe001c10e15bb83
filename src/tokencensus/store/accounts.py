"""Merging an ingest's account rows into the store's user -> country snapshot.

Candidates are appended to an Arrow IPC file in the batch's temp folder as they are read, then
memory-mapped and merged with the current snapshot by DuckDB (account files are small: one row
per user). Request rows take another path, see :mod:`tokencensus.store.requests`.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow as pa

from tokencensus.store.layout import Layout
from tokencensus.store.requests import FileCounts, connect, quote_sql


class AccountStage:
    """The account rows of one ingest in file order, each with its file index, line and ``_seq``."""

    def __init__(self, tmp_dir: Path) -> None:
        self.tmp_dir = tmp_dir
        self.con = connect(tmp_dir)
        self._writer: pa.ipc.RecordBatchFileWriter | None = None  # open while rows are being staged
        self._rows = 0

    def add(self, table: pa.Table, file_index: int, lines: pa.Array) -> None:
        """Stage account rows read from file number ``file_index`` at physical ``lines``."""
        n = table.num_rows
        staged = (
            table.append_column("_file", pa.repeat(pa.scalar(file_index, pa.int32()), n))
            .append_column("_seq", pa.array(np.arange(self._rows, self._rows + n, dtype=np.int64)))
            .append_column("_line", lines.cast(pa.int64()))
        )
        if self._writer is None:
            self._writer = pa.ipc.new_file(self.tmp_dir / "accounts.arrow", staged.schema)
        self._writer.write_table(staged)
        self._rows += n

    def has_rows(self) -> bool:
        return self._rows > 0

    def merge(self, layout: Layout, batch: str, current: Path | None) -> FileCounts:
        """Write the new accounts snapshot of ``batch`` (latest row per user wins); return counts.

        A row that repeats the country its user already has (in the store or earlier in this
        ingest) is a duplicate; any other row is stored, even if a later row overrides it.
        """
        con = self.con
        self._writer.close()
        self._writer = None
        staged = pa.ipc.open_file(pa.memory_map(str(self.tmp_dir / "accounts.arrow"))).read_all()
        con.register("staged", staged)
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
        counts: FileCounts = {}
        rows = con.execute("SELECT _file, status, count(*) FROM classified_accounts GROUP BY ALL").fetchall()
        for file_index, status, n in rows:
            counts.setdefault(file_index, Counter())[status] = n
        return counts

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self.con.close()

