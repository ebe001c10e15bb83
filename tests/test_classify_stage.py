"""Prompt capture at ingest and the classify stage: sampling, scrubbing, resuming, scoring.

The logs are OpenAI-format request/response pairs, a format whose records carry prompt text.
A keyword classifier stands in for a trained model: these tests are about the stage (what is
kept, what is labelled once, what is scored), not about a model's accuracy.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from tokencensus import Study
from tokencensus.classify.classifier import Classifier, Prediction
from tokencensus.classify.sampling import in_sample
from tokencensus.classify.stage import EVALUATION_FILE, classify_store
from tokencensus.cli import app
from tokencensus.sources._prompts import PromptSpec
from tokencensus.store import Store
from tokencensus.store.prompts import ORPHAN

SECRETS = ("alice.smith@example.com", "sk-proj-4f9Qz7XyW2vB8nM1kL0pR3sT6uV9wY2zA5cD8eF1", "4111 1111 1111 1111")
TOPICS = {"programming": "fix this python function that sorts a list", "translation": "translate into French: good morning",
          "roleplay": "you are a pirate captain, stay in character"}


class KeywordClassifier(Classifier):
    """Labels by a keyword; counts the texts it saw, and can fail after some batches."""

    name, version = "keywords", "1"

    def __init__(self, fail_after: int | None = None) -> None:
        self.seen: list[str] = []
        self.fail_after = fail_after

    def classify(self, texts: Sequence[str]) -> list[Prediction]:
        if self.fail_after is not None and len(self.seen) >= self.fail_after:
            raise RuntimeError("interrupted")
        self.seen += texts
        return [Prediction(next((label for label, words in TOPICS.items() if words.split()[0] in text), "other"),
                           None, 0.9) for text in texts]


def _pair(i: int, topic: str, secret: str = "") -> dict:
    return {
        "request": {"model": "openai/gpt-4o", "user": f"u{i % 7}",
                    "messages": [{"role": "system", "content": "You are helpful."},
                                 {"role": "user", "content": f"{TOPICS[topic]} {secret} #{i}"}]},
        "response": {"id": f"gen-{i}", "created": 1735689600 + 3600 * i, "model": "openai/gpt-4o",
                     "usage": {"prompt_tokens": 100 + i, "completion_tokens": 20}},
    }


def _log(path: Path, ids: range, secret: str = "") -> Path:
    topics = list(TOPICS)
    path.write_text("\n".join(json.dumps(_pair(i, topics[i % 3], secret)) for i in ids) + "\n")
    return path


def _prompts(store: Store) -> pa.Table:
    return pq.read_table(store.layout.prompts) if store.prompts_glob() else pa.table({"request_id": []})


def _labels(store: Store) -> pa.Table:
    return pq.read_table(store.layout.labels)


def test_only_sampled_prompts_are_kept_and_they_are_scrubbed(tmp_path: Path) -> None:
    store = Store(tmp_path / "data")
    result = store.ingest([_log(tmp_path / "log.jsonl", range(400), " ".join(SECRETS))], sample_rate=0.3)
    prompts = _prompts(store)
    expected = {f"gen-{i}" for i in range(400) if in_sample(f"gen-{i}", 0.3)}
    assert set(prompts["request_id"].to_pylist()) == expected
    assert result.prompts == len(expected) and 60 < len(expected) < 180
    assert store.prompt_rate() == 0.3
    for text in prompts["text"].to_pylist():
        assert text.startswith("You are helpful.") and not any(secret in text for secret in SECRETS)


def test_only_the_sampled_prompts_are_ever_made_into_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The sample is drawn from request ids before any prompt is flattened: the raw text of the
    other requests is never built, even in memory. A quarantined record (gen-15) moves no prompt
    to another row: gen-16, in the sample, keeps its own."""
    made: list[str] = []
    real = PromptSpec.read

    def spy(self: PromptSpec, inputs: pa.Table) -> pa.Array:
        texts = real(self, inputs)
        made.extend(texts.to_pylist())
        return texts

    monkeypatch.setattr(PromptSpec, "read", spy)
    path = _log(tmp_path / "log.jsonl", range(400))
    path.write_text(path.read_text().replace('"created": 1735743600', '"created": "not a time"'))  # gen-15 is bad
    store = Store(tmp_path / "data")
    result = store.ingest([path], sample_rate=0.1)
    expected = {f"gen-{i}" for i in range(400) if in_sample(f"gen-{i}", 0.1)}
    assert result.as_dict()["quarantined"] == 1 and result.prompts == len(expected) and 15 < len(expected) < 70
    assert sorted(made) == sorted(f"You are helpful.\n\n{TOPICS[list(TOPICS)[int(i.removeprefix('gen-')) % 3]]}  "
                                  f"#{i.removeprefix('gen-')}" for i in expected)
    assert set(_prompts(store)["request_id"].to_pylist()) == expected


