"""The day-by-day traffic plan: how many requests go to each (model, category) cell on each day.

Why a plan before any row exists: the study's targets are token shares, but a log is made of
requests. The plan holds every share as a (day, model, category) array, converts token shares to
request shares through the expected tokens per request, and rescales the open-weight authors until
their whole-window token totals match the report. Rows are then drawn from it month by month, so
memory stays bounded however many requests are asked for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pyarrow as pa

from tokencensus.simulate import calibration as cal

GROUPS = ("closed", "open_china", "open_row")
PROFILES = tuple(cal.CATEGORY_MIX)
REASONING_CODES = {"no": 0, "hybrid": 1, "yes": 2}


def _day_number(iso: str | date) -> int:
    return (date.fromisoformat(iso) if isinstance(iso, str) else iso).toordinal()


@dataclass(frozen=True)
class Models:
    """The model table as parallel numpy arrays (index = model number)."""

    ids: np.ndarray  # object: request slug
    slugs: np.ndarray  # object: permaslug written to the log
    author: np.ndarray  # object
    open_weights: np.ndarray  # bool
    reasoning: np.ndarray  # int8: 0 no, 1 hybrid, 2 yes
    released: np.ndarray  # int64 ordinal day
    price_in: np.ndarray
    price_out: np.ndarray
    group: np.ndarray  # int8 index into GROUPS
    weight: np.ndarray  # popularity inside the author's line-up
    half_life: np.ndarray  # days
    profile: np.ndarray  # int8 index into PROFILES

    @classmethod
    def from_catalog(cls, specs: tuple[cal.ModelSpec, ...], catalog: pa.Table) -> Models:
        """The world's models with their author, openness, origin, reasoning flag and prices from
        the catalog's model table."""
        rows = {r["model_id"]: r for r in catalog.select(
            ["model_id", "author", "open_weights", "origin", "reasoning", "price_in", "price_out"]).to_pylist()}
        missing = [s.model_id for s in specs if s.model_id not in rows]
        if missing:
            raise ValueError(f"models not in the catalog: {missing}")
        attr = {k: np.array([rows[s.model_id][k] for s in specs]) for k in next(iter(rows.values()))}
        ids = np.array([s.model_id for s in specs], dtype=object)
        open_w, china = attr["open_weights"].astype(bool), attr["origin"] == "China"
        author = attr["author"].astype(object)
        coder = np.array([any(k in s.model_id for k in cal.CODER_MARKERS) for s in specs])
        profile = np.where(
            coder, "coder",
            np.where(author == "Anthropic", "anthropic",
                     np.where(~open_w, "closed", np.where(china, "open_china", "open_row"))),
        )
        return cls(
            ids=ids,
            slugs=np.array([s.canonical or s.model_id for s in specs], dtype=object),
            author=author,
            open_weights=open_w,
            weight=np.array([s.weight for s in specs], dtype=float),
            half_life=np.array([s.half_life for s in specs], dtype=float),
            reasoning=np.array([REASONING_CODES.get(r, 0) for r in attr["reasoning"]], dtype=np.int8),
            released=np.array([_day_number(s.released) for s in specs], dtype=np.int64),
            price_in=attr["price_in"].astype(float),
            price_out=attr["price_out"].astype(float),
            group=np.where(open_w, np.where(china, 1, 2), 0).astype(np.int8),
            profile=np.array([PROFILES.index(p) for p in profile], dtype=np.int8),
        )

    def __len__(self) -> int:
        return len(self.ids)


def knot_curve(values: tuple[float, ...], days: np.ndarray) -> np.ndarray:
    """A curve given at ``calibration.KNOTS``, evaluated on ordinal days (flat outside the knots)."""
    return np.interp(days, [_day_number(k) for k in cal.KNOTS], values)


def window_fraction(days: np.ndarray) -> np.ndarray:
    """0 at the first knot, 1 at the last: where a day sits between "early" and "late"."""
    first, last = _day_number(cal.KNOTS[0]), _day_number(cal.KNOTS[-1])
    return np.clip((days - first) / (last - first), 0.0, 1.0)


