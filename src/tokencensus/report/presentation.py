"""Pick and word the numbers a reader sees first: the key-number cards and the published comparison.

summary.json holds every headline number of every figure, which is right for programs and far
too much for the top of a page. Which numbers lead, how each is worded and which published
number it sits beside are data (``headlines.yaml``, ``published.yaml`` beside this module), read
through :mod:`tokencensus.report.paths`; this module only formats them. The text it returns is
plain: the page template escapes it, so a model or country name from the logs stays text.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

from tokencensus.report.paths import Estimate, estimate, lookup

_PLACEHOLDER = re.compile(r"\{([^{}:]+)(?::([^{}]+))?\}")


@dataclass(frozen=True)
class KeyNumber:
    """One summary card: what it is, the number, its interval, and one line of reading."""

    figure_id: str
    label: str
    value: str
    interval: str | None
    reading: str | None


@dataclass(frozen=True)
class Comparison:
    """One row of the comparison: a metric, the report's published words, and this data's number."""

    label: str
    published: str
    ours: str
    interval: str | None
    figure_id: str


@dataclass(frozen=True)
class ComparisonGroup:
    title: str
    rows: list[Comparison]


@dataclass(frozen=True)
class PublishedView:
    """The comparison section: rows this study can fill, and how many published numbers it cannot."""

    source: str
    groups: list[ComparisonGroup]
    not_computed: int


@functools.cache
def _data(name: str) -> Any:
    return yaml.safe_load(resources.files("tokencensus.report").joinpath(name).read_text(encoding="utf-8"))


def number_text(value: Any, spec: str) -> str:
    """``value`` in the Python format ``spec``; text as it is; a spec that does not fit falls back."""
    if isinstance(value, str):
        return value
    try:
        return format(value, spec)
    except (TypeError, ValueError):
        return str(value)


def interval_text(found: Estimate, spec: str) -> str | None:
    """``95% CI 28.1% to 32.0%`` for an estimate with an interval, else None."""
    if found.low is None or found.high is None:
        return None
    return f"95% CI {number_text(found.low, spec)} to {number_text(found.high, spec)}"


def fill(template: str, summary: Mapping[str, Any], spec: str) -> str | None:
    """``template`` with each ``{path}`` or ``{path:format}`` filled from ``summary`` (None if any is missing)."""
    missing = False

    def one(match: re.Match[str]) -> str:
        nonlocal missing
        value = lookup(summary, match[1])
        if value is None or isinstance(value, (Mapping, list)):
            missing = True
            return ""
        return number_text(value, match[2] or spec)

    text = _PLACEHOLDER.sub(one, template)
    return None if missing else text


#: What the page shows in place of a number that minimum aggregation withheld.
SUPPRESSED = "suppressed"


def withheld(figure: Mapping[str, Any], path: str) -> bool:
    """Whether the headline number at ``path`` is missing because its cell was suppressed
    (the figure's summary lists the paths it withheld under ``"suppressed"``)."""
    return any(path == hidden or path.startswith(f"{hidden}.") for hidden in figure.get("suppressed") or ())


def key_numbers(summary: Mapping[str, Mapping[str, Any]], picks: Sequence[Mapping[str, Any]] | None = None) -> list[KeyNumber]:
    """The summary cards for the figures' headline numbers, in the order of ``headlines.yaml``."""
    cards = []
    for pick in _data("headlines.yaml") if picks is None else picks:
        figure = summary.get(pick["figure"]) or {}
        found = estimate(figure, pick["value"], pick.get("interval"))
        if found is None:
            if withheld(figure, pick["value"]):
                cards.append(KeyNumber(pick["figure"], pick["label"], SUPPRESSED, None, None))
            continue
        spec = pick.get("format", ",.4g")
        reading = fill(pick["reading"], figure, spec) if pick.get("reading") else None
        cards.append(
            KeyNumber(pick["figure"], pick["label"], number_text(found.value, spec), interval_text(found, spec), reading)
        )
    return cards


def published_view(summary: Mapping[str, Mapping[str, Any]]) -> PublishedView:
    """This study's numbers beside the published ones, for every metric both have."""
    data = _data("published.yaml")
    groups, not_computed = [], 0
    for group in data["groups"]:
        rows = []
        for metric in group["metrics"]:
            figure_id, _, path = (metric.get("ours") or "").partition(".")
            interval = (metric.get("interval") or "").partition(".")[2] or None
            found = estimate(summary.get(figure_id) or {}, path, interval) if path else None
            if found is None:
                if path and withheld(summary.get(figure_id) or {}, path):
                    rows.append(Comparison(metric["label"], str(metric["published"]), SUPPRESSED, None, figure_id))
                else:
                    not_computed += 1
                continue
            spec = metric.get("format", ",.4g")
            ours = number_text(found.value, spec)
            rows.append(Comparison(metric["label"], str(metric["published"]), ours, interval_text(found, spec), figure_id))
        if rows:
            groups.append(ComparisonGroup(group["title"], rows))
    return PublishedView(" ".join(str(data["source"]).split()), groups, not_computed)
