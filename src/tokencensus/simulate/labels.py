"""The ground-truth task of each request (category and sub-category), kept apart from the log.

Why a separate file: a gateway log never says what a request was about; the study estimates that
from a classified sample of prompts. labels.parquet is the answer key that estimate is checked against.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from tokencensus.simulate import calibration as cal

_NAMES = [name for c in cal.CATEGORIES for name in cal.SUBCATEGORIES[c]]
SUBCATEGORY_NAMES = list(dict.fromkeys(_NAMES))  # "other" recurs; a dictionary must not repeat values
_CODE = np.array([SUBCATEGORY_NAMES.index(n) for n in _NAMES], dtype=np.int16)
_WIDTH = max(len(v) for v in cal.SUBCATEGORIES.values())
_CUMULATIVE = np.array([np.pad(np.cumsum(list(cal.SUBCATEGORIES[c].values())), (0, _WIDTH - len(cal.SUBCATEGORIES[c])),
                               constant_values=np.inf) for c in cal.CATEGORIES])
_COUNT = np.array([len(cal.SUBCATEGORIES[c]) for c in cal.CATEGORIES])
_FIRST = np.cumsum(_COUNT) - _COUNT

SCHEMA = pa.schema([("request_id", pa.string()), ("category", pa.dictionary(pa.int8(), pa.string())),
                    ("subcategory", pa.dictionary(pa.int16(), pa.string()))])


def label_table(request_id: pa.StringArray, category: np.ndarray, rng: np.random.Generator) -> pa.Table:
    """request_id, category, subcategory (drawn with the taxonomy's sub-category shares)."""
    slot = (rng.random(len(category))[:, None] > _CUMULATIVE[category]).sum(axis=1)
    slot = np.minimum(slot, _COUNT[category] - 1)  # guards against shares summing to just under 1
    return pa.table({
        "request_id": request_id,
        "category": pa.DictionaryArray.from_arrays(pa.array(category.astype(np.int8)), pa.array(cal.CATEGORIES)),
        "subcategory": pa.DictionaryArray.from_arrays(pa.array(_CODE[_FIRST[category] + slot]),
                                                      pa.array(SUBCATEGORY_NAMES)),
    }, schema=SCHEMA)
