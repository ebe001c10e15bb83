"""A LiteLLM proxy's PostgreSQL, read as a source: ``postgresql://user:pass@host:port/db``.

The ``LiteLLM_SpendLogs`` table is streamed through a server-side cursor, each row rendered as
JSON by PostgreSQL itself (``row_to_json``), so the rows go through the same mapping as SpendLogs
JSON files. A database has no file hash, so its manifest key is a digest of what identifies the
table's contents cheaply: the URL without its password, the table, its row count and its latest
``startTime`` and ``request_id``. A table that grew gets a new key and is read again; the rows
already stored come back as duplicates, because request ids are unique in the store.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit, urlunsplit

import pyarrow as pa

from tokencensus.sources._records import Values, read_records
from tokencensus.sources.base import AdapterBatch, Target
from tokencensus.sources.litellm import LiteLLMSpendLogs

SCHEMES = ("postgresql://", "postgres://")
TABLE = '"LiteLLM_SpendLogs"'
FETCH_ROWS = 20_000


def is_database_url(source: object) -> bool:
    return isinstance(source, str) and source.startswith(SCHEMES)


@dataclass(frozen=True)
class DatabaseTable:
    """A table named by a URL, standing where a file would (``name``, ``stat().st_size``, digest)."""

    url: str
    table: str = TABLE

    @property
    def name(self) -> str:
        return self.table.strip('"')

    def __str__(self) -> str:
        """The URL without its password: what the manifest and messages show."""
        parts = urlsplit(self.url)
        host = parts.hostname or ""
        netloc = (f"{parts.username}@" if parts.username else "") + host + (f":{parts.port}" if parts.port else "")
        return urlunsplit(parts._replace(netloc=netloc))

    def is_dir(self) -> bool:
        return False

    def connect(self):  # noqa: ANN201 - psycopg is an optional dependency
        try:
            import psycopg
        except ImportError as error:
            raise RuntimeError("reading PostgreSQL needs psycopg: pip install 'tokencensus[postgres]'") from error
        return psycopg.connect(self.url)

    def stat(self) -> SimpleNamespace:
        """Rows stand in for bytes: progress counts rows read of the table's row count."""
        with self.connect() as con:
            (rows,) = con.execute(f"SELECT count(*) FROM {self.table}").fetchone()
        return SimpleNamespace(st_size=rows)

    def digest(self) -> str:
        with self.connect() as con:
            row = con.execute(f'SELECT count(*), max("startTime")::text, max(request_id) FROM {self.table}').fetchone()
        return hashlib.sha256("|".join(map(str, (self, self.table, *row))).encode()).hexdigest()

    def values(self) -> Iterator[Values]:
        """Rows as JSON text, streamed by a server-side (named) cursor."""
        with self.connect() as con, con.cursor(name="tokencensus_spendlogs") as cursor:
            cursor.itersize = FETCH_ROWS
            cursor.execute(f"SELECT row_to_json(t)::text FROM {self.table} t")
            done = 0
            while rows := cursor.fetchmany(FETCH_ROWS):
                text = pa.array([row[0] for row in rows], pa.string())
                yield Values(pa.array(range(done + 1, done + len(rows) + 1), pa.int64()), text, done + len(rows), False)
                done += len(rows)


class LiteLLMPostgres:
    """``LiteLLM_SpendLogs`` read straight from the proxy's PostgreSQL."""

    name = "litellm-postgres"
    target: Target = "requests"
    description = "LiteLLM proxy PostgreSQL (postgresql://user:pass@host:port/db), table LiteLLM_SpendLogs"

    def sniff(self, head: bytes, path: Path) -> str | None:
        return "not a postgresql:// URL"

    def read(self, table: DatabaseTable) -> Iterator[AdapterBatch]:
        yield from read_records(LiteLLMSpendLogs(), table.values(), table.name, unit="row")
