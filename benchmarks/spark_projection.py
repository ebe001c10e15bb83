"""The study on local Apache Spark, and what it would take on a cluster, from Spark's own task costs.

One command: ``python benchmarks/spark_projection.py --store DATA [--figures F1,F2] [--cores 8,32,128,512]``.

1. Starts a local Spark through tokencensus with Spark's event log on, runs the study on it with
   ``Study(store, engine=session, reuse=False)`` figure by figure (each figure a Spark job group
   of its own, the enrichment and its cache first), timing each, then stops Spark.
2. Reads the event log into per-stage task costs: tasks (partitions), the sum and the largest of
   their run times (a task's launch to its finish, what it holds a core for), executor CPU time,
   input and shuffle bytes. A job's fixed overhead is its wall time minus the critical path of
   its stages at the local number of cores (jobs that overlapped count their common time once);
   a figure's driver time is its wall time outside any Spark job (planning, Ibis compilation,
   Arrow results on the driver).
3. Projects each figure on C cores: every stage takes ``ceil(tasks / C)`` waves of its mean task,
   or its largest task if that is longer; a figure takes the sum of its stages plus its jobs'
   fixed overhead and its driver time. A store k times larger (``--scale``) has k times the tasks
   in every stage, each as long as now: input splits grow with the files, and adaptive execution
   keeps shuffle partitions near its advisory size, so the work per partition stays what it was.

The model ignores, and so flatters a real cluster on: shuffle over the network (local shuffle
reads are from the same disk), skew (a partition k times larger than the rest), executor start-up
and dynamic allocation, the driver's own memory and planning on a much larger plan, and a cache
that no longer fits in executor memory. It is conservative where stages ran at the same time
(adaptive execution runs independent query stages at once, as jobs of their own): stages are
projected one after another, so on many cores a figure of many small concurrent stages is
overstated, and the sections table's "model at local cores" can exceed the measured time. Task
times are measured on this machine's cores, and stretched by anything else running on it (the
stage table's CPU / run ratio shows how much); a cluster core of another speed scales them.
Measure on a store large enough that tasks are mostly work: on a small one a task is mostly its
fixed cost (launch, deserialisation), which the scaled projection would multiply as if it were data.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

#: Spark writes one plain JSON-lines file per application into the folder given, so it can be read
#: line by line once Spark has stopped.
EVENT_LOG_CONF = {
    "spark.eventLog.enabled": "true",
    "spark.eventLog.compress": "false",
    "spark.eventLog.rolling.enabled": "false",
}
#: The job group of what comes before the first figure: opening the store, enriching and caching it.
ENRICH = "enrich + cache"
#: The job group of Spark jobs started outside any group the script set (none are expected).
UNGROUPED = "(ungrouped)"
#: Only these events are parsed (Spark writes "Event" first, without spaces); the SQL plan events
#: are most of the log's bytes.
_WANTED = tuple(f'{{"Event":"{name}"' for name in (
    "SparkListenerJobStart", "SparkListenerJobEnd", "SparkListenerTaskEnd", "SparkListenerExecutorAdded"))
#: How many of the costliest stages the stage table lists.
TOP_STAGES = 8


# Event log -> per-stage records ------------------------------------------------------------------

@dataclass(frozen=True)
class StageCost:
    """The finished tasks of one stage (all attempts): their count and costs, times in milliseconds."""

    stage_id: int
    tasks: int
    task_ms: int
    max_task_ms: int
    run_ms: int
    cpu_ms: float
    input_bytes: int
    shuffle_read_bytes: int


@dataclass(frozen=True)
class JobCost:
    """One Spark job: its group (the figure that ran it), when it ran and the stages whose tasks it ran."""

    job_id: int
    group: str
    start_ms: int
    end_ms: int
    stages: tuple[StageCost, ...]


@dataclass(frozen=True)
class EventLog:
    """The jobs of one Spark application and the cores its executors had."""

    jobs: tuple[JobCost, ...]
    cores: int


def read_event_log(directory: Path) -> Iterator[str]:
    """The lines of the one application's event log in ``directory`` (written with :data:`EVENT_LOG_CONF`)."""
    files = [p for p in directory.iterdir() if p.is_file() and not p.name.startswith(".")]
    if len(files) != 1:
        raise ValueError(f"expected one finished event log in {directory}, found {sorted(p.name for p in files)}")
    with files[0].open(encoding="utf-8") as lines:
        yield from lines


