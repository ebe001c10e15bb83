"""The study's speed on one machine: the full study per section, and the same work in other tools.

One command: ``python benchmarks/study.py --requests 100000000`` (add ``--spark`` for local Spark).

1. A store of N requests: a simulated base world (``--base``), replicated with DuckDB SQL
   (benchmarks/bigstore.py); kept under ``--out`` and reused by later runs. ``--store`` measures
   an existing store instead (one ingested from ``tokencensus simulate``, with its labels).
2. The full study on DuckDB, in a process of its own: time per report section (enrichment and
   its cache first), and the process's peak resident memory after each section.
3. F1, F14 and T3 computed by tokencensus, by hand-written DuckDB SQL, by polars and by pandas
   (benchmarks/alternatives.py), each in a fresh process, best of ``--repeat``; checked to
   agree, and printed as ratios to tokencensus measured in the same run.
4. With ``--spark``: the full study on local Spark over the same store.

Peak memory is the measuring process's high-water mark (VmHWM; Spark's JVM is another process
and not included).
pandas is skipped above ``--pandas-max`` rows, where it would need more memory than the machine has.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import subprocess
import sys
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent

_FULL_STUDY = r"""
import json, sys, time
from collections import defaultdict
sys.path.insert(0, sys.argv[3])
from alternatives import peak_mb as peak
from tokencensus import Study
from tokencensus.study import FIGURES, run_study
store, engine, memory_limit = sys.argv[1], sys.argv[2], sys.argv[4]
if engine == "duckdb" and memory_limit:
    import ibis
    engine = ibis.duckdb.connect(memory_limit=memory_limit)
sections = defaultdict(list)
for figure in FIGURES.values():
    sections[figure.section].append(figure.id)
study = Study(store, engine=engine, reuse=False)
rows = []
t0 = time.perf_counter()
inputs = study.inputs
inputs.requests.count().to_pyarrow()  # materialises the cached, enriched table
rows.append({"section": "enrich + cache", "figures": 0, "seconds": time.perf_counter() - t0, "peak_mb": peak()})
for section, ids in sections.items():
    t = time.perf_counter()
    run_study(inputs, ids)
    rows.append({"section": section, "figures": len(ids), "seconds": time.perf_counter() - t, "peak_mb": peak()})
rows.append({"section": "total", "figures": len(FIGURES), "seconds": time.perf_counter() - t0, "peak_mb": peak()})
print(json.dumps(rows))
"""

_TOOL = r"""
import json, sys, time
sys.path.insert(0, sys.argv[4])
from pathlib import Path
from alternatives import TOOLS, fingerprint, peak_mb
tool, store, threads = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]) or None
t = time.perf_counter()
frames = TOOLS[tool](store, threads)
seconds = time.perf_counter() - t
print(json.dumps({"tool": tool, "seconds": seconds, "peak_mb": peak_mb(), "fingerprint": fingerprint(frames)}))
"""


def _run(code: str, *args: str) -> object:
    done = subprocess.run([sys.executable, "-c", code, *args], check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _row_count(store: Path) -> int:
    from tokencensus.store import Store

    return Store(store).row_count()


def _agree(reference: dict[str, float], other: dict[str, float]) -> bool:
    return all(abs(other[k] - v) <= 1e-6 * max(abs(v), 1.0) for k, v in reference.items())


def compare_tools(store: Path, rows: int, repeat: int, threads: int, pandas_max: int) -> list[dict]:
    """Best-of-``repeat`` time and peak memory of each tool on F1, F14 and T3."""
    from alternatives import TOOLS

    results = []
    for tool in TOOLS:
        if tool == "pandas" and rows > pandas_max:
            print(f"pandas skipped: {rows:,} rows > --pandas-max")
            continue
        if tool == "polars" and importlib.util.find_spec("polars") is None:
            print("polars skipped: not installed (pip install '.[bench]')")
            continue
        runs = [_run(_TOOL, tool, str(store), str(threads), str(HERE)) for _ in range(repeat)]
        best = min(runs, key=lambda r: r["seconds"])
        results.append({**best, "peak_mb": max(r["peak_mb"] for r in runs)})
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=20_000_000)
    parser.add_argument("--base", type=int, default=5_000_000, help="simulated requests replicated up to --requests")
    parser.add_argument("--out", type=Path, default=Path("bench-out"))
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--threads", type=int, default=0, help="engine threads (0: all cores)")
    parser.add_argument("--pandas-max", type=int, default=50_000_000)
    parser.add_argument("--spark", action="store_true", help="also run the full study on local Spark")
    parser.add_argument("--skip-full", action="store_true", help="only the tool comparison")
    parser.add_argument("--skip-tools", action="store_true", help="only the full study")
    parser.add_argument("--store", type=Path, help="an existing store to measure instead of a replicated one")
    parser.add_argument("--memory-limit", default="", help="DuckDB's memory_limit for the full study, e.g. 6GB")
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    from bigstore import big_store

    store = args.store or big_store(args.out, args.requests, args.base)
    rows = _row_count(store)
    load = os.getloadavg()[0]
    print(f"# {rows:,} requests, {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{date.today()}, load average {load:.1f} at start")

    if not args.skip_full:
        engines = ["duckdb", *(["spark"] if args.spark else [])]
        for engine in engines:
            print(f"\n## full study on {engine}\n\n| section | figures | seconds | rows/s | peak memory so far |")
            print("|---|---:|---:|---:|---:|")
            for r in _run(_FULL_STUDY, str(store), engine, str(HERE), args.memory_limit):
                print(f"| {r['section']} | {r['figures']} | {r['seconds']:.1f} | {rows / r['seconds']:,.0f} |"
                      f" {r['peak_mb']:,.0f} MB |")

    if args.skip_tools:
        return
    results = compare_tools(store, rows, args.repeat, args.threads, args.pandas_max)
    ours = next(r for r in results if r["tool"] == "tokencensus")
    print("\n## F1 + F14 + T3, same work in each tool (best of %d)\n" % args.repeat)
    print("| tool | seconds | rows/s | peak memory | time / tokencensus | same numbers |")
    print("|---|---:|---:|---:|---:|---|")
    for r in results:
        same = "yes" if _agree(ours["fingerprint"], r["fingerprint"]) else "NO"
        print(f"| {r['tool']} | {r['seconds']:.1f} | {rows / r['seconds']:,.0f} | {r['peak_mb']:,.0f} MB |"
              f" {r['seconds'] / ours['seconds']:.2f}x | {same} |")
    print(f"\nload average at end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
