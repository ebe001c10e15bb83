"""benchmarks/spark_projection.py: Spark event logs read into per-stage costs, and the cluster projection.

The parser and the model are checked on a hand-written event log with every number worked out
by hand, and the model's invariants with hypothesis; none of that needs Spark. One test runs the
script on local Spark over a tiny store, skipped where pyspark or Java is missing.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

from spark_projection import (  # noqa: E402
    UNGROUPED,
    StageCost,
    covered_ms,
    parse_event_log,
    projected_ms,
    read_event_log,
    stages_table,
    unit_models,
)


def _job_start(job_id: int, at: int, stages: list[int], group: str | None) -> dict:
    properties = {"spark.jobGroup.id": group, "spark.job.description": group} if group else {}
    return {"Event": "SparkListenerJobStart", "Job ID": job_id, "Submission Time": at, "Stage IDs": stages,
            "Stage Infos": [], "Properties": properties}


def _job_end(job_id: int, at: int) -> dict:
    return {"Event": "SparkListenerJobEnd", "Job ID": job_id, "Completion Time": at,
            "Job Result": {"Result": "JobSucceeded"}}


def _task_end(stage: int, launch: int, finish: int, *, run: int = 0, cpu_ns: int = 0, input_bytes: int = 0,
              local: int = 0, remote: int = 0) -> dict:
    return {"Event": "SparkListenerTaskEnd", "Stage ID": stage, "Stage Attempt ID": 0, "Task Type": "ResultTask",
            "Task End Reason": {"Reason": "Success"},
            "Task Info": {"Task ID": launch, "Launch Time": launch, "Finish Time": finish, "Failed": False},
            "Task Metrics": {"Executor Run Time": run, "Executor CPU Time": cpu_ns,
                             "Input Metrics": {"Bytes Read": input_bytes, "Records Read": 1},
                             "Shuffle Read Metrics": {"Local Bytes Read": local, "Remote Bytes Read": remote}}}


def _lines(events: list[dict]) -> list[str]:
    return [json.dumps(e, separators=(",", ":")) + "\n" for e in events]


#: Two executor cores. Job 0 (group A) runs stages 0 (three tasks) and 1; job 1 (group A, overlapping
#: job 0 from 2,500 to 3,000) lists stage 1 again, already run, and runs stage 2; job 2 has no group;
#: job 3 never ends. Plus events the parser skips.
EVENTS = [
    {"Event": "SparkListenerLogStart", "Spark Version": "4.0.5"},
    {"Event": "SparkListenerExecutorAdded", "Timestamp": 1, "Executor ID": "driver",
     "Executor Info": {"Host": "localhost", "Total Cores": 2}},
    {"Event": "org.apache.spark.sql.execution.ui.SparkListenerSQLExecutionStart", "executionId": 0},
    _job_start(0, 1000, [0, 1], "A"),
    {"Event": "SparkListenerTaskStart", "Stage ID": 0, "Task Info": {"Launch Time": 1000}},
    _task_end(0, 1000, 1400, run=350, cpu_ns=300_000_000, input_bytes=100),
    _task_end(0, 1000, 1600, run=550, cpu_ns=500_000_000, input_bytes=100),
    _task_end(0, 1400, 1900, run=450, cpu_ns=400_000_000, input_bytes=100),
    _task_end(1, 2000, 2200, run=180, cpu_ns=100_000_000, local=50, remote=10),
    _job_end(0, 3000),
    _job_start(1, 2500, [1, 2], "A"),
    _task_end(2, 2600, 2700, run=90),
    _task_end(2, 2600, 2900, run=280),
    _job_end(1, 3500),
    _job_start(2, 5000, [3], None),
    _task_end(3, 5010, 5070, run=40),
    _job_end(2, 5100),
    _job_start(3, 6000, [4], "A"),
    _task_end(4, 6000, 6100),
    {"Event": "SparkListenerApplicationEnd", "Timestamp": 7000},
]


def test_the_event_log_becomes_per_stage_costs_per_job(tmp_path: Path) -> None:
    (tmp_path / "local-1").write_text("".join(_lines(EVENTS)))
    log = parse_event_log(read_event_log(tmp_path))
    assert log.cores == 2
    assert [(j.job_id, j.group, j.start_ms, j.end_ms) for j in log.jobs] == [
        (0, "A", 1000, 3000), (1, "A", 2500, 3500), (2, UNGROUPED, 5000, 5100)]
    assert log.jobs[0].stages == (
        StageCost(0, tasks=3, task_ms=1500, max_task_ms=600, run_ms=1350, cpu_ms=1200.0, input_bytes=300,
                  shuffle_read_bytes=0),
        StageCost(1, tasks=1, task_ms=200, max_task_ms=200, run_ms=180, cpu_ms=100.0, input_bytes=0,
                  shuffle_read_bytes=60),
    )
    assert [s.stage_id for s in log.jobs[1].stages] == [2]  # stage 1 counts once, in the job that ran it
    assert (log.jobs[1].stages[0].tasks, log.jobs[1].stages[0].task_ms) == (2, 400)


def test_overheads_driver_time_and_projection_worked_by_hand() -> None:
    log = parse_event_log(_lines(EVENTS))
    a, stray = unit_models(log, {"A": 4000.0})
    # A's jobs ran from 1,000 to 3,500 (overlapping from 2,500 to 3,000), so 1,500 of its 4,000 ms
    # were driver time; at 2 cores its stages take 2 waves x 500 + 200 + 300 (the largest task)
    # = 1,500 ms of those 2,500
    assert (a.driver_ms, a.overhead_ms) == (1500.0, 1000.0)
    assert a.projected_ms(cores=2) == a.wall_ms
    assert a.projected_ms(cores=1) == 2500 + (1500 + 200 + 400)
    assert a.projected_ms(cores=8) == 2500 + (600 + 200 + 300)
    # ten times the tasks: 30 of 500 ms on 8 cores are 4 waves, 10 of 200 ms 2 waves, 20 of 200 ms 3 waves
    assert a.projected_ms(cores=8, scale=10) == 2500 + (2000 + 400 + 600)
    assert (stray.label, stray.wall_ms, stray.driver_ms, stray.overhead_ms) == (UNGROUPED, 100, 0.0, 40.0)
    table = stages_table([a, stray], top=2)
    assert table.splitlines()[2].startswith("| A | 0 | 0 | 3 | 1.5 | 0.6 | 0.89 | 0.0 | 0.0 |")
    assert table.splitlines()[-1] == "| all 4 stages |  |  | 7 | 2.2 |  |  |  |  |"


def test_covered_time_counts_overlaps_once() -> None:
    assert covered_ms([(0, 10), (5, 15), (20, 30), (21, 22)]) == 25
    assert covered_ms([]) == 0


durations = st.lists(st.integers(0, 1_000_000), min_size=1, max_size=40)


@st.composite
def stage_lists(draw: st.DrawFn) -> list[StageCost]:
    return [StageCost(i, len(d), sum(d), max(d), sum(d), 0.0, 0, 0)
            for i, d in enumerate(draw(st.lists(durations, min_size=1, max_size=6)))]


fixed = st.floats(0, 1e7, allow_nan=False)
cores = st.integers(1, 4096)
scales = st.integers(1, 1000)


@given(stage_lists(), fixed, cores, st.integers(0, 4096), scales)
def test_more_cores_are_never_slower(stages: list[StageCost], fixed_ms: float, c: int, more: int,
                                     scale: int) -> None:
    assert projected_ms(stages, fixed_ms, c + more, scale) <= projected_ms(stages, fixed_ms, c, scale)


@given(stage_lists(), fixed, cores, scales, st.integers(0, 1000))
def test_the_fixed_time_is_a_floor_and_more_data_is_never_faster(stages: list[StageCost], fixed_ms: float,
                                                                 c: int, scale: int, more: int) -> None:
    projected = projected_ms(stages, fixed_ms, c, scale)
    assert projected >= fixed_ms
    assert projected_ms(stages, fixed_ms, c, scale + more) >= projected


@given(stage_lists(), fixed, scales)
def test_one_core_runs_every_task_one_after_another(stages: list[StageCost], fixed_ms: float, scale: int) -> None:
    assert projected_ms(stages, fixed_ms, 1, scale) == scale * sum(s.task_ms for s in stages) + fixed_ms


@given(st.lists(st.tuples(st.integers(0, 10**6), st.lists(st.integers(0, 10**5), min_size=1, max_size=5)),
                min_size=1, max_size=5))
def test_the_parser_keeps_every_task(stages: list[tuple[int, list[int]]]) -> None:
    """Whatever the tasks, each stage's count, sum and maximum of task times come back as written."""
    events = [_job_start(0, 0, list(range(len(stages))), "A")]
    events += [_task_end(i, launch, launch + d) for i, (launch, ds) in enumerate(stages) for d in ds]
    (job,) = parse_event_log(_lines([*events, _job_end(0, 1)])).jobs
    assert [(s.tasks, s.task_ms, s.max_task_ms) for s in job.stages] == [(len(d), sum(d), max(d)) for _, d in stages]


