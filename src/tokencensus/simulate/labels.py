"""The ground-truth task of each request (taxonomy leaf label and sub-category), kept apart from the log.

Why a separate file: a gateway log never says what a request was about; the study estimates that
from a classified sample of prompts. labels.parquet is the answer key that estimate is checked
against, in the classifier's own terms: a leaf label of the taxonomy and, where the taxonomy has
them, a sub-category id (null where none applies), so the study rolls both up exactly as it rolls
up a classifier's output.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from tokencensus.simulate import calibration as cal

SUBCATEGORY_NAMES = sorted({name for subs in cal.SUBCATEGORIES.values() for name in subs})
_SUBS = [cal.SUBCATEGORIES.get(c, {}) for c in cal.CATEGORIES]
_WIDTH = max(len(s) for s in _SUBS)
#: Per leaf: cumulative sub-category shares (inf pads; a total of 1 counts as inf against rounding)
#: and their codes; a draw past the last share gets code -1, a null.
_CUMULATIVE = np.array([np.pad(np.cumsum(list(s.values())), (0, _WIDTH - len(s)), constant_values=np.inf)
                        for s in _SUBS])
_CUMULATIVE[np.isclose(_CUMULATIVE, 1.0)] = np.inf
_CODES = np.array([[SUBCATEGORY_NAMES.index(n) for n in s] + [-1] * (_WIDTH - len(s) + 1) for s in _SUBS],
                  dtype=np.int16)

SCHEMA = pa.schema([("request_id", pa.string()), ("label", pa.dictionary(pa.int8(), pa.string())),
                    ("subcategory", pa.dictionary(pa.int16(), pa.string()))])


def label_table(request_id: pa.StringArray, label: np.ndarray, rng: np.random.Generator) -> pa.Table:
    """request_id, label (leaf index into CATEGORIES), subcategory drawn with SUBCATEGORIES' shares."""
    u = rng.random(len(label))
    slot = np.zeros(len(label), dtype=np.intp)
    for shares in _CUMULATIVE.T:  # a column at a time: a fifth of the time of one (rows, width) matrix
        slot += u >= shares[label]
    code = _CODES[label, slot]
    return pa.table({
        "request_id": request_id,
        "label": pa.DictionaryArray.from_arrays(pa.array(label.astype(np.int8)), pa.array(cal.CATEGORIES)),
        "subcategory": pa.DictionaryArray.from_arrays(pa.array(code, mask=code < 0), pa.array(SUBCATEGORY_NAMES)),
    }, schema=SCHEMA)
