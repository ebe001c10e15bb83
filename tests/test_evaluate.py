"""Scores, evaluation and the `tokencensus classifier` commands."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from tokencensus.classify.classifier import Classifier, Prediction, register
from tokencensus.classify.evaluate import evaluate, scores
from tokencensus.cli import app


class Keyword(Classifier):
    """Labels by a keyword; everything else is `other`."""

    name = "keyword"

    def classify(self, texts: Sequence[str]) -> list[Prediction]:
        words = {"code": "programming", "poem": "creative_writing", "rpg": "roleplay"}
        return [
            Prediction(next((label for word, label in words.items() if word in text), "other"), None, 1.0)
            for text in texts
        ]


register("keyword", Keyword)


def test_scores_by_hand() -> None:
    truth = ["a", "a", "b", "b", "c"]
    predicted = ["a", "b", "b", "b", "d"]
    s = scores(truth, predicted)
    assert s.labels == ["a", "b", "c", "d"]
    assert s.per_label["a"] == {"precision": 1.0, "recall": 0.5, "f1": pytest.approx(2 / 3), "support": 2}
    assert s.per_label["b"]["precision"] == pytest.approx(2 / 3) and s.per_label["b"]["recall"] == 1.0
    assert s.per_label["c"]["f1"] == 0.0 and s.per_label["d"]["support"] == 0
    # macro over the labels in the truth only: (2/3 + 0.8 + 0) / 3
    assert s.macro_f1 == pytest.approx((2 / 3 + 0.8 + 0.0) / 3)
    assert s.confusion == [[1, 1, 0, 0], [0, 2, 0, 0], [0, 0, 0, 1], [0, 0, 0, 0]]


@given(st.lists(st.tuples(st.sampled_from("abc"), st.sampled_from("abcd")), min_size=1, max_size=50))
def test_scores_invariants(pairs: list[tuple[str, str]]) -> None:
    truth, predicted = zip(*pairs)
    s = scores(truth, predicted)
    assert sum(map(sum, s.confusion)) == len(pairs)
    assert 0.0 <= s.macro_f1 <= 1.0
    if truth == predicted:
        assert s.macro_f1 == 1.0


def test_evaluate_rolls_up_to_report12() -> None:
    texts = ["some code", "a poem", "rpg night", "hello"]
    labels = ["programming", "roleplay", "roleplay", "other"]
    result = evaluate(Keyword(), texts, labels)
    assert result.leaf.per_label["roleplay"]["recall"] == 0.5
    # creative writing rolls up into roleplay (writers resources): right at the report's level
    assert result.report12.macro_f1 == 1.0
    assert result.prompts_per_second > 0 and result.n == 4


@pytest.fixture
def labelled(tmp_path):
    path = tmp_path / "set.jsonl"
    rows = [("fix this code", "programming"), ("a poem please", "creative_writing"), ("hi", "other"), ("rpg", "trivia")]
    path.write_text("".join(json.dumps({"text": t, "label": l}) + "\n" for t, l in rows), encoding="utf-8")
    return path


def test_eval_json(labelled) -> None:
    result = CliRunner().invoke(app, ["classifier", "eval", str(labelled), "--classifier", "keyword", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert {"macro_f1", "macro_f1_report12", "per_label", "prompts_per_second", "confusion"} <= set(report)
    assert report["per_label"]["programming"]["f1"] == 1.0
    assert report["macro_f1"] == pytest.approx(0.75)


def test_eval_table(labelled) -> None:
    result = CliRunner().invoke(app, ["classifier", "eval", str(labelled), "--classifier", "keyword"])
    assert result.exit_code == 0, result.output
    for expected in ("macro-F1 leaf: 0.750", "macro-F1 report12", "prompts/s", "confusion"):
        assert expected in result.stdout


def test_eval_errors_are_reported(tmp_path, labelled) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "x"}\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["classifier", "eval", str(bad), "--classifier", "keyword"])
    assert result.exit_code == 1 and "bad.jsonl:1" in result.output
    result = CliRunner().invoke(app, ["classifier", "eval", str(labelled), "--classifier", "nope"])
    assert result.exit_code == 1 and "no classifier" in result.output


def test_train_then_eval(tmp_path) -> None:
    path = tmp_path / "labels.jsonl"
    rows = [(f"translate sentence {i} into French", "translation") for i in range(15)]
    rows += [(f"debug my java code, error {i}", "programming") for i in range(15)]
    path.write_text("".join(json.dumps({"text": t, "label": l}) + "\n" for t, l in rows), encoding="utf-8")
    out = tmp_path / "model"
    result = CliRunner().invoke(app, ["classifier", "train", str(path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(app, ["classifier", "eval", str(path), "--classifier", str(out), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["macro_f1"] == 1.0
