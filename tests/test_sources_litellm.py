"""LiteLLM adapters: the real payload samples, and LiteLLM_SpendLogs read from a real PostgreSQL.

The PostgreSQL test starts Debian's server on a temporary directory and a free loopback port,
creates the table as LiteLLM's schema.prisma defines it (Prisma maps DateTime to TIMESTAMP(3) and
Json to JSONB), fills it, and ingests it through the store like any other source.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pytest

from tokencensus.sources import FORMATS, detect_format
from tokencensus.store import Store

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples" / "litellm"
needs_samples = pytest.mark.skipif(not SAMPLES.is_dir(), reason="shared samples folder not present")


def read_all(path: Path, format: str | None = None) -> tuple[pa.Table, pa.Table, int]:
    batches = list(detect_format(path, format).read(path))
    return (pa.concat_tables([b.table for b in batches]), pa.concat_tables([b.rejects for b in batches]),
            sum(b.read for b in batches))


@needs_samples
def test_spend_logs_row_with_metadata_as_json_string() -> None:
    path = SAMPLES / "spend_logs_row_gcs_pubsub_payload.json"
    assert detect_format(path).name == "litellm-spendlogs"
    table, rejects, read = read_all(path)
    assert (read, table.num_rows, rejects.num_rows) == (1, 1, 0)
    row = table.to_pylist()[0]
    assert row["request_id"] == "chatcmpl-2283081b-dc89-41f6-93e6-d4f914774027"
    assert row["ts"] == datetime(2025, 1, 24, 9, 20, 46, 847371, tzinfo=UTC)
    assert (row["model"], row["provider"]) == ("gpt-4o", "openai")
    assert (row["prompt_tokens"], row["completion_tokens"]) == (10, 20)
    assert row["cost_usd"] == pytest.approx(0.000225)
    assert row["latency_ms"] == pytest.approx(4.583)
    assert row["user_id"] is None  # empty strings in the log are "not given"


@needs_samples
def test_standard_logging_payload_bare_and_inside_callback_kwargs() -> None:
    bare, _, _ = read_all(SAMPLES / "standard_logging_payload_gcs_pubsub.json")
    row = bare.to_pylist()[0]
    assert detect_format(SAMPLES / "standard_logging_payload_gcs_pubsub.json").name == "litellm-payload"
    assert (row["request_id"], row["finish_reason"], row["streamed"]) == (
        "chatcmpl-2299b6a2-82a3-465a-b47c-04e685a2227f", "stop", True)
    kwargs, rejects, read = read_all(SAMPLES / "logging_kwargs_with_standard_logging_object_bedrock_v1.72.3.json")
    assert (read, kwargs.num_rows, rejects.num_rows) == (1, 1, 0)
    row = kwargs.to_pylist()[0]
    assert row["ts"] == datetime.fromtimestamp(1750615148.162725, UTC)  # float epoch seconds
    assert row["model"].endswith("us.anthropic.claude-3-7-sonnet-20250219-v1:0")
    assert (row["provider"], row["prompt_tokens"], row["completion_tokens"], row["cached_tokens"]) == (
        "bedrock", 14, 67, 0)
    assert row["cost_usd"] == pytest.approx(0.001047)
    assert row["latency_ms"] == pytest.approx(236.798)
    assert row["finish_reason"] == "stop"


def test_payload_jsonl_failure_reasoning_and_hostile_lines(tmp_path: Path) -> None:
    good = {"id": "c-1", "startTime": 1750615148.5, "endTime": 1750615149.0, "model": "gpt-5", "status": "success",
            "call_type": "acompletion", "response_cost": 0.01, "prompt_tokens": 100, "completion_tokens": 50,
            "custom_llm_provider": "openai", "end_user": "u-1", "messages": [{"role": "user", "content": "secret"}],
            "model_parameters": {"tools": [{"type": "function"}]},
            "metadata": {"user_api_key_alias": "svc", "usage_object": {
                "completion_tokens_details": {"reasoning_tokens": 30}, "prompt_tokens_details": {"cached_tokens": 64}}}}
    failed = {**good, "id": "c-2", "status": "failure", "response_cost": 0, "metadata": None, "messages": None}
    path = tmp_path / "payloads.jsonl"
    path.write_text("\n".join([json.dumps(good), json.dumps(failed), "{not json", "[1]",
                               json.dumps({**good, "id": "c-3", "prompt_tokens": -1})]) + "\n")
    table, rejects, read = read_all(path)
    assert read == 5 == table.num_rows + rejects.num_rows
    rows = {r["request_id"]: r for r in table.to_pylist()}
    assert (rows["c-1"]["reasoning_tokens"], rows["c-1"]["cached_tokens"], rows["c-1"]["tools_offered"]) == (30, 64, True)
    assert (rows["c-1"]["user_id"], rows["c-1"]["app_id"]) == ("u-1", "svc")
    assert rows["c-2"]["finish_reason"] == "error"
    by_line = {r["location"]: r for r in rejects.to_pylist()}
    assert by_line["line 3"]["reason"] == "invalid JSON"
    assert by_line["line 4"]["reason"] == "not a JSON object"
    assert (by_line["line 5"]["field"], by_line["line 5"]["reason"]) == ("prompt_tokens", "negative token count")
    assert "secret" not in by_line["line 5"]["record"]  # prompt text never reaches quarantine


# -- PostgreSQL --------------------------------------------------------------------------------

#: LiteLLM_SpendLogs as schema.prisma defines it (litellm 1.110), in PostgreSQL types.
SPEND_LOGS_DDL = """
CREATE TABLE "LiteLLM_SpendLogs" (
    "request_id" TEXT NOT NULL PRIMARY KEY,
    "call_type" TEXT NOT NULL,
    "api_key" TEXT NOT NULL DEFAULT '',
    "spend" DOUBLE PRECISION NOT NULL DEFAULT 0.0,
    "total_tokens" INTEGER NOT NULL DEFAULT 0,
    "prompt_tokens" INTEGER NOT NULL DEFAULT 0,
    "completion_tokens" INTEGER NOT NULL DEFAULT 0,
    "startTime" TIMESTAMP(3) NOT NULL,
    "endTime" TIMESTAMP(3) NOT NULL,
    "completionStartTime" TIMESTAMP(3),
    "request_duration_ms" INTEGER,
    "model" TEXT NOT NULL DEFAULT '',
    "model_id" TEXT DEFAULT '',
    "model_group" TEXT DEFAULT '',
    "custom_llm_provider" TEXT DEFAULT '',
    "api_base" TEXT DEFAULT '',
    "user" TEXT DEFAULT '',
    "metadata" JSONB DEFAULT '{}',
    "cache_hit" TEXT DEFAULT '',
    "cache_key" TEXT DEFAULT '',
    "request_tags" JSONB DEFAULT '[]',
    "team_id" TEXT,
    "organization_id" TEXT,
    "end_user" TEXT,
    "requester_ip_address" TEXT,
    "messages" JSONB DEFAULT '{}',
    "response" JSONB DEFAULT '{}',
    "proxy_server_request" JSONB DEFAULT '{}',
    "session_id" TEXT,
    "status" TEXT,
    "mcp_namespaced_tool_name" TEXT,
    "agent_id" TEXT,
    "billing_agent_id" TEXT,
    "litellm_call_id" TEXT,
    "created_at" TIMESTAMP(3) DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) DEFAULT CURRENT_TIMESTAMP
)"""

ROWS = 25_000  # more than one fetch of the server-side cursor


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    bin_dir = _pg_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL server binaries not installed (Debian package postgresql)")
    pytest.importorskip("psycopg")
    with tempfile.TemporaryDirectory(prefix="tokencensus-pg-") as tmp:  # pytest's tmp is private to root
        yield from _serve(bin_dir, Path(tmp))


def _serve(bin_dir: Path, root: Path) -> Iterator[str]:
    data, port = root / "data", _free_port()
    as_user: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root
        as_user = ["runuser", "-u", "postgres", "--"]
        shutil.chown(root, "postgres")
        root.chmod(0o755)
    run = lambda *cmd: subprocess.run([*as_user, *cmd], check=True, capture_output=True)  # noqa: E731
    run(str(bin_dir / "initdb"), "-D", str(data), "-U", "tc", "--auth=trust", "-E", "UTF8")
    run(str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-w", "-o",
        f"-h 127.0.0.1 -p {port} -k {root}", "start")
    try:
        import psycopg

        url = f"postgresql://tc:secret@127.0.0.1:{port}/postgres"
        with psycopg.connect(url, autocommit=True) as con:
            con.execute(SPEND_LOGS_DDL)
            con.execute(f"""
                INSERT INTO "LiteLLM_SpendLogs" (request_id, call_type, spend, prompt_tokens, completion_tokens,
                    total_tokens, "startTime", "endTime", model, custom_llm_provider, "user", status, metadata)
                SELECT 'req-' || i, 'acompletion', i * 0.0001, 100 + i % 50, 10 + i % 7, 110 + i % 50 + i % 7,
                    timestamp '2025-09-03 10:00:00' + i * interval '1 second',
                    timestamp '2025-09-03 10:00:02.5' + i * interval '1 second',
                    'deepseek/deepseek-chat-v3.1', 'openrouter', 'u-' || (i % 13), 'success',
                    jsonb_build_object('user_api_key_alias', 'svc', 'usage_object', jsonb_build_object(
                        'completion_tokens_details', jsonb_build_object('reasoning_tokens', i % 5),
                        'prompt_tokens_details', jsonb_build_object('cached_tokens', 64)))
                FROM generate_series(1, {ROWS - 2}) AS i""")
            con.execute("""
                INSERT INTO "LiteLLM_SpendLogs" (request_id, call_type, spend, prompt_tokens, completion_tokens,
                    "startTime", "endTime", model, status, response)
                VALUES ('req-failed', 'acompletion', 0, 0, 0, '2025-09-04 08:00:00', '2025-09-04 08:00:01',
                        'gpt-4o', 'failure', '{}'),
                       ('req-negative', 'acompletion', 0.1, -5, 3, '2025-09-04 08:00:00', '2025-09-04 08:00:01',
                        'gpt-4o', 'success', '{"choices": [{"finish_reason": "length"}]}')""")
        yield url
    finally:
        run(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")


def test_postgres_spend_logs_ingest_through_the_store(postgres_url: str, tmp_path: Path) -> None:
    store = Store(tmp_path / "data")
    result = store.ingest([postgres_url])
    (source,) = result.files
    assert source.format == "litellm-postgres"
    assert "secret" not in source.path and source.path.startswith("postgresql://tc@127.0.0.1:")
    assert (source.read, source.stored, source.duplicates, source.quarantined) == (ROWS, ROWS - 1, 0, 1)
    quarantine = store.quarantine_table().to_pylist()
    assert [(q["location"], q["field"], q["reason"]) for q in quarantine] == [
        (quarantine[0]["location"], "prompt_tokens", "negative token count")]
    assert quarantine[0]["location"].startswith("row ")

    import duckdb

    rows = duckdb.connect().sql(
        f"SELECT * FROM read_parquet('{store.requests_glob()}') WHERE request_id IN ('req-7', 'req-failed')"
        " ORDER BY request_id").to_arrow_table().to_pylist()
    seven, failed = rows
    assert seven["ts"] == datetime(2025, 9, 3, 10, 0, 7, tzinfo=UTC)
    assert (seven["model"], seven["provider"], seven["user_id"], seven["app_id"]) == (
        "deepseek/deepseek-chat-v3.1", "openrouter", "u-7", "svc")
    assert (seven["prompt_tokens"], seven["completion_tokens"], seven["reasoning_tokens"], seven["cached_tokens"]) == (
        107, 10, 2, 64)
    assert seven["cost_usd"] == pytest.approx(0.0007)
    assert seven["latency_ms"] == pytest.approx(2500.0)
    assert failed["finish_reason"] == "error"

    again = store.ingest([postgres_url])
    assert again.batch is None and again.files[0].skipped  # unchanged table: nothing read, nothing added
    assert store.row_count() == ROWS - 1


def test_postgres_is_not_a_file_format(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text("{}")
    assert FORMATS["litellm-postgres"].sniff(b"{}", path) == "not a postgresql:// URL"


def test_postgres_prompts_from_jsonb_messages_and_the_request_body(postgres_url: str) -> None:
    """``messages`` as a JSONB list, as a JSONB string holding JSON, and ``'{}'`` with the request
    body in ``proxy_server_request``; the prompts come with their rows, in table order."""
    import psycopg

    from tokencensus.sources.postgres import DatabaseTable, LiteLLMPostgres

    chat = json.dumps([{"role": "user", "content": "Q"}, {"role": "system", "content": "S"}])
    with psycopg.connect(postgres_url, autocommit=True) as con:
        con.execute("DROP DATABASE IF EXISTS prompts")
        con.execute("CREATE DATABASE prompts")
    url = postgres_url.rsplit("/", 1)[0] + "/prompts"
    with psycopg.connect(url, autocommit=True) as con:
        con.execute(SPEND_LOGS_DDL)
        con.execute("""
            INSERT INTO "LiteLLM_SpendLogs" (request_id, call_type, "startTime", "endTime", model, messages,
                proxy_server_request)
            VALUES ('p1', 'acompletion', '2025-09-03 10:00:01', '2025-09-03 10:00:02', 'gpt-4o', %(chat)s::jsonb, '{}'),
                   ('p2', 'acompletion', '2025-09-03 10:00:02', '2025-09-03 10:00:03', 'gpt-4o', to_jsonb(%(chat)s::text), '{}'),
                   ('p3', 'acompletion', '2025-09-03 10:00:03', '2025-09-03 10:00:04', 'gpt-4o', '{}',
                    jsonb_build_object('model', 'gpt-4o', 'messages', %(chat)s::jsonb)),
                   ('p4', 'acompletion', '2025-09-03 10:00:04', '2025-09-03 10:00:05', 'gpt-4o', '{}', '{}')""",
                    {"chat": chat})
    batches = list(LiteLLMPostgres().read(DatabaseTable(url)))
    ids = [i for b in batches for i in b.table["request_id"].to_pylist()]
    prompts = [p for b in batches for p in b.prompts.texts().to_pylist()]
    assert dict(zip(ids, prompts, strict=True)) == {"p1": "S\n\nQ", "p2": "S\n\nQ", "p3": "S\n\nQ", "p4": None}