def test_no_raw_prompt_text_reaches_any_output(tmp_path: Path) -> None:
    """Secrets planted in every prompt appear in no file of the store or the report."""
    study = Study(tmp_path / "data", options={"min_users": 0, "replicates": 0})
    study.ingest([_log(tmp_path / "log.jsonl", range(300), " ".join(SECRETS))], sample_rate=1.0)
    study.classify(KeywordClassifier())
    study.report(tmp_path / "report")
    files = [p for p in [*(tmp_path / "data").rglob("*"), *(tmp_path / "report").rglob("*")] if p.is_file()]
    assert any(p.suffix == ".parquet" for p in files) and any(p.name == "index.html" for p in files)
    for path in files:
        if path.suffix == ".parquet":  # compressed on disk: search the decoded values
            text = json.dumps(pq.read_table(path).to_pylist(), default=str, ensure_ascii=False)
        else:
            text = path.read_bytes().decode("utf-8", errors="replace")
        for secret in SECRETS:
            assert secret not in text and secret.replace(" ", "") not in text, (path, secret)


def test_a_prompt_log_adds_prompts_to_requests_of_another_log(tmp_path: Path) -> None:
    store = Store(tmp_path / "data")
    store.ingest([_log(tmp_path / "requests.jsonl", range(100))], sample_rate=0.0)
    assert store.prompts_glob() is None and store.prompt_rate() is None
    # the prompt log covers requests 50..119: 50..99 are known, 100..119 are not
    result = store.ingest([_log(tmp_path / "prompts.jsonl", range(50, 120))], sample_rate=1.0, prompts_only=True)
    (file,) = result.files
    assert (file.read, file.stored, file.duplicates, file.quarantined) == (70, 0, 50, 20)
    assert file.prompts == 50 and file.prompts_only
    assert store.row_count() == 100
    assert sorted(_prompts(store)["request_id"].to_pylist()) == sorted(f"gen-{i}" for i in range(50, 100))
    quarantine = store.quarantine_table()
    assert quarantine.num_rows == 20 and set(quarantine["reason"].to_pylist()) == {ORPHAN}


def test_a_prompt_log_ingested_twice_adds_nothing(tmp_path: Path) -> None:
    study = Study(tmp_path / "data")
    study.ingest([_log(tmp_path / "requests.jsonl", range(60))], sample_rate=0.0)
    prompt_log = _log(tmp_path / "prompts.jsonl", range(60), secret="(logged by the proxy)")
    first = study.ingest([prompt_log], sample_rate=1.0, prompts_only=True)
    again = study.ingest([prompt_log], sample_rate=1.0, prompts_only=True)
    assert first.prompts == 60 and again.files[0].skipped and again.prompts == 0
    assert _prompts(study.store).num_rows == 60 and study.store.row_count() == 60


def test_classify_labels_every_sampled_prompt_once_and_resumes(tmp_path: Path) -> None:
    store = Store(tmp_path / "data")
    store.ingest([_log(tmp_path / "log.jsonl", range(500))], sample_rate=1.0)
    crashing = KeywordClassifier(fail_after=200)
    with pytest.raises(RuntimeError, match="interrupted"):
        classify_store(store, crashing, chunk=100)
    labels = _labels(store)
    assert labels.num_rows == 200  # two whole chunks committed, the third lost

    resumed = KeywordClassifier()
    result = classify_store(store, resumed, chunk=100)
    assert (result.sampled, result.classified, result.already) == (500, 300, 200)
    assert len(resumed.seen) == 300
    labels = _labels(store)
    ids = labels["request_id"].to_pylist()
    assert len(ids) == len(set(ids)) == 500
    by_id = dict(zip(ids, labels["label"].to_pylist(), strict=True))
    assert by_id["gen-0"] == "programming" and by_id["gen-1"] == "translation" and by_id["gen-2"] == "roleplay"
    assert set(labels["language"].to_pylist()) <= {"en", "fr", "und"}

    assert classify_store(store, KeywordClassifier()).classified == 0


