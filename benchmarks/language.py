"""Compare language detectors on the project's multilingual prompt set: accuracy, speed, memory.

Every detector sees the same prose (tokencensus' code/URL stripping and its "too little text"
rule), so only the model differs. Each runs in its own process so its peak memory is its own.
Usage: python benchmarks/language.py [--texts 10000]
lingua is optional (pip install lingua-language-detector); its rows are skipped without it.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

CASES = Path(__file__).resolve().parents[1] / "tests" / "data" / "language_cases.jsonl"
DETECTORS = (
    "tokencensus (py3langid, batched)",
    "py3langid, one text at a time",
    "lingua, all languages, high accuracy",
    "lingua, all languages, low accuracy",
    "lingua, 27 test languages, high accuracy",
)


def _py3langid_single() -> Callable[[list[str]], list[str]]:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    from tokencensus.classify.language import _FOLD, MIN_CONFIDENCE

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages([c for c in identifier.nb_classes if len(_FOLD.get(c, c)) == 2 or c in _FOLD])

    def detect(texts: list[str]) -> list[str]:
        found = map(identifier.classify, texts)
        return [_FOLD.get(code, code) if p >= MIN_CONFIDENCE else "und" for code, p in found]

    return detect


def _lingua(languages: list[str] | None, low: bool) -> Callable[[list[str]], list[str]]:
    from lingua import IsoCode639_1, LanguageDetectorBuilder

    if languages is None:
        builder = LanguageDetectorBuilder.from_all_languages()
    else:
        builder = LanguageDetectorBuilder.from_iso_codes_639_1(*(getattr(IsoCode639_1, c.upper()) for c in languages))
    builder = builder.with_low_accuracy_mode() if low else builder.with_preloaded_language_models()
    detector = builder.build()

    def detect(texts: list[str]) -> list[str]:
        found = detector.detect_languages_in_parallel_of(texts)
        return ["und" if lang is None else lang.iso_code_639_1.name.lower() for lang in found]

    return detect


def _worker(name: str, n_texts: int) -> dict:
    """Load one detector, score the test set, time it on ``n_texts`` texts; report peak memory."""
    import numpy as np
    import pyarrow as pa

    from tokencensus.classify.language import MIN_WEIGHT, _prose, _weight, detect_languages

    rows = [json.loads(line) for line in CASES.open(encoding="utf-8")]
    texts = [row["text"] for row in rows]
    languages = sorted({row["lang"] for row in rows} - {"und"})
    start = time.perf_counter()
    if name.startswith("tokencensus"):
        detect_languages(["warm up the model"])
        detect = detect_languages
    else:
        model = (
            _py3langid_single()
            if name.startswith("py3langid")
            else _lingua(None if "all" in name else languages, low="low" in name)
        )

        def detect(batch: list[str]) -> list[str]:
            prose = _prose(pa.array(batch, pa.string()))
            decidable = _weight(prose) >= MIN_WEIGHT
            out = np.full(len(batch), "und", dtype=object)
            out[decidable] = model(prose.filter(pa.array(decidable)).to_pylist())
            return out.tolist()

    load_s = time.perf_counter() - start
    found = detect(texts)
    correct: dict[str, list[int]] = {}
    for row, lang in zip(rows, found, strict=True):
        hits = correct.setdefault(row["kind"], [0, 0])
        hits[0] += lang == row["lang"]
        hits[1] += 1
    errors = [f"{row['lang']}->{lang}" for row, lang in zip(rows, found, strict=True) if lang != row["lang"]]
    bulk = [texts[i % len(texts)] for i in range(n_texts)]
    start = time.perf_counter()
    detect(bulk)
    seconds = time.perf_counter() - start
    return {
        "name": name,
        "load_s": load_s,
        "accuracy": {kind: f"{ok}/{n}" for kind, (ok, n) in correct.items()},
        "total": f"{sum(ok for ok, _ in correct.values())}/{len(rows)}",
        "errors": errors,
        "texts_per_s": n_texts / seconds,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--texts", type=int, default=10_000, help="texts in the speed run")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(_worker(args.worker, args.texts)))
        return
    print("| detector | short | long | code | und | total | load s | texts/s | peak RSS MB | errors |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name in DETECTORS:
        run = subprocess.run(
            [sys.executable, __file__, "--worker", name, "--texts", str(args.texts)], capture_output=True, text=True
        )
        if run.returncode:
            print(f"| {name} | skipped: {run.stderr.strip().splitlines()[-1]} |")
            continue
        r = json.loads(run.stdout)
        acc = r["accuracy"]
        print(
            f"| {name} | {acc['short']} | {acc['long']} | {acc['code']} | {acc['und']} | {r['total']} "
            f"| {r['load_s']:.2f} | {r['texts_per_s']:,.0f} | {r['peak_mb']:,.0f} | {', '.join(r['errors'])} |"
        )


if __name__ == "__main__":
    main()
