"""The canonical Parquet store: layout, manifest, ingest with deduplication and quarantine."""

from tokencensus.store.results import FileResult, IngestResult
from tokencensus.store.store import QUARANTINE_STORED, Store

__all__ = ["QUARANTINE_STORED", "FileResult", "IngestResult", "Store"]
