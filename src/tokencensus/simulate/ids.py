"""Fixed-width text built as byte matrices, so millions of ids and timestamps cost a few numpy operations.

Why: ``gen-<unix seconds>-<20 base62>`` generation ids, pseudonymous user ids and the export's
timestamps are one string per row; building them with Python string formatting would dominate the
simulator's run time. Each id holds a 5-digit base62 counter (so ids never collide, up to 916
million per run) followed by seeded random base62 characters. Digits come from lookup tables of
whole digit groups (two base62 or four decimal digits per machine word), gathered in one step per
group.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

ALPHABET = np.frombuffer(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", dtype=np.uint8)
COUNTER_DIGITS = 5
MAX_COUNTER = 62**COUNTER_DIGITS
#: bytes.translate table from one random byte to one base62 character.
_BYTE_TO_CHAR = ALPHABET[(np.arange(256) * 62) >> 8].tobytes()


def _word_table(text: np.ndarray, word: type[np.unsignedinteger]) -> np.ndarray:
    """A (k, width) table of characters as one machine word per row, for a single gather per value."""
    return np.ascontiguousarray(text).view(word).ravel()


#: "00".."zz": two base62 digits of 0..3843 as one uint16 each.
_BASE62_PAIRS = _word_table(ALPHABET[np.stack(np.divmod(np.arange(62**2), 62), axis=1)], np.uint16)
#: "0000".."9999": four decimal digits of 0..9999 as one uint32 each.
_DECIMAL_QUADS = _word_table(
    np.frombuffer(b"0123456789", dtype=np.uint8)[(np.arange(10_000)[:, None] // [1000, 100, 10, 1]) % 10], np.uint32)


def decimal_digits(values: np.ndarray, width: int) -> np.ndarray:
    """(n, width) zero-padded decimal digits of non-negative ``values`` below 10**width."""
    groups = -(-width // 4)
    words = np.empty((len(values), groups), dtype=np.uint32)
    rest = values.astype(np.uint32 if width <= 9 else np.int64)
    for g in range(groups - 1, 0, -1):
        rest, quad = np.divmod(rest, rest.dtype.type(10_000))
        words[:, g] = _DECIMAL_QUADS[quad]
        if width - 4 * (groups - g) <= 9:
            rest = rest.astype(np.uint32, copy=False)  # 32-bit division is several times faster
    words[:, 0] = _DECIMAL_QUADS[rest]
    return words.view(np.uint8)[:, 4 * groups - width:]


def _counter(values: np.ndarray) -> np.ndarray:
    """(n, 5) base62 digits of ``values``, most significant first."""
    if len(values) and int(values.max()) >= MAX_COUNTER:
        raise ValueError(f"at most {MAX_COUNTER:,} ids per run")
    v = values.astype(np.uint32)
    high, low = np.divmod(v, np.uint32(62**2))
    top, middle = np.divmod(high, np.uint32(62**2))
    pairs = np.empty((len(v), 2), dtype=np.uint16)
    pairs[:, 0], pairs[:, 1] = _BASE62_PAIRS[middle], _BASE62_PAIRS[low]
    digits = np.empty((len(v), COUNTER_DIGITS), dtype=np.uint8)
    digits[:, 0] = ALPHABET[top]
    digits[:, 1:] = pairs.view(np.uint8)
    return digits


def strings(matrix: np.ndarray) -> pa.StringArray:
    """The rows of an (n, width) byte matrix as a string array (the matrix is its data buffer)."""
    n, width = matrix.shape
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int32)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(matrix)))


def byte_matrix(array: pa.StringArray) -> np.ndarray:
    """The (n, width) byte matrix of a string array whose strings all have one width (a view of its data)."""
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int32, count=len(array) + 1, offset=array.offset * 4)
    width = int(offsets[1] - offsets[0]) if len(array) else 0
    if (np.diff(offsets) != width).any():
        raise ValueError("strings of different widths")
    data = np.frombuffer(array.buffers()[2] or b"", dtype=np.uint8)
    return data[offsets[0]:offsets[-1]].reshape(len(array), width)


def fixed_width_items(array: pa.StringArray) -> np.ndarray:
    """The strings of a fixed-width string array as numpy items of that width, for :func:`take_items`."""
    return _items(byte_matrix(array))


def take_items(items: np.ndarray, index: np.ndarray) -> pa.StringArray:
    """The strings at ``index`` of :func:`fixed_width_items`, as a string array.

    Why not Arrow's take: it gathers offsets and bytes in two passes, each a cache miss per row in a
    table of a million accounts; numpy copies each fixed-size item in one, in about a quarter of the time.
    """
    taken = np.take(items, index)
    return strings(taken.view(np.uint8).reshape(len(taken), items.itemsize))


def _random(n: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """Random base62 characters, one random byte each (a few characters a little more often than
    others, which is cosmetic here; this is several times faster than drawing bounded integers)."""
    return np.frombuffer(rng.bytes(n * width).translate(_BYTE_TO_CHAR), dtype=np.uint8).reshape(n, width)


def assemble(n: int, parts: list[bytes | np.ndarray]) -> np.ndarray:
    """An (n, width) byte matrix of parts laid side by side: constant byte strings, (n, k) byte matrices
    and (n,) arrays of machine words (a word's bytes as they lie in memory)."""
    cells = [p if isinstance(p, bytes) or p.ndim == 2 else p.view(np.uint8).reshape(n, p.itemsize) for p in parts]
    widths = [len(p) if isinstance(p, bytes) else p.shape[1] for p in cells]
    matrix = np.empty((n, sum(widths)), dtype=np.uint8)
    at = 0
    for part, width in zip(cells, widths):
        target = matrix[:, at:at + width]
        if isinstance(part, bytes):
            target[...] = np.frombuffer(part, dtype=np.uint8)
        else:
            _items(target)[...] = _items(part)
        at += width
    return matrix


def _items(matrix: np.ndarray) -> np.ndarray:
    """An (n, k) byte matrix as n items of k bytes: copied whole, several times faster than k byte columns."""
    return matrix.view(np.dtype((np.void, matrix.shape[1])))[:, 0]


def base62_strings(prefix: str, counter: np.ndarray, random_chars: int, rng: np.random.Generator) -> pa.StringArray:
    """``prefix`` + 5 base62 counter digits + ``random_chars`` random base62 characters."""
    n = len(counter)
    return strings(assemble(n, [prefix.encode(), _counter(counter), _random(n, random_chars, rng)]))


def generation_ids(unix_seconds: np.ndarray, counter: np.ndarray, rng: np.random.Generator) -> pa.StringArray:
    """OpenRouter-style ``gen-<unix seconds>-<20 base62>``: 5 counter digits, 15 random.

    Unix seconds between 2001 and 2286 have 10 digits, so every id has the same width.
    """
    n = len(counter)
    if n and (unix_seconds.min() < 10**9 or unix_seconds.max() >= 10**10):
        raise ValueError("unix seconds must have 10 digits")
    seconds = decimal_digits(unix_seconds, 10)
    return strings(assemble(n, [b"gen-", seconds, b"-", _counter(counter), _random(n, 15, rng)]))