def _shuffle_bytes(metrics: Mapping) -> int:
    read = metrics.get("Shuffle Read Metrics", {})
    return read.get("Remote Bytes Read", 0) + read.get("Local Bytes Read", 0)


def parse_event_log(lines: Iterable[str]) -> EventLog:
    """Jobs with the costs of the stages they ran, from a Spark event log's JSON lines.

    A stage counts in the first job that lists it and only with tasks: a stage a later job lists
    again reuses its shuffle output (Spark shows it as skipped and runs no task for it). Jobs that
    never ended are left out.
    """
    starts: dict[int, tuple[str, int, list[int]]] = {}
    ends: dict[int, int] = {}
    tasks: dict[int, list[tuple[int, int, float, int, int]]] = defaultdict(list)
    cores = 0
    for line in lines:
        if not line.startswith(_WANTED):
            continue
        event = json.loads(line)
        kind = event["Event"]
        if kind == "SparkListenerJobStart":
            group = (event.get("Properties") or {}).get("spark.jobGroup.id") or UNGROUPED
            starts[event["Job ID"]] = (group, event["Submission Time"], event["Stage IDs"])
        elif kind == "SparkListenerJobEnd":
            ends[event["Job ID"]] = event["Completion Time"]
        elif kind == "SparkListenerExecutorAdded":
            cores += event["Executor Info"]["Total Cores"]
        else:
            info, metrics = event["Task Info"], event.get("Task Metrics") or {}
            tasks[event["Stage ID"]].append((
                info["Finish Time"] - info["Launch Time"],
                metrics.get("Executor Run Time", 0),
                metrics.get("Executor CPU Time", 0) / 1e6,
                metrics.get("Input Metrics", {}).get("Bytes Read", 0),
                _shuffle_bytes(metrics),
            ))
    claimed: set[int] = set()
    jobs = []
    for job_id in sorted(starts):
        group, start, stage_ids = starts[job_id]
        stages = tuple(_stage_cost(s, tasks[s]) for s in sorted(stage_ids) if s in tasks and s not in claimed)
        claimed.update(stage_ids)
        if job_id in ends:
            jobs.append(JobCost(job_id, group, start, ends[job_id], stages))
    return EventLog(tuple(jobs), cores)


def _stage_cost(stage_id: int, tasks: Sequence[tuple[int, int, float, int, int]]) -> StageCost:
    durations, run, cpu, input_bytes, shuffle = zip(*tasks, strict=True)
    return StageCost(stage_id, len(tasks), sum(durations), max(durations), sum(run), sum(cpu),
                     sum(input_bytes), sum(shuffle))


# Per-stage records -> projection ------------------------------------------------------------------

def stage_ms(stage: StageCost, cores: int, scale: int = 1) -> float:
    """A stage on ``cores`` cores with ``scale`` times its tasks: whole waves of its mean task, or its
    largest task when that is longer. On one core, exactly the sum of its task times (times ``scale``)."""
    waves = math.ceil(stage.tasks * scale / cores)
    return max(waves * stage.task_ms / stage.tasks, stage.max_task_ms)


def critical_path_ms(stages: Iterable[StageCost], cores: int, scale: int = 1) -> float:
    """Stages run one after another on ``cores`` cores."""
    return sum(stage_ms(stage, cores, scale) for stage in stages)


def projected_ms(stages: Sequence[StageCost], fixed_ms: float, cores: int, scale: int = 1) -> float:
    """Stages on ``cores`` cores over a store ``scale`` times larger, plus a fixed time no core shortens."""
    return critical_path_ms(stages, cores, scale) + fixed_ms


def covered_ms(intervals: Iterable[tuple[int, int]]) -> int:
    """The length of the union of ``(start, end)`` intervals: how long at least one job was running."""
    total, reach = 0, None
    for start, end in sorted(intervals):
        if reach is None or start > reach:
            total += end - start
            reach = end
        elif end > reach:
            total += end - reach
            reach = end
    return total


