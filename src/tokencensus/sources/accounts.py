"""The account dimension: which billing country each user belongs to.

Gateway logs rarely carry the billing country, but the billing system knows it. A two-column CSV
(``user,country`` or ``user_id,country``) fills it in; the study uses it where a request row has
no country of its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from importlib.resources import files
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import yaml

from tokencensus.sources._convert import parse_string, require
from tokencensus.sources._csv import csv_header, read_csv_text, sniff_csv
from tokencensus.sources._io import read_head
from tokencensus.sources.base import AdapterBatch, Target, assemble

#: One row per user: the user's billing country (ISO 3166-1 alpha-2).
ACCOUNTS = pa.schema([pa.field("user_id", pa.string(), nullable=False), pa.field("country", pa.string())])


@cache
def country_codes() -> tuple[pa.Array, pa.Array, pa.Array]:
    """(valid ISO codes, alias spellings, what each alias means) from the package's country list."""
    data = yaml.safe_load(files("tokencensus.catalog").joinpath("countries.yaml").read_text(encoding="utf-8"))
    aliases = data.get("aliases") or {}
    return pa.array(sorted(data["countries"])), pa.array(list(aliases)), pa.array(list(aliases.values()))


def parse_country(values: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Upper-cased ISO 3166-1 alpha-2 codes (``UK`` becomes ``GB``) and reasons for the rest."""
    codes, alias_keys, alias_values = country_codes()
    text = pc.utf8_upper(pc.utf8_trim_whitespace(parse_string(values)))
    aliased = pc.take(alias_values, pc.index_in(text, value_set=alias_keys))
    country = pc.coalesce(aliased, text)
    known = pc.is_in(country, value_set=codes)
    bad = pc.and_(pc.is_valid(country), pc.invert(known))
    reasons = pc.coalesce(
        pc.if_else(bad, pa.scalar("not an ISO 3166-1 alpha-2 country code"), pa.scalar(None, pa.string())),
        require(country),
    )
    return pc.if_else(known, country, pa.scalar(None, pa.string())), reasons


class Accounts:
    """``user,country`` CSV files; a later file overrides an earlier one for the same user."""

    name = "accounts"
    target: Target = "accounts"
    description = "accounts CSV (user or user_id, country)"

    def sniff(self, head: bytes, path: Path) -> str | None:
        header = csv_header(head)
        user = "user_id" if "user_id" in header else "user"
        return sniff_csv(head, path, (user, "country"))

    def read(self, path: Path) -> Iterator[AdapterBatch]:
        header = csv_header(read_head(path))
        user = "user_id" if "user_id" in header else "user"
        source = path.name
        for chunk in read_csv_text(path, header):
            user_id = parse_string(chunk.columns[user])
            country, country_reasons = parse_country(chunk.columns["country"])
            yield assemble(
                {"user_id": user_id, "country": country},
                ACCOUNTS,
                [(user, require(user_id)), ("country", country_reasons)],
                source=source,
                lines=chunk.lines,
                records=chunk.records,
                extra_rejects=chunk.malformed(source),
                bytes_done=chunk.bytes_done,
            )
