"""The model catalog: load, validate and index models.yaml; resolve logged slugs to model ids.

Why: everything the study says about a model that a log does not (author, open weights, origin,
size, reasoning, list price) hangs off one `model_id`. Resolution is exact first, then through
normalised spellings (see `slugs.candidates`), and a spelling shared by two models is dropped from
the index rather than guessed; an unknown slug resolves to None so the report can list it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import yaml

from tokencensus.catalog.slugs import candidates, loosen, strip_date, tail
from tokencensus.catalog.validate import CatalogError, parse_catalog, spellings

MODELS_SCHEMA = pa.schema(
    [
        pa.field("model_id", pa.string(), nullable=False),
        pa.field("name", pa.string(), nullable=False),
        pa.field("author", pa.string(), nullable=False),
        pa.field("open_weights", pa.bool_()),
        pa.field("country", pa.string()),
        pa.field("origin", pa.string(), nullable=False),
        pa.field("total_params_b", pa.float64()),
        pa.field("active_params_b", pa.float64()),
        pa.field("reasoning", pa.string()),
        pa.field("released", pa.date32()),
        pa.field("price_in", pa.float64()),
        pa.field("price_out", pa.float64()),
        pa.field("base_origin", pa.string()),
        pa.field("price_source", pa.string()),
        pa.field("revealed_as", pa.string()),
    ]
)

# Namespaces whose ids mean something only with the prefix (openrouter/auto, stealth ids).
_PREFIX_ONLY = ("openrouter/",)
_RESOLVE_CACHE_SIZE = 1 << 20


def _keys(spelling: str, undated: bool) -> set[str]:
    """Index keys derived from one spelling: itself and its bare name, loosened (and undated)."""
    forms = [spelling] if spelling.startswith(_PREFIX_ONLY) else [spelling, tail(spelling)]
    if undated:
        forms = [strip_date(f) for f in forms]
    return {loosen(f) for f in forms}


def _fuzzy_index(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """Derived keys (bare name, no -instruct/-it, then no date) -> model_id, ambiguous ones dropped.

    A key derived without dropping a date outranks the same key derived by dropping one, so
    `deepseek-chat-v3` names DeepSeek V3 although `deepseek-chat-v3-0324` minus its date collides.
    """
    index: dict[str, str | None] = {}
    for undated in (False, True):
        owners: dict[str, set[str]] = defaultdict(set)
        for spelling, model_id in pairs:
            for key in _keys(spelling, undated):
                owners[key].add(model_id)
        for key, ids in owners.items():
            index.setdefault(key, next(iter(ids)) if len(ids) == 1 else None)
    return {key: model_id for key, model_id in index.items() if model_id is not None}


def _resolver(entries: list[dict[str, Any]]) -> Callable[[str], str | None]:
    pairs = [(spelling, e["id"]) for e in entries for spelling in spellings(e)]
    exact = dict(pairs)
    fuzzy = _fuzzy_index(pairs)

    @lru_cache(maxsize=_RESOLVE_CACHE_SIZE)
    def resolve(slug: str) -> str | None:
        for key in candidates(slug):
            hit = exact.get(key) or fuzzy.get(loosen(key))
            if hit is not None:
                return hit
        return None

    return resolve


@dataclass(frozen=True, eq=False)
class Catalog:
    """A loaded catalog: its version, one row per model, and slug resolution."""

    version: str
    models: pa.Table
    _resolve: Callable[[str], str | None] = field(repr=False)

    def resolve(self, slug: str) -> str | None:
        """The model_id for any spelling of a model, or None when unknown (never a guess)."""
        if not isinstance(slug, str):
            return None
        return self._resolve(slug)

    def resolve_many(self, slugs: Iterable[str | None] | pa.Array | pa.ChunkedArray) -> pa.Table:
        """Resolve many slugs at once: a table (slug, model_id), one row per input, in order.

        Each distinct slug is resolved once, so a column of millions of rows costs as much as
        its distinct values.
        """
        if isinstance(slugs, pa.ChunkedArray):
            slugs = slugs.combine_chunks()
        column = slugs if isinstance(slugs, pa.Array) else pa.array(list(slugs), pa.string())
        column = column.cast(pa.string())
        distinct = pc.unique(column)
        ids = pa.array([self.resolve(s) for s in distinct.to_pylist()], pa.string())
        model_id = ids.take(pc.index_in(column, value_set=distinct))
        return pa.table({"slug": column, "model_id": model_id})


def _read(path: Path, source: str) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CatalogError(f"{source}: cannot read: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise CatalogError(f"{source}: not valid YAML: {exc}") from None


def _build(doc: Any, source: str) -> Catalog:
    version, entries = parse_catalog(doc, source)
    rows = [{"model_id": e["id"], **e} for e in entries]
    models = pa.Table.from_pylist(rows, schema=MODELS_SCHEMA)
    return Catalog(version=version, models=models, _resolve=_resolver(entries))


@cache
def _packaged() -> Catalog:
    resource = files("tokencensus.catalog").joinpath("models.yaml")
    doc = yaml.load(resource.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    return _build(doc, "models.yaml (packaged)")


def load_catalog(path: str | Path | None = None) -> Catalog:
    """Load the packaged catalog (cached) or a user's catalog file (validated, clear errors)."""
    if path is None:
        return _packaged()
    path = Path(path)
    return _build(_read(path, str(path)), str(path))
