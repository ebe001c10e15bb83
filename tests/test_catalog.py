"""Tests for the model catalog, slug resolution and country reference data."""

from __future__ import annotations

import datetime as dt
import re
from importlib.resources import files
from pathlib import Path

import pyarrow as pa
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from tokencensus.catalog import (
    COUNTRIES_SCHEMA,
    MODELS_SCHEMA,
    CatalogError,
    continent_of,
    is_thinking_variant,
    load_catalog,
    load_countries,
    normalize_country,
    split_variant,
)

CATALOG = load_catalog()
ROWS = {row["model_id"]: row for row in CATALOG.models.to_pylist()}
IDS = sorted(ROWS)
SHARED = Path(__file__).resolve().parents[2] / "shared"
CONTINENTS = {"North America", "South America", "Europe", "Asia", "Africa", "Oceania", "Antarctica"}


def _packaged_entries() -> list[dict]:
    text = files("tokencensus.catalog").joinpath("models.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)["models"]


ENTRIES = _packaged_entries()
ALIASES = sorted(
    (spelling, entry["id"])
    for entry in ENTRIES
    for spelling in [entry.get("canonical"), *entry.get("aliases", [])]
    if spelling
)


# --- the packaged catalog ---------------------------------------------------------------------


def test_every_entry_loads_with_the_declared_schema():
    assert CATALOG.models.schema == MODELS_SCHEMA
    assert CATALOG.models.num_rows == len(ENTRIES) == len(IDS)
    assert len(IDS) >= 80
    assert re.fullmatch(r"\d{4}\.\d{1,2}\.\d+", CATALOG.version)


def test_load_catalog_is_cached():
    assert load_catalog() is CATALOG


def test_open_and_closed_counts():
    open_weights = CATALOG.models.column("open_weights").to_pylist()
    assert open_weights.count(True) == 91
    assert open_weights.count(False) == 77
    assert open_weights.count(None) == 2  # openrouter/auto and the unrevealed stealth id


@pytest.mark.parametrize(
    ("model_id", "facts"),
    [
        (
            "deepseek/deepseek-chat",
            {"open_weights": True, "origin": "China", "country": "CN", "author": "DeepSeek",
             "total_params_b": 671.0, "active_params_b": 37.0, "reasoning": "no"},
        ),
        (
            "anthropic/claude-sonnet-4",
            {"open_weights": False, "origin": "RoW", "author": "Anthropic", "reasoning": "hybrid",
             "total_params_b": None, "released": dt.date(2025, 5, 1), "price_in": 3.0,
             "price_out": 15.0},
        ),
        (
            "openai/gpt-oss-120b",
            {"open_weights": True, "origin": "RoW", "total_params_b": 117.0, "active_params_b": 5.1,
             "reasoning": "yes"},
        ),
        ("tngtech/deepseek-r1t2-chimera", {"author": "TNG",
                                           "origin": "RoW", "base_origin": "China"}),
        ("qwen/qwen3-coder", {"author": "Qwen", "origin": "China", "total_params_b": 480.0}),
        ("moonshotai/kimi-k2-thinking", {"author": "Moonshot", "reasoning": "yes"}),
        ("z-ai/glm-4.6", {"author": "Z.AI", "price_source": "OR25"}),
        ("openrouter/horizon-beta", {"author": "OpenRouter", "revealed_as": "openai/gpt-5"}),
    ],
)
def test_specific_facts(model_id, facts):
    row = ROWS[model_id]
    assert {key: row[key] for key in facts} == facts


def test_calibration_authors_are_spelled_as_in_the_study():
    authors = set(CATALOG.models.column("author").to_pylist())
    study = {"DeepSeek", "Qwen", "Meta", "Mistral", "OpenAI", "MiniMax", "Z.AI", "TNG", "Moonshot",
             "Google", "Anthropic", "xAI"}
    assert study <= authors


def test_rows_are_internally_consistent():
    for row in ROWS.values():
        if row["country"] is not None:
            assert (row["country"] in {"CN", "TW", "HK"}) == (row["origin"] == "China"), row
        if row["active_params_b"] is not None:
            assert row["total_params_b"] is not None
            assert row["active_params_b"] <= row["total_params_b"]
        if row["open_weights"] is False:  # sizes of closed models are not disclosed
            assert row["active_params_b"] is None, row
        assert (row["price_in"] is None) == (row["price_source"] is None), row
        assert row["revealed_as"] is None or row["revealed_as"] in ROWS


@pytest.mark.skipif(not SHARED.is_dir(), reason="shared reference folder not present")
def test_every_slug_of_the_reference_table_resolves():
    text = (SHARED / "reference" / "catalog_and_schemas.md").read_text(encoding="utf-8")
    section = text.split("## B. Model catalog")[1]
    rows = [line for line in section.splitlines() if re.match(r"\| \d+ \|", line)]
    stealth = [line for line in section.splitlines() if line.startswith("| openrouter/")]
    assert len(rows) == 124
    slug = re.compile(r"(?<![\w-])[a-z][a-z0-9-]*/[a-z0-9.:-]*[a-z0-9](?![\w.:{-])")
    found = [s for line in rows for cell in line.split("|")[3:5] for s in slug.findall(cell)]
    found += [s for line in stealth for s in slug.findall(line.split("|")[1])]
    assert len(found) > 150
    assert [s for s in found if CATALOG.resolve(s) is None] == []


# --- resolution -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("slug", "model_id"),
    [
        # permaslugs as OpenRouter logs them
        ("anthropic/claude-4-sonnet-20250522", "anthropic/claude-sonnet-4"),
        ("meta-llama/llama-4-scout-17b-16e-instruct", "meta-llama/llama-4-scout"),
        ("qwen/qwen3-235b-a22b-07-25", "qwen/qwen3-235b-a22b-2507"),
        ("openai/gpt-4.1-2025-04-14", "openai/gpt-4.1"),
        ("x-ai/grok-4-07-09", "x-ai/grok-4"),
        # variants, case and whitespace
        ("deepseek/deepseek-r1:free", "deepseek/deepseek-r1"),
        ("  Anthropic/Claude-3.7-Sonnet:THINKING ", "anthropic/claude-3.7-sonnet"),
        ("z-ai/glm-4.6:exacto", "z-ai/glm-4.6"),
        # distinct models that look like a dated form of another
        ("deepseek/deepseek-chat-v3-0324", "deepseek/deepseek-chat-v3-0324"),
        ("deepseek/deepseek-chat-v3-0324:free", "deepseek/deepseek-chat-v3-0324"),
        ("deepseek/deepseek-r1-0528", "deepseek/deepseek-r1-0528"),
        ("deepseek/deepseek-chat-v3", "deepseek/deepseek-chat"),
        ("moonshotai/kimi-k2-0905", "moonshotai/kimi-k2-0905"),
        # gateway prefixes, but not for OpenRouter's own ids
        ("openrouter/anthropic/claude-3.5-sonnet", "anthropic/claude-3.5-sonnet"),
        ("openrouter/auto", "openrouter/auto"),
        ("openrouter/quasar-alpha", "openrouter/quasar-alpha"),
        ("azure/gpt-4o", "openai/gpt-4o"),
        # bare names and first-party ids as OpenAI, Anthropic and Google APIs log them
        ("gpt-4o-mini", "openai/gpt-4o-mini"),
        ("gpt-4o-2024-08-06", "openai/gpt-4o"),
        ("claude-3-5-sonnet-20241022", "anthropic/claude-3.5-sonnet"),
        ("claude-sonnet-4-5-20250929", "anthropic/claude-sonnet-4.5"),
        ("claude-3-7-sonnet", "anthropic/claude-3.7-sonnet"),
        ("gemini-2.0-flash", "google/gemini-2.0-flash-001"),
        ("deepseek-chat", "deepseek/deepseek-chat"),
        # -instruct / -it packaging and Hugging Face ids
        ("meta-llama/llama-3.3-70b", "meta-llama/llama-3.3-70b-instruct"),
        ("Qwen/Qwen3-Coder-480B-A35B-Instruct", "qwen/qwen3-coder"),
        ("gemma-3-27b", "google/gemma-3-27b-it"),
        # cloud resource names
        (
            "projects/p-1/locations/europe-central2/publishers/google/models/gemini-2.5-flash",
            "google/gemini-2.5-flash",
        ),
        (
            "bedrock/arn:aws:bedrock:us-west-2:123:inference-profile/"
            "us.anthropic.claude-3-7-sonnet-20250219-v1:0",
            "anthropic/claude-3.7-sonnet",
        ),
        ("amazon.nova-lite-v1:0", "amazon/nova-lite-v1"),
    ],
)
def test_resolve(slug, model_id):
    assert CATALOG.resolve(slug) == model_id


