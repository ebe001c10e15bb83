"""Distillation: fit the fast classifier on a user's own labelled prompts.

The packaged model knows the corpus this project wrote; a gateway's own traffic has its own apps,
languages and house style. Labelling a few thousand of its prompts with the LLM labeller (or by
people) and training on them transfers that knowledge into a model that runs at the fast
classifier's speed. The result is saved as a directory that ``--classifier`` names, either by its
path or, when saved under :func:`models_dir`, by its name.
"""

from __future__ import annotations

from pathlib import Path

from tokencensus.classify import corpus
from tokencensus.classify.embedding import cache_dir
from tokencensus.classify.fast import FastClassifier, train
from tokencensus.classify.taxonomy import load_taxonomy


def models_dir() -> Path:
    """Where trained classifiers are saved when no directory is given."""
    return cache_dir() / "models"


def train_file(
    path: str | Path,
    out: str | Path | None = None,
    *,
    taxonomy_path: str | Path | None = None,
    with_corpus: bool = False,
) -> tuple[FastClassifier, Path]:
    """Train on a labels file (plus the packaged corpus if asked) and save; returns model and directory.

    Labels must belong to the taxonomy (the packaged one, or ``taxonomy_path``), so a model never
    emits a label the roll-ups cannot place.
    """
    examples = corpus.read(path)
    taxonomy = load_taxonomy(taxonomy_path)
    unknown = sorted({e.label for e in examples} - set(taxonomy.labels))
    if unknown:
        raise ValueError(f"{path}: label(s) not in the taxonomy: {', '.join(unknown)}")
    if with_corpus:
        examples += corpus.load("train")
    name = Path(path).stem
    model = train([e.text for e in examples], [e.label for e in examples], [e.subcategory for e in examples], name=name)
    directory = Path(out) if out else models_dir() / name
    return model, model.save(directory)