def prompt_means(frac: np.ndarray) -> np.ndarray:
    """Mean prompt tokens per request, shape (days, categories)."""
    spec = [cal.PROMPT_MEAN.get(c, cal.PROMPT_MEAN["default"]) for c in cal.CATEGORIES]
    early, late = np.array(spec).T
    return early + np.outer(frac, late - early)


def completion_means(frac: np.ndarray) -> np.ndarray:
    """Mean completion tokens of a non-reasoning request, shape (days,)."""
    early, late = cal.COMPLETION_MEAN
    return early + frac * (late - early)


def reasoning_on(models: Models, frac: np.ndarray) -> np.ndarray:
    """Probability that a request reasons, shape (days, models)."""
    lo, hi = cal.HYBRID_REASONING_ON
    hybrid = lo + frac * (hi - lo)
    return np.where(models.reasoning == 2, 1.0, np.where(models.reasoning == 1, hybrid[:, None], 0.0))


def _lifecycle(models: Models, days: np.ndarray) -> np.ndarray:
    """Pull of each model inside its author's line-up: zero before release, ramps in, then fades."""
    age = days[:, None] - models.released[None, :]
    ramp = np.clip((age + 1) / 14.0, 0.0, 1.0)
    return np.where(age >= 0, models.weight * ramp * 0.5 ** (np.maximum(age, 0) / models.half_life), 0.0)


@dataclass(frozen=True)
class Plan:
    """Everything the row generator needs, per day."""

    days: np.ndarray  # ordinal day numbers
    frac: np.ndarray  # window fraction of each day
    requests: np.ndarray  # int64 requests per day (sums to the total asked for)
    cell_p: np.ndarray  # (days, models * categories) request probabilities
    prompt_mean: np.ndarray  # (days, categories)
    completion_mean: np.ndarray  # (days,)
    reasoning_p: np.ndarray  # (days, models)
    country_p: np.ndarray  # (months, countries) planned request share of each billing country


def _token_shares(models: Models, days: np.ndarray, life: np.ndarray, open_scale: np.ndarray) -> np.ndarray:
    """Planned token share of each model per day (rows sum to 1), given each model's lifecycle pull."""
    authors, author_ix = np.unique(models.author.astype(str), return_inverse=True)
    key = models.group.astype(np.int64) * len(authors) + author_ix  # each model's (group, author) column
    author_life = np.zeros((len(days), len(GROUPS) * len(authors)))
    np.add.at(author_life, (slice(None), key), life)  # (days, group x author); sums, not BLAS (tiny matrices)
    within_author = life / np.where(author_life[:, key] > 0, author_life[:, key], 1.0)

    pull = np.zeros((len(days), len(GROUPS) * len(authors)))
    for name, curve in cal.CLOSED_AUTHOR_CURVE.items():
        pull[:, list(authors).index(name)] = knot_curve(curve, days)
    trend = np.ones((len(days), len(authors)))
    for name, curve in cal.OPEN_AUTHOR_TREND.items():
        trend[:, list(authors).index(name)] = knot_curve(curve, days)
    pull[:, len(authors):] = np.tile(open_scale * trend, 2)
    pull = np.where(author_life > 0, pull, 0.0)
    group_pull = pull.reshape(len(days), len(GROUPS), len(authors)).sum(axis=2)
    group_total = np.repeat(group_pull, len(authors), axis=1)
    within_group = pull / np.where(group_total > 0, group_total, 1.0)

    share = np.stack(
        [np.zeros(len(days))] + [knot_curve(cal.GROUP_SHARE[g], days) for g in GROUPS[1:]], axis=1
    )
    share = np.where(group_pull > 0, share, 0.0)
    share[:, 0] = 1.0 - share[:, 1:].sum(axis=1)
    author_share = within_group * np.repeat(share, len(authors), axis=1)
    return within_author * author_share[:, key]


