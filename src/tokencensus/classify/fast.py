"""The default classifier: multilingual piece embeddings and a linear model, thousands of prompts/s.

Each batch is tokenised once with a 128k-piece multilingual SentencePiece model (C++) and pooled,
as sparse matrix products with no Python loop over tokens, into the IDF-weighted mean of the
pieces' multilingual embeddings (:mod:`.embedding`), over the whole text and over its two ends.
The embeddings carry meaning across languages that the training corpus covers thinly.

A multinomial logistic regression gives the leaf label and its probability; a second one, trained
only on examples that carry a sub-category, picks the sub-category among those of the predicted
label. Nothing needs a GPU, torch, a server or the network.

Measured alternatives (see BENCHMARKS.md): sparse TF-IDF of pieces and piece bigrams, alone or
added to the dense block, scored lower on the held-out corpus and trained 10x slower; piece
embeddings distilled through the full encoder scored lower than its raw input table; the full
encoder scores higher but runs about 100 prompts/s.

The model is trained on the packaged corpus (:mod:`.corpus`) on first use and cached;
``tokencensus classifier train`` fits the same model on a user's own labels.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import shutil
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import sentencepiece
import sklearn
from sklearn.linear_model import LogisticRegression

from tokencensus.classify import embedding
from tokencensus.classify.classifier import Classifier, Prediction, truncate

VERSION = "1"
#: Pieces at each end of a text pooled on their own (see :class:`Featurizer`).
EDGE = 24
_MODEL_FILE = "model.pkl"
_META_FILE = "meta.json"


class Featurizer:
    """Texts -> dense features: IDF-weighted mean piece embeddings of the whole text, its head and its tail.

    Mean pooling over a long prompt drowns the instruction ("translate the following", "you are
    a character") in the content it applies to; pooling the first and last :data:`EDGE` pieces
    separately keeps it visible. Only the IDF weights are fitted. Picklable: the SentencePiece
    processor and the embedding table are reloaded lazily.
    """

    def __init__(self) -> None:
        self.idf: np.ndarray | None = None
        self._sp: sentencepiece.SentencePieceProcessor | None = None

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_sp": None}

    @property
    def processor(self) -> sentencepiece.SentencePieceProcessor:
        if self._sp is None:
            self._sp = sentencepiece.SentencePieceProcessor(model_file=embedding.sentencepiece_model())
        return self._sp

    def _pieces(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Flat piece ids, the row of each, and whether it sits at the head or tail of its text."""
        ids = self.processor.encode([truncate(text).lower() for text in texts])
        lengths = np.fromiter(map(len, ids), dtype=np.int64, count=len(ids))
        flat = np.fromiter((i for row in ids for i in row), dtype=np.int64, count=int(lengths.sum()))
        rows = np.repeat(np.arange(len(ids)), lengths)
        position = np.arange(len(flat)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        edge = (position < EDGE) | (position >= np.repeat(lengths, lengths) - EDGE)
        return flat, rows, edge

    def _matrix(self, flat: np.ndarray, rows: np.ndarray, n: int, weights: np.ndarray | None = None) -> sp.csr_matrix:
        values = np.ones(len(flat), np.float32) if weights is None else weights[flat]
        return sp.csr_matrix((values, (rows, flat)), shape=(n, self.processor.get_piece_size()))

    def fit(self, texts: Sequence[str]) -> Featurizer:
        """IDF of the pieces over ``texts`` (smoothed, as scikit-learn computes it)."""
        flat, rows, _ = self._pieces(texts)
        present = self._matrix(flat, rows, len(texts))
        document_frequency = np.bincount(present.indices, minlength=present.shape[1])
        self.idf = (np.log((1 + len(texts)) / (1 + document_frequency)) + 1).astype(np.float32)
        return self

    def transform(self, texts: Sequence[str]) -> np.ndarray:
        if self.idf is None:
            raise RuntimeError("fit the featurizer first")
        flat, rows, edge = self._pieces(texts)
        table = embedding.token_table()[: self.processor.get_piece_size()]
        blocks = []
        for keep in (slice(None), edge):
            pooled = self._matrix(flat[keep], rows[keep], len(texts), self.idf) @ table
            blocks.append(pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-6))
        return np.hstack(blocks)


class FastClassifier(Classifier):
    """Featurizer + leaf-label model + sub-category model."""

    name = "fast"
    version = VERSION

    def __init__(
        self,
        featurizer: Featurizer,
        labels: LogisticRegression,
        subcategories: LogisticRegression | None,
        name: str = "fast",
    ) -> None:
        self.featurizer = featurizer
        self.labels = labels
        self.subcategories = subcategories
        self.name = name
        self._sub_owner = (
            np.array([c.split("/", 1)[0] for c in subcategories.classes_]) if subcategories else None
        )

    def prepare(self) -> None:
        self.featurizer.processor  # noqa: B018 - loads the SentencePiece model
        embedding.token_table()

    def classify(self, texts: Sequence[str]) -> list[Prediction]:
        if not len(texts):
            return []
        features = self.featurizer.transform(texts)
        probabilities = self.labels.predict_proba(features)
        best = probabilities.argmax(axis=1)
        labels = self.labels.classes_[best]
        confidence = probabilities[np.arange(len(best)), best]
        subs = self._subcategories(features, labels)
        return [Prediction(str(label), sub, float(p)) for label, sub, p in zip(labels, subs, confidence)]

    def _subcategories(self, features: np.ndarray, labels: np.ndarray) -> list[str | None]:
        """The most probable sub-category among those belonging to each text's label."""
        if self.subcategories is None:
            return [None] * len(labels)
        probabilities = self.subcategories.predict_proba(features)
        allowed = self._sub_owner[None, :] == labels[:, None]
        masked = np.where(allowed, probabilities, -1.0)
        best = masked.argmax(axis=1)
        has = allowed.any(axis=1)
        names = [c.split("/", 1)[1] for c in self.subcategories.classes_]
        return [names[b] if h else None for b, h in zip(best, has)]

    def save(self, directory: str | Path) -> Path:
        """Write the model to ``directory`` (``model.pkl`` + ``meta.json``)."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        with open(directory / _MODEL_FILE, "wb") as f:
            pickle.dump(self, f, protocol=pickle.HIGHEST_PROTOCOL)
        meta = {"name": self.name, "version": self.version, "labels": list(map(str, self.labels.classes_))}
        (directory / _META_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        return directory

    @classmethod
    def load(cls, directory: str | Path) -> FastClassifier:
        """Read a model written by :meth:`save` (a pickle: load only directories you wrote)."""
        path = Path(directory) / _MODEL_FILE
        if not path.exists():
            raise FileNotFoundError(f"{directory}: no {_MODEL_FILE}; train one with `tokencensus classifier train`")
        with open(path, "rb") as f:
            model = pickle.load(f)
        if not isinstance(model, cls):
            raise TypeError(f"{path} does not hold a fast classifier")
        return model


def _linear(c: float) -> LogisticRegression:
    return LogisticRegression(C=c, max_iter=300, class_weight="balanced")


def train(
    texts: Sequence[str],
    labels: Sequence[str],
    subcategories: Sequence[str | None] | None = None,
    *,
    c: float = 1.0,
    name: str = "fast",
) -> FastClassifier:
    """Fit the fast classifier on labelled texts (``subcategories`` optional, None where absent).

    ``c`` (inverse regularisation) was chosen on the corpus's held-out split (1, 4 and 16 within
    0.01 macro-F1 of each other); classes are weighted to balance the corpus's label counts.
    """
    if len(texts) != len(labels):
        raise ValueError("texts and labels differ in length")
    if len(set(labels)) < 2:
        raise ValueError("training needs at least two distinct labels")
    featurizer = Featurizer().fit(texts)
    features = featurizer.transform(texts)
    leaf = _linear(c).fit(features, np.asarray(labels))
    sub_model = None
    if subcategories is not None:
        keep = np.array([s is not None for s in subcategories])
        targets = np.array([f"{label}/{sub}" for label, sub in zip(labels, subcategories) if sub is not None])
        if len(set(targets)) >= 2:
            sub_model = _linear(c).fit(features[keep], targets)
    return FastClassifier(featurizer, leaf, sub_model, name=name)


@lru_cache(maxsize=1)
def default_classifier() -> FastClassifier:
    """The classifier trained on the packaged corpus: cached on disk, keyed by corpus and versions."""
    from tokencensus.classify import corpus

    examples = corpus.load("train")
    key = hashlib.sha256(
        json.dumps([VERSION, embedding.TABLE_VERSION, embedding.DIM, sklearn.__version__, corpus.digest("train")]).encode()
    ).hexdigest()[:16]
    directory = embedding.cache_dir() / f"fast-{key}"
    if (directory / _MODEL_FILE).exists():
        return FastClassifier.load(directory)
    model = train(
        [e.text for e in examples], [e.label for e in examples], [e.subcategory for e in examples]
    )
    tmp = model.save(directory.with_name(f"{directory.name}.{os.getpid()}.tmp"))
    try:
        tmp.rename(directory)  # atomic; a concurrent builder may have won, which is as good
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
    return model
