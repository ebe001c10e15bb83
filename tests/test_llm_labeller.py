"""The LLM labeller against a fake OpenAI-compatible server on 127.0.0.1: batching, retries,
cache, budget and bad replies."""

from __future__ import annotations

import json
import pickle
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tokencensus.classify import load_taxonomy
from tokencensus.classify.llm import BudgetExhausted, LLMConfig, LLMError, LLMLabeller, parse_reply

KEYWORDS = {"code": "programming", "translate": "translation", "poem": "creative_writing"}


def label_of(text: str) -> str:
    return next((label for word, label in KEYWORDS.items() if word in text.lower()), "other")


def good_reply(items: list[dict]) -> str:
    labels = [{"id": i["id"], "label": label_of(i["text"]), "subcategory": None, "confidence": 0.9} for i in items]
    return json.dumps({"labels": labels})


class FakeServer:
    """Answers chat completions; ``script`` decides each reply from the request's items."""

    def __init__(self) -> None:
        self.requests: list[list[dict]] = []
        self.script: Callable[[int, list[dict]], tuple[int, str, dict]] = lambda n, items: (200, good_reply(items), {})
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                items = json.loads(body["messages"][-1]["content"])
                outer.requests.append(items)
                status, content, headers = outer.script(len(outer.requests), items)
                if status == 200:
                    payload = {"choices": [{"message": {"content": content}}], "usage": {"total_tokens": 10}}
                else:
                    payload = {"error": content}
                data = json.dumps(payload).encode()
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture
def server() -> Iterator[FakeServer]:
    fake = FakeServer()
    yield fake
    fake.httpd.shutdown()
    fake.httpd.server_close()


def labeller(server: FakeServer, **options: object) -> LLMLabeller:
    config = LLMConfig(base_url=server.url, model="fake", backoff_s=0.01, timeout_s=2, **options)
    return LLMLabeller(config)


TEXTS = ["fix my code", "translate this to German", "a poem about rain", "hello there", "more code please"]


def test_labels_in_batches_with_concurrency(server: FakeServer) -> None:
    result = labeller(server, batch_size=2, concurrency=3).classify(TEXTS)
    assert [p.label for p in result] == [label_of(t) for t in TEXTS]
    assert all(p.confidence == 0.9 for p in result)
    assert sorted(len(r) for r in server.requests) == [1, 2, 2]


def test_prompt_names_every_label() -> None:
    prompt = LLMLabeller(LLMConfig()).prompt
    assert all(f"- {label}:" in prompt for label in load_taxonomy().labels)


def test_retries_429_and_5xx_with_backoff(server: FakeServer) -> None:
    def script(n: int, items: list[dict]) -> tuple[int, str, dict]:
        if n == 1:
            return 429, "slow down", {"Retry-After": "0"}
        if n == 2:
            return 503, "overloaded", {}
        return 200, good_reply(items), {}

    server.script = script
    result = labeller(server, batch_size=10).classify(TEXTS)
    assert [p.label for p in result] == [label_of(t) for t in TEXTS]
    assert len(server.requests) == 3


def test_retries_a_timeout(server: FakeServer) -> None:
    def script(n: int, items: list[dict]) -> tuple[int, str, dict]:
        if n == 1:
            time.sleep(0.6)
        return 200, good_reply(items), {}

    server.script = script
    model = LLMLabeller(LLMConfig(base_url=server.url, backoff_s=0.01, timeout_s=0.3, batch_size=10))
    assert [p.label for p in model.classify(TEXTS)] == [label_of(t) for t in TEXTS]
    assert len(server.requests) >= 2


def test_client_error_is_not_retried(server: FakeServer) -> None:
    server.script = lambda n, items: (401, "bad key", {})
    with pytest.raises(LLMError, match="401"):
        labeller(server).classify(TEXTS)
    assert len(server.requests) == 1


def test_gives_up_after_max_retries_and_falls_back(server: FakeServer) -> None:
    server.script = lambda n, items: (500, "down", {})
    result = labeller(server, max_retries=1, batch_size=10).classify(["fix my code"])
    assert result[0].label == "other" and result[0].confidence == 0.0
    assert len(server.requests) == 4  # 2 tries for the batch, 2 for the item asked again alone


def test_cache_on_disk_answers_a_rerun(server: FakeServer, tmp_path) -> None:
    cache = tmp_path / "answers.sqlite"
    first = labeller(server, cache_path=cache).classify(TEXTS)
    asked = len(server.requests)
    again = labeller(server, cache_path=cache).classify(TEXTS + ["new code"])
    assert again[: len(TEXTS)] == first
    assert len(server.requests) == asked + 1 and server.requests[-1][0]["text"] == "new code"


def test_budget_stops_cleanly_and_keeps_answers(server: FakeServer, tmp_path) -> None:
    cache = tmp_path / "answers.sqlite"
    with pytest.raises(BudgetExhausted) as stopped:
        labeller(server, cache_path=cache, batch_size=2, concurrency=1, max_requests=2).classify(TEXTS)
    assert len(server.requests) == 2
    partial = stopped.value.partial
    assert sum(p is not None for p in partial) == 4 and partial[4] is None
    rest = labeller(server, cache_path=cache, batch_size=2).classify(TEXTS)
    assert [p.label for p in rest] == [label_of(t) for t in TEXTS]
    assert len(server.requests) == 3


def test_bad_replies_are_parsed_or_asked_again(server: FakeServer) -> None:
    def script(n: int, items: list[dict]) -> tuple[int, str, dict]:
        if len(items) > 1:  # fenced JSON with prose, a misspelt label and the last item missing
            labels = [{"id": i["id"], "label": label_of(i["text"]).upper().replace("_", " ")} for i in items[:-1]]
            return 200, "Sure! Here you go:\n```json\n" + json.dumps({"labels": labels}) + "\n```", {}
        return 200, good_reply(items), {}

    server.script = script
    result = labeller(server, batch_size=10).classify(TEXTS)
    assert [p.label for p in result] == [label_of(t) for t in TEXTS]
    assert [len(r) for r in server.requests] == [5, 1]


def test_picklable_with_its_settings() -> None:
    model = LLMLabeller(LLMConfig(base_url="http://127.0.0.1:9/v1", model="m", batch_size=3))
    copy = pickle.loads(pickle.dumps(model))
    assert copy.config == model.config and copy.id == "llm:m@1"


def test_reads_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOKENCENSUS_LLM_BASE_URL", "http://127.0.0.1:1234/v1")
    monkeypatch.setenv("TOKENCENSUS_LLM_MODEL", "qwen")
    monkeypatch.setenv("TOKENCENSUS_LLM_API_KEY", "secret")
    monkeypatch.setenv("TOKENCENSUS_LLM_MAX_REQUESTS", "7")
    config = LLMConfig.from_env()
    assert (config.base_url, config.model, config.api_key, config.max_requests) == (
        "http://127.0.0.1:1234/v1", "qwen", "secret", 7)


@given(st.text(max_size=300))
def test_parse_reply_never_raises(reply: str) -> None:
    parsed = parse_reply(reply, [0, 1], load_taxonomy())
    assert set(parsed) <= {0, 1}


def test_parse_reply_accepts_a_bare_list_and_clamps_confidence() -> None:
    reply = '[{"label": "Programming", "subcategory": "development tools", "confidence": 7}, {"label": "nope"}]'
    parsed = parse_reply(reply, [3, 4], load_taxonomy())
    assert parsed == {3: ("programming", "development_tools", 1.0)}
