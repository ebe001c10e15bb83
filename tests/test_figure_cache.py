"""Re-running the study computes only the figures whose inputs changed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import tokencensus.api
from tokencensus import Study
from tokencensus.simulate import simulate
from tokencensus.study import FIGURES
from tokencensus.study.cache import inputs_read


@pytest.fixture()
def store(tmp_path: Path) -> Path:
    world = simulate(tmp_path / "logs", requests=20_000, seed=5, start=dt.date(2025, 6, 1))
    Study(tmp_path / "data").ingest([*world.activity_files, world.accounts])
    return tmp_path / "data"


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    computed: list[str] = []
    real = tokencensus.api.run_study

    def run_study(inputs, ids):
        computed.extend(ids)
        return real(inputs, ids)

    monkeypatch.setattr(tokencensus.api, "run_study", run_study)
    return computed


def test_an_unchanged_store_computes_nothing_again(store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = Study(store, options={"replicates": 0}).figures()
    computed = _counting(monkeypatch)
    again = Study(store, options={"replicates": 0}).figures()
    assert computed == []
    for figure_id, table in first.items():
        assert again[figure_id].equals(table), figure_id
    Study(store, options={"replicates": 0, "top_n": 5}).figures(["F1"])  # other options: computed afresh
    assert computed == ["F1"]
    Study(store, options={"replicates": 0}, reuse=False).figures(["F2"])
    assert computed == ["F1", "F2"]


def test_new_logs_recompute_the_figures_that_read_requests(store: Path, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    Study(store).figures(["F1", "F2"])
    more = simulate(tmp_path / "more", requests=2_000, seed=6, start=dt.date(2025, 12, 1),
                    end=dt.date(2025, 12, 2), prompt_rate=0)
    computed = _counting(monkeypatch)
    study = Study(store)
    study.ingest(more.activity_files)
    study.figures(["F1", "F2"])
    assert computed == ["F1", "F2"]


def test_figures_declare_what_they_read(store: Path) -> None:
    inputs = Study(store)._lazy_inputs
    read = {figure_id: inputs_read(figure, inputs) for figure_id, figure in FIGURES.items()}
    assert all("requests" in fields for fields in read.values())
    assert "labels" in read["F6"] and "labels" not in read["F1"]
    assert "prompts" in read["T4"]
