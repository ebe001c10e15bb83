"""Every real sample of the LiteLLM, Langfuse, OpenTelemetry and OpenAI formats ingests through the
store with every record accounted for, and ingesting them again adds nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from tokencensus.store import Store

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples"
FOLDERS = ("litellm", "langfuse", "otel", "openai")


@pytest.mark.skipif(not SAMPLES.is_dir(), reason="shared samples folder not present")
def test_every_sample_is_accounted_for(tmp_path: Path) -> None:
    store = Store(tmp_path / "data")
    result = store.ingest([SAMPLES / folder for folder in FOLDERS])
    assert len(result.files) == 26
    for source in result.files:
        assert source.read == source.stored + source.duplicates + source.quarantined, source.path
    by_name = {Path(f.path).name: f for f in result.files}
    assert by_name["batch_output_gpt-4o_genai_navirag.jsonl"].stored == 65
    assert by_name["batch_input_gpt-4o_genai_navirag.jsonl"].quarantined == 65
    assert by_name["ott-lit.json"].stored == 2
    assert result.stored == store.row_count()
    # the Bedrock call is logged twice (payload and response); the store keeps it once
    assert by_name["logging_response_bedrock_v1.72.3.json"].duplicates + \
        by_name["logging_response_bedrock_v1.72.3.json"].quarantined == 1
    again = store.ingest([SAMPLES / folder for folder in FOLDERS])
    assert again.stored == 0 and again.batch is None
