"""Which requests have their prompt classified: a deterministic hash sample of ``request_id``.

The report classifies a 0.25% random sample of prompts. Drawing it from a hash of the request id
(rather than a random generator) gives the same rows on every run, every engine and every
re-ingest, and lets prompt capture decide at ingest time whether to keep a prompt at all.

The hash is the MD5 hex digest of the id's UTF-8 bytes. Every engine computes it the same way
(DuckDB ``md5``, Spark ``md5``, Python ``hashlib``), all return lower-case hex, and lower-case hex
strings of equal length sort like the numbers they spell. So "hash / 2**128 < rate" becomes a plain
string comparison against a 32-digit threshold: no engine-specific hex-to-integer conversion (the
step where backends disagree) is needed, and Ibis' own ``hash()``, which differs per backend, is
avoided.
"""

from __future__ import annotations

import hashlib
import math
from fractions import Fraction

import duckdb
import ibis
import ibis.expr.types as ir
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

#: The report's sample rate: 0.25% of requests.
DEFAULT_RATE = 0.0025

_DIGITS = 32  # an MD5 hex digest
_SPACE = 16**_DIGITS


def _threshold(rate: float) -> str | None:
    """The hex digest every sampled id's digest sorts below; ``None`` when all or none are in.

    ``Fraction`` keeps the float's exact value, so Python and the engines agree on the boundary.
    """
    if not 0.0 <= rate <= 1.0 or math.isnan(rate):
        raise ValueError(f"sample rate must be within [0, 1], got {rate!r}")
    if rate in (0.0, 1.0):
        return None
    return format(math.ceil(Fraction(rate) * _SPACE), f"0{_DIGITS}x")


def sample_digest(request_id: str) -> str:
    """The value the sample is drawn on: the MD5 hex digest of the id's UTF-8 bytes."""
    return hashlib.md5(request_id.encode("utf-8")).hexdigest()


def in_sample(request_id: str, rate: float = DEFAULT_RATE) -> bool:
    """Whether a request is in the sample; the same answer as :func:`sample_expr` on any engine."""
    threshold = _threshold(rate)
    if threshold is None:
        return rate == 1.0
    return sample_digest(request_id) < threshold


def in_sample_array(request_ids: pa.Array | pa.ChunkedArray, rate: float = DEFAULT_RATE,
                    con: duckdb.DuckDBPyConnection | None = None) -> np.ndarray:
    """:func:`in_sample` of every id of an Arrow string column at once, as a numpy bool array (a null
    id is never in the sample).

    Why DuckDB: hashing ids one by one in Python holds the GIL for about half a second per million;
    DuckDB's ``md5`` hashes the whole column in C++ with the GIL released, so a writer thread can
    sample millions of ids beside other work. ``con`` reuses a connection (opening one takes tens of
    milliseconds); a connection serves one thread at a time.
    """
    threshold = _threshold(rate)
    if threshold is None:
        return pc.is_valid(request_ids).to_numpy(zero_copy_only=False) & (rate == 1.0)
    digest = duckdb.FunctionExpression("md5", duckdb.ColumnExpression("request_id"))
    sampled = duckdb.CoalesceOperator(digest < duckdb.ConstantExpression(threshold), duckdb.ConstantExpression(False))
    ids = pa.table({"request_id": request_ids})
    return (con or duckdb.connect()).from_arrow(ids).select(sampled.alias("sampled")).fetchnumpy()["sampled"]


def sample_expr(requests: ir.Table, rate: float = DEFAULT_RATE) -> ir.BooleanValue:
    """A boolean column: ``requests.filter(sample_expr(requests, rate))`` is the sample."""
    threshold = _threshold(rate)
    if threshold is None:
        return ibis.literal(rate == 1.0)
    return requests.request_id.hexdigest("md5") < threshold


def rate_for_target(total_rows: int, target: int) -> float:
    """The rate whose sample holds about ``target`` of ``total_rows`` rows (capped at 1).

    A hash sample's size is binomial: expect ``target`` give or take ``sqrt(target)``.
    """
    if total_rows < 0 or target < 0:
        raise ValueError("total_rows and target must not be negative")
    if total_rows == 0:
        return 0.0
    return min(1.0, target / total_rows)
