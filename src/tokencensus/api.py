"""The Python API: one object that opens a store and runs every stage on it.

The CLI is a thin shell around this module, so anything the command line does, a notebook can
do too::

    from tokencensus import Study
    study = Study("data")
    study.ingest(["activity-2025-01.csv"])
    study.ingest(["prompt-log.jsonl"], prompts_only=True)  # sampled, scrubbed prompts
    study.classify()
    study.figure("F1").to_pandas()
    study.report("report")
"""

from __future__ import annotations

import dataclasses
import platform
from collections.abc import Callable, Iterable, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa

from tokencensus import __version__
from tokencensus.catalog import Catalog, load_catalog, load_countries
from tokencensus.engine import Engine, cache, connect, engine_label, read_requests, read_table
from tokencensus.report import write_report
from tokencensus.report.browser import require_pdf_printer
from tokencensus.store import IngestResult, Store
from tokencensus.classify.classifier import Classifier
from tokencensus.classify.sampling import DEFAULT_RATE
from tokencensus.classify.stage import ClassifyResult, classify_store, evaluate_store, stored_evaluation
from tokencensus.classify.taxonomy import load_taxonomy
from tokencensus.study import FIGURES, StudyInputs, headlines, run_study, suppressed
from tokencensus.study.cache import FigureCache, fingerprint
from tokencensus.study.enrich import enrich, enrich_labels
from tokencensus.study.options import option

Progress = Callable[[int, int], None]
#: Up to this many figures are computed straight from the store's files, without caching the enriched table.
FEW_FIGURES = 4


