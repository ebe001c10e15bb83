"""Figure tables kept beside the store, so a re-run computes only the figures whose inputs changed.

A figure's table is a function of the tables it reads, the study options and the code. Its cache
key hashes exactly those: a fingerprint of each input the figure reads (the requests, with the
accounts snapshot and the catalog they are joined to; the classify stage's labels), the options,
and the version and a digest of the package's code. Which inputs a figure reads is observed by building its expression
(lazy, no query runs) against a view of :class:`StudyInputs` that notes each attribute asked for.

So re-running an unchanged store computes nothing, and classifying more prompts recomputes only
the figures that read labels. Adding logs changes the requests, and every figure that reads them
is computed again: the study's numbers are shares of whole periods, distinct-user counts, cohort
retention over every later month, medians and bootstrap intervals, none of which can be updated
from a new day's rows alone without keeping per-user state as large as the data.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from tokencensus import __version__
from tokencensus.study.figure import Figure, StudyInputs


class _Recording:
    """StudyInputs as the figure sees it, noting which fields it reads."""

    def __init__(self, inputs: StudyInputs) -> None:
        self._inputs = inputs
        self.read: set[str] = set()

    def __getattr__(self, name: str) -> Any:
        self.read.add(name)
        return getattr(self._inputs, name)


def inputs_read(figure: Figure, inputs: StudyInputs) -> frozenset[str]:
    """The StudyInputs fields ``figure`` builds its expression from (options included)."""
    recording = _Recording(inputs)
    figure.build(recording)  # type: ignore[arg-type]  # duck-typed on purpose
    return frozenset(recording.read)


@functools.cache
def code_fingerprint() -> str:
    """A digest of the package's code and data files: a cached table is only as valid as the
    code that computed it, and the version number does not change with every edit."""
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.suffix in (".py", ".yaml") and "corpus" not in p.parts):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def fingerprint(*parts: Any) -> str:
    """A stable digest of JSON-able parts."""
    text = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class FigureCache:
    """Figure tables under ``folder``, one Parquet file per (figure, key)."""

    def __init__(self, folder: Path, inputs: StudyInputs, fingerprints: Mapping[str, str]) -> None:
        """``fingerprints`` holds one digest per StudyInputs field that comes from data."""
        self.folder, self.inputs, self.fingerprints = folder, inputs, dict(fingerprints)

    def key(self, figure: Figure) -> str:
        read = inputs_read(figure, self.inputs)
        data = {name: self.fingerprints.get(name) for name in sorted(read) if name != "options"}
        return fingerprint(figure.id, __version__, code_fingerprint(), data, self.inputs.options)

    def path(self, figure: Figure, key: str) -> Path:
        return self.folder / f"{figure.id}-{key[:24]}.parquet"

    def get(self, figure: Figure, key: str) -> pa.Table | None:
        path = self.path(figure, key)
        return pq.read_table(path) if path.exists() else None

    def put(self, figure: Figure, key: str, table: pa.Table) -> None:
        """Write atomically and drop the figure's older entries."""
        path = self.path(figure, key)
        path.parent.mkdir(parents=True, exist_ok=True)
        for old in self.folder.glob(f"{figure.id}-*.parquet"):
            old.unlink()
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        pq.write_table(table, tmp)
        os.replace(tmp, path)
