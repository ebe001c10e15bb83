"""Model catalog and country reference data.

Why: a gateway log names a model and a billing country and nothing more. The study's splits (author,
open vs closed weights, China vs rest of world, size, reasoning, list price, continent) come from
these packaged, versioned data files, read through this API.
"""

from tokencensus.catalog.countries import (
    COUNTRIES_SCHEMA,
    continent_of,
    load_countries,
    normalize_country,
)
from tokencensus.catalog.models import MODELS_SCHEMA, Catalog, load_catalog
from tokencensus.catalog.slugs import is_thinking_variant, split_variant
from tokencensus.catalog.validate import CatalogError

__all__ = [
    "COUNTRIES_SCHEMA",
    "MODELS_SCHEMA",
    "Catalog",
    "CatalogError",
    "continent_of",
    "is_thinking_variant",
    "load_catalog",
    "load_countries",
    "normalize_country",
    "split_variant",
]
