"""Log formats: the registry of adapters and detection of a file's format.

``FORMATS`` maps a format name to its adapter (see :class:`tokencensus.sources.base.Adapter`).
A new format plugs in by adding an entry; detection tries every registered format in order and,
when none fits, says why each one did not.
"""

from __future__ import annotations

from pathlib import Path

from tokencensus.sources._io import read_head
from tokencensus.sources.accounts import ACCOUNTS, Accounts
from tokencensus.sources.base import Adapter, AdapterBatch
from tokencensus.sources.openrouter import OpenRouterActivity, OpenRouterChat, OpenRouterGeneration

FORMATS: dict[str, Adapter] = {
    adapter.name: adapter for adapter in (OpenRouterActivity(), OpenRouterGeneration(), OpenRouterChat(), Accounts())
}


class FormatError(ValueError):
    """A file is not in any known format, or not in the one asked for."""


def detect_format(path: Path, format: str | None = None) -> Adapter:
    """The adapter for ``path``: the named one (checked to fit) or the first registered that fits."""
    if format is not None and format not in FORMATS:
        raise FormatError(f"unknown format {format!r}; known formats: {', '.join(FORMATS)}")
    if not path.is_file():
        raise FormatError(f"{path}: not a readable file")
    head = read_head(path)
    if not head.strip():
        if format:
            return FORMATS[format]  # nothing to check, nothing to read
        raise FormatError(f"{path}: file is empty, so its format cannot be told (give a format to accept it)")
    candidates = [FORMATS[format]] if format else list(FORMATS.values())
    why_not = {}
    for adapter in candidates:
        why_not[adapter.name] = adapter.sniff(head, path)
        if why_not[adapter.name] is None:
            return adapter
    tried = "; ".join(f"{name}: {reason}" for name, reason in why_not.items())
    raise FormatError(f"{path}: does not look like {'format ' + format if format else 'any known format'} "
                      f"(tried {tried})")


__all__ = ["ACCOUNTS", "FORMATS", "Adapter", "AdapterBatch", "FormatError", "detect_format"]