@dataclass(frozen=True)
class UnitModel:
    """What one timed unit (a figure, or the enrichment) costs beyond its stages' task time.

    ``driver_ms``: its wall time outside any Spark job. ``overhead_ms``: the time its jobs ran
    beyond their stages' critical path at the local cores (scheduling, task launch, collecting
    results). For jobs one after another that is the sum of each job's wall time minus its critical
    path; jobs that overlapped (adaptive execution submits independent query stages as jobs at
    once, each waiting on the others' tasks) count their common time once.
    """

    label: str
    wall_ms: float
    driver_ms: float
    overhead_ms: float
    jobs: tuple[JobCost, ...]

    @property
    def stages(self) -> tuple[StageCost, ...]:
        return tuple(stage for job in self.jobs for stage in job.stages)

    @property
    def fixed_ms(self) -> float:
        return self.driver_ms + self.overhead_ms

    def projected_ms(self, cores: int, scale: int = 1) -> float:
        return projected_ms(self.stages, self.fixed_ms, cores, scale)


def unit_model(label: str, wall_ms: float, jobs: Sequence[JobCost], local_cores: int) -> UnitModel:
    """A unit's driver time and job overhead from its measured wall time and its jobs."""
    running = covered_ms((job.start_ms, job.end_ms) for job in jobs)
    stages = [stage for job in jobs for stage in job.stages]
    overhead = max(0.0, running - critical_path_ms(stages, local_cores))
    return UnitModel(label, wall_ms, max(0.0, wall_ms - running), overhead, tuple(jobs))


def unit_models(log: EventLog, walls_ms: Mapping[str, float]) -> list[UnitModel]:
    """One model per timed unit, in ``walls_ms`` order, from the jobs of its group (and one for
    jobs of no known group, whose wall time is theirs alone)."""
    by_group: dict[str, list[JobCost]] = defaultdict(list)
    for job in log.jobs:
        by_group[job.group if job.group in walls_ms else UNGROUPED].append(job)
    strays = by_group.get(UNGROUPED, [])
    walls = {**walls_ms, **({UNGROUPED: covered_ms((j.start_ms, j.end_ms) for j in strays)} if strays else {})}
    return [unit_model(label, wall, by_group.get(label, []), log.cores) for label, wall in walls.items()]


# Markdown ----------------------------------------------------------------------------------------

def _seconds(ms: float) -> str:
    return f"{ms / 1000:,.1f}"


