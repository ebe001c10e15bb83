"""Accounts and who sends each request: billing countries, busy and quiet users, model cohorts.

Why cohorts per model: the study's retention figures count, for each model, the users first seen in
a month and how many of them come back in later months. Here every model keeps its cohorts; each
month a cohort member is active with the probability its retention curve gives, new adopters join,
every active user gets at least one request and the rest go to busy users. Those first requests
follow the accounts' country mix, not the month's, so the rest make up the difference: each user's
pull is scaled by (planned country share - first requests' expected share) / (country's share of
accounts), so the expected country mix of each month follows the plan (Asia's share rising
through 2025) without a bias towards the countries that happen to be present among a small
model's users.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from tokencensus.simulate import calibration as cal
from tokencensus.simulate.ids import base62_strings

COUNTRY_CODES = tuple(cal.COUNTRIES)
CONTINENTS = tuple(dict.fromkeys(v[0] for v in cal.COUNTRIES.values()))
COUNTRY_CONTINENT = np.array([CONTINENTS.index(cal.COUNTRIES[c][0]) for c in COUNTRY_CODES], dtype=np.int8)


@dataclass
class UserPool:
    """The gateway's accounts: a pseudonymous id, a billing country and how busy each one is."""

    country: np.ndarray  # int8 index into COUNTRY_CODES
    activity: np.ndarray  # float relative request rate
    ids: pa.StringArray
    country_share: np.ndarray  # share of accounts per country (the expected mix of any set of users)

    @classmethod
    def create(cls, size: int, country_p: np.ndarray, rng: np.random.Generator) -> UserPool:
        country = rng.choice(len(country_p), size=size, p=country_p).astype(np.int8)
        activity = rng.lognormal(0.0, cal.ACTIVITY_SIGMA, size)
        share = np.maximum(np.bincount(country, minlength=len(country_p)), 1) / size
        return cls(country, activity, base62_strings("u_", np.arange(size), 8, rng), share)

    def __len__(self) -> int:
        return len(self.country)


def retention_curve(model_id: str, cohort_month: str) -> tuple[float, ...]:
    return cal.RETENTION_SPECIAL.get((model_id, cohort_month), cal.RETENTION_DEFAULT)


@dataclass
class CohortAssigner:
    """Hands out users to a month's requests, model by model, keeping each model's cohorts."""

    pool: UserPool
    model_ids: np.ndarray
    rng: np.random.Generator
    cohorts: dict[int, list[tuple[int, str, np.ndarray]]] = field(default_factory=dict)
    adopted: dict[int, int] = field(default_factory=dict)
    stride: dict[int, tuple[int, int]] = field(default_factory=dict)

    def _new_users(self, model: int, n: int) -> np.ndarray:
        """The model's next ``n`` first-time users: a fixed walk over the pool that never repeats."""
        size = len(self.pool)
        if model not in self.stride:
            step = int(self.rng.integers(1, size)) if size > 1 else 1
            while math.gcd(step, size) != 1:
                step += 1
            self.stride[model] = (int(self.rng.integers(0, size)), step)
        start, step = self.stride[model]
        done = self.adopted.get(model, 0)
        n = min(n, size - done)
        self.adopted[model] = done + n
        return ((start + (done + np.arange(n, dtype=np.int64)) * step) % size).astype(np.int64)

    def _active(self, model: int, month: int) -> np.ndarray:
        parts = []
        for cohort, label, members in self.cohorts.get(model, []):
            curve = retention_curve(str(self.model_ids[model]), label)
            p = curve[min(month - cohort, len(curve) - 1)]
            parts.append(members[self.rng.random(len(members)) < p])
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

    def users_for(self, model: int, month: int, label: str, n: int, country_p: np.ndarray) -> np.ndarray:
        """Users for ``n`` requests to ``model`` in ``month`` (label "YYYY-MM"), in random order."""
        active = self._active(model, month)
        if len(active) > n:
            active = self.rng.permutation(active)[:n]
        desired = math.ceil(n / cal.REQUESTS_PER_ACTIVE_USER)
        want_new = max(desired - len(active), math.ceil(cal.NEW_USER_FLOOR * desired), int(len(active) == 0))
        new = self._new_users(model, min(want_new, n - len(active)))
        self.cohorts.setdefault(model, []).append((month, label, new))
        base = np.concatenate([active, new])
        extra = n - len(base)
        if extra <= 0 or len(base) == 0:
            return self.rng.permutation(base)
        country = self.pool.country[base]
        activity = self.pool.activity[base]
        share = self.pool.country_share
        tilt = np.maximum(country_p - len(base) / n * share, 0.0) / share
        weight = activity * tilt[country]
        if weight.sum() <= 0:  # the first requests already overshoot every country present
            weight = activity
        extra_counts = self.rng.multinomial(extra, weight / weight.sum())  # how often each user is drawn again
        return self.rng.permutation(np.concatenate([base, np.repeat(base, extra_counts)]))

    def assign(self, model: np.ndarray, month: int, label: str, country_p: np.ndarray) -> np.ndarray:
        """User index of every row of a month, given each row's model number."""
        order = np.argsort(model.astype(np.int16), kind="stable")  # a radix sort on 16-bit keys
        bounds = np.concatenate([[0], np.cumsum(np.bincount(model, minlength=len(self.model_ids)))])
        users = np.empty(len(model), dtype=np.int64)
        for m in np.flatnonzero(np.diff(bounds)):
            rows = order[bounds[m]:bounds[m + 1]]
            users[rows] = self.users_for(int(m), month, label, len(rows), country_p)
        return users