def _country_mix(progress: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Planned country shares per row of ``progress`` (how far the continent drift has gone):
    whole-window shares tilted by the drift, centred on the ``weight``-ed mean progress."""
    base = country_shares()
    continents = np.array([cal.COUNTRIES[c][0] for c in cal.COUNTRIES])
    drift = np.array([cal.CONTINENT_DRIFT.get(k, 0.0) for k in continents])
    drift -= (base * drift).sum() / base.sum()  # keep the total at 1 before normalising
    centre = np.average(progress, weights=weight)
    mix = base[None, :] * (1.0 + np.outer(progress - centre, drift))
    return mix / mix.sum(axis=1, keepdims=True)


def country_shares() -> np.ndarray:
    """Whole-window share of each billing country: the report's top 10 exact, the rest scaled to fit."""
    pct = np.array([v[1] for v in cal.COUNTRIES.values()])
    top = np.isin(list(cal.COUNTRIES), list(cal.COUNTRY_TARGETS))
    pct[~top] *= (100.0 - pct[top].sum()) / pct[~top].sum()
    return pct / 100.0


def build_plan(models: Models, start: date, end: date, total_requests: int, rng: np.random.Generator) -> Plan:
    """Plan the window; open-weight author pulls are rescaled until author token totals fit the report."""
    days = np.arange(start.toordinal(), end.toordinal() + 1)
    frac = window_fraction(days)
    mixes = np.array([[[mix.get(c, 0.0) for c in cal.CATEGORIES] for mix in cal.CATEGORY_MIX[p]]
                      for p in PROFILES])  # (profiles, early/late, categories)
    shift = knot_curve(cal.MIX_PROGRESS, days)
    cat_mix = mixes[models.profile, 0][None] + shift[:, None, None] * (
        mixes[models.profile, 1] - mixes[models.profile, 0]
    )[None]
    cat_mix /= cat_mix.sum(axis=2, keepdims=True)
    p_mean, c_mean = prompt_means(frac), completion_means(frac)
    reasoning_p = reasoning_on(models, frac)
    expected = p_mean[:, None, :] + (
        c_mean[:, None] * (1.0 + (cal.REASONING_COMPLETION_FACTOR - 1.0) * reasoning_p)
    )[:, :, None]

    weekday = np.array([date.fromordinal(int(d)).weekday() for d in days])
    growth = cal.REQUEST_GROWTH ** frac * np.where(weekday >= 5, cal.WEEKEND_FACTOR, 1.0)
    requests = rng.multinomial(total_requests, growth / growth.sum())

    authors = np.unique(models.author.astype(str))
    target = np.array([cal.OPEN_AUTHOR_TOKENS.get(a, 0.0) for a in authors])
    wanted = np.zeros(len(authors))  # each author's target share inside its origin group
    for g in (1, 2):
        members = np.isin(authors, models.author[models.group == g].astype(str)) & (target > 0)
        wanted[members] = target[members] / target[members].sum()
    scale = (target > 0).astype(float)
    life = _lifecycle(models, days)
    for _ in range(8):
        share = _token_shares(models, days, life, scale)
        tokens_per_request = 1.0 / (share[:, :, None] * cat_mix / expected).sum(axis=(1, 2))
        volume = (share * (requests * tokens_per_request)[:, None]).sum(axis=0)  # planned tokens
        realised = np.zeros(len(authors))
        for g in (1, 2):
            in_group = models.group == g
            by_author = np.bincount(np.searchsorted(authors, models.author[in_group].astype(str)),
                                    weights=volume[in_group], minlength=len(authors))
            realised += by_author / max(by_author.sum(), 1e-12)
        scale = np.where(realised > 0, scale * wanted / np.maximum(realised, 1e-12), scale)

    cell = share[:, :, None] * cat_mix / expected
    cell_p = (cell / cell.sum(axis=(1, 2), keepdims=True)).reshape(len(days), -1)
    month = month_index(days)
    drift = knot_curve(cal.CONTINENT_DRIFT_PROGRESS, days)
    month_drift = np.array([drift[month == k].mean() for k in range(month.max() + 1)])
    month_tokens = np.bincount(month, weights=requests * tokens_per_request)
    return Plan(
        days=days, frac=frac, requests=requests, cell_p=cell_p,
        prompt_mean=p_mean, completion_mean=c_mean, reasoning_p=reasoning_p,
        country_p=_country_mix(month_drift, month_tokens),
    )


def month_index(days: np.ndarray) -> np.ndarray:
    """0-based calendar month of each ordinal day, counted from the first day's month."""
    first = date.fromordinal(int(days[0]))
    dates = np.array([date.fromordinal(int(d)) for d in days])
    return np.array([(d.year - first.year) * 12 + d.month - first.month for d in dates])
