"""The one interface every task classifier implements, and the registry that names them.

The classify stage, the evaluation command and Spark executors all hold a classifier only through
this interface: a batch of texts in, one ``(label, subcategory, confidence)`` per text out. Keeping
it batch-oriented lets an implementation vectorise (the fast classifier featurises a whole batch
with one tokenizer call and one matrix product) and keeping it picklable lets Spark ship it to
executors, which call :meth:`Classifier.classify_arrow` on Arrow batches.

Classifiers are named. ``fast`` is the packaged default; ``llm`` labels through an
OpenAI-compatible endpoint; a directory written by ``tokencensus classifier train`` is named by
its path. :func:`register` lets a plug-in add its own name.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

import pyarrow as pa

#: Stored prompt text keeps its first and last characters: the instruction and the system prompt
#: sit at the start, the user's actual question usually at the end.
HEAD_CHARS = 1500
TAIL_CHARS = 500
_JOIN = "\n…\n"


def truncate(text: str, head: int = HEAD_CHARS, tail: int = TAIL_CHARS) -> str:
    """The text as the prompts table stores it: the first ``head`` and last ``tail`` characters."""
    if len(text) <= head + tail:
        return text
    return text[:head] + _JOIN + text[len(text) - tail :]


class Prediction(NamedTuple):
    """One text's label: a leaf label of the taxonomy, its sub-category (or None), a confidence."""

    label: str
    subcategory: str | None
    confidence: float


#: The Arrow schema of :meth:`Classifier.classify_arrow` results.
PREDICTION_SCHEMA = pa.schema(
    [
        pa.field("category", pa.string(), nullable=False),
        pa.field("subcategory", pa.string()),
        pa.field("confidence", pa.float32(), nullable=False),
    ]
)


class Classifier(ABC):
    """A task classifier: a batch of texts in, one :class:`Prediction` per text out."""

    #: Name and version, as written to the labels table's ``classifier`` column.
    name: str = "classifier"
    version: str = "0"

    @property
    def id(self) -> str:
        """``name@version``: what a labels table records so a study states its classifier."""
        return f"{self.name}@{self.version}"

    @abstractmethod
    def classify(self, texts: Sequence[str]) -> list[Prediction]:
        """One prediction per text, in order."""

    def prepare(self) -> None:
        """Load what a first batch would otherwise load (models, tables), so that a clock started
        afterwards times classification only. Nothing to do by default."""

    def classify_arrow(self, texts: pa.Array | pa.ChunkedArray) -> pa.Table:
        """Arrow in, Arrow out (``category``, ``subcategory``, ``confidence``); nulls count as ''."""
        values = [text or "" for text in texts.to_pylist()]
        predictions = self.classify(values)
        return pa.table(
            [
                pa.array([p.label for p in predictions], pa.string()),
                pa.array([p.subcategory for p in predictions], pa.string()),
                pa.array([p.confidence for p in predictions], pa.float32()),
            ],
            schema=PREDICTION_SCHEMA,
        )


_REGISTRY: dict[str, Callable[[], Classifier]] = {}


def register(name: str, factory: Callable[[], Classifier]) -> None:
    """Make ``get_classifier(name)`` build a classifier with ``factory()``."""
    _REGISTRY[name] = factory


def names() -> tuple[str, ...]:
    """Registered classifier names."""
    _register_builtins()
    return tuple(_REGISTRY)


def get_classifier(name: str = "fast") -> Classifier:
    """The classifier called ``name``, or one saved by ``classifier train`` (its directory or name)."""
    _register_builtins()
    if name in _REGISTRY:
        return _REGISTRY[name]()
    from tokencensus.classify.fast import FastClassifier
    from tokencensus.classify.train import models_dir

    for path in (Path(name), models_dir() / name):
        if path.is_dir():
            return FastClassifier.load(path)
    raise KeyError(f"no classifier {name!r}; names: {', '.join(_REGISTRY)}, or a trained model directory")


def _register_builtins() -> None:
    """Built-ins register lazily so importing this module loads no model and no HTTP client."""
    if "fast" in _REGISTRY:
        return
    from tokencensus.classify.fast import default_classifier
    from tokencensus.classify.llm import LLMLabeller

    register("fast", default_classifier)
    register("llm", LLMLabeller.from_env)