def test_a_smaller_sample_is_nested_in_the_kept_one(tmp_path: Path) -> None:
    store = Store(tmp_path / "data")
    store.ingest([_log(tmp_path / "log.jsonl", range(400))], sample_rate=0.5)
    result = classify_store(store, KeywordClassifier(), sample_rate=0.2)
    labelled = set(_labels(store)["request_id"].to_pylist())
    assert labelled == {f"gen-{i}" for i in range(400) if in_sample(f"gen-{i}", 0.2)}
    assert result.sample_rate == 0.2
    assert classify_store(store, KeywordClassifier(), sample_rate=0.9).sample_rate == 0.5  # never above the kept rate


def test_another_classifier_needs_replace(tmp_path: Path) -> None:
    store = Store(tmp_path / "data")
    store.ingest([_log(tmp_path / "log.jsonl", range(50))], sample_rate=1.0)
    classify_store(store, KeywordClassifier())
    other = KeywordClassifier()
    other.version = "2"
    with pytest.raises(ValueError, match="another classifier"):
        classify_store(store, other)
    assert classify_store(store, other, replace=True).classified == 50
    assert set(_labels(store)["classifier"].to_pylist()) == {"keywords@2"}


def test_classify_needs_prompts(tmp_path: Path) -> None:
    store = Store(tmp_path / "data")
    store.ingest([_log(tmp_path / "log.jsonl", range(10))], sample_rate=0.0)
    with pytest.raises(ValueError, match="holds no prompts"):
        classify_store(store, KeywordClassifier())


def test_scores_against_known_tasks_are_saved_and_quoted(tmp_path: Path) -> None:
    study = Study(tmp_path / "data", options={"min_users": 0, "replicates": 0})
    study.ingest([_log(tmp_path / "log.jsonl", range(90))], sample_rate=1.0)
    topics = list(TOPICS)
    truth = tmp_path / "truth.jsonl"  # the keyword model is right except on the last 9 requests
    truth.write_text("\n".join(json.dumps({"request_id": f"gen-{i}", "label": topics[i % 3] if i < 81 else "other"})
                               for i in range(90)))
    study.classify(KeywordClassifier(), truth=truth)
    scores = study.classifier_scores()
    assert scores["n"] == 90 and scores["classifier"] == "keywords@1"
    assert scores["per_label"]["programming"]["recall"] == 1.0
    assert scores["per_label"]["other"]["recall"] == 0.0
    assert study.quality()["sample"]["evaluation"] == {k: v for k, v in scores.items() if k != "prompts_per_second"}
    assert (study.store.path / EVALUATION_FILE).exists()


def test_cli_classify(tmp_path: Path) -> None:
    data = tmp_path / "data"
    log = _log(tmp_path / "log.jsonl", range(120))
    run = CliRunner().invoke(app, ["ingest", str(log), "--data", str(data), "--sample-rate", "1", "--json"])
    assert run.exit_code == 0, run.output
    assert json.loads(run.output.strip().splitlines()[-1])["prompts"] == 120
    run = CliRunner().invoke(app, ["classify", str(data), "--target", "60", "--json"])
    assert run.exit_code == 0, run.output
    outcome = json.loads(run.output.strip().splitlines()[-1])
    assert outcome["classifier"].startswith("fast@") and 30 < outcome["classified"] < 90
    assert outcome["sample_rate"] == pytest.approx(0.5)
    run = CliRunner().invoke(app, ["classify", str(tmp_path / "empty")])
    assert run.exit_code == 1 and "no prompts" in run.output


def test_spark_executors_label_like_duckdb(tmp_path: Path) -> None:
    """On local Spark the classifier runs in the executors (mapInArrow); the labels are the same."""
    pytest.importorskip("pyspark", reason="needs pyspark: pip install '.[spark]'")
    import sys

    from pyspark import cloudpickle

    from tokencensus.engine import local_spark_session

    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # executors cannot import this test module
    session = local_spark_session(threads=2)
    stores = []
    for name, engine in (("duck", "duckdb"), ("spark", session)):
        store = Store(tmp_path / name)
        store.ingest([_log(tmp_path / "log.jsonl", range(300))], sample_rate=0.5)
        result = classify_store(store, KeywordClassifier(), engine=engine, chunk=64)
        assert result.classified == result.sampled == len(_prompts(store)) and result.already == 0
        stores.append(store)
    duck, spark = (_labels(s).sort_by("request_id") for s in stores)
    assert spark.equals(duck.cast(spark.schema))
    assert classify_store(stores[1], KeywordClassifier(), engine=session).classified == 0
