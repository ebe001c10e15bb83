"""The taxonomy file: leaf labels, roll-ups to both views, and validation of user files."""

from __future__ import annotations

from pathlib import Path

import ibis
import pytest
import yaml

from tokencensus.classify.taxonomy import TaxonomyError, load_taxonomy

LEAVES = ("programming roleplay creative_writing adult translation technology science health finance "
          "legal marketing academia trivia productivity other").split()
REPORT12 = "programming roleplay translation technology science health finance legal marketing seo academia trivia other".split()
DEFAULT_FILE = Path(__file__).resolve().parents[1] / "src" / "tokencensus" / "classify" / "taxonomy.yaml"


def test_packaged_taxonomy_has_the_leaf_labels_and_subcategories() -> None:
    taxonomy = load_taxonomy()
    assert sorted(taxonomy.labels) == sorted(LEAVES)
    assert list(taxonomy.subcategories["roleplay"]) == ["roleplaying_games", "writers_resources", "adult"]
    assert list(taxonomy.subcategories["programming"]) == ["general", "development_tools", "scripting_languages"]
    assert list(taxonomy.subcategories["science"]) == ["machine_learning_ai", "other_sciences"]
    assert list(taxonomy.subcategories["translation"]) == ["foreign_language_resources", "other"]


def test_report_view_has_the_reports_categories() -> None:
    taxonomy = load_taxonomy()
    assert list(taxonomy.categories("report12")) == REPORT12
    assert taxonomy.rollup("creative_writing") == "roleplay"
    assert taxonomy.rollup("adult", "report12") == "roleplay"
    assert taxonomy.rollup("productivity") == "other"
    assert {taxonomy.rollup(label) for label in LEAVES} <= set(REPORT12)


def test_methodology_view_has_nine_buckets() -> None:
    taxonomy = load_taxonomy()
    assert len(taxonomy.categories("methodology9")) == 9
    assert taxonomy.rollup("science", "methodology9") == "general_qa"
    assert taxonomy.rollup("academia", "methodology9") == "education"
    assert {taxonomy.rollup(label, "methodology9") for label in LEAVES} == set(taxonomy.categories("methodology9"))


def test_rollup_table_joins_on_the_engine() -> None:
    taxonomy = load_taxonomy()
    rollup = ibis.memtable(taxonomy.rollup_table("report12"))
    labels = ibis.memtable({"label": ["adult", "programming", "creative_writing"],
                            "subcategory": [None, "development_tools", None]})
    joined = labels.join(rollup, "label").select(
        "label", "category", sub=ibis.coalesce(rollup.subcategory, labels.subcategory)
    )
    rows = ibis.duckdb.connect().execute(joined.order_by("label")).to_dict("records")
    assert rows == [
        {"label": "adult", "category": "roleplay", "sub": "adult"},
        {"label": "creative_writing", "category": "roleplay", "sub": "writers_resources"},
        {"label": "programming", "category": "programming", "sub": "development_tools"},
    ]


def test_unknown_view_and_label_say_what_exists() -> None:
    taxonomy = load_taxonomy()
    with pytest.raises(KeyError, match="report12"):
        taxonomy.rollup("programming", "nope")
    with pytest.raises(KeyError, match="programming"):
        taxonomy.rollup("cooking")


def _write(tmp_path: Path, doc: dict | str) -> Path:
    path = tmp_path / "taxonomy.yaml"
    path.write_text(doc if isinstance(doc, str) else yaml.safe_dump(doc, sort_keys=False))
    return path


def _default_doc() -> dict:
    return yaml.safe_load(DEFAULT_FILE.read_text())


def test_a_user_file_loads(tmp_path: Path) -> None:
    doc = _default_doc()
    doc["labels"]["seo"] = {"title": "SEO"}
    for view, target in (("report12", "seo"), ("methodology9", "productivity")):
        doc["rollups"][view]["map"]["seo"] = target
    taxonomy = load_taxonomy(_write(tmp_path, doc))
    assert taxonomy.rollup("seo") == "seo"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["rollups"]["report12"]["map"].update(cooking="other"), "unknown label"),
        (lambda d: d["rollups"]["methodology9"]["map"].pop("trivia"), "missing: trivia"),
        (lambda d: d["rollups"]["report12"]["map"].update(trivia="quiz"), "'quiz' is not among"),
        (lambda d: d["rollups"]["report12"]["map"].update(adult="roleplay/nsfw"), "not a sub-category"),
        (lambda d: d["rollups"].pop("methodology9"), "required view"),
        (lambda d: d["labels"].update({"Bad Label": {}}), "not an id"),
    ],
)
def test_invalid_files_are_refused_with_the_reason(tmp_path: Path, change, message: str) -> None:
    doc = _default_doc()
    change(doc)
    with pytest.raises(TaxonomyError, match=message):
        load_taxonomy(_write(tmp_path, doc))


def test_duplicate_keys_are_refused(tmp_path: Path) -> None:
    text = DEFAULT_FILE.read_text().replace("  legal:\n", "  legal:\n    title: Legal\n  legal:\n", 1)
    path = _write(tmp_path, text)
    with pytest.raises(TaxonomyError, match=rf"{path.name}.*duplicate key 'legal'"):
        load_taxonomy(path)
