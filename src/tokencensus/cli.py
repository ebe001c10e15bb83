"""The ``tokencensus`` command: arguments, progress bars and exit codes around :mod:`tokencensus.api`."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from tokencensus import __version__
from tokencensus.api import Progress as ProgressCallback
from tokencensus.api import Study
from tokencensus.classify.cli import app as classifier_app
from tokencensus.classify.sampling import DEFAULT_RATE
from tokencensus.engine import UnsupportedEngineError
from tokencensus.report.browser import BrowserMissing
from tokencensus.simulate import simulate as run_simulation

class ReportFormat(str, Enum):
    """What `tokencensus report` writes besides the HTML page and its files."""

    html = "html"
    pdf = "pdf"


DEMO_SAMPLE_RATE = 0.05
ENGINE_HELP = "Query engine: duckdb (embedded), spark (local Spark) or sc://HOST:PORT (Spark Connect)."

app = typer.Typer(
    help="The State of AI usage study on your own LLM gateway logs.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(classifier_app, name="classifier")
console = Console(stderr=True)


@contextmanager
def _bar(description: str, *, quiet: bool = False) -> Iterator[ProgressCallback]:
    """A rich progress bar, handed out as the ``progress(done, total)`` callback the API takes."""
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=quiet,
        transient=False,
    ) as bar:
        task = bar.add_task(description, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def _fail(message: str) -> typer.Exit:
    console.print(f"[red]error:[/red] {message}")
    return typer.Exit(code=1)


@app.command()
def simulate(
    out: Annotated[Path, typer.Argument(help="Directory to write the simulated logs into.")],
    requests: Annotated[int, typer.Option(help="Number of requests to simulate.")] = 2_000_000,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same files.")] = 0,
    start: Annotated[str, typer.Option(help="First day (YYYY-MM-DD).")] = "2024-11-04",
    end: Annotated[str, typer.Option(help="Last day (YYYY-MM-DD).")] = "2025-11-30",
    bad_rate: Annotated[float, typer.Option(help="Share of deliberately bad records.")] = 2e-5,
    prompt_rate: Annotated[float, typer.Option(
        min=0.0, max=1.0,
        help="Hash-sample rate of requests whose prompts go to prompts-YYYY-MM.jsonl (0: none).")] = DEFAULT_RATE,
) -> None:
    """Write a calibrated synthetic gateway world as OpenRouter activity exports, plus truth.json and a
    prompt log of the sampled requests."""
    with _bar("simulate") as progress:
        result = run_simulation(
            out,
            requests=requests,
            seed=seed,
            start=date.fromisoformat(start),
            end=date.fromisoformat(end),
            bad_rate=bad_rate,
            prompt_rate=prompt_rate,
            progress=progress,
        )
    console.print(f"wrote {result.requests:,} requests ({result.prompt_requests:,} with prompts) to {out}")


@app.command()
def ingest(
    paths: Annotated[list[str], typer.Argument(help="Log files, directories, or postgresql:// URLs to read.")],
    data: Annotated[Path, typer.Option("--data", help="Store directory (created if missing).")],
    format: Annotated[str | None, typer.Option("--format", help="Log format; detected per file if omitted.")] = None,
    sample_rate: Annotated[float, typer.Option(
        help="Share of requests whose prompt text is kept (scrubbed) for classification, by a hash of request_id.")
    ] = DEFAULT_RATE,
    prompts_only: Annotated[bool, typer.Option(
        "--prompts-only", help="The files are prompt logs of requests another log holds: take only their prompts.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the counts as one JSON object.")] = False,
) -> None:
    """Read gateway logs into the canonical store; every record is stored, a duplicate, or quarantined."""
    study = Study(data)
    try:
        with _bar("ingest", quiet=as_json) as progress:
            result = study.ingest(paths, format=format, progress=progress, sample_rate=sample_rate,
                                  prompts_only=prompts_only)
    except (ValueError, FileNotFoundError) as exc:
        raise _fail(str(exc)) from exc
    counts = {**result.as_dict(), "prompts": result.prompts}
    if as_json:
        typer.echo(json.dumps(counts))
        return
    table = Table(*counts)
    table.add_row(*(f"{n:,}" for n in counts.values()))
    Console().print(table)


@app.command()
def classify(
    data: Annotated[Path, typer.Argument(help="Store directory written by `tokencensus ingest`.")],
    classifier: Annotated[str, typer.Option(
        help="fast (default), llm, or a model directory written by `tokencensus classifier train`.")] = "fast",
    sample_rate: Annotated[float | None, typer.Option(
        help="Classify a smaller hash sample than the prompts kept at ingest.")] = None,
    target: Annotated[int | None, typer.Option(help="Classify about this many requests (a hash sample).")] = None,
    truth: Annotated[Path | None, typer.Option(
        help="Known tasks (request_id, label; Parquet or JSONL): score the labels against them.")] = None,
    replace: Annotated[bool, typer.Option(help="Discard labels another classifier wrote.")] = False,
    engine: Annotated[str, typer.Option(help=ENGINE_HELP)] = "duckdb",
    as_json: Annotated[bool, typer.Option("--json", help="Print the outcome as one JSON object.")] = False,
) -> None:
    """Detect the language of and classify the store's sampled prompts; resumable, nothing twice."""
    try:
        study = Study(data, engine=engine)
        with _bar("classify", quiet=as_json) as progress:
            result = study.classify(classifier, sample_rate=sample_rate, target=target, replace=replace, truth=truth,
                                    progress=progress)
    except (ValueError, KeyError, FileNotFoundError, UnsupportedEngineError) as exc:
        raise _fail(str(exc)) from exc
    evaluation = study.classifier_scores() if truth is not None else None
    if as_json:
        typer.echo(json.dumps({**result.as_dict(), "evaluation": evaluation}))
        return
    console.print(_classified_line(result.as_dict(), evaluation))


