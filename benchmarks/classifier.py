"""Task-classifier accuracy and speed on labelled prompt files.

For each file and each classifier: macro-F1 at the leaf level and at the report's 12 categories,
F1 of the labels the targets name, and prompts/s on texts truncated as the prompts table stores
them (the clock covers classification only, after the model is loaded and warmed up). The first
run of ``fast`` on a machine also builds its token table and trains it on the packaged corpus;
that one-off cost is printed separately. The load average is printed because other work on the
machine slows every number down.

The benchmark of real prompts (``shared/benchmarks/prompts-real.jsonl`` beside the checkout) is
for measuring only: never train, tune or write corpus examples from it.

Usage: python benchmarks/classifier.py [FILE.jsonl ...] [--classifier fast] [--classifier llm]
       (default files: the corpus's held-out split, and the real-prompt benchmark where present)
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from tokencensus.classify import corpus
from tokencensus.classify.classifier import get_classifier
from tokencensus.classify.evaluate import evaluate

TARGET_LABELS = ("programming", "roleplay", "translation")
REAL = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "prompts-real.jsonl"


def _sets(files: list[Path]) -> dict[str, list[corpus.Example]]:
    if files:
        return {path.name: corpus.read(path) for path in files}
    sets = {"corpus heldout": corpus.load("heldout")}
    if REAL.exists():
        sets["prompts-real"] = corpus.read(REAL)
    return sets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--classifier", action="append", dest="classifiers")
    args = parser.parse_args()
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; cpus: {os.cpu_count()}")
    for name in args.classifiers or ["fast"]:
        start = time.perf_counter()
        model = get_classifier(name)
        model.classify(["warm up"])
        print(f"{name}: ready in {time.perf_counter() - start:.1f} s (on a machine's first run, this includes building the table and training)")
        for set_name, examples in _sets(args.files).items():
            result = evaluate(model, [e.text for e in examples], [e.label for e in examples])
            f1 = {label: round(result.leaf.per_label.get(label, {}).get("f1", float("nan")), 3) for label in TARGET_LABELS}
            row = {
                "classifier": result.classifier,
                "set": set_name,
                "n": result.n,
                "macro_f1": round(result.leaf.macro_f1, 3),
                "macro_f1_report12": round(result.report12.macro_f1, 3),
                "f1": f1,
                "prompts_per_second": round(result.prompts_per_second),
            }
            print(json.dumps(row))


if __name__ == "__main__":
    main()
