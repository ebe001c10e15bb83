"""The packaged training corpus: coverage of labels and languages, the split, and its generator."""

from __future__ import annotations

import random
from collections import defaultdict
from importlib import resources

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from tokencensus.classify import corpus, load_taxonomy
from tokencensus.classify.corpus import generate as generator
from tokencensus.classify.corpus.generate import NEUTRAL, Seed, generate

MIN_LANGUAGES_PER_LABEL = 8


@pytest.fixture(scope="module")
def generated() -> list[corpus.Example]:
    return generate()


def test_corpus_covers_every_label_and_sub_category() -> None:
    taxonomy = load_taxonomy()
    train_set, heldout = corpus.load("train"), corpus.load("heldout")
    assert len(train_set) > 10_000 and len(heldout) > 2_000
    for examples in (train_set, heldout):
        assert {e.label for e in examples} == set(taxonomy.labels)
        assert all(e.subcategory is None or e.subcategory in taxonomy.subcategories[e.label] for e in examples)
    subs = {(e.label, e.subcategory) for e in train_set}
    assert {(label, sub) for label, names in taxonomy.subcategories.items() for sub in names} <= subs


def test_every_label_has_examples_in_many_languages() -> None:
    languages = defaultdict(set)
    for e in corpus.load("train"):
        languages[e.label].add(e.language)
    thin = {label: sorted(found) for label, found in languages.items() if len(found - {"other"}) < MIN_LANGUAGES_PER_LABEL}
    assert not thin, f"labels with examples in fewer than {MIN_LANGUAGES_PER_LABEL} languages: {thin}"


def test_language_codes_are_codes() -> None:
    codes = {e.language for e in corpus.load("train")}
    assert {"en", "ru", "zh", "es", "pt", "de", "fr", "it", "ja", "ko"} <= codes
    assert all(code == "other" or (len(code) == 2 and code.isalpha() and code.islower()) for code in codes), codes


def test_heldout_shares_no_text_with_train() -> None:
    train_texts = {e.text for e in corpus.load("train")}
    assert not train_texts & {e.text for e in corpus.load("heldout")}


def test_shipped_corpus_is_what_the_generator_writes(generated: list[corpus.Example]) -> None:
    for split in corpus.SPLITS:
        shipped = corpus.load(split)
        assert [e.text for e in shipped] == [e.text for e in generated if e.split == split]


def test_every_seed_file_is_merged(generated: list[corpus.Example]) -> None:
    """Each seeds*.yaml in the package contributes every one of its seeds, as written."""
    texts = {e.text for e in generated}
    folder = resources.files(generator.__package__)
    files = [entry.name for entry in folder.iterdir() if entry.name.startswith("seeds") and entry.name.endswith(".yaml")]
    assert {"seeds.yaml", "seeds_es.yaml", "seeds_ko.yaml"} <= set(files)
    for name in files:
        questions = yaml.safe_load(folder.joinpath(name).read_text(encoding="utf-8"))["questions"]
        seeds = list(generator._seeds(questions))
        assert seeds and all(s.text in texts for s in seeds), name


def test_app_prompts_are_long_and_stored_truncated(generated: list[corpus.Example]) -> None:
    from tokencensus.classify.classifier import HEAD_CHARS, TAIL_CHARS

    assert max(len(e.text) for e in generated) <= HEAD_CHARS + TAIL_CHARS + 3
    for label in ("programming", "roleplay", "translation"):
        long_ones = [e for e in generated if e.label == label and len(e.text) > 1000]
        assert len({e.language for e in long_ones}) >= MIN_LANGUAGES_PER_LABEL, label


def test_generation_is_deterministic(generated: list[corpus.Example]) -> None:
    assert generate() == generated
    assert generate(seed=1) != generated


_codes = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=3)
_texts = st.lists(st.text(min_size=1, max_size=20), min_size=1, max_size=3)


@given(
    st.dictionaries(
        st.sampled_from(["programming", "trivia", "roleplay"]),
        st.one_of(
            st.dictionaries(_codes, _texts, min_size=1, max_size=3),
            st.dictionaries(st.sampled_from(["general", "other"]), st.dictionaries(_codes, _texts, min_size=1, max_size=3), min_size=1),
        ),
        min_size=1,
    )
)
def test_seed_blocks_of_any_language_are_read(questions: dict) -> None:
    seeds = list(generator._seeds(questions))
    expected = []
    for label, block in questions.items():
        for key, value in block.items():
            if isinstance(value, dict):
                expected += [Seed(label, key, language, text) for language, texts in value.items() for text in texts]
            else:
                expected += [Seed(label, None, key, text) for text in value]
    assert seeds == expected


def test_languages_without_templates_fall_back_to_neutral() -> None:
    templates = generator._merged("templates")
    assert generator._in(templates["wrappers"], "xx") == templates["wrappers"][NEUTRAL]
    assert generator._in(templates["wrappers"], "es") != templates["wrappers"][NEUTRAL]
    w = generator._Writer(0)
    generator._questions(w, [Seed("health", None, "xx", "Kifua kinauma, nifanye nini?")], templates)
    assert len(w.examples) >= 3 and {e.language for e in w.examples} == {"xx"}


@given(st.text(max_size=200), st.integers(0, 1000))
def test_messy_typing_accepts_any_text(text: str, seed: int) -> None:
    assert isinstance(generator._messy(random.Random(seed), text), str)


@given(st.text(alphabet=st.characters(codec="ascii"), max_size=200), st.integers(0, 1000))
def test_messy_typing_keeps_the_text_recognisable(text: str, seed: int) -> None:
    """At most two one-character typos on top of lower case and dropped final punctuation."""
    messy = generator._messy(random.Random(seed), text)
    stripped = text.rstrip("?.!。？！ ")
    assert len(stripped) - 2 <= len(messy) <= len(stripped) + 2
    assert sum(a != b for a, b in zip(messy.lower(), stripped.lower())) <= len(stripped) or not stripped
