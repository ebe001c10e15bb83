"""The report stage: figures and their tables become an offline HTML page, images, CSVs and JSON.

See :func:`write_report`.
"""

from tokencensus.report.writer import write_report

__all__ = ["write_report"]
