"""Language detection: accuracy on the multilingual prompt set, parity with py3langid, robustness."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tokencensus.classify.language import _FOLD, _model, _prose, detect_languages

CASES = [json.loads(line) for line in (Path(__file__).parent / "data" / "language_cases.jsonl").open(encoding="utf-8")]


@pytest.fixture(scope="module")
def detected() -> list[str]:
    return detect_languages([case["text"] for case in CASES])


def test_the_set_covers_twenty_languages_and_every_kind() -> None:
    assert len({case["lang"] for case in CASES} - {"und"}) >= 20
    assert set(Counter(case["kind"] for case in CASES)) == {"short", "long", "code", "und"}


@pytest.mark.parametrize(("kind", "minimum"), [("long", 1.0), ("code", 1.0), ("und", 1.0), ("short", 0.9)])
def test_accuracy_by_kind(detected: list[str], kind: str, minimum: float) -> None:
    pairs = [(case["lang"], found) for case, found in zip(CASES, detected, strict=True) if case["kind"] == kind]
    correct = sum(expected == found for expected, found in pairs)
    assert correct / len(pairs) >= minimum, [pair for pair in pairs if pair[0] != pair[1]]


def test_prose_not_code_decides() -> None:
    code = "```python\nimport os\nfor name in os.listdir('.'):\n    print(name)\n```"
    assert detect_languages([f"Почему этот код ничего не выводит?\n{code}", code, f"{code}\nWhy is nothing printed?"]) == [
        "ru", "und", "en",
    ]


def test_batched_model_equals_py3langid() -> None:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages([c for c in identifier.nb_classes if len(_FOLD.get(c, c)) == 2 or c in _FOLD])
    prose = _prose(pa.array([case["text"] for case in CASES if case["kind"] != "und"]))
    labels, confidence = _model().classify(prose)
    expected = [identifier.classify(text) for text in prose.to_pylist()]
    assert labels.tolist() == [_FOLD.get(code, code) for code, _ in expected]
    assert confidence == pytest.approx([p for _, p in expected], abs=1e-3)


def test_a_batch_gives_what_single_texts_give() -> None:
    texts = [case["text"] for case in CASES[::4]]
    assert detect_languages(texts) == [detect_languages([text])[0] for text in texts]


def test_nulls_empty_batches_and_arrow_input() -> None:
    assert detect_languages([]) == []
    assert detect_languages([None, "", "Das ist ein ganz normaler deutscher Satz."]) == ["und", "und", "de"]
    assert detect_languages(pa.array(["C'est une phrase tout à fait normale."])) == ["fr"]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=300)), max_size=20))
def test_any_text_gets_a_code(texts: list[str | None]) -> None:
    codes = detect_languages(texts)
    assert len(codes) == len(texts)
    assert all(code == "und" or (len(code) == 2 and code.isalpha()) for code in codes)
