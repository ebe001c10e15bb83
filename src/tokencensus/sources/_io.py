"""Opening log files, compressed or not, with a byte position for progress bars."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from queue import Empty, Full, Queue
from typing import TypeVar

import numpy as np
import pyarrow as pa

T = TypeVar("T")

HEAD_BYTES = 64 << 10
LINE_BLOCK_BYTES = 16 << 20  # bytes of a line-oriented file handed on at a time
_COMPRESSED = {".gz": "gzip", ".bz2": "bz2", ".zst": "zstd", ".lz4": "lz4"}


def logical_suffix(path: Path) -> str:
    """The extension that names the format: ``.csv`` for both ``a.csv`` and ``a.csv.gz``."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in _COMPRESSED:
        suffixes.pop()
    return suffixes[-1] if suffixes else ""


def open_stream(path: Path) -> tuple[pa.NativeFile, pa.NativeFile]:
    """(decompressed stream, raw file); ``raw.tell()`` is how far into the file on disk we are."""
    raw = pa.OSFile(str(path), "rb")
    codec = _COMPRESSED.get(path.suffix.lower())
    return (pa.CompressedInputStream(raw, codec) if codec else raw), raw


def read_head(path: Path, size: int = HEAD_BYTES) -> bytes:
    """The first ``size`` decompressed bytes, for format sniffing."""
    stream, raw = open_stream(path)
    try:
        return stream.read(size)
    finally:
        stream.close()
        raw.close()


def line_blocks(path: Path, size: int = LINE_BLOCK_BYTES) -> Iterator[tuple[pa.Array, int, int]]:
    """(lines with their newline, number of the first, bytes read on disk), whole lines only."""
    stream, raw = open_stream(path)
    rest, first = b"", 1
    try:
        while block := stream.read(size):
            data = rest + block
            cut = data.rfind(b"\n") + 1
            rest = data[cut:]
            if cut:
                lines = split_lines(data[:cut])
                yield lines, first, raw.tell()
                first += len(lines)
        if rest:
            yield split_lines(rest + b"\n"), first, raw.tell()
    finally:
        stream.close()
        raw.close()


def split_lines(body: bytes) -> pa.Array:
    """Lines of ``body`` (which ends with a newline) as one zero-copy string array."""
    ends = np.flatnonzero(np.frombuffer(body, np.uint8) == 10) + 1
    offsets = np.concatenate([np.zeros(1, np.int64), ends.astype(np.int64)])
    lines = pa.LargeStringArray.from_buffers(len(ends), pa.py_buffer(offsets), pa.py_buffer(body))
    try:
        lines.validate(full=True)
    except pa.ArrowInvalid:  # invalid UTF-8: replace the bad bytes (the line count stays the same)
        return split_lines(body.decode("utf-8", errors="replace").encode("utf-8"))
    return lines


def prefetch(items: Iterable[T], depth: int = 2) -> Iterator[T]:
    """Iterate ``items`` in a background thread, at most ``depth`` ahead.

    Arrow's parsers and kernels release the GIL, so reading the next block overlaps with
    converting the current one; memory stays bounded by ``depth`` blocks.
    """
    queue: Queue[tuple[str, object]] = Queue(maxsize=depth)
    stop = threading.Event()

    def put(message: tuple[str, object]) -> bool:
        while not stop.is_set():
            try:
                queue.put(message, timeout=0.1)
                return True
            except Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put(("item", item)):
                    return
            put(("done", None))
        except BaseException as error:  # handed to the consumer, raised there
            put(("error", error))

    thread = threading.Thread(target=produce, daemon=True)
    thread.start()
    try:
        while True:
            try:
                kind, payload = queue.get(timeout=0.1)
            except Empty:
                if not thread.is_alive():
                    return
                continue
            if kind == "error":
                raise payload  # type: ignore[misc]
            if kind == "done":
                return
            yield payload  # type: ignore[misc]
    finally:
        stop.set()
        thread.join()
