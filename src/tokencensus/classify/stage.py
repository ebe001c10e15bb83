"""The classify stage: label the store's sampled prompts, resumably, and measure the labels.

Ingest has already kept the scrubbed prompts of a hash sample of requests (``prompts/``). This
stage picks the prompts to classify (all of them, or a smaller nested hash sample by rate or by
target count), skips those an earlier run labelled, and classifies the rest in chunks: language
detection and a classifier per chunk, each chunk written as its own labels part file by an
atomic rename. An interrupted run therefore loses at most the chunk in flight and the next run
continues where it stopped; nothing is classified twice.

The labels table (``labels/part-<run>-<n>.parquet``) holds request_id, label, subcategory,
confidence, language and classifier; one store holds the labels of one classifier at a time.

Where the true task of some requests is known (people labelled a subset, or the simulator's
answer key), :func:`evaluate_store` scores the stored labels against it and saves the scores
(``classifier-eval.json``), which the report quotes and the study can use to correct category
shares for classifier error.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.parquet as pq
from ibis.backends import BaseBackend

from tokencensus.classify.classifier import Classifier, get_classifier
from tokencensus.classify.evaluate import score
from tokencensus.classify.language import detect_languages
from tokencensus.classify.sampling import rate_for_target, sample_expr
from tokencensus.classify.taxonomy import Taxonomy
from tokencensus.engine import Engine, connect, read_table
from tokencensus.store import Store
from tokencensus.store.layout import new_batch_id

Progress = Callable[[int, int], None]

#: The stored labels table.
LABELS = pa.schema([
    pa.field("request_id", pa.string(), nullable=False),
    pa.field("label", pa.string(), nullable=False),
    pa.field("subcategory", pa.string()),
    pa.field("confidence", pa.float64()),
    pa.field("language", pa.string()),
    pa.field("classifier", pa.string(), nullable=False),
])

EVALUATION_FILE = "classifier-eval.json"
CHUNK = 4096


@dataclass(frozen=True)
class ClassifyResult:
    """What one ``classify`` run did."""

    classifier: str
    sample_rate: float
    sampled: int  # prompts in the chosen sample
    classified: int  # labelled by this run
    already: int  # labelled by an earlier run
    seconds: float

    @property
    def prompts_per_second(self) -> float:
        return self.classified / self.seconds if self.seconds > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "prompts_per_second": round(self.prompts_per_second, 1)}


def choose_rate(store: Store, sample_rate: float | None = None, target: int | None = None) -> float:
    """The sample rate to classify at: the store's prompt rate, lowered by ``sample_rate`` or to
    hold about ``target`` requests; never above the rate the prompts were kept at."""
    kept = store.prompt_rate()
    if kept is None:
        raise ValueError(f"the store at {store.path} holds no prompts: ingest logs that carry prompt text "
                         "(or a prompt log with --prompts-only) first")
    if sample_rate is not None and target is not None:
        raise ValueError("give a sample rate or a target count, not both")
    if target is not None:
        sample_rate = rate_for_target(store.row_count(), target)
    return kept if sample_rate is None else min(kept, sample_rate)


def classify_store(
    store: Store,
    classifier: str | Classifier = "fast",
    *,
    sample_rate: float | None = None,
    target: int | None = None,
    replace: bool = False,
    chunk: int = CHUNK,
    engine: Engine = "duckdb",
    progress: Progress | None = None,
) -> ClassifyResult:
    """Classify the store's sampled prompts not labelled yet; see the module docstring.

    ``replace`` discards labels of another classifier first (without it, meeting them is an
    error, so a study never mixes two classifiers' labels unknowingly). On a Spark ``engine`` the
    classifier runs inside the executors over Arrow batches (``mapInArrow``), and the run
    commits its labels as a whole when Spark has written them.
    """
    model = get_classifier(classifier) if isinstance(classifier, str) else classifier
    rate = choose_rate(store, sample_rate, target)
    with store.writing():
        con = connect(engine)
        todo, sampled = _todo(con, store, model.id, rate, replace)
        model.prepare()
        start = time.perf_counter()
        run = new_batch_id()
        if con.name == "pyspark":
            classified = _classify_on_spark(con, todo, classifier, store.layout.labels, run)
        else:
            classified = _classify_here(todo.to_pyarrow(), model, store.layout.labels, run, chunk, progress)
        return ClassifyResult(model.id, rate, sampled, classified, sampled - classified, time.perf_counter() - start)


def _todo(con: BaseBackend, store: Store, classifier_id: str, rate: float, replace: bool) -> tuple[ir.Table, int]:
    """The sampled prompts without labels, in request_id order, and how many the sample holds."""
    prompts = read_table(con, store.prompts_glob())
    todo = prompts.filter(sample_expr(prompts, rate))
    sampled = int(todo.count().execute())
    if (labels_glob := store.labels_glob()) is not None:
        labels = read_table(con, labels_glob)
        if int(labels.filter(labels.classifier != classifier_id).count().execute()):
            if not replace:
                raise ValueError(f"the store holds labels of another classifier than {classifier_id}: "
                                 "pass replace=True (--replace) to discard them")
            _discard_labels(store)
        else:
            todo = todo.anti_join(labels.select("request_id"), "request_id")
    return todo.order_by("request_id"), sampled


def _classify_here(todo: pa.Table, model: Classifier, folder: Path, run: str, chunk: int,
                   progress: Progress | None) -> int:
    """Label ``todo`` in this process, one committed part file per chunk."""
    if todo.num_rows:  # scores saved for the labels so far no longer cover them all
        (folder.parent / EVALUATION_FILE).unlink(missing_ok=True)
    for number, offset in enumerate(range(0, todo.num_rows, chunk)):
        part = todo.slice(offset, chunk)
        _write_labels(folder / f"part-{run}-{number}.parquet", _label(model, part))
        if progress:
            progress(offset + part.num_rows, todo.num_rows)
    return todo.num_rows


def _classify_on_spark(con: BaseBackend, todo: ir.Table, classifier: str | Classifier, folder: Path, run: str) -> int:
    """Label ``todo`` in Spark's executors, then move the part files Spark wrote into ``folder``.

    The executors rebuild a named classifier themselves (the fast one loads from its cache);
    a classifier object is shipped to them pickled.
    """
    def label_batches(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        model = get_classifier(classifier) if isinstance(classifier, str) else classifier
        for batch in batches:
            yield from _label(model, pa.Table.from_batches([batch])).to_batches()

    frame = con._session.sql(con.compile(todo.select("request_id", "text")))
    staging = folder.parent / f".tmp-labels-{run}"
    schema = ", ".join(f"{f.name} {_SPARK_TYPES[f.type]}" for f in LABELS)
    frame.mapInArrow(label_batches, schema).write.parquet(str(staging))
    parts = sorted(staging.glob("part-*.parquet"))
    rows = sum(pq.ParquetFile(p).metadata.num_rows for p in parts)
    if rows:
        (folder.parent / EVALUATION_FILE).unlink(missing_ok=True)
        folder.mkdir(parents=True, exist_ok=True)
        for number, part in enumerate(parts):
            os.replace(part, folder / f"part-{run}-{number}.parquet")
    shutil.rmtree(staging, ignore_errors=True)
    return rows


_SPARK_TYPES = {pa.string(): "string", pa.float64(): "double"}


def _label(model: Classifier, prompts: pa.Table) -> pa.Table:
    texts = prompts["text"].to_pylist()
    predictions = model.classify(texts)
    return pa.table({
        "request_id": prompts["request_id"],
        "label": [p.label for p in predictions],
        "subcategory": [p.subcategory for p in predictions],
        "confidence": [float(p.confidence) for p in predictions],
        "language": detect_languages(prompts["text"]),
        "classifier": [model.id] * len(predictions),
    }, schema=LABELS)


def _write_labels(path: Path, table: pa.Table) -> None:
    """Write atomically: a reader sees the whole part or none (the temp name is not ``*.parquet``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, path)


def _discard_labels(store: Store) -> None:
    for part in store.layout.labels.glob("*.parquet"):
        part.unlink()
    (store.path / EVALUATION_FILE).unlink(missing_ok=True)


def read_truth(path: str | Path) -> pa.Table:
    """Known tasks of some requests: Parquet or JSONL with ``request_id`` and ``label`` (or ``category``)."""
    path = Path(path)
    con = ibis.duckdb.connect()
    table = con.read_parquet(path) if path.suffix == ".parquet" else con.read_json(path)
    if "label" not in table.columns and "category" in table.columns:
        table = table.rename(label="category")
    missing = {"request_id", "label"} - set(table.columns)
    if missing:
        raise ValueError(f"{path}: a truth file needs request_id and label columns; missing {sorted(missing)}")
    return con.to_pyarrow(table.select(table.request_id.cast("string"), table.label.cast("string")))


def evaluate_store(store: Store, truth: str | Path, taxonomy: Taxonomy | None = None,
                   prompts_per_second: float | None = None) -> dict[str, Any]:
    """Score the stored labels against known tasks, save the scores beside the store, return them.

    The scores are those of ``tokencensus classifier eval --json`` (per-label precision, recall
    and F1, macro-F1 at the leaf and report-12 levels, the leaf confusion matrix), over the
    classified requests whose task is known.
    """
    if store.labels_glob() is None:
        raise ValueError(f"the store at {store.path} holds no labels: run classify first")
    con = ibis.duckdb.connect()
    labels = con.read_parquet(store.labels_glob())
    known = con.create_table("truth", read_truth(truth))
    pairs = con.to_pyarrow(labels.join(known, "request_id").select(
        "classifier", predicted=labels.label, true=known.label).order_by("true", "predicted"))
    if not pairs.num_rows:
        raise ValueError(f"{truth}: no labelled request of the store has a known task")
    evaluation = score(pairs["classifier"][0].as_py(), pairs["true"].to_pylist(), pairs["predicted"].to_pylist(),
                       taxonomy, prompts_per_second=prompts_per_second or 0.0).to_json()
    evaluation["truth"] = Path(truth).name
    (store.path / EVALUATION_FILE).write_text(json.dumps(evaluation, indent=1), encoding="utf-8")
    return evaluation


def stored_evaluation(store: Store) -> dict[str, Any] | None:
    """The scores :func:`evaluate_store` saved for the current labels, if any."""
    path = store.path / EVALUATION_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None
