"""Simulate, ingest and report N requests; print rows/s and peak memory per stage.

Each stage runs in its own Python process so that its peak resident memory is its own.
Usage: python benchmarks/pipeline.py [--requests 20000000] [--out bench-out]
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

STAGE = r"""
import json, resource, sys, time
from pathlib import Path
stage, out, n = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
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
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"stage": stage, "rows": rows, "seconds": seconds, "peak_mb": peak_mb}))
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
    args = parser.parse_args()
    shutil.rmtree(args.out, ignore_errors=True)
    results = [run_stage(stage, args.out, args.requests) for stage in ("simulate", "ingest", "report")]
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {date.today()}")
    print("| stage | rows | seconds | rows/s | peak memory |")
    print("|---|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r['stage']} | {r['rows']:,} | {r['seconds']:.1f} | {r['rows'] / r['seconds']:,.0f} |"
            f" {r['peak_mb']:,.0f} MB |"
        )


if __name__ == "__main__":
    main()
