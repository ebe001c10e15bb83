"""Fixed-width identifiers built as byte matrices, so millions of them cost a few numpy operations.

Why: ``gen-<unix seconds>-<20 base62>`` generation ids and pseudonymous user ids are one string per
row; building them with Python string formatting would dominate the simulator's run time. Each id
holds a 5-digit base62 counter (so ids never collide, up to 916 million per run) followed by seeded
random base62 characters.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

ALPHABET = np.frombuffer(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", dtype=np.uint8)
COUNTER_DIGITS = 5
MAX_COUNTER = 62**COUNTER_DIGITS
_BYTE_TO_CHAR = ALPHABET[(np.arange(256) * 62) >> 8]


def _counter(values: np.ndarray) -> np.ndarray:
    """(n, 5) base62 digits of ``values`` (uint32 arithmetic), most significant first."""
    if len(values) and int(values.max()) >= MAX_COUNTER:
        raise ValueError(f"at most {MAX_COUNTER:,} ids per run")
    powers = (62 ** np.arange(COUNTER_DIGITS - 1, -1, -1)).astype(np.uint32)
    return ALPHABET[(values.astype(np.uint32)[:, None] // powers) % np.uint32(62)]


def _strings(matrix: np.ndarray) -> pa.StringArray:
    n, width = matrix.shape
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int32)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(matrix)))


def _random(n: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """Random base62 characters, one random byte each (a few characters a little more often than
    others, which is cosmetic here; this is several times faster than drawing bounded integers)."""
    return _BYTE_TO_CHAR[np.frombuffer(rng.bytes(n * width), dtype=np.uint8)].reshape(n, width)


def _assemble(n: int, parts: list[bytes | np.ndarray]) -> pa.StringArray:
    """Fixed-width strings from constant byte strings and (n, k) byte matrices laid side by side."""
    widths = [len(p) if isinstance(p, bytes) else p.shape[1] for p in parts]
    matrix = np.empty((n, sum(widths)), dtype=np.uint8)
    at = 0
    for part, width in zip(parts, widths):
        matrix[:, at:at + width] = np.frombuffer(part, dtype=np.uint8) if isinstance(part, bytes) else part
        at += width
    return _strings(matrix)


def base62_strings(prefix: str, counter: np.ndarray, random_chars: int, rng: np.random.Generator) -> pa.StringArray:
    """``prefix`` + 5 base62 counter digits + ``random_chars`` random base62 characters."""
    n = len(counter)
    return _assemble(n, [prefix.encode(), _counter(counter), _random(n, random_chars, rng)])


def generation_ids(unix_seconds: np.ndarray, counter: np.ndarray, rng: np.random.Generator) -> pa.StringArray:
    """OpenRouter-style ``gen-<unix seconds>-<20 base62>``: 5 counter digits, 15 random.

    Unix seconds between 2001 and 2286 have 10 digits, so Arrow's integer-to-text cast yields a
    fixed-width buffer that is used as a byte matrix directly.
    """
    n = len(counter)
    if n and (unix_seconds.min() < 10**9 or unix_seconds.max() >= 10**10):
        raise ValueError("unix seconds must have 10 digits")
    text = pc.cast(pa.array(unix_seconds.astype(np.int64)), pa.string())
    seconds = np.frombuffer(text.buffers()[2], dtype=np.uint8, count=10 * n).reshape(n, 10)
    return _assemble(n, [b"gen-", seconds, b"-", _counter(counter), _random(n, 15, rng)])