def _spark_missing() -> str | None:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed (pip install '.[spark]')"
    return None if shutil.which("java") else "Java 17 is not on PATH"


@pytest.mark.skipif(_spark_missing() is not None, reason=str(_spark_missing()))
def test_the_script_measures_figures_on_local_spark(tmp_path: Path) -> None:
    from tokencensus import Study
    from tokencensus.simulate import simulate
    from tokencensus.store import Store

    world = simulate(tmp_path / "logs", requests=3_000, seed=3, start=date(2025, 6, 2), end=date(2025, 6, 29))
    Study(tmp_path / "data").ingest([*world.activity_files, world.accounts])
    events = tmp_path / "events"
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "spark_projection.py"), "--store", str(tmp_path / "data"),
         "--figures", "F1,F2", "--cores", "4,64", "--scale", "100", "--threads", "2", "--event-log", str(events)],
        capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    log = parse_event_log(read_event_log(events))
    assert log.cores == 2
    assert {"enrich + cache", "F1", "F2"} <= {job.group for job in log.jobs}
    stages = [stage for job in log.jobs for stage in job.stages]
    assert stages and all(s.tasks > 0 and s.max_task_ms <= s.task_ms for s in stages)
    requests = Store(tmp_path / "data").row_count()
    assert f"| 100x ({requests * 100:,} requests) |" in done.stdout
    assert "| market | 2 |" in done.stdout
