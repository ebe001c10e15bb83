"""tokencensus: the State of AI usage study as open software.

Point it at LLM gateway logs and get the whole report. The public API is :class:`Study`.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

try:
    __version__ = version("tokencensus")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0+src"

if TYPE_CHECKING:
    from tokencensus.api import Study

__all__ = ["Study", "__version__"]


def __getattr__(name: str) -> Any:
    # Imported lazily: `import tokencensus.catalog` should not pull in every engine and the report.
    if name == "Study":
        from tokencensus.api import Study

        return Study
    raise AttributeError(f"module 'tokencensus' has no attribute {name!r}")
