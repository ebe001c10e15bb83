"""How good a classifier is on a labelled file: per-label and macro scores, confusion, speed.

The report never measured its classifier; tokencensus publishes these numbers next to every share
it derives from labels. Scores are computed at the leaf level and after rolling labels up to the
report's 12 categories (a creative-writing prompt called roleplay is an error at the leaf level
but not in the report's chart). Macro averages run over the labels that occur in the truth, so a
file without, say, adult prompts is not penalised for them. Texts are truncated as the prompts
table stores them before they are classified, so the numbers describe what the pipeline sees.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tokencensus.classify.classifier import Classifier, truncate
from tokencensus.classify.taxonomy import Taxonomy, load_taxonomy


@dataclass(frozen=True)
class Scores:
    """Precision, recall, F1 and support per label, their macro-F1, and the confusion matrix."""

    labels: list[str]
    per_label: dict[str, dict[str, float]]
    macro_f1: float
    confusion: list[list[int]]  # rows: true label, columns: predicted label, both in `labels` order


def scores(truth: Sequence[str], predicted: Sequence[str]) -> Scores:
    """Scores of ``predicted`` against ``truth``; labels are those of either, truth's first."""
    if len(truth) != len(predicted):
        raise ValueError("truth and predictions differ in length")
    in_truth = sorted(set(truth))
    labels = in_truth + sorted(set(predicted) - set(in_truth))
    index = {label: i for i, label in enumerate(labels)}
    matrix = np.zeros((len(labels), len(labels)), dtype=np.int64)
    np.add.at(matrix, ([index[t] for t in truth], [index[p] for p in predicted]), 1)
    hits = np.diag(matrix).astype(float)
    support, claimed = matrix.sum(axis=1), matrix.sum(axis=0)
    precision = np.divide(hits, claimed, out=np.zeros_like(hits), where=claimed > 0)
    recall = np.divide(hits, support, out=np.zeros_like(hits), where=support > 0)
    total = precision + recall
    f1 = np.divide(2 * precision * recall, total, out=np.zeros_like(hits), where=total > 0)
    per_label = {
        label: {"precision": float(precision[i]), "recall": float(recall[i]), "f1": float(f1[i]), "support": int(support[i])}
        for i, label in enumerate(labels)
    }
    macro = float(f1[: len(in_truth)].mean()) if in_truth else 0.0
    return Scores(labels, per_label, macro, matrix.tolist())


@dataclass(frozen=True)
class Evaluation:
    """A classifier's scores on one labelled set, at the leaf level and the report's 12 categories."""

    classifier: str
    n: int
    leaf: Scores
    report12: Scores
    prompts_per_second: float

    def to_json(self) -> dict:
        """The ``classifier eval --json`` object."""
        return {
            "classifier": self.classifier,
            "n": self.n,
            "macro_f1": self.leaf.macro_f1,
            "macro_f1_report12": self.report12.macro_f1,
            "per_label": self.leaf.per_label,
            "per_category_report12": self.report12.per_label,
            "prompts_per_second": self.prompts_per_second,
            "confusion": {"labels": self.leaf.labels, "matrix": self.leaf.confusion},
        }


def evaluate(
    classifier: Classifier,
    texts: Sequence[str],
    labels: Sequence[str],
    taxonomy: Taxonomy | None = None,
    batch_size: int = 1024,
) -> Evaluation:
    """Classify truncated ``texts`` in batches and score them against ``labels``.

    The clock covers classification only (the model is warmed up on one text first). Labels the
    taxonomy does not know are kept as they are in the roll-up, so a foreign label file still scores.
    """
    taxonomy = taxonomy or load_taxonomy()
    stored = [truncate(text) for text in texts]
    classifier.classify(stored[:1])
    start = time.perf_counter()
    predicted = [
        p.label for i in range(0, len(stored), batch_size) for p in classifier.classify(stored[i : i + batch_size])
    ]
    elapsed = time.perf_counter() - start
    return score(classifier.id, labels, predicted, taxonomy,
                 prompts_per_second=len(stored) / elapsed if elapsed > 0 else float("inf"))


def score(classifier_id: str, labels: Sequence[str], predicted: Sequence[str], taxonomy: Taxonomy | None = None,
          prompts_per_second: float = 0.0) -> Evaluation:
    """Score predicted leaf labels against true ones, at the leaf and the report-12 level.

    Labels the taxonomy does not know are kept as they are in the roll-up, so a foreign label
    file still scores.
    """
    targets = (taxonomy or load_taxonomy()).view("report12").targets

    def up(label: str) -> str:
        return targets[label][0] if label in targets else label

    return Evaluation(
        classifier=classifier_id,
        n=len(labels),
        leaf=scores(labels, predicted),
        report12=scores([up(x) for x in labels], [up(x) for x in predicted]),
        prompts_per_second=prompts_per_second,
    )


__all__ = ["Evaluation", "Scores", "evaluate", "score", "scores"]
