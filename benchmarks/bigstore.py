"""Large canonical stores, fast: simulate a base world once, then replicate it with DuckDB SQL.

Simulating and ingesting a billion requests would take hours; the study's cost depends on rows,
not on how they were made. So a base world of ``base`` requests is simulated and ingested the
normal way, and copies of it are written straight into a new store in the canonical layout
(``requests/date=YYYY-MM-DD/part-<batch>-N.parquet``, the accounts snapshot, the manifest). Copy
``r`` gets new request ids and new users (``<id>~r``), so distinct users and request ids grow
with the copies as they would in real traffic; weekly shares stay those of the base world.
"""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import duckdb


def _sql_path(path: Path | str) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def base_store(out: Path, requests: int, seed: int = 0) -> Path:
    """Simulate and ingest ``requests`` requests into ``out/base-<requests>/data`` (reused if there)."""
    from tokencensus import Study
    from tokencensus.simulate import simulate

    root = out / f"base-{requests}"
    data = root / "data"
    if (data / "manifest.json").exists():
        return data
    shutil.rmtree(root, ignore_errors=True)
    world = simulate(root / "logs", requests=requests, seed=seed, start=date(2024, 11, 4), end=date(2025, 11, 30))
    Study(data).ingest([*world.activity_files, world.accounts])
    shutil.rmtree(root / "logs")
    return data


def replicate(base: Path, copies: int, dest: Path, threads: int | None = None) -> Path:
    """Write ``copies`` copies of the store at ``base`` as one canonical store at ``dest``."""
    if (dest / "manifest.json").exists():
        return dest
    shutil.rmtree(dest, ignore_errors=True)
    manifest = json.loads((base / "manifest.json").read_text())
    batch = manifest["batches"][-1]["batch"]
    (dest / "requests").mkdir(parents=True)
    (dest / "accounts").mkdir()
    con = duckdb.connect()
    if threads:
        con.execute(f"SET threads = {threads}")
    con.execute("SET preserve_insertion_order = false")
    copies_sql = f"range({copies}) AS c(r)"
    requests = _sql_path(base / "requests" / "**" / "*.parquet")
    con.execute(
        f"""
        COPY (
            SELECT * EXCLUDE (r) REPLACE (request_id || '~' || r AS request_id, user_id || '~' || r AS user_id)
            FROM read_parquet({requests}, hive_partitioning = true, hive_types = {{'date': VARCHAR}}), {copies_sql}
        ) TO {_sql_path(dest / "requests")}
        (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (date), FILENAME_PATTERN 'part-{batch}-{{i}}',
         ROW_GROUP_SIZE 1000000)
        """
    )
    accounts = _sql_path(base / "accounts" / f"part-{manifest['accounts_batch']}.parquet")
    con.execute(
        f"""
        COPY (SELECT * EXCLUDE (r) REPLACE (user_id || '~' || r AS user_id) FROM read_parquet({accounts}), {copies_sql})
        TO {_sql_path(dest / "accounts" / f"part-{manifest['accounts_batch']}.parquet")} (FORMAT parquet)
        """
    )
    # the manifest goes last: it is what makes the store a store
    shutil.copy(base / "manifest.json", dest / "manifest.json")
    return dest


def big_store(out: Path, requests: int, base: int) -> Path:
    """A store of about ``requests`` requests (a whole number of copies of a ``base``-request world)."""
    base = min(base, requests)
    base_data = base_store(out, base)
    copies = max(1, round(requests / base))
    return base_data if copies == 1 else replicate(base_data, copies, out / f"store-{base}x{copies}")
