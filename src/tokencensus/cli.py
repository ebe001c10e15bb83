"""The ``tokencensus`` command: arguments, progress bars and exit codes around :mod:`tokencensus.api`."""

from __future__ import annotations

import json
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
from tokencensus.engine import UnsupportedEngineError
from tokencensus.report.browser import BrowserMissing
from tokencensus.simulate import simulate as run_simulation

class ReportFormat(str, Enum):
    """What `tokencensus report` writes besides the HTML page and its files."""

    html = "html"
    pdf = "pdf"


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
) -> None:
    """Write a calibrated synthetic gateway world as OpenRouter activity exports, plus truth.json."""
    with _bar("simulate") as progress:
        result = run_simulation(
            out,
            requests=requests,
            seed=seed,
            start=date.fromisoformat(start),
            end=date.fromisoformat(end),
            bad_rate=bad_rate,
            progress=progress,
        )
    console.print(f"wrote {result.requests:,} requests to {out}")


@app.command()
def ingest(
    paths: Annotated[list[str], typer.Argument(help="Log files, directories, or postgresql:// URLs to read.")],
    data: Annotated[Path, typer.Option("--data", help="Store directory (created if missing).")],
    format: Annotated[str | None, typer.Option("--format", help="Log format; detected per file if omitted.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the counts as one JSON object.")] = False,
) -> None:
    """Read gateway logs into the canonical store; every record is stored, a duplicate, or quarantined."""
    study = Study(data)
    try:
        with _bar("ingest", quiet=as_json) as progress:
            result = study.ingest(paths, format=format, progress=progress)
    except (ValueError, FileNotFoundError) as exc:
        raise _fail(str(exc)) from exc
    counts = result.as_dict()
    if as_json:
        typer.echo(json.dumps(counts))
        return
    table = Table("read", "stored", "duplicates", "quarantined")
    table.add_row(*(f"{counts[k]:,}" for k in ("read", "stored", "duplicates", "quarantined")))
    Console().print(table)


@app.command()
def report(
    data: Annotated[Path, typer.Argument(help="Store directory written by `tokencensus ingest`.")],
    out: Annotated[Path, typer.Option("--out", help="Directory for the report.")] = Path("report"),
    engine: Annotated[
        str, typer.Option(help="Query engine: duckdb (embedded), spark (local Spark) or sc://HOST:PORT (Spark Connect).")
    ] = "duckdb",
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
) -> None:
    """Simulate -> ingest -> report in one go: logs in OUT/logs, store in OUT/data, report in OUT/report."""
    logs, data, report_dir = out / "logs", out / "data", out / "report"
    with _bar("simulate") as progress:
        world = run_simulation(logs, requests=requests, seed=seed, progress=progress)
    study = Study(data)
    with _bar("ingest") as progress:
        counts = study.ingest([*world.activity_files, world.accounts], progress=progress).as_dict()
    console.print(", ".join(f"{k} {v:,}" for k, v in counts.items()))
    with _bar("study") as progress:
        index = study.report(report_dir, progress=progress)
    console.print(f"[bold green]report:[/bold green] {index}")


@app.command()
def version() -> None:
    """Print the tokencensus version."""
    typer.echo(__version__)

