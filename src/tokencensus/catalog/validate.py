"""Validation of a catalog document (the packaged models.yaml or a user's own file).

Why: users extend the catalog with their own models, and a typo there would silently move traffic
between open and closed or China and rest-of-world. The first problem stops the load and is
reported with the file, the entry and the field.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping
from typing import Any

from tokencensus.catalog.countries import country_codes
from tokencensus.catalog.slugs import clean

CHINA_COUNTRIES = frozenset({"CN", "TW", "HK"})
ORIGINS = frozenset({"China", "RoW"})
REASONING = frozenset({"yes", "hybrid", "no"})
PRICE_SOURCES = frozenset({"F", "OR25", "OR26", "LL"})


class CatalogError(ValueError):
    """A catalog file that cannot be used, with where and why."""


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be a non-empty string")
    return value.strip()


def _slug(value: Any) -> str:
    text = _text(value)
    if text != clean(text) or any(c.isspace() for c in text):
        raise ValueError(f"{text!r} must be lower case without spaces")
    return text


def _slugs(value: Any) -> list[str]:
    if not isinstance(value, list):
        raise ValueError("must be a list of slugs")
    return [_slug(v) for v in value]


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError("must be a number >= 0")
    if not math.isfinite(value) or value < 0:
        raise ValueError("must be a number >= 0")
    return float(value)


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(_text(value))
    except ValueError:
        raise ValueError("must be a date YYYY-MM-DD") from None


def _one_of(allowed: frozenset[str]) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if not isinstance(value, str) or value not in allowed:
            raise ValueError(f"must be one of {sorted(allowed)}")
        return value

    return check


def _country(value: Any) -> str:
    text = _text(value)
    if text not in country_codes():
        raise ValueError("must be an ISO 3166-1 alpha-2 code like 'US'")
    return text


#: field -> (required, parser). Parsers raise ValueError. A null value means "not disclosed" or
#: "not known" and is accepted for every field but those in _NOT_NULL.
FIELDS: dict[str, tuple[bool, Callable[[Any], Any]]] = {
    "id": (True, _slug),
    "canonical": (False, _slug),
    "aliases": (False, _slugs),
    "name": (True, _text),
    "author": (True, _text),
    "open_weights": (True, _flag),
    "country": (False, _country),
    "origin": (True, _one_of(ORIGINS)),
    "base_origin": (False, _one_of(ORIGINS)),
    "total_params_b": (False, _number),
    "active_params_b": (False, _number),
    "reasoning": (True, _one_of(REASONING)),
    "released": (False, _date),
    "price_in": (False, _number),
    "price_out": (False, _number),
    "price_source": (False, _one_of(PRICE_SOURCES)),
    "revealed_as": (False, _slug),
}
_NOT_NULL = frozenset({"id", "name", "author", "origin"})


def _entry(raw: Any, where: str) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        raise CatalogError(f"{where}: must be a mapping of fields")
    unknown = sorted(map(str, set(raw) - set(FIELDS)))
    if unknown:
        raise CatalogError(f"{where}: unknown field(s) {unknown}; allowed: {sorted(FIELDS)}")
    entry: dict[str, Any] = {}
    for field, (required, parse) in FIELDS.items():
        if field not in raw:
            if required:
                raise CatalogError(f"{where}: field '{field}' is required")
            entry[field] = [] if field == "aliases" else None
            continue
        value = raw[field]
        if value is None and field not in _NOT_NULL:
            entry[field] = [] if field == "aliases" else None
            continue
        try:
            entry[field] = parse(value)
        except ValueError as exc:
            raise CatalogError(f"{where}: field '{field}': {exc} (got {value!r})") from None
    _check_consistency(entry, where)
    return entry


def _check_consistency(entry: Mapping[str, Any], where: str) -> None:
    country, origin = entry["country"], entry["origin"]
    if country is not None and (country in CHINA_COUNTRIES) != (origin == "China"):
        raise CatalogError(
            f"{where}: field 'origin': {origin!r} contradicts country {country!r} "
            "(China = labs in CN, TW or HK)"
        )
    total, active = entry["total_params_b"], entry["active_params_b"]
    if total is not None and active is not None and active > total:
        raise CatalogError(f"{where}: field 'active_params_b': {active} exceeds total {total}")


def spellings(entry: Mapping[str, Any]) -> list[str]:
    """Every slug an entry claims: id, canonical, aliases; in that order, without repeats."""
    listed = [entry["id"], entry.get("canonical"), *(entry.get("aliases") or [])]
    return [s for s in dict.fromkeys(listed) if s is not None]


def parse_catalog(doc: Any, source: str) -> tuple[str, list[dict[str, Any]]]:
    """Check a loaded YAML document; return (version, entries with every field present)."""
    if not isinstance(doc, Mapping) or set(doc) != {"version", "models"}:
        raise CatalogError(f"{source}: top level must have exactly the keys 'version' and 'models'")
    version = doc["version"]
    if not isinstance(version, str) or not version.strip():
        raise CatalogError(f"{source}: 'version' must be a non-empty string, e.g. \"2025.12.1\"")
    if not isinstance(doc["models"], list) or not doc["models"]:
        raise CatalogError(f"{source}: 'models' must be a non-empty list")

    entries: list[dict[str, Any]] = []
    owner: dict[str, str] = {}  # every spelling -> id of the entry that claims it
    for number, raw in enumerate(doc["models"], start=1):
        label = raw.get("id") if isinstance(raw, Mapping) else None
        where = f"{source}: entry {number}" + (f" ({label})" if label else "")
        entry = _entry(raw, where)
        for spelling in spellings(entry):
            if spelling in owner:
                raise CatalogError(
                    f"{where}: slug {spelling!r} is already used by entry {owner[spelling]!r}"
                )
            owner[spelling] = entry["id"]
        entries.append(entry)

    ids = {e["id"] for e in entries}
    for number, entry in enumerate(entries, start=1):
        if entry["revealed_as"] is not None and entry["revealed_as"] not in ids:
            raise CatalogError(
                f"{source}: entry {number} ({entry['id']}): field 'revealed_as': "
                f"{entry['revealed_as']!r} is not an id in this catalog"
            )
    return version.strip(), entries
