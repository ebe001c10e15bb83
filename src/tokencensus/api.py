"""The Python API: one object that opens a store and runs every stage on it.

The CLI is a thin shell around this module, so anything the command line does, a notebook can
do too::

    from tokencensus import Study
    study = Study("data")
    study.ingest(["activity-2025-01.csv"])
    study.figure("F1").to_pandas()
    study.report("report")
"""

from __future__ import annotations

import platform
from collections.abc import Callable, Iterable, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa

from tokencensus import __version__
from tokencensus.catalog import Catalog, load_catalog, load_countries
from tokencensus.engine import connect, read_requests, read_table
from tokencensus.report import write_report
from tokencensus.store import IngestResult, Store
from tokencensus.study import FIGURES, StudyInputs, headlines, run_study
from tokencensus.study.enrich import enrich

Progress = Callable[[int, int], None]


class Study:
    """A store of canonical requests plus the study computed from it.

    Figures are computed lazily on the chosen engine and cached per instance; ingesting new
    data clears the cache.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        engine: str = "duckdb",
        catalog: Catalog | None = None,
        options: dict[str, Any] | None = None,
    ) -> None:
        self.store = Store(Path(path))
        self.engine = engine
        self.catalog = catalog or load_catalog()
        self.options = dict(options or {})
        self._tables: dict[str, pa.Table] = {}

    def ingest(
        self, paths: Iterable[str | Path], *, format: str | None = None, progress: Progress | None = None
    ) -> IngestResult:
        """Read log files into the store; see :meth:`tokencensus.store.Store.ingest`."""
        result = self.store.ingest([Path(p) for p in paths], format=format, progress=progress)
        self._reset()
        return result

    @cached_property
    def _con(self) -> ibis.BaseBackend:
        return connect(self.engine)

    @cached_property
    def inputs(self) -> StudyInputs:
        """The enriched requests table every figure is built from."""
        if self.store.row_count() == 0:
            raise ValueError(f"the store at {self.store.path} holds no requests: ingest logs first")
        con = self._con
        requests = read_requests(con, self.store.requests_glob())
        accounts_path = self.store.accounts_path()
        accounts = read_table(con, str(accounts_path)) if accounts_path is not None else None
        enriched = enrich(requests, self.catalog, accounts, load_countries(), options=self.options)
        # Materialised once in the engine: every figure scans it, and the join to the catalog
        # and geography should not be repeated per figure.
        return StudyInputs(requests=enriched.cache(), options=self.options)

    def figure(self, figure_id: str) -> pa.Table:
        """One figure's table (Arrow). ``study.figure("F1").to_pandas()`` for pandas."""
        return self.figures([figure_id])[figure_id]

    def figures(self, ids: Sequence[str] | None = None, *, progress: Progress | None = None) -> dict[str, pa.Table]:
        """Compute the named figures (default: all) and return them by id, in study order."""
        wanted = list(ids) if ids is not None else list(FIGURES)
        unknown = [i for i in wanted if i not in FIGURES]
        if unknown:
            raise KeyError(f"unknown figure id(s) {unknown}; known: {', '.join(FIGURES)}")
        missing = [i for i in wanted if i not in self._tables]
        for done, figure_id in enumerate(missing, start=1):
            self._tables.update(run_study(self.inputs, [figure_id]))
            if progress:
                progress(done, len(missing))
        return {i: self._tables[i] for i in wanted}

    def summary(self) -> dict[str, dict[str, Any]]:
        """Headline numbers of every figure, keyed by figure id."""
        return headlines(self.figures())

    def quality(self) -> dict[str, Any]:
        """What the report's data section states: range, rows, quarantine, unknown models, versions."""
        t = self.inputs.requests
        span = t.aggregate(first=t.ts.min(), last=t.ts.max(), rows=t.count()).to_pyarrow().to_pylist()[0]
        unknown = (
            t.filter(~t.known_model)
            .group_by(slug=t.model)
            .aggregate(requests=ibis._.count(), tokens=ibis._.tokens.sum())
            .order_by([ibis.desc("tokens"), "slug"])
            .to_pyarrow()
            .to_pylist()
        )
        quarantine = self.store.quarantine_table()
        by_reason = quarantine.group_by("reason").aggregate([("reason", "count")]).to_pylist()
        by_reason.sort(key=lambda r: (-r["reason_count"], r["reason"]))
        return {
            "date_range": [span["first"].date().isoformat(), span["last"].date().isoformat()],
            "rows": span["rows"],
            "quarantined": {r["reason"]: r["reason_count"] for r in by_reason},
            "unknown_models": unknown,
            "sources": [
                {k: entry[k] for k in ("path", "format", "read", "stored", "duplicates", "quarantined")}
                for entry in self.store.manifest()
            ],
            "versions": {
                "tokencensus": __version__,
                "catalog": self.catalog.version,
                "engine": self.engine,
                "ibis": ibis.__version__,
                "pyarrow": pa.__version__,
                "python": platform.python_version(),
            },
        }

    def report(self, out_dir: str | Path, *, progress: Progress | None = None) -> Path:
        """Write the self-contained HTML report, PNGs, CSVs and summary.json; return index.html."""
        tables = self.figures(progress=progress)
        return write_report(Path(out_dir), list(FIGURES.values()), tables, headlines(tables), self.quality())

    def _reset(self) -> None:
        self._tables.clear()
        self.__dict__.pop("inputs", None)
