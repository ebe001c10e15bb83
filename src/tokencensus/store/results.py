"""What an ingest reports: per file and in total, read = stored + duplicates + quarantined."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

COUNTS = ("read", "stored", "duplicates", "quarantined")


@dataclass(frozen=True)
class FileResult:
    """One source file. ``skipped`` means its content was already in the store (all duplicates)."""

    path: str
    name: str
    format: str
    sha256: str
    size: int
    read: int
    stored: int
    duplicates: int
    quarantined: int
    skipped: bool = False
    prompts: int = 0
    prompt_rate: float | None = None
    prompts_only: bool = False

    def __post_init__(self) -> None:
        if self.read != self.stored + self.duplicates + self.quarantined:
            raise AssertionError(f"{self.path}: read {self.read} != stored {self.stored} + duplicates "
                                 f"{self.duplicates} + quarantined {self.quarantined}")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class IngestResult:
    """The outcome of one ``Store.ingest`` call; ``batch`` is None when nothing new was read."""

    batch: str | None
    files: tuple[FileResult, ...] = ()
    reasons: dict[str, int] = field(default_factory=dict)  # quarantine reason -> rows

    def _sum(self, name: str) -> int:
        return sum(getattr(f, name) for f in self.files)

    @property
    def read(self) -> int:
        return self._sum("read")

    @property
    def stored(self) -> int:
        return self._sum("stored")

    @property
    def duplicates(self) -> int:
        return self._sum("duplicates")

    @property
    def quarantined(self) -> int:
        return self._sum("quarantined")

    @property
    def prompts(self) -> int:
        return self._sum("prompts")

    def as_dict(self) -> dict[str, int]:
        """The three numbers every record is counted in, plus ``read``."""
        return {name: self._sum(name) for name in COUNTS}
