"""The manifest: which sources are in the store, and the store's single commit point.

One JSON file lists every committed batch and the sources it ingested (content hash, path, size,
format, counts). Writing it with an atomic replace is what commits a batch; re-ingesting a file
whose hash is listed adds nothing.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tokencensus.store.layout import TMP_PREFIX

VERSION = 1


@dataclass
class Manifest:
    """Committed batches (oldest first) and the batch whose accounts snapshot is current."""

    batches: list[dict[str, Any]] = field(default_factory=list)
    accounts_batch: str | None = None

    @classmethod
    def load(cls, path: Path) -> Manifest:
        if not path.exists():
            return cls()
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(batches=data["batches"], accounts_batch=data.get("accounts_batch"))

    def committed(self) -> set[str]:
        return {b["batch"] for b in self.batches}

    def sources(self) -> list[dict[str, Any]]:
        """One entry per ingested source, with its batch id and commit time."""
        return [
            {**source, "batch": b["batch"], "committed_at": b["committed_at"]} for b in self.batches for source in b["sources"]
        ]

    def by_hash(self) -> dict[str, dict[str, Any]]:
        return {s["sha256"]: s for s in self.sources()}

    def commit(self, path: Path) -> None:
        """Write atomically: a reader or a crash sees the old manifest or the new one, never half."""
        tmp = path.with_name(TMP_PREFIX + path.name)
        payload = {"version": VERSION, "accounts_batch": self.accounts_batch, "batches": self.batches}
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(payload, f, indent=1)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
