"""Ingest speed and memory: records/s and peak resident memory of ``Store.ingest``.

Measures the CSV path (the simulator's OpenRouter activity export) at two sizes and the JSON path
(OpenRouter generation records as JSON Lines, made from the same simulated requests). Each
ingest runs in a fresh process, after the input was read once so that it comes from the page
cache, into an empty store; the time covers the whole ``Store.ingest`` call. Inputs are kept in
``--out`` between runs. The load average is printed because other work on the machine slows
every number down; CPU seconds (all threads, also per million records) are printed because they
depend less on it, and ``--repeat`` keeps the run that used the least CPU.

Usage: python benchmarks/ingest.py [--csv-rows 2000000] [--big-rows 20000000] [--json-rows 1000000]
       [--repeat 1] [--out bench-out/ingest]   (a size of 0 skips that case)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

RUN = r"""
import json, resource, sys, time
from pathlib import Path
from tokencensus.store import Store
store, files = Path(sys.argv[1]), [Path(p) for p in sys.argv[2:]]
for path in files:  # warm the page cache
    with open(path, "rb") as f:
        while f.read(1 << 24):
            pass
usage = resource.getrusage(resource.RUSAGE_SELF)
cpu0, t0 = usage.ru_utime + usage.ru_stime, time.perf_counter()
result = Store(store).ingest(files)
seconds = time.perf_counter() - t0
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({**result.as_dict(), "seconds": seconds, "cpu": usage.ru_utime + usage.ru_stime - cpu0,
                  "peak_mb": usage.ru_maxrss / 1024}))
"""

#: OpenRouter generation record fields from the activity CSV's columns (reference A1.1).
GENERATION = """
    generation_id AS id, created_at, model_permaslug AS model, provider_name, app_name AS app_id,
    "user" AS external_user, TRY_CAST(tokens_prompt AS BIGINT) AS native_tokens_prompt,
    TRY_CAST(tokens_completion AS BIGINT) AS native_tokens_completion,
    TRY_CAST(tokens_reasoning AS BIGINT) AS native_tokens_reasoning,
    TRY_CAST(tokens_cached AS BIGINT) AS native_tokens_cached, TRY_CAST(cost_total AS DOUBLE) AS total_cost,
    TRY_CAST(byok_usage_inference AS DOUBLE) > 0 AS is_byok, finish_reason_normalized AS finish_reason,
    TRY_CAST(cancelled AS BOOLEAN) AS cancelled, TRY_CAST(streamed AS BOOLEAN) AS streamed,
    TRY_CAST(generation_time_ms AS DOUBLE) AS generation_time
"""


def simulated(out: Path, rows: int) -> list[Path]:
    """The activity CSV files of a simulated world of ``rows`` requests (made once)."""
    folder = out / f"sim-{rows}"
    if not (folder / "truth.json").exists():
        from tokencensus.simulate import simulate

        shutil.rmtree(folder, ignore_errors=True)
        simulate(folder, requests=rows)
    return sorted(folder.glob("activity-*.csv"))


def generation_jsonl(out: Path, rows: int) -> list[Path]:
    """``rows`` generation records as one JSON Lines file, from a simulated world (made once)."""
    path = out / f"generation-{rows}.jsonl"
    if not path.exists():
        import duckdb

        files = ", ".join(f"'{p}'" for p in simulated(out, rows))
        duckdb.connect().execute(
            f"COPY (SELECT {GENERATION} FROM read_csv([{files}], all_varchar = true, header = true, "
            f"ignore_errors = true) LIMIT {rows}) TO '{path}' (FORMAT json)"
        )
    return [path]


def measure(out: Path, files: list[Path]) -> dict:
    store = out / "store"
    shutil.rmtree(store, ignore_errors=True)
    try:
        done = subprocess.run([sys.executable, "-c", RUN, str(store), *map(str, files)],
                              check=True, capture_output=True, text=True)
    finally:
        shutil.rmtree(store, ignore_errors=True)
    return {**json.loads(done.stdout.strip().splitlines()[-1]), "load": os.getloadavg()[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--csv-rows", type=int, default=2_000_000)
    parser.add_argument("--big-rows", type=int, default=20_000_000)
    parser.add_argument("--json-rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("bench-out") / "ingest")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    cases = [(f"CSV {args.csv_rows:,}", lambda: simulated(args.out, args.csv_rows), args.csv_rows),
             (f"CSV {args.big_rows:,}", lambda: simulated(args.out, args.big_rows), args.big_rows),
             (f"JSONL {args.json_rows:,}", lambda: generation_jsonl(args.out, args.json_rows), args.json_rows)]
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {date.today()}")
    print("| input | records | seconds | records/s | CPU s | CPU s per 1M | peak memory | load average |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, inputs, rows in cases:
        if not rows:
            continue
        files = inputs()
        size = sum(f.stat().st_size for f in files) / 1e9
        r = min((measure(args.out, files) for _ in range(args.repeat)), key=lambda run: run["cpu"])
        print(f"| {name} ({size:.1f} GB) | {r['read']:,} | {r['seconds']:.1f} | {r['read'] / r['seconds']:,.0f} |"
              f" {r['cpu']:.1f} | {r['cpu'] / r['read'] * 1e6:.2f} | {r['peak_mb']:,.0f} MB | {r['load']:.1f} |",
              flush=True)


if __name__ == "__main__":
    main()
