"""Study options and their defaults, in one place so every figure reads them the same way.

``StudyInputs.options`` is a plain mapping (it comes from a config file or the command line and
may carry other stages' settings too); :func:`option` fills in what the user left out, and a
figure asking for a name that has no default fails loudly instead of silently reading nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

DEFAULTS: dict[str, Any] = {
    # size classes by parameters (billions): small < small_below_b <= medium < large_from_b <= large
    "small_below_b": 15.0,
    "large_from_b": 70.0,
    # "total" (the report's reading) or "active" (mixture-of-experts by active parameters)
    "size_basis": "total",
    # catalog model_ids and user_ids (outlier accounts) left out of every figure
    "exclude_models": (),
    "exclude_users": (),
    # how many named entries a "top N + other" figure keeps
    "top_n": 10,
    "top_open_n": 15,
    # F11: drop requests to a model's ":free" variant (its free period)
    "exclude_free": False,
    # privacy: a cell backed by fewer distinct users is suppressed everywhere (0 turns it off)
    "min_users": 50,
    # categories: roll-up view ("report12" or "methodology9"), labels below this confidence are dropped
    "category_view": "report12",
    # a user taxonomy YAML (default: the packaged one), read for classifier-error correction
    "taxonomy": None,
    "min_confidence": 0.5,
    # sample-based series: "month" (default: a 0.25% sample is thin per week) or "week" (the report's)
    "sample_period": "month",
    # sample-based shares are post-stratified by request size, in strata of about this many classified
    # requests (0: plain ratio estimates over the classified requests)
    "min_stratum": 30,
    # bootstrap replicates (0: point estimates only) and interval level
    "replicates": 200,
    "confidence_level": 0.95,
    # classifier-error correction of category shares: a `classifier eval` JSON path or mapping
    "confusion": None,
    # F23-F28: authors whose category mix is shown (default: the top 6 by tokens)
    "authors": (),
    # F30-F37: catalog model_ids (default: the report's 8 when present, then the top by users);
    # flag rules: foundational = retention at month `foundational_month` >= `foundational_ratio` x the
    # median of later cohorts and >= `foundational_floor`; boomerang = a rise of `boomerang_points`
    # above the lowest earlier retention (from month 2 on)
    "retention_models": (),
    "foundational_month": 5,
    "foundational_ratio": 2.0,
    "foundational_floor": 0.25,
    "boomerang_points": 0.10,
}


def option(options: Mapping[str, Any] | None, name: str) -> Any:
    """The value of option ``name``: the user's if given, else the default."""
    if name not in DEFAULTS:
        raise KeyError(f"unknown study option {name!r}; known: {', '.join(DEFAULTS)}")
    return (options or {}).get(name, DEFAULTS[name])

