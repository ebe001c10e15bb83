"""Simulate, ingest and report N requests; print rows/s, CPU-seconds and peak memory per stage.

Each stage runs in its own Python process so that its peak resident memory and CPU time are its own.
On a machine with few cores the load average (printed per stage) decides the wall time; CPU-seconds
(user + system) are the fairer comparison between runs.
Usage: python benchmarks/pipeline.py [--requests 20000000] [--out bench-out] [--until simulate|ingest|report]
The printed Markdown table is what BENCHMARKS.md records.
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

STAGES = ("simulate", "ingest", "report")
STAGE = r"""
import json, os, resource, sys, time
from pathlib import Path
stage, out, n = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
load = os.getloadavg()[0]
t0 = time.perf_counter()
if stage == "simulate":
    from tokencensus.simulate import simulate
    rows = simulate(out / "logs", requests=n).requests
elif stage == "ingest":
    from tokencensus import Study
    files = sorted((out / "logs").glob("*.csv"))
    rows = Study(out / "data").ingest(files).read
else:
    from tokencensus import Study
    study = Study(out / "data", reuse=False)
    study.report(out / "report")
    rows = study.store.row_count()
seconds = time.perf_counter() - t0
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"stage": stage, "rows": rows, "seconds": seconds, "cpu_s": usage.ru_utime + usage.ru_stime,
                  "peak_mb": usage.ru_maxrss / 1024, "load": load}))
"""


def run_stage(stage: str, out: Path, requests: int) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", STAGE, stage, str(out), str(requests)], check=True, capture_output=True, text=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=20_000_000)
    parser.add_argument("--out", type=Path, default=Path("bench-out"))
    parser.add_argument("--until", choices=STAGES, default=STAGES[-1], help="the last stage to run")
    args = parser.parse_args()
    shutil.rmtree(args.out, ignore_errors=True)
    results = [run_stage(stage, args.out, args.requests) for stage in STAGES[:STAGES.index(args.until) + 1]]
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {date.today()}")
    print("| stage | rows | seconds | rows/s | CPU-s | CPU-s per 1M rows | peak memory | load at start |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r['stage']} | {r['rows']:,} | {r['seconds']:.1f} | {r['rows'] / r['seconds']:,.0f} |"
            f" {r['cpu_s']:.1f} | {r['cpu_s'] / r['rows'] * 1e6:.2f} | {r['peak_mb']:,.0f} MB | {r['load']:.1f} |"
        )


if __name__ == "__main__":
    main()
