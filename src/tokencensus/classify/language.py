"""The language of each sampled prompt (the report's token share by prompt language, T4).

Detection uses py3langid's naive-Bayes byte n-gram model: measured fastest, smallest and as
accurate as lingua on prompt-like text (benchmarks/language.py). Its own API classifies one text
at a time in a Python loop over bytes; here the same model runs over a whole batch at once: the
text clean-up is pyarrow compute on the column, the byte automaton steps every text in lock-step
with numpy, and the scores are one gather-and-sum. Results equal py3langid's own ``classify``.

What a prompt's language means here: the language of its prose. Fenced code blocks, inline
code, code-like lines, URLs and scrub placeholders are removed first, so "fix this" above 50 lines
of Python is English and a Russian question about a stack trace is Russian. A text with too
little prose left (empty, pure code, "ok") is ``und``, as is one the model cannot place.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

UNDETERMINED = "und"
#: Prose kept per text: the head of a prompt says its language; the rest only costs time.
MAX_CHARS = 1000
#: Below this much prose (letters, CJK characters counted three times) a text is ``und``.
MIN_WEIGHT = 4
#: Below this model probability a text is ``und``.
MIN_CONFIDENCE = 0.25
#: Bytes of text scored at once; bounds the memory of the score gather (~40 MB).
_CHUNK_BYTES = 65_536

# Regexes run by pyarrow (RE2 syntax) on the whole column.
_NOT_PROSE = (
    r"(?s)```.*?(?:```|$)"  # fenced code blocks, closed or cut off
    r"|`[^`\n]*`"  # inline code
    r"|\b[a-zA-Z][a-zA-Z0-9+.-]*://\S+"  # URLs
    r"|\S+@\S+"  # e-mail addresses and user@host
    r"|<[A-Z_]+>"  # scrub placeholders
)
_CODE_START = r"^\s*(?:def |class \w+[(:]|import \w|from [\w.]+ import|return\b|#include|console\.|print\(|[{}]|//|/\*|\*/|<\?|<\w+[ >/])"
_CODE_SYMBOLS = r"[{}()\[\];=<>|&*/\\$#@^~+_]"
_CJK = r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}\p{Thai}]"

# py3langid labels with no ISO 639-1 code that belong to a language that has one; the others
# (Aceh, Bikol...) are left out of the model, so a text is never labelled with them.
_FOLD = {"yue": "zh", "wuu": "zh", "arz": "ar", "ary": "ar", "hbo": "he", "grc": "el", "uzs": "uz", "zxx": UNDETERMINED}


def _prose(texts: pa.StringArray) -> pa.StringArray:
    """The prose of each text: code, URLs and placeholders removed, NFC, at most MAX_CHARS."""
    texts = pc.replace_substring_regex(pc.fill_null(texts, ""), _NOT_PROSE, " ")
    lines = pc.split_pattern(texts, "\n")
    flat = lines.flatten()
    visible = pc.utf8_length(pc.utf8_trim_whitespace(flat))
    symbols = pc.count_substring_regex(flat, _CODE_SYMBOLS)
    code = pc.or_(
        pc.match_substring_regex(flat, _CODE_START),
        pc.and_(pc.greater_equal(symbols, 3), pc.greater_equal(pc.multiply(symbols, 8), visible)),
    )
    kept = pa.ListArray.from_arrays(lines.offsets, pc.if_else(code, "", flat))
    prose = pc.utf8_trim_whitespace(pc.binary_join(kept, "\n"))
    prose = pc.utf8_slice_codeunits(pc.utf8_normalize(prose, "NFC"), 0, MAX_CHARS)
    # py3langid lower-cases all-caps text: shouting is not a language feature.
    return pc.if_else(pc.utf8_is_upper(prose), pc.utf8_lower(prose), prose)


def _weight(prose: pa.StringArray) -> np.ndarray:
    """How much language evidence a text holds: letters, with CJK characters counted three times."""
    letters = pc.count_substring_regex(prose, r"\pL").to_numpy(zero_copy_only=False)
    cjk = pc.count_substring_regex(prose, _CJK).to_numpy(zero_copy_only=False)
    return letters + 2 * cjk


@dataclass(frozen=True)
class _Model:
    """py3langid's model as numpy arrays: byte automaton, feature log-probabilities, labels."""

    next_move: np.ndarray  # (states * 256,) next state per (state, byte)
    row_base: np.ndarray  # (states,) offset of a state's row in next_move
    output: np.ndarray  # (states,) feature emitted on entering a state, or -1
    log_ptc: np.ndarray  # (features, classes) log P(feature | class)
    log_pc: np.ndarray  # (classes,) log prior
    fold: np.ndarray  # (classes, names) 0/1: which model label each class column adds to
    labels: np.ndarray  # (names,) the ISO 639-1 code each model label reports as

    def classify(self, prose: pa.StringArray) -> tuple[np.ndarray, np.ndarray]:
        """Label and probability per text, scoring chunks of about _CHUNK_BYTES."""
        prose = pa.array(pc.cast(prose, pa.large_string()))
        offsets = np.frombuffer(prose.buffers()[1], np.int64)[prose.offset : prose.offset + len(prose) + 1]
        data = np.frombuffer(prose.buffers()[2], np.uint8) if prose.buffers()[2] else np.zeros(0, np.uint8)
        bounds = np.searchsorted(offsets, np.arange(offsets[0], offsets[-1], _CHUNK_BYTES), side="right") - 1
        bounds = np.unique(np.concatenate([bounds, [len(prose)]]))
        chunks = [self._score(data, offsets[a : b + 1]) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
        probs = np.concatenate(chunks) if chunks else np.zeros((0, len(self.labels)), np.float32)
        best = probs.argmax(axis=1)
        return self.labels[best], probs[np.arange(len(best)), best]

    def _score(self, data: np.ndarray, offsets: np.ndarray) -> np.ndarray:
        """Probabilities per label for the texts whose bytes lie between consecutive offsets."""
        starts, lengths = offsets[:-1], np.diff(offsets)
        order = np.argsort(-lengths, kind="stable")  # longest first: the texts still running are a prefix
        starts, lengths = starts[order], lengths[order]
        running = np.searchsorted(-lengths, -np.arange(lengths.max(initial=0)), side="left")
        state = np.zeros(len(starts), np.int64)
        hits_text, hits_feature = [], []
        for step, count in enumerate(running):
            now = state[:count] = self.next_move[self.row_base[state[:count]] + data[starts[:count] + step]]
            feature = self.output[now]
            emitted = np.flatnonzero(feature >= 0)
            hits_text.append(emitted)
            hits_feature.append(feature[emitted])
        n_features = len(self.log_ptc)
        keys, counts = np.unique(
            np.concatenate(hits_text + [np.zeros(0, np.int64)]) * n_features
            + np.concatenate(hits_feature + [np.zeros(0, np.int64)]),
            return_counts=True,
        )
        text, feature = np.divmod(keys, n_features)
        scores = np.tile(self.log_pc, (len(starts), 1))
        if len(keys):
            weighted = self.log_ptc[feature]
            weighted *= np.log1p(counts, dtype=np.float32)[:, None]
            first = np.flatnonzero(np.r_[True, text[1:] != text[:-1]])
            scores[text[first]] += np.add.reduceat(weighted, first, axis=0)
        # py3langid's calibration: temperature sqrt(bytes), softmax, aliases summed.
        scores /= np.sqrt(np.maximum(lengths, 1))[:, None]
        probs = np.exp(scores - scores.max(axis=1, keepdims=True))
        probs = (probs / probs.sum(axis=1, keepdims=True)) @ self.fold
        unsorted = np.empty_like(probs)
        unsorted[order] = probs
        return unsorted


@lru_cache(maxsize=1)
def _model() -> _Model:
    """Load py3langid's packaged model once per process (about a second)."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE)
    keep = np.array([len(_FOLD.get(c, c)) == 2 or c in _FOLD for c in identifier.nb_classes])
    classes = np.array(identifier.nb_classes)[keep]
    names = np.array(sorted(set(classes)))
    # Columns that share a name (py3langid's script aliases, srl -> sr) add up, as in py3langid.
    fold = (classes[:, None] == names[None, :]).astype(np.float32)
    labels = np.array([_FOLD.get(name, name) for name in names])
    return _Model(
        next_move=np.frombuffer(identifier.tk_nextmove, np.uint32),
        row_base=np.asarray(identifier.tk_row, np.int64) << 8,
        output=np.asarray(identifier.tk_output, np.int64),
        log_ptc=identifier.nb_ptc[:, keep].astype(np.float32),
        log_pc=np.asarray(identifier.nb_pc[keep], np.float32),
        fold=fold,
        labels=labels,
    )


def detect_languages(texts: Sequence[str | None] | pa.Array) -> list[str]:
    """ISO 639-1 code of each text's prose language ("zh" for Chinese), or "und"."""
    column = texts.cast(pa.string()) if isinstance(texts, pa.Array) else pa.array(texts, pa.string())
    prose = _prose(column)
    decidable = _weight(prose) >= MIN_WEIGHT
    result = np.full(len(prose), UNDETERMINED, dtype=object)
    if decidable.any():
        labels, confidence = _model().classify(prose.filter(pa.array(decidable)))
        result[decidable] = np.where(confidence >= MIN_CONFIDENCE, labels, UNDETERMINED)
    return result.tolist()
