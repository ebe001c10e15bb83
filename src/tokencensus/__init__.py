"""tokencensus: the State of AI usage study as open software.

Point it at LLM gateway logs and get the whole report. The public API is :class:`Study`.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("tokencensus")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0+src"

__all__ = ["__version__"]
