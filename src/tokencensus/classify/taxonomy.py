"""The task taxonomy as data: leaf labels, their sub-categories, and roll-ups to category views.

A classifier assigns leaf labels; the report charts categories. Keeping the map between the two
in one YAML file (``taxonomy.yaml`` beside this module) means the report's 12 categories and the
methodology's 9 buckets come from the same labels, and a user can bring their own taxonomy
without touching code. A user file is validated on load, with errors that name the file and the
offending entry, because a silent gap in a roll-up would quietly drop a share from every chart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import pyarrow as pa
import yaml

#: The views every taxonomy must define: the report's charts read both.
REQUIRED_VIEWS = ("report12", "methodology9")
DEFAULT_VIEW = "report12"

_ID = re.compile(r"^[a-z][a-z0-9_]*$")


class TaxonomyError(ValueError):
    """A taxonomy file that cannot be used, with the reason and where it is."""


@dataclass(frozen=True)
class Rollup:
    """One view: its categories (id -> title) and where each leaf label goes.

    ``targets`` maps a label to ``(category, subcategory)``; the sub-category is set where a
    label becomes a sub-category of a broader category (creative writing -> roleplay/writers
    resources) and ``None`` where the label keeps its own sub-categories.
    """

    name: str
    title: str
    categories: dict[str, str]
    targets: dict[str, tuple[str, str | None]]


@dataclass(frozen=True)
class Taxonomy:
    """Leaf labels, their titles and sub-categories, and the roll-up views."""

    version: int
    titles: dict[str, str]
    subcategories: dict[str, dict[str, str]]
    rollups: dict[str, Rollup]

    @property
    def labels(self) -> tuple[str, ...]:
        """Leaf labels in file order."""
        return tuple(self.titles)

    def view(self, view: str = DEFAULT_VIEW) -> Rollup:
        """The named roll-up, or a ``KeyError`` listing the views there are."""
        try:
            return self.rollups[view]
        except KeyError:
            raise KeyError(f"no roll-up view {view!r}; views: {', '.join(self.rollups)}") from None

    def categories(self, view: str = DEFAULT_VIEW) -> tuple[str, ...]:
        """The view's categories in display order, including those no label maps to."""
        return tuple(self.view(view).categories)

    def rollup(self, label: str, view: str = DEFAULT_VIEW) -> str:
        """The category of ``label`` in ``view``."""
        targets = self.view(view).targets
        if label not in targets:
            raise KeyError(f"unknown label {label!r}; labels: {', '.join(self.labels)}")
        return targets[label][0]

    def rollup_table(self, view: str = DEFAULT_VIEW) -> pa.Table:
        """``label -> category`` (plus the sub-category the label becomes, or null) for joins.

        Join it to a labels table on ``label``; the resulting sub-category is
        ``coalesce(rollup.subcategory, labels.subcategory)``.
        """
        targets = self.view(view).targets
        return pa.table(
            {
                "label": pa.array(list(targets), pa.string()),
                "category": pa.array([c for c, _ in targets.values()], pa.string()),
                "subcategory": pa.array([s for _, s in targets.values()], pa.string()),
            }
        )


class _UniqueKeyLoader(yaml.SafeLoader):
    """A YAML loader that rejects a key given twice, which PyYAML would silently overwrite."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise TaxonomyError(f"duplicate key {key!r} {key_node.start_mark}".strip())
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _mapping(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict) or not value:
        raise TaxonomyError(f"{where} must be a non-empty mapping")
    for key in value:
        if not isinstance(key, str) or not _ID.match(key):
            raise TaxonomyError(f"{where}: {key!r} is not an id (lower-case letters, digits, _)")
    return value


def _titles(value: Any, where: str) -> dict[str, str]:
    """An ``id: title`` mapping; titles are shown in the report."""
    return {key: str(title) for key, title in _mapping(value, where).items()}


def _parse_labels(raw: Any) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    titles: dict[str, str] = {}
    subcategories: dict[str, dict[str, str]] = {}
    for label, spec in _mapping(raw, "labels").items():
        spec = spec or {}
        if not isinstance(spec, dict):
            raise TaxonomyError(f"labels.{label} must be a mapping (title, description, subcategories)")
        titles[label] = str(spec.get("title", label))
        subs = spec.get("subcategories")
        subcategories[label] = _titles(subs, f"labels.{label}.subcategories") if subs else {}
    return titles, subcategories


def _parse_target(
    label: str, target: Any, view: str, categories: dict[str, str], subcategories: dict[str, dict[str, str]]
) -> tuple[str, str | None]:
    """``category`` or ``category/subcategory``, checked against the view and the leaf labels."""
    where = f"rollups.{view}.map.{label}"
    if not isinstance(target, str):
        raise TaxonomyError(f"{where} must be a category id, or category/subcategory")
    category, _, sub = target.partition("/")
    if category not in categories:
        raise TaxonomyError(f"{where}: category {category!r} is not among the view's categories")
    if not sub:
        return category, None
    known = subcategories.get(category)
    if not _ID.match(sub) or (known and sub not in known):
        raise TaxonomyError(f"{where}: {sub!r} is not a sub-category of {category!r}")
    return category, sub


def _parse_rollup(
    view: str, raw: Any, labels: dict[str, str], subcategories: dict[str, dict[str, str]]
) -> Rollup:
    if not isinstance(raw, dict):
        raise TaxonomyError(f"rollups.{view} must be a mapping with categories and map")
    categories = _titles(raw.get("categories"), f"rollups.{view}.categories")
    mapping = _mapping(raw.get("map"), f"rollups.{view}.map")
    unknown = [label for label in mapping if label not in labels]
    if unknown:
        raise TaxonomyError(f"rollups.{view}.map: unknown label(s) {', '.join(unknown)}")
    missing = [label for label in labels if label not in mapping]
    if missing:
        raise TaxonomyError(f"rollups.{view}.map: leaf label(s) missing: {', '.join(missing)}")
    targets = {
        label: _parse_target(label, mapping[label], view, categories, subcategories) for label in labels
    }
    return Rollup(view, str(raw.get("title", view)), categories, targets)


def parse_taxonomy(raw: Any) -> Taxonomy:
    """Build and validate a taxonomy from its parsed YAML document."""
    if not isinstance(raw, dict):
        raise TaxonomyError("a taxonomy must be a mapping with `labels` and `rollups`")
    titles, subcategories = _parse_labels(raw.get("labels"))
    rollups_raw = _mapping(raw.get("rollups"), "rollups")
    missing = [view for view in REQUIRED_VIEWS if view not in rollups_raw]
    if missing:
        raise TaxonomyError(f"rollups: required view(s) missing: {', '.join(missing)}")
    rollups = {
        view: _parse_rollup(view, spec, titles, subcategories) for view, spec in rollups_raw.items()
    }
    return Taxonomy(int(raw.get("version", 1)), titles, subcategories, rollups)


@lru_cache(maxsize=1)
def _default_taxonomy() -> Taxonomy:
    text = resources.files(__package__).joinpath("taxonomy.yaml").read_text(encoding="utf-8")
    return parse_taxonomy(yaml.load(text, Loader=_UniqueKeyLoader))


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    """The packaged taxonomy, or a user's YAML file validated with errors that name the file."""
    if path is None:
        return _default_taxonomy()
    path = Path(path)
    try:
        return parse_taxonomy(yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader))
    except (TaxonomyError, yaml.YAMLError) as error:
        raise TaxonomyError(f"{path}: {error}") from error