@pytest.mark.parametrize(
    "slug",
    [
        "foo/bar",
        "foo/gpt-4o",  # an unknown namespace is not a routing prefix: no guess
        "",
        "   ",
        ":free",
        "openrouter/",
        "mistralai/codestral",  # two Codestral snapshots: ambiguous, so unknown
        "mistral/mistral-small-latest",  # "-latest" moves over time
        "text-embedding-3-small",
        "auto",
    ],
)
def test_unknown_or_ambiguous_slugs_resolve_to_none(slug):
    assert CATALOG.resolve(slug) is None


def test_non_string_resolves_to_none():
    assert CATALOG.resolve(None) is None  # type: ignore[arg-type]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_arbitrary_text_never_crashes(text):
    assert CATALOG.resolve(text) in {None, *ROWS}


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(IDS),
    st.sampled_from(["", ":free", ":thinking", ":nitro:floor"]),
    st.sampled_from(["", "openrouter/"]),
    st.booleans(),
)
def test_any_id_resolves_to_itself(model_id, variant, prefix, upper):
    if model_id.startswith("openrouter/"):
        prefix = ""
    slug = f" {prefix}{model_id}{variant} "
    assert CATALOG.resolve(slug.upper() if upper else slug) == model_id


def test_every_id_and_alias_resolves_exactly():
    assert {model_id: CATALOG.resolve(model_id) for model_id in IDS} == {i: i for i in IDS}
    assert [(alias, CATALOG.resolve(alias)) for alias, _ in ALIASES] == ALIASES