def _table(header: Sequence[str], align: str, rows: Iterable[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---:" if a == "r" else "---" for a in align) + "|"]
    return "\n".join([*lines, *("| " + " | ".join(row) + " |" for row in rows)])


def sections_table(models: Sequence[UnitModel], section_of: Mapping[str, str], local_cores: int) -> str:
    """Measured wall time per section beside its parts: driver time, job overhead and task time."""
    groups: dict[str, list[UnitModel]] = defaultdict(list)
    for model in models:
        groups[section_of.get(model.label, model.label)].append(model)
    rows = []
    for section, parts in [*groups.items(), ("total", list(models))]:
        figures = sum(m.label in section_of for m in parts)
        rows.append((section, str(figures), str(sum(len(m.jobs) for m in parts)), _seconds(sum(m.wall_ms for m in parts)),
                     _seconds(sum(m.driver_ms for m in parts)), _seconds(sum(m.overhead_ms for m in parts)),
                     _seconds(sum(s.task_ms for m in parts for s in m.stages)),
                     _seconds(sum(m.projected_ms(local_cores) for m in parts))))
    header = ("section", "figures", "Spark jobs", "measured s", "driver s", "job overhead s", "task s",
              f"model at {local_cores} cores s")
    return _table(header, "lrrrrrrr", rows)


def stages_table(models: Sequence[UnitModel], top: int = TOP_STAGES) -> str:
    """The costliest stages by total task time, and the stage count and task time of all."""
    stages = [(m.label, job.job_id, stage) for m in models for job in m.jobs for stage in job.stages]
    stages.sort(key=lambda s: s[2].task_ms, reverse=True)
    rows = [(label, str(job_id), str(s.stage_id), f"{s.tasks:,}", _seconds(s.task_ms), _seconds(s.max_task_ms),
             f"{s.cpu_ms / s.run_ms:.2f}" if s.run_ms else "-", f"{s.input_bytes / 1e6:,.1f}",
             f"{s.shuffle_read_bytes / 1e6:,.1f}") for label, job_id, s in stages[:top]]
    all_tasks = sum(s.tasks for *_, s in stages)
    rows.append((f"all {len(stages)} stages", "", "", f"{all_tasks:,}", _seconds(sum(s.task_ms for *_, s in stages)),
                 "", "", "", ""))
    header = ("figure", "job", "stage", "tasks", "task s", "max task s", "CPU / run", "input MB", "shuffle read MB")
    return _table(header, "lrrrrrrrr", rows)


def projection_table(models: Sequence[UnitModel], cores: Sequence[int], scales: Sequence[int], requests: int) -> str:
    """Projected wall time of everything measured, per data scale (rows) and cluster size (columns)."""
    fixed = sum(m.fixed_ms for m in models)
    rows = []
    for scale in scales:
        rows.append((f"{scale:,}x ({requests * scale:,} requests)", _seconds(fixed),
                     *(_seconds(sum(m.projected_ms(c, scale) for m in models)) for c in cores)))
    return _table(("store", "fixed s", *(f"{c:,} cores s" for c in cores)), "lr" + "r" * len(cores), rows)


# Spark -------------------------------------------------------------------------------------------

def measure_on_spark(store: Path, figure_ids: Sequence[str], log_dir: Path, threads: int | None) -> dict[str, float]:
    """Run the enrichment and the figures on a local Spark logging its events to ``log_dir``;
    wall milliseconds per unit, each unit a job group. Spark is stopped before this returns."""
    from tokencensus import Study
    from tokencensus.engine import local_spark_session

    session = local_spark_session(threads, conf={**EVENT_LOG_CONF, "spark.eventLog.dir": log_dir.as_uri()})
    session.sparkContext.setLogLevel("ERROR")
    walls: dict[str, float] = {}
    try:
        session.sparkContext.setJobGroup(ENRICH, ENRICH)
        t = time.perf_counter()
        study = Study(store, engine=session, reuse=False)
        study.inputs.requests.count().to_pyarrow()  # materialises the cached, enriched table
        walls[ENRICH] = (time.perf_counter() - t) * 1000
        for figure_id in figure_ids:
            session.sparkContext.setJobGroup(figure_id, figure_id)
            t = time.perf_counter()
            study.figures([figure_id])
            walls[figure_id] = (time.perf_counter() - t) * 1000
    finally:
        session.stop()
    return walls


def _ints(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x]


def main() -> None:
    from tokencensus.store import Store
    from tokencensus.study import FIGURES

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", type=Path, required=True, help="an existing tokencensus store")
    parser.add_argument("--figures", default=",".join(FIGURES), help="comma-separated figure ids (default: all)")
    parser.add_argument("--cores", type=_ints, default=[8, 32, 128, 512], help="cluster sizes to project")
    parser.add_argument("--scale", type=_ints, default=[10, 1000], help="store sizes to project, times this one")
    parser.add_argument("--threads", type=int, default=0, help="local Spark cores (0: all)")
    parser.add_argument("--event-log", type=Path, help="keep Spark's event log in this (new) folder")
    args = parser.parse_args()
    figure_ids = [f for f in args.figures.split(",") if f]
    unknown = [f for f in figure_ids if f not in FIGURES]
    if unknown:
        parser.error(f"unknown figure id(s) {unknown}")

    requests = Store(args.store).row_count()
    log_dir = args.event_log or Path(tempfile.mkdtemp(prefix="spark-events-"))
    log_dir.mkdir(parents=True, exist_ok=True)
    print(f"# {requests:,} requests, {len(figure_ids)} figures, {platform.machine()}, {os.cpu_count()} cores, "
          f"{date.today()}, load average {os.getloadavg()[0]:.1f} at start")
    try:
        walls = measure_on_spark(args.store, figure_ids, log_dir, args.threads or None)
        log = parse_event_log(read_event_log(log_dir))
    finally:
        if args.event_log is None:
            shutil.rmtree(log_dir, ignore_errors=True)
    models = unit_models(log, walls)
    section_of = {f: FIGURES[f].section for f in figure_ids}
    print(f"\n## measured on local Spark ({log.cores} cores)\n\n{sections_table(models, section_of, log.cores)}")
    print(f"\n## stages by task time\n\n{stages_table(models)}")
    print(f"\n## projected wall time\n\n{projection_table(models, args.cores, [1, *args.scale], requests)}")
    print(f"\nload average at end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
