"""CSV and Parquet read through a user-given column mapping (``--format mapped:PATH``)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from tokencensus.cli import app
from tokencensus.sources import FormatError, detect_format
from tokencensus.sources.mapped import MappingError, load_mapping

MAPPING = """columns:
  request_id: rid
  ts: started
  model: model_name
  prompt_tokens: tokens_in
  completion_tokens: tokens_out
  cost_usd: usd
  user_id: who
  byok: own_key
"""


@pytest.fixture
def mapping(tmp_path: Path) -> str:
    path = tmp_path / "mapping.yaml"
    path.write_text(MAPPING)
    return f"mapped:{path}"


def read_all(path: Path, format: str) -> tuple[pa.Table, pa.Table, int]:
    batches = list(detect_format(path, format).read(path))
    return (pa.concat_tables([b.table for b in batches]), pa.concat_tables([b.rejects for b in batches]),
            sum(b.read for b in batches))


def test_csv_with_mapping(tmp_path: Path, mapping: str) -> None:
    path = tmp_path / "proxy.csv"
    path.write_text("rid,started,model_name,tokens_in,tokens_out,usd,who,own_key,extra\n"
                    "r1,2025-03-01 10:00:00.5,gpt-4o,120,30,0.0012,u-1,no,x\n"
                    "r2,1740823200,claude-sonnet-4,5,1,,u-2,yes,y\n"
                    "r3,2025-03-01,,1,1,0,u-3,no,z\n")
    table, rejects, read = read_all(path, mapping)
    assert (read, table.num_rows, rejects.num_rows) == (3, 2, 1)
    first, second = table.to_pylist()
    assert first["ts"] == datetime(2025, 3, 1, 10, 0, 0, 500000, tzinfo=UTC)
    assert (first["prompt_tokens"], first["completion_tokens"], first["cost_usd"], first["byok"]) == (120, 30, 0.0012, False)
    assert second["ts"] == datetime.fromtimestamp(1740823200, UTC)  # epoch seconds work too
    assert (rejects.to_pylist()[0]["location"], rejects.to_pylist()[0]["field"]) == ("line 4", "model_name")


def test_parquet_with_mapping(tmp_path: Path, mapping: str) -> None:
    path = tmp_path / "proxy.parquet"
    pq.write_table(pa.table({
        "rid": ["p1", "p2"], "started": pa.array([1_700_000_000_000_000, None], pa.timestamp("us", tz="UTC")),
        "model_name": ["gpt-4o", "gpt-4o"], "tokens_in": [3, 4], "tokens_out": [1, 2], "usd": [0.1, 0.2],
        "who": ["a", "b"], "own_key": [True, False]}), path)
    table, rejects, read = read_all(path, mapping)
    assert (read, table.num_rows, rejects.num_rows) == (2, 1, 1)
    row = table.to_pylist()[0]
    assert (row["ts"], row["byok"], row["cost_usd"]) == (datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC), True, 0.1)
    reject = rejects.to_pylist()[0]
    assert (reject["location"], reject["field"], reject["reason"]) == ("row 2", "started", "missing required field")


def test_bad_mappings_say_what_is_wrong(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(json.dumps({"columns": {"request_id": "a", "ts": "b", "tokens": "c"}}))
    with pytest.raises(MappingError, match=r"unknown fields tokens .*required fields model"):
        load_mapping(f"mapped:{path}")
    with pytest.raises(MappingError, match="cannot read"):
        load_mapping(f"mapped:{tmp_path / 'missing.yaml'}")


def test_file_without_the_mapped_columns_is_refused(tmp_path: Path, mapping: str) -> None:
    path = tmp_path / "other.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(FormatError, match="lacks the mapped columns rid, started, model_name"):
        detect_format(path, mapping)


def test_cli_ingests_with_a_mapping(tmp_path: Path, mapping: str) -> None:
    path = tmp_path / "proxy.csv"
    path.write_text("rid,started,model_name\nr1,2025-03-01T10:00:00Z,gpt-4o\n")
    args = ["ingest", str(path), "--data", str(tmp_path / "data"), "--format", mapping, "--json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {"read": 1, "stored": 1, "duplicates": 0, "quarantined": 0, "prompts": 0}