def test_resolve_many_keeps_order_duplicates_and_nulls():
    slugs = ["gpt-4o-mini", None, "foo/bar", "gpt-4o-mini", "deepseek/deepseek-r1:free"]
    table = CATALOG.resolve_many(slugs)
    assert table.column_names == ["slug", "model_id"]
    assert table.column("slug").to_pylist() == slugs
    assert table.column("model_id").to_pylist() == [
        "openai/gpt-4o-mini", None, None, "openai/gpt-4o-mini", "deepseek/deepseek-r1",
    ]


def test_resolve_many_accepts_arrow_columns():
    column = pa.chunked_array([["openai/gpt-5"], ["x-ai/grok-4", "nope"]], pa.large_string())
    table = CATALOG.resolve_many(column)
    assert table.column("model_id").to_pylist() == ["openai/gpt-5", "x-ai/grok-4", None]
    assert CATALOG.resolve_many([]).num_rows == 0


def test_variants():
    assert split_variant("Anthropic/Claude-3.7-Sonnet:thinking") == (
        "anthropic/claude-3.7-sonnet", ("thinking",),
    )
    assert split_variant("qwen/qwen3-8b:free:nitro") == ("qwen/qwen3-8b", ("free", "nitro"))
    assert split_variant("openai/gpt-4o") == ("openai/gpt-4o", ())
    assert is_thinking_variant("google/gemini-2.5-flash-preview:thinking")
    assert not is_thinking_variant("anthropic/claude-3.7-sonnet")
    assert not is_thinking_variant("moonshotai/kimi-k2-thinking")  # a model, not a variant


# --- user catalogs ----------------------------------------------------------------------------

GOOD_ENTRY = """\
- id: acme/widget-1
  aliases: [acme/widget-1-2025-01-01]
  name: Widget 1
  author: Acme
  open_weights: true
  country: DE
  origin: RoW
  total_params_b: 7
  reasoning: "no"
  released: 2025-01-01
"""


def _write(tmp_path: Path, models: str, version: str = '"1"') -> Path:
    path = tmp_path / "catalog.yaml"
    path.write_text(f"version: {version}\nmodels:\n{models}", encoding="utf-8")
    return path


def test_a_user_catalog_loads_and_resolves(tmp_path):
    catalog = load_catalog(_write(tmp_path, GOOD_ENTRY))
    assert catalog.version == "1"
    assert catalog.models.to_pylist()[0]["total_params_b"] == 7.0
    assert catalog.resolve("widget-1-2025-01-01:free") == "acme/widget-1"
    assert catalog.resolve("openai/gpt-4o") is None


def _edit(old: str, new: str) -> str:
    assert old in GOOD_ENTRY
    return GOOD_ENTRY.replace(old, new)


