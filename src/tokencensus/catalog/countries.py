"""Country reference data: ISO 3166-1 alpha-2 code -> English name and continent.

Why: logs carry the billing country as an ISO code; the geography figures (F29, T2, T3) need names
and a continent roll-up. The data is a file in the package so the mapping is reviewable and the
study needs no network.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

import pyarrow as pa
import yaml

COUNTRIES_SCHEMA = pa.schema(
    [
        pa.field("iso2", pa.string(), nullable=False),
        pa.field("name", pa.string(), nullable=False),
        pa.field("continent", pa.string(), nullable=False),
    ]
)


@cache
def _data() -> tuple[dict[str, tuple[str, str]], dict[str, str]]:
    text = files("tokencensus.catalog").joinpath("countries.yaml").read_text(encoding="utf-8")
    doc = yaml.safe_load(text)
    countries = {code: (name, continent) for code, (name, continent) in doc["countries"].items()}
    return countries, dict(doc["aliases"])


def load_countries() -> pa.Table:
    """All countries as a table (iso2, name, continent), sorted by code."""
    countries, _ = _data()
    codes = sorted(countries)
    return pa.table(
        [codes, [countries[c][0] for c in codes], [countries[c][1] for c in codes]],
        schema=COUNTRIES_SCHEMA,
    )


@cache
def country_codes() -> frozenset[str]:
    """The ISO codes the reference knows (aliases such as UK excluded)."""
    return frozenset(_data()[0])


def normalize_country(code: str | None) -> str | None:
    """The ISO code for `code` (case-insensitive; 'UK' -> 'GB'), or None when unknown."""
    if not isinstance(code, str):
        return None
    countries, aliases = _data()
    key = code.strip().upper()
    key = aliases.get(key, key)
    return key if key in countries else None


def continent_of(iso2: str | None) -> str | None:
    """Continent of a country code (accepts 'UK'), or None when the code is unknown."""
    code = normalize_country(iso2)
    return None if code is None else _data()[0][code][1]