def _classified_line(result: dict, evaluation: dict | None) -> str:
    line = (f"{result['classifier']}: {result['classified']:,} prompts classified "
            f"({result['already']:,} already), {result['prompts_per_second']:,.0f} prompts/s")
    if evaluation:
        line += (f"; against {evaluation['n']:,} known tasks: macro-F1 {evaluation['macro_f1']:.3f} (leaf), "
                 f"{evaluation['macro_f1_report12']:.3f} (12 categories)")
    return line


@app.command()
def report(
    data: Annotated[Path, typer.Argument(help="Store directory written by `tokencensus ingest`.")],
    out: Annotated[Path, typer.Option("--out", help="Directory for the report.")] = Path("report"),
    engine: Annotated[str, typer.Option(help=ENGINE_HELP)] = "duckdb",
    format: Annotated[
        ReportFormat, typer.Option("--format", help="html, or pdf: also report.pdf and figures/*.pdf (needs Chromium).")
    ] = ReportFormat.html,
) -> None:
    """Compute every figure and write the self-contained HTML report with PNG, CSV and summary.json."""
    try:
        study = Study(data, engine=engine)
        with _bar("study") as progress:
            index = study.report(out, progress=progress, pdf=format is ReportFormat.pdf)
    except (ValueError, BrowserMissing, UnsupportedEngineError) as exc:
        raise _fail(str(exc)) from exc
    console.print(f"report: {index}")


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", help="Directory for logs, store and report.")] = Path("demo-out"),
    requests: Annotated[int, typer.Option(help="Number of requests to simulate.")] = 2_000_000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    sample_rate: Annotated[float, typer.Option(
        help="Share of requests whose prompts are logged and classified. Higher than the report's 0.25%: "
             "at a demo's size, monthly category cells need it to reach the minimum number of users.")
    ] = DEMO_SAMPLE_RATE,
) -> None:
    """Simulate -> ingest -> classify -> report: logs in OUT/logs, store in OUT/data, report in OUT/report.

    Each run starts afresh: those three folders are replaced (a store left by an earlier demo would
    otherwise be added to, and the report would mix two worlds). The simulated gateway's prompt
    log is ingested as such, and the classifier is scored against the simulator's answer key
    (labels.parquet), which the report quotes."""
    logs, data, report_dir = out / "logs", out / "data", out / "report"
    for folder in (logs, data, report_dir):
        shutil.rmtree(folder, ignore_errors=True)
    with _bar("simulate") as progress:
        world = run_simulation(logs, requests=requests, seed=seed, prompt_rate=sample_rate, progress=progress)
    study = Study(data)
    with _bar("ingest") as progress:
        counts = study.ingest([*world.activity_files, world.accounts], progress=progress).as_dict()
        prompts = study.ingest(world.prompt_logs, format="openai", sample_rate=sample_rate, prompts_only=True,
                               progress=progress).prompts
    console.print(", ".join(f"{k} {v:,}" for k, v in {**counts, "prompts": prompts}.items()))
    with _bar("classify") as progress:
        classified = study.classify(truth=world.labels, progress=progress)
    console.print(_classified_line(classified.as_dict(), study.classifier_scores()))
    with _bar("study") as progress:
        index = study.report(report_dir, progress=progress)
    console.print(f"[bold green]report:[/bold green] {index}")


@app.command()
def version() -> None:
    """Print the tokencensus version."""
    typer.echo(__version__)