@pytest.mark.parametrize(
    ("models", "message"),
    [
        (
            GOOD_ENTRY + "  licence: MIT\n",
            r"entry 1 \(acme/widget-1\): unknown field\(s\) \['licence'\]",
        ),
        (_edit("  author: Acme\n", ""), r"entry 1 \(acme/widget-1\): field 'author' is required"),
        (
            GOOD_ENTRY + _edit("id: acme/widget-1\n", "id: acme/widget-2\n"),
            r"entry 2 \(acme/widget-2\): slug 'acme/widget-1-2025-01-01' is already used "
            r"by entry 'acme/widget-1'",
        ),
        (GOOD_ENTRY + GOOD_ENTRY, r"entry 2 \(acme/widget-1\): slug 'acme/widget-1' is already"),
        (_edit("origin: RoW", "origin: China"), r"'origin': 'China' contradicts country 'DE'"),
        (_edit("country: DE", "country: XX"), r"field 'country': must be an ISO 3166-1"),
        (_edit('reasoning: "no"', "reasoning: maybe"), r"field 'reasoning': must be one of"),
        (_edit("open_weights: true", "open_weights: yes please"), r"field 'open_weights'"),
        (_edit("total_params_b: 7", "total_params_b: -1"), r"'total_params_b': must be a number"),
        (_edit("total_params_b: 7", "total_params_b: .nan"), r"'total_params_b': must be a number"),
        (_edit("released: 2025-01-01", "released: last spring"), r"'released': must be a date"),
        (_edit("id: acme/widget-1\n", "id: Acme/Widget-1\n"), r"'id': 'Acme/Widget-1' must be"),
        (GOOD_ENTRY + "  revealed_as: acme/nothing\n", r"'revealed_as': 'acme/nothing' is not"),
        ("- just a string\n", r"entry 1: must be a mapping"),
        ("  - [unclosed\n", r"not valid YAML"),
    ],
)
def test_a_bad_user_catalog_names_file_entry_and_field(tmp_path, models, message):
    path = _write(tmp_path, models)
    with pytest.raises(CatalogError, match=message) as error:
        load_catalog(path)
    assert str(path) in str(error.value)


_YAML_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12) | st.dates(),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.sampled_from([*yaml.safe_load(GOOD_ENTRY)[0], "x"]), _YAML_VALUES))
def test_arbitrary_entries_load_or_fail_with_catalog_error(tmp_path_factory, fields):
    """Whatever a user writes into an entry, the loader answers with a catalog or a CatalogError."""
    entry = {**yaml.safe_load(GOOD_ENTRY)[0], **fields}
    path = tmp_path_factory.mktemp("cat") / "catalog.yaml"
    path.write_text(yaml.safe_dump({"version": "1", "models": [entry]}), encoding="utf-8")
    try:
        catalog = load_catalog(path)
    except CatalogError as error:
        assert str(path) in str(error)
    else:
        assert catalog.resolve(entry["id"]) == entry["id"]


def test_bad_top_level_and_missing_file(tmp_path):
    with pytest.raises(CatalogError, match="'version' must be a non-empty string"):
        load_catalog(_write(tmp_path, GOOD_ENTRY, version="''"))
    path = tmp_path / "top.yaml"
    path.write_text("models: []\n", encoding="utf-8")
    with pytest.raises(CatalogError, match="exactly the keys 'version' and 'models'"):
        load_catalog(path)
    with pytest.raises(CatalogError, match="cannot read"):
        load_catalog(tmp_path / "missing.yaml")


# --- countries --------------------------------------------------------------------------------


def test_countries_table():
    table = load_countries()
    assert table.schema == COUNTRIES_SCHEMA
    codes = table.column("iso2").to_pylist()
    assert len(codes) == len(set(codes)) >= 249
    assert all(re.fullmatch(r"[A-Z]{2}", code) for code in codes)
    assert set(table.column("continent").to_pylist()) == CONTINENTS
    assert set(ROWS[m]["country"] for m in ROWS) - {None} <= set(codes)


@pytest.mark.parametrize(
    ("code", "continent"),
    [
        ("US", "North America"), ("SG", "Asia"), ("DE", "Europe"), ("BR", "South America"),
        ("AU", "Oceania"), ("NG", "Africa"), ("CN", "Asia"), ("KR", "Asia"), ("NL", "Europe"),
        ("GB", "Europe"), ("UK", "Europe"), ("uk", "Europe"), ("CA", "North America"),
        ("JP", "Asia"), ("IN", "Asia"), ("RU", "Europe"), ("TR", "Asia"), ("AE", "Asia"),
        ("PA", "North America"), ("JM", "North America"), ("AQ", "Antarctica"), (" fr ", "Europe"),
        ("NO", "Europe"), ("NA", "Africa"),
    ],
)
def test_continent_of(code, continent):
    assert continent_of(code) == continent


def test_unknown_countries():
    assert continent_of("ZZ") is None
    assert continent_of(None) is None
    assert normalize_country("UK") == "GB"
    assert normalize_country("Germany") is None


@given(st.text(max_size=8))
def test_continent_of_arbitrary_text(text):
    assert continent_of(text) in CONTINENTS | {None}
