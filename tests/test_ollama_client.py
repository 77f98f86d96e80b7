"""The Ollama client without a server: httpx.MockTransport answers as Ollama's API documents.

What is sent (the generate body: prompt, options, think, stream, keep_alive) and how each
answer and each error is read. The loopback fake server (tests/fakes) covers the same client
end to end; these pin the wire format down one request at a time.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from runner.backends import OllamaClient
from runner.errors import (
    BadResponse,
    ModelNotFound,
    ServerUnreachable,
    ThinkingUnsupported,
    TransientError,
)

URL = "http://gpu1:11434"
DONE = {
    "model": "qwen3:8b",
    "created_at": "2026-07-01T12:00:00Z",
    "response": "def f():\n    return 1\n",
    "done": True,
    "done_reason": "stop",
    "context": [1, 2, 3],
    "total_duration": 5_000_000_000,
    "load_duration": 1_000_000,
    "prompt_eval_count": 17,
    "eval_count": 42,
    "eval_duration": 4_000_000_000,
}


class Server:
    """Answers each request with the next of ``answers``; keeps every request it got."""

    def __init__(self, *answers: httpx.Response | Callable[[httpx.Request], httpx.Response]):
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        return answer(request) if callable(answer) else answer

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(request.content) for request in self.requests if request.content]


def client(server: Server, retries: int = 2) -> OllamaClient:
    return OllamaClient(URL, retries=retries, backoff_s=0, transport=httpx.MockTransport(server))


def ok(data: Any) -> httpx.Response:
    return httpx.Response(200, json=data)


def error(status: int, message: str) -> httpx.Response:
    return httpx.Response(status, json={"error": message})


def test_generate_sends_the_documented_body_and_omits_think_by_default():
    server = Server(ok(DONE))
    completion = client(server).generate("qwen3:8b", "Write f.", {"temperature": 0.2, "seed": 7})
    (request,) = server.requests
    assert (request.method, request.url.path) == ("POST", "/api/generate")
    assert str(request.url).startswith(URL)
    assert server.bodies() == [
        {
            "model": "qwen3:8b",
            "prompt": "Write f.",
            "stream": False,
            "options": {"temperature": 0.2, "seed": 7},
            "keep_alive": "30m",
        }
    ]
    assert completion.response == DONE["response"] and completion.thinking == ""
    assert (completion.done_reason, completion.eval_count, completion.prompt_eval_count) == (
        "stop",
        42,
        17,
    )
    assert (completion.total_duration_ns, completion.load_duration_ns) == (5_000_000_000, 1_000_000)
    assert completion.eval_duration_ns == 4_000_000_000 and completion.attempts == 1
    assert "context" not in completion.raw and completion.raw["model"] == "qwen3:8b"


@pytest.mark.parametrize("think", [True, False, "low", "high"])
def test_think_is_sent_exactly_as_given(think):
    server = Server(ok({**DONE, "thinking": "Let me see."}))
    completion = client(server).generate("qwen3:8b", "p", {}, think)
    assert server.bodies()[0]["think"] == think
    assert completion.thinking == "Let me see."


def test_absent_fields_are_none_and_a_cut_answer_says_length():
    server = Server(ok({"response": "def f(", "done": True, "done_reason": "length"}))
    completion = client(server).generate("m", "p", {"num_predict": 5})
    assert server.bodies()[0]["options"] == {"num_predict": 5}
    assert completion.done_reason == "length"
    assert completion.eval_count is None and completion.total_duration_ns is None
    odd = Server(ok({"response": "", "eval_count": True, "thinking": 3, "done_reason": 1}))
    weird = client(odd).generate("m", "p", {})
    assert weird.eval_count is None and weird.thinking == "" and weird.done_reason is None


def test_a_missing_model_names_the_pull_command():
    server = Server(error(404, "model 'nothere:1b' not found"))
    with pytest.raises(ModelNotFound, match=r"does not have model 'nothere:1b'.*ollama pull"):
        client(server).generate("nothere:1b", "p", {})
    assert len(server.requests) == 1  # not retried


def test_thinking_on_a_model_that_cannot_think_says_what_to_drop():
    server = Server(error(400, '"gemma3:4b" does not support thinking'))
    with pytest.raises(ThinkingUnsupported, match="drop --think for it"):
        client(server).generate("gemma3:4b", "p", {}, True)
    assert len(server.requests) == 1


def test_a_5xx_is_retried_then_the_answer_counts_its_attempts():
    server = Server(error(500, "runner crashed"), error(503, "busy"), ok(DONE))
    completion = client(server, retries=2).generate("m", "p", {})
    assert completion.attempts == 3 and len(server.requests) == 3
    assert server.bodies()[0] == server.bodies()[2]  # the same request each time


def test_a_5xx_that_persists_is_a_transient_error_after_the_retries():
    server = Server(error(500, "out of memory"))
    with pytest.raises(TransientError, match=r"HTTP 500: out of memory"):
        client(server, retries=2).generate("m", "p", {})
    assert len(server.requests) == 3


def test_a_timeout_and_a_dropped_connection_are_transient_and_retried():
    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    def dropped(request: httpx.Request) -> httpx.Response:
        raise httpx.RemoteProtocolError("peer closed", request=request)

    server = Server(timeout, dropped, ok(DONE))
    assert client(server, retries=2).generate("m", "p", {}).attempts == 3
    with pytest.raises(TransientError, match="timed out"):
        client(Server(timeout), retries=0).generate("m", "p", {})
    with pytest.raises(TransientError, match="connection failed: RemoteProtocolError"):
        client(Server(dropped), retries=0).generate("m", "p", {})


def test_nothing_listening_is_unreachable_with_what_to_do():
    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    server = Server(refused)
    with pytest.raises(ServerUnreachable, match=r"no Ollama server answers at http://gpu1:11434"):
        client(server).version()
    assert len(server.requests) == 1  # unreachable is not retried


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (httpx.Response(200, text="<html>proxy</html>"), "the answer is not JSON"),
        (ok(["a list"]), "not a JSON object"),
        (ok({"done": True}), "has no 'response' text"),
        (error(400, "invalid options"), "HTTP 400: invalid options"),
    ],
)
def test_answers_that_are_not_the_documented_json_are_bad_responses(answer, message):
    with pytest.raises(BadResponse, match=message):
        client(Server(answer)).generate("m", "p", {})


def test_version_tags_show_and_ps_are_read_from_their_endpoints():
    tags = {
        "models": [
            {
                "name": "qwen3:8b",
                "digest": "d" * 64,
                "size": 5_200_000_000,
                "details": {"family": "qwen3", "parameter_size": "8.2B"},
            },
            {"name": "gemma4", "size": 3},
            {"nonsense": 1},
        ]
    }
    show = {
        "details": {"family": "qwen3", "quantization_level": "Q4_K_M"},
        "capabilities": ["completion", "thinking"],
        "parameters": "temperature 0.6",
    }
    ps = {"models": [{"name": "qwen3:8b", "size": 6_000_000_000, "size_vram": 5_000_000_000}]}

    def route(request: httpx.Request) -> httpx.Response:
        answers = {
            ("GET", "/api/version"): ok({"version": "0.33.0"}),
            ("GET", "/api/tags"): ok(tags),
            ("POST", "/api/show"): ok(show),
            ("GET", "/api/ps"): ok(ps),
        }
        return answers[(request.method, request.url.path)]

    server = Server(route)
    ollama = client(server)
    assert ollama.version() == "0.33.0"
    listed = ollama.models()
    assert set(listed) == {"qwen3:8b", "gemma4:latest"}
    assert listed["qwen3:8b"].digest == "d" * 64 and listed["qwen3:8b"].size == 5_200_000_000
    assert listed["qwen3:8b"].parameter_size == "8.2B"
    info = ollama.show("qwen3:8b")
    assert server.bodies()[-1] == {"model": "qwen3:8b"}
    assert info.name == "qwen3:8b" and info.capabilities == ("completion", "thinking")
    assert (info.quantization, info.parameters) == ("Q4_K_M", "temperature 0.6")
    assert ollama.loaded()["qwen3:8b"]["size_vram"] == 5_000_000_000


@pytest.mark.parametrize(
    ("given", "base"),
    [
        ("gpu1", "http://gpu1:11434"),
        ("gpu1:8000", "http://gpu1:8000"),
        ("http://gpu1", "http://gpu1:11434"),
        ("https://gpu1", "https://gpu1:443"),
    ],
)
def test_host_forms_become_one_base_url(given, base):
    assert OllamaClient(given, transport=httpx.MockTransport(Server(ok({})))).base_url == base
