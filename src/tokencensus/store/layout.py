"""Where things live in a store directory, and how a crashed ingest is undone.

Every file an ingest writes carries its batch id in its name. A batch exists only once the
manifest lists it, so after a crash the files of an unlisted batch are garbage and are deleted
the next time the store is opened. That makes the manifest replace the single commit point.
"""

from __future__ import annotations

import re
import secrets
import shutil
from datetime import UTC, datetime
from pathlib import Path

_BATCH = r"\d{8}T\d{12}Z-[0-9a-f]{6}"
_PART = re.compile(rf"^part-(?P<batch>{_BATCH})(-\d+)?\.parquet$")
TMP_PREFIX = ".tmp-"


def new_batch_id() -> str:
    """Sortable by commit time, unique across processes: ``20250714T091233401000Z-a1b2c3``."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ") + "-" + secrets.token_hex(3)


def batch_of(path: Path) -> str | None:
    """The batch id in a part file's name (None for files the store did not write)."""
    match = _PART.match(path.name)
    return match["batch"] if match else None


class Layout:
    """Paths inside a store directory."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.requests = root / "requests"
        self.quarantine = root / "quarantine"
        self.accounts = root / "accounts"
        self.prompts = root / "prompts"
        self.labels = root / "labels"
        self.manifest = root / "manifest.json"
        self.lock = root / ".lock"

    def requests_glob(self) -> str:
        return str(self.requests / "**" / "*.parquet")

    def quarantine_part(self, batch: str) -> Path:
        return self.quarantine / f"part-{batch}.parquet"

    def accounts_part(self, batch: str) -> Path:
        return self.accounts / f"part-{batch}.parquet"

    def prompts_part(self, batch: str) -> Path:
        return self.prompts / f"part-{batch}.parquet"

    def request_parts(self) -> list[Path]:
        return sorted(self.requests.glob("date=*/*.parquet"))

    def tmp_dir(self, batch: str) -> Path:
        return self.root / f"{TMP_PREFIX}{batch}"

    def recover(self, committed: set[str], accounts_batch: str | None) -> None:
        """Delete what uncommitted batches left behind, and superseded account snapshots."""
        parts = [*self.request_parts(), *self.quarantine.glob("part-*.parquet"), *self.accounts.glob("part-*.parquet"),
                 *self.prompts.glob("part-*.parquet")]
        for part in parts:
            batch = batch_of(part)
            superseded = part.parent == self.accounts and batch != accounts_batch
            if batch is not None and (batch not in committed or superseded):
                part.unlink()
        for day in self.requests.glob("date=*"):
            if day.is_dir() and not any(day.iterdir()):
                day.rmdir()
        for tmp in self.root.glob(f"{TMP_PREFIX}*"):
            if tmp.is_dir():
                shutil.rmtree(tmp, ignore_errors=True)
            else:
                tmp.unlink()