class Study:
    """A store of canonical requests plus the study computed from it.

    Figures are computed lazily on the chosen engine. Their tables are kept in the store's
    ``cache/figures`` folder, keyed by what each figure reads (:mod:`tokencensus.study.cache`), so
    a later run on unchanged inputs computes only what changed; ``reuse=False`` computes afresh.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        engine: Engine = "duckdb",
        catalog: Catalog | None = None,
        options: dict[str, Any] | None = None,
        reuse: bool = True,
    ) -> None:
        self.store = Store(Path(path))
        self.reuse = reuse
        self.engine = engine
        self.catalog = catalog or load_catalog()
        self.options = dict(options or {})
        self._tables: dict[str, pa.Table] = {}

    def ingest(
        self,
        paths: Iterable[str | Path],
        *,
        format: str | None = None,
        progress: Progress | None = None,
        sample_rate: float = DEFAULT_RATE,
        prompts_only: bool = False,
    ) -> IngestResult:
        """Read log files into the store; see :meth:`tokencensus.store.Store.ingest`."""
        result = self.store.ingest(list(paths), format=format, progress=progress, sample_rate=sample_rate,
                                   prompts_only=prompts_only)
        self._reset()
        return result

    def classify(
        self,
        classifier: str | Classifier = "fast",
        *,
        sample_rate: float | None = None,
        target: int | None = None,
        replace: bool = False,
        truth: str | Path | None = None,
        progress: Progress | None = None,
    ) -> ClassifyResult:
        """Label the store's sampled prompts on the study's engine (see :mod:`tokencensus.classify.stage`);
        with ``truth`` (request_id -> known label), also score the labels and keep the scores."""
        result = classify_store(self.store, classifier, sample_rate=sample_rate, target=target, replace=replace,
                                engine=self._con, progress=progress)
        if truth is not None:
            evaluate_store(self.store, truth, load_taxonomy(option(self.options, "taxonomy")),
                           prompts_per_second=result.prompts_per_second)
        self._reset()
        return result

    def classifier_scores(self) -> dict[str, Any] | None:
        """How well the stored labels match known tasks (saved by :meth:`classify` with ``truth``)."""
        return stored_evaluation(self.store)

    @cached_property
    def _con(self) -> ibis.BaseBackend:
        return connect(self.engine)

    @cached_property
    def _lazy_inputs(self) -> StudyInputs:
        """The inputs as expressions over the store's files, nothing materialised."""
        if self.store.row_count() == 0:
            raise ValueError(f"the store at {self.store.path} holds no requests: ingest logs first")
        con = self._con
        requests = read_requests(con, self.store.requests_glob())
        accounts_path = self.store.accounts_path()
        accounts = read_table(con, str(accounts_path)) if accounts_path is not None else None
        enriched = enrich(requests, self.catalog, accounts, load_countries(), options=self.options)
        labels_glob = self.store.labels_glob()
        taxonomy = load_taxonomy(option(self.options, "taxonomy"))
        raw_labels = read_table(con, labels_glob) if labels_glob else None
        labels = enrich_labels(raw_labels, taxonomy, options=self.options) if raw_labels is not None else None
        # only the language of the sampled prompts: their text never leaves the classify stage
        has_language = raw_labels is not None and "language" in raw_labels.columns  # labels from elsewhere may lack it
        prompts = raw_labels.select("request_id", "language") if has_language else None
        return StudyInputs(requests=enriched, options=self._study_options(), labels=labels, prompts=prompts)

    @cached_property
    def inputs(self) -> StudyInputs:
        """The enriched requests table every figure is built from, materialised once in the engine:
        every figure scans it, and the join to the catalog and geography should not be repeated.
        DuckDB keeps it compressed in a database file under the store's ``cache/tables`` folder, so
        memory stays bounded whatever the store's size (see :func:`tokencensus.engine.cache`)."""
        requests = cache(self._lazy_inputs.requests, directory=self.store.path / "cache" / "tables")
        return dataclasses.replace(self._lazy_inputs, requests=requests)

    def _input_fingerprints(self) -> dict[str, str]:
        """A digest per data input, for the figure cache: what a figure's table depends on."""
        manifest = self.store.manifest()
        engine = engine_label(self.engine)
        requests = fingerprint(sorted(s["batch"] for s in manifest if s["stored"]),
                               str(self.store.accounts_path()), self.catalog.version, engine)
        labels = fingerprint(sorted(p.name for p in self.store.layout.labels.glob("*.parquet")), engine)
        return {"requests": requests, "labels": labels, "prompts": labels}

    def _study_options(self) -> dict[str, Any]:
        """The options, with the store's saved classifier scores as the confusion matrix when the
        user asked for correction (``confusion="store"``)."""
        if self.options.get("confusion") != "store":
            return self.options
        evaluation = self.classifier_scores()
        if evaluation is None:
            raise ValueError("confusion='store' needs classifier scores: run classify with a truth file first")
        return {**self.options, "confusion": evaluation}

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
        cache = FigureCache(self.store.path / "cache" / "figures", self._lazy_inputs, self._input_fingerprints())
        todo: list[tuple[str, str | None]] = []
        for figure_id in missing:
            key = cache.key(FIGURES[figure_id]) if self.reuse else None
            table = cache.get(FIGURES[figure_id], key) if key else None
            if table is None:
                todo.append((figure_id, key))
            else:
                self._tables[figure_id] = table
        if progress and missing:
            progress(len(missing) - len(todo), len(missing))
        inputs = self._inputs_for(len(todo))
        for done, (figure_id, key) in enumerate(todo, start=len(missing) - len(todo) + 1):
            table = run_study(inputs, [figure_id])[figure_id]
            if key:
                cache.put(FIGURES[figure_id], key, table)
            self._tables[figure_id] = table
            if progress:
                progress(done, len(missing))
        return {i: self._tables[i] for i in wanted}

    def _inputs_for(self, figures: int) -> StudyInputs:
        """The inputs to compute ``figures`` figures from: the cached enriched table (:attr:`inputs`)
        once it exists or when there are more than :data:`FEW_FIGURES`; else the store's files
        directly, since caching every enriched column costs more than a few figures that each read
        only the columns they need (measured: BENCHMARKS.md, "Study speed")."""
        if "inputs" in self.__dict__ or figures > FEW_FIGURES:
            return self.inputs
        return self._lazy_inputs

    def summary(self) -> dict[str, dict[str, Any]]:
        """Headline numbers of every figure, keyed by figure id."""
        return headlines(self.figures())

    def quality(self) -> dict[str, Any]:
        """What the report's data section states: range, rows, quarantine, unknown models, versions."""
        t = self._lazy_inputs.requests
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
            # file names, not paths: the same logs give the same report wherever they lie
            "sources": [
                {"name": entry["name"], **{k: entry.get(k, 0) for k in ("format", "read", "stored", "duplicates",
                                                                        "quarantined", "prompts")}}
                for entry in self.store.manifest()
            ],
            # cells removed by minimum aggregation, per figure computed so far
            "privacy": {"min_users": option(self.options, "min_users"), "suppressed": suppressed(self._tables)},
            "sample": self._sample(),
            "versions": {
                "tokencensus": __version__,
                "catalog": self.catalog.version,
                "engine": engine_label(self.engine),
                "ibis": ibis.__version__,
                "pyarrow": pa.__version__,
                "python": platform.python_version(),
            },
        }

    def _sample(self) -> dict[str, Any]:
        """Size of the classified sample, its classifiers and the bootstrap behind its intervals."""
        labels = self._lazy_inputs.labels
        if labels is None:
            return {"classified_requests": 0, "classifiers": []}
        classified = read_table(self._con, self.store.labels_glob())  # every label, whatever its confidence
        row = labels.aggregate(requests=labels.request_id.nunique()).to_pyarrow().to_pylist()[0]
        scores = self.classifier_scores()
        classifiers = labels.select("classifier").distinct().to_pyarrow()["classifier"].to_pylist()
        return {
            "classified_requests": int(classified.count().execute()),
            "used_requests": row["requests"],  # labels at or above the min_confidence option
            "min_confidence": option(self.options, "min_confidence"),
            "classifiers": sorted(c for c in classifiers if c is not None),
            "sample_rate": self.store.prompt_rate(),
            "replicates": option(self.options, "replicates"),
            "confidence_level": option(self.options, "confidence_level"),
            # the scores, not the speed they were measured at: the same data gives the same report
            "evaluation": {k: v for k, v in scores.items() if k != "prompts_per_second"} if scores else None,
        }

    def report(self, out_dir: str | Path, *, progress: Progress | None = None, pdf: bool = False) -> Path:
        """Write the self-contained HTML report, PNGs, CSVs and summary.json; return index.html.

        ``pdf`` adds per-figure PDFs and report.pdf, printed by headless Chromium."""
        if pdf:
            require_pdf_printer()  # before the study runs, not after
        tables = self.figures(progress=progress)
        return write_report(Path(out_dir), list(FIGURES.values()), tables, headlines(tables), self.quality(), pdf=pdf)

    def _reset(self) -> None:
        self._tables.clear()
        for name in ("inputs", "_lazy_inputs"):
            self.__dict__.pop(name, None)
