"""``tokencensus classifier``: measure a classifier on a labelled file, or train one on your labels."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from tokencensus.classify import corpus
from tokencensus.classify.classifier import get_classifier
from tokencensus.classify.evaluate import Evaluation, Scores, evaluate
from tokencensus.classify.taxonomy import load_taxonomy

app = typer.Typer(help="Evaluate and train task classifiers.", no_args_is_help=True, add_completion=False)
console = Console()
errors = Console(stderr=True)

Taxonomy = Annotated[Path | None, typer.Option(help="A taxonomy YAML file instead of the packaged one.")]


def _scores_table(title: str, scores: Scores) -> Table:
    table = Table(title=title)
    for column in ("label", "precision", "recall", "F1", "support"):
        table.add_column(column, justify="left" if column == "label" else "right")
    for label, s in scores.per_label.items():
        table.add_row(label, f"{s['precision']:.3f}", f"{s['recall']:.3f}", f"{s['f1']:.3f}", str(s["support"]))
    return table


def _confusion_table(scores: Scores) -> Table:
    table = Table(title="confusion (rows: true, columns: predicted)")
    table.add_column("")
    short = [label[:5] for label in scores.labels]
    for name in short:
        table.add_column(name, justify="right")
    for label, row in zip(scores.labels, scores.confusion):
        table.add_row(label, *(str(v) if v else "." for v in row))
    return table


def _print(result: Evaluation) -> None:
    console.print(_scores_table(f"{result.classifier} on {result.n:,} prompts", result.leaf))
    console.print(_scores_table("report's 12 categories", result.report12))
    console.print(_confusion_table(result.leaf))
    console.print(f"macro-F1 leaf: {result.leaf.macro_f1:.3f}")
    console.print(f"macro-F1 report12: {result.report12.macro_f1:.3f}")
    console.print(f"prompts/s: {result.prompts_per_second:,.0f}")


@app.command("eval")
def eval_command(
    file: Annotated[Path, typer.Argument(help="JSONL of {\"text\", \"label\"} lines.")],
    classifier: Annotated[str, typer.Option(help="Classifier name or trained model directory.")] = "fast",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    taxonomy: Taxonomy = None,
) -> None:
    """Per-label precision/recall/F1, macro-F1 (leaf and report12), confusion matrix, prompts/s."""
    try:
        examples = corpus.read(file)
        model = get_classifier(classifier)
    except (OSError, ValueError, KeyError) as error:
        errors.print(f"[red]error:[/red] {error}")
        raise typer.Exit(code=1) from None
    result = evaluate(model, [e.text for e in examples], [e.label for e in examples], load_taxonomy(taxonomy))
    if as_json:
        print(json.dumps(result.to_json()))
    else:
        _print(result)


@app.command()
def train(
    labels: Annotated[Path, typer.Argument(help="JSONL of {\"text\", \"label\"[, \"subcategory\"]} lines.")],
    out: Annotated[Path | None, typer.Option(help="Directory to save the model in (default: the models cache, by file name).")] = None,
    with_corpus: Annotated[bool, typer.Option(help="Also train on the packaged corpus.")] = False,
    taxonomy: Taxonomy = None,
) -> None:
    """Train the fast classifier on your labels (from the LLM labeller or from people)."""
    from tokencensus.classify.train import train_file

    try:
        model, directory = train_file(labels, out, taxonomy_path=taxonomy, with_corpus=with_corpus)
    except (OSError, ValueError) as error:
        errors.print(f"[red]error:[/red] {error}")
        raise typer.Exit(code=1) from None
    errors.print(f"saved {model.id} to {directory}; use it with --classifier {directory}")
