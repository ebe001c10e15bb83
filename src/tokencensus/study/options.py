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
}


def option(options: Mapping[str, Any] | None, name: str) -> Any:
    """The value of option ``name``: the user's if given, else the default."""
    if name not in DEFAULTS:
        raise KeyError(f"unknown study option {name!r}; known: {', '.join(DEFAULTS)}")
    return (options or {}).get(name, DEFAULTS[name])

