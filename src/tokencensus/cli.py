"""Command line interface (placeholder until the API lands)."""

import typer

app = typer.Typer()
