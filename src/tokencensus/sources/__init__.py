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
from tokencensus.sources.helicone import HeliconeRequests
from tokencensus.sources.langfuse import LangfuseObservations
from tokencensus.sources.litellm import LiteLLMPayload, LiteLLMSpendLogs
from tokencensus.sources.mapped import PREFIX as MAPPED_PREFIX
from tokencensus.sources.mapped import MappedColumns
from tokencensus.sources.openai import OpenAIBatchInput, OpenAILog
from tokencensus.sources.openrouter import OpenRouterActivity, OpenRouterChat, OpenRouterGeneration
from tokencensus.sources.otel import OtelSpans
from tokencensus.sources.postgres import DatabaseTable, LiteLLMPostgres

FORMATS: dict[str, Adapter] = {
    adapter.name: adapter for adapter in (
        OpenRouterActivity(), OpenRouterGeneration(), OpenRouterChat(), Accounts(),
        LiteLLMSpendLogs(), LiteLLMPayload(), LangfuseObservations(), HeliconeRequests(), OtelSpans(),
        OpenAIBatchInput(), OpenAILog(), LiteLLMPostgres(),
    )
}


class FormatError(ValueError):
    """A file is not in any known format, or not in the one asked for."""


def detect_format(path: Path, format: str | None = None) -> Adapter:
    """The adapter for ``path``: the named one (checked to fit) or the first registered that fits."""
    # A mapped format is built from its spec for this call only: registering it would make every
    # later detection try (and name) a mapping that belongs to someone else's file.
    mapped = MappedColumns.from_spec(format) if format is not None and format.startswith(MAPPED_PREFIX) else None
    if format is not None and mapped is None and format not in FORMATS:
        raise FormatError(f"unknown format {format!r}; known formats: {', '.join(FORMATS)}")
    if isinstance(path, DatabaseTable):
        if format not in (None, LiteLLMPostgres.name):
            raise FormatError(f"{path}: a database is read as {LiteLLMPostgres.name}, not {format}")
        return FORMATS[LiteLLMPostgres.name]
    if not path.is_file():
        raise FormatError(f"{path}: not a readable file")
    head = read_head(path)
    if not head.strip():
        if format:
            return mapped or FORMATS[format]  # nothing to check, nothing to read
        raise FormatError(f"{path}: file is empty, so its format cannot be told (give a format to accept it)")
    candidates = [mapped or FORMATS[format]] if format else list(FORMATS.values())
    why_not = {}
    for adapter in candidates:
        why_not[adapter.name] = adapter.sniff(head, path)
        if why_not[adapter.name] is None:
            return adapter
    tried = "; ".join(f"{name}: {reason}" for name, reason in why_not.items())
    raise FormatError(f"{path}: does not look like {'format ' + format if format else 'any known format'} "
                      f"(tried {tried})")


__all__ = ["ACCOUNTS", "FORMATS", "Adapter", "AdapterBatch", "FormatError", "detect_format"]
