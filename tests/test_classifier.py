"""The classifier interface, the fast default, its corpus, and training on a user's labels."""

from __future__ import annotations

import json
import pickle
from collections import Counter

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tokencensus.classify import corpus, load_taxonomy
from tokencensus.classify.classifier import (
    HEAD_CHARS,
    PREDICTION_SCHEMA,
    TAIL_CHARS,
    Classifier,
    Prediction,
    get_classifier,
    names,
    register,
    truncate,
)
from tokencensus.classify.corpus.generate import generate
from tokencensus.classify.fast import FastClassifier, train
from tokencensus.classify.train import train_file


@pytest.fixture(scope="module")
def fast() -> Classifier:
    return get_classifier("fast")


CLEAR = {
    "programming": "You are an expert software engineer. Tools: read_file(path), execute_command(cmd).\n"
    "<task>Fix the failing unit test in tests/test_api.py and run pytest.</task>",
    "translation": "Translate the following into German:\n\nThe train leaves at seven tomorrow morning.",
    "roleplay": "Aria's Persona: Aria is a shy librarian at a magic academy.\n<START>\n"
    "{{char}}: *looks up from her book* Oh! Can I help you?\n{{user}}: *smiles* I'm looking for a forbidden book.",
    "health": "I've had a sore throat and fever for three days, should I see a doctor?",
}


def test_clear_prompts_get_their_label(fast: Classifier) -> None:
    predictions = fast.classify(list(CLEAR.values()))
    assert [p.label for p in predictions] == list(CLEAR)
    assert all(0.0 < p.confidence <= 1.0 for p in predictions)


def test_labels_and_subcategories_belong_to_the_taxonomy(fast: Classifier) -> None:
    taxonomy = load_taxonomy()
    texts = [e.text for e in corpus.load("heldout")[:300]] + ["", "   ", "😀" * 50, "x" * 10_000]
    for p in fast.classify(texts):
        assert p.label in taxonomy.labels
        assert p.subcategory is None or p.subcategory in taxonomy.subcategories[p.label]


def test_batch_results_do_not_depend_on_batch_composition(fast: Classifier) -> None:
    texts = [e.text for e in corpus.load("heldout")[:40]]
    together = fast.classify(texts)
    alone = [fast.classify([t])[0] for t in texts[:5]]
    assert [p.label for p in together[:5]] == [p.label for p in alone]
    assert fast.classify([]) == []


def test_arrow_in_arrow_out(fast: Classifier) -> None:
    table = fast.classify_arrow(pa.chunked_array([["Translate into French: good morning", None]]))
    assert table.schema == PREDICTION_SCHEMA
    assert table.num_rows == 2 and table["category"][0].as_py() == "translation"


def test_picklable_for_spark_executors(fast: Classifier) -> None:
    copy = pickle.loads(pickle.dumps(fast))
    texts = list(CLEAR.values())
    assert copy.classify(texts) == fast.classify(texts)
    assert copy.id == fast.id == "fast@1"


def test_registry() -> None:
    class Constant(Classifier):
        name = "constant"

        def classify(self, texts):
            return [Prediction("other", None, 1.0)] * len(texts)

    register("constant", Constant)
    assert {"fast", "llm", "constant"} <= set(names())
    assert get_classifier("constant").classify(["a", "b"]) == [("other", None, 1.0)] * 2
    with pytest.raises(KeyError, match="no classifier"):
        get_classifier("no-such-classifier")


@given(st.text(max_size=3000))
def test_truncate_keeps_head_and_tail(text: str) -> None:
    stored = truncate(text)
    if len(text) <= HEAD_CHARS + TAIL_CHARS:
        assert stored == text
    else:
        assert stored.startswith(text[:HEAD_CHARS]) and stored.endswith(text[-TAIL_CHARS:])
        assert len(stored) < len(text) and len(stored) <= HEAD_CHARS + TAIL_CHARS + 3


def test_corpus_covers_every_label_in_several_languages() -> None:
    taxonomy = load_taxonomy()
    train_set, heldout = corpus.load("train"), corpus.load("heldout")
    assert len(train_set) > 3000 and len(heldout) > 500
    for examples in (train_set, heldout):
        assert {e.label for e in examples} == set(taxonomy.labels)
        assert all(e.subcategory is None or e.subcategory in taxonomy.subcategories[e.label] for e in examples)
    languages = Counter(e.language for e in train_set)
    assert languages["ru"] > 500 and languages["zh"] > 500 and languages["other"] > 100
    assert not {e.text for e in train_set} & {e.text for e in heldout}


def test_shipped_corpus_is_what_the_generator_writes() -> None:
    generated = generate()
    for split in corpus.SPLITS:
        shipped = corpus.load(split)
        assert [e.text for e in shipped] == [e.text for e in generated if e.split == split]


def _labels_file(path, rows: list[tuple[str, str]]) -> None:
    path.write_text("".join(json.dumps({"text": t, "label": l}) + "\n" for t, l in rows), encoding="utf-8")


def test_train_save_and_name_a_model(tmp_path) -> None:
    rows = [(f"please translate sentence number {i} into Spanish", "translation") for i in range(20)]
    rows += [(f"write a python function that returns {i} squared", "programming") for i in range(20)]
    labels = tmp_path / "mine.jsonl"
    _labels_file(labels, rows)
    model, directory = train_file(labels, tmp_path / "model")
    loaded = get_classifier(str(directory))
    assert isinstance(loaded, FastClassifier) and loaded.id == "mine@1"
    texts = ["translate this sentence into Spanish please", "write a python function for squares"]
    assert [p.label for p in loaded.classify(texts)] == ["translation", "programming"]
    assert loaded.classify(texts) == model.classify(texts)


def test_train_rejects_labels_outside_the_taxonomy(tmp_path) -> None:
    labels = tmp_path / "bad.jsonl"
    _labels_file(labels, [("a", "programming"), ("b", "cooking")])
    with pytest.raises(ValueError, match="cooking"):
        train_file(labels, tmp_path / "model")


def test_train_needs_two_labels() -> None:
    with pytest.raises(ValueError, match="two distinct labels"):
        train(["a", "b"], ["other", "other"])


@given(st.lists(st.text(max_size=40), max_size=3))
def test_corpus_reader_reports_the_bad_line(lines: list[str]) -> None:
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.jsonl"
        path.write_text('{"text": "ok", "label": "other"}\n' + "\n".join(lines) + "\n{not json}\n", encoding="utf-8")
        with pytest.raises(ValueError, match=r"x\.jsonl:\d+"):
            corpus.read(path)
