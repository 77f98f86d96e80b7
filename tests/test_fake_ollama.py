"""Tests of tests/fakes/ollama.py, through httpx against its real loopback socket."""

from __future__ import annotations

import hashlib
import http.client
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import httpx
import pytest
from fakes import FakeModel, FakeOllama, Reply

QWEN = "qwen3:8b"
GEMMA = "gemma4"  # no tag: served as gemma4:latest
THINK_HELP = '(must be "high", "medium", "low", "max", true, or false)'


def models() -> list[FakeModel]:
    return [
        FakeModel(
            QWEN,
            [Reply("first", thinking="hmm", eval_count=7), Reply("second", done_reason="length")],
            capabilities=("completion", "thinking"),
        ),
        FakeModel(GEMMA, [Reply("only")], size=3 * 10**9, family="gemma3", parameter_size="4.3B"),
    ]


@contextmanager
def serving(*models: FakeModel) -> Iterator[tuple[FakeOllama, httpx.Client]]:
    with FakeOllama(list(models)) as fake, httpx.Client(base_url=fake.url, timeout=10) as client:
        yield fake, client


@pytest.fixture
def fake() -> Iterator[FakeOllama]:
    with FakeOllama(models()) as server:
        yield server


@pytest.fixture
def client(fake: FakeOllama) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=fake.url, timeout=10) as c:
        yield c


def generate(client: httpx.Client, model: str = QWEN, **fields: object) -> httpx.Response:
    body = {"model": model, "prompt": "hi", "stream": False, **fields}
    return client.post("/api/generate", json=body)


def error(response: httpx.Response) -> tuple[int, dict]:
    return response.status_code, response.json()


def test_root_answers_get_and_head(client: httpx.Client) -> None:
    got = client.get("/")
    assert (got.status_code, got.text) == (200, "Ollama is running")
    assert got.headers["content-type"].startswith("text/plain")
    head = client.head("/")
    assert (head.status_code, head.content, head.headers["content-length"]) == (200, b"", "17")


def test_version(fake: FakeOllama, client: httpx.Client) -> None:
    assert client.get("/api/version").json() == {"version": "0.33.0"}
    with FakeOllama(models(), version="0.12.3") as other:
        assert httpx.get(f"{other.url}/api/version", timeout=10).json() == {"version": "0.12.3"}


def test_tags_lists_every_model_with_full_names(client: httpx.Client) -> None:
    tags = client.get("/api/tags").json()["models"]
    assert [m["name"] for m in tags] == [QWEN, "gemma4:latest"]
    qwen, gemma = tags
    assert set(qwen) == {
        "name", "model", "modified_at", "size", "digest", "details", "capabilities"
    }  # fmt: skip
    assert qwen["model"] == QWEN
    assert qwen["size"] == 5_000_000_000
    assert qwen["digest"] == hashlib.sha256(QWEN.encode()).hexdigest()
    assert qwen["capabilities"] == ["completion", "thinking"]
    assert qwen["details"] == {
        "parent_model": "",
        "format": "gguf",
        "family": "qwen3",
        "families": ["qwen3"],
        "parameter_size": "8.2B",
        "quantization_level": "Q4_K_M",
        "context_length": 40960,
    }
    assert gemma["digest"] == hashlib.sha256(b"gemma4:latest").hexdigest()
    assert (gemma["size"], gemma["details"]["family"]) == (3_000_000_000, "gemma3")
    datetime.fromisoformat(qwen["modified_at"])


def test_show_known_model_alias_and_default_tag(client: httpx.Client) -> None:
    show = client.post("/api/show", json={"model": QWEN}).json()
    assert {"modelfile", "parameters", "template", "details", "model_info"} <= set(show)
    assert show["parameters"].startswith("temperature 0.7\n")
    assert show["capabilities"] == ["completion", "thinking"]
    assert show["details"]["quantization_level"] == "Q4_K_M"
    assert show["model_info"]["general.architecture"] == "qwen3"
    assert show["model_info"]["general.parameter_count"] == 8_200_000_000
    datetime.fromisoformat(show["modified_at"])
    for name in ("gemma4", "gemma4:latest"):
        gemma = client.post("/api/show", json={"model": name}).json()
        assert gemma["model_info"]["general.parameter_count"] == 4_300_000_000
    assert client.post("/api/show", json={"name": QWEN}).status_code == 200  # deprecated alias


def test_show_errors(client: httpx.Client) -> None:
    missing = client.post("/api/show", json={"model": "nope:1b"})
    assert error(missing) == (404, {"error": "model 'nope:1b' not found"})
    assert error(client.post("/api/show", json={})) == (400, {"error": "model is required"})
    assert error(client.post("/api/show", json={"model": "gemma4:2b"}))[0] == 404


def test_generate_answer_shape(client: httpx.Client) -> None:
    before = time.time()
    answer = generate(client)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json; charset=utf-8"
    body = answer.json()
    assert set(body) == {
        "model", "created_at", "response", "thinking", "done", "done_reason", "total_duration",
        "load_duration", "prompt_eval_count", "prompt_eval_duration", "eval_count",
        "eval_duration",
    }  # fmt: skip
    assert (body["model"], body["response"], body["thinking"]) == (QWEN, "first", "hmm")
    assert (body["done"], body["done_reason"]) == (True, "stop")
    assert (body["eval_count"], body["prompt_eval_count"]) == (7, 17)
    durations = [v for k, v in body.items() if k.endswith("_duration")]
    assert all(isinstance(v, int) and v > 0 for v in durations)
    parts = ("load_duration", "prompt_eval_duration", "eval_duration")
    assert sum(body[k] for k in parts) <= body["total_duration"]
    assert body["created_at"].endswith("Z")
    assert datetime.fromisoformat(body["created_at"]).timestamp() >= before - 1


def test_replies_in_order_then_last_repeats(client: httpx.Client) -> None:
    answers = [generate(client).json() for _ in range(4)]
    assert [a["response"] for a in answers] == ["first", "second", "second", "second"]
    assert [a["done_reason"] for a in answers] == ["stop", "length", "length", "length"]
    assert "thinking" not in answers[1]  # None: absent, not null
    assert all("load_duration" not in a for a in answers[1:])  # loaded by the first
    gemma = generate(client, "gemma4:latest").json()
    assert (gemma["model"], gemma["response"], gemma["load_duration"] > 0) == (
        "gemma4:latest", "only", True
    )  # fmt: skip


def test_zero_metrics_and_empty_fields_are_absent() -> None:
    reply = Reply("", thinking="", done_reason="", eval_count=0, prompt_eval_count=0)
    with serving(FakeModel("m", [reply])) as (_, client):
        body = generate(client, "m").json()
    assert body["response"] == ""
    for absent in ("thinking", "done_reason", "eval_count", "prompt_eval_count"):
        assert absent not in body


def test_unknown_model(client: httpx.Client) -> None:
    assert error(generate(client, "llama9:70b")) == (404, {"error": "model 'llama9:70b' not found"})
    assert error(generate(client, "")) == (400, {"error": "model is required"})


def test_think_rules(client: httpx.Client) -> None:
    refused = {"error": '"gemma4" does not support thinking'}
    assert error(generate(client, GEMMA, think=True)) == (400, refused)
    assert error(generate(client, GEMMA, think="high")) == (400, refused)
    assert generate(client, GEMMA, think=False).status_code == 200
    for level in (True, False, "low", "medium", "high", "max"):
        assert generate(client, QWEN, think=level).status_code == 200
    bad = {"error": f'invalid think value: "extreme" {THINK_HELP}'}
    assert error(generate(client, QWEN, think="extreme")) == (400, bad)
    assert error(generate(client, GEMMA, think="extreme")) == (400, bad)


def test_delay_delays() -> None:
    with serving(FakeModel("slow", [Reply("ok", delay_s=0.3)])) as (_, client):
        started = time.monotonic()
        body = generate(client, "slow").json()
        assert time.monotonic() - started >= 0.3
    assert body["response"] == "ok"
    assert body["total_duration"] >= 300_000_000


def test_scripted_failures() -> None:
    script = [
        Reply(status=500, error="llama runner process has terminated"),
        Reply(malformed=True),
        Reply(drop=True),
        Reply("fine"),
    ]
    with serving(FakeModel("m", script)) as (_, client):
        failed = generate(client, "m")
        assert error(failed) == (500, {"error": "llama runner process has terminated"})
        malformed = generate(client, "m")
        assert malformed.status_code == 200
        with pytest.raises(json.JSONDecodeError):
            json.loads(malformed.text)
        with pytest.raises(httpx.TransportError):
            generate(client, "m")
        assert generate(client, "m").json()["response"] == "fine"


def test_requests_are_recorded(fake: FakeOllama, client: httpx.Client) -> None:
    client.get("/api/tags")
    generate(client, QWEN, options={"temperature": 0})
    generate(client, GEMMA)
    generate(client, "gemma4:latest", think=True)  # refused, still recorded
    client.post("/api/show", json={"model": QWEN})
    assert [(m, p) for m, p, _ in fake.requests] == [
        ("GET", "/api/tags"),
        ("POST", "/api/generate"),
        ("POST", "/api/generate"),
        ("POST", "/api/generate"),
        ("POST", "/api/show"),
    ]
    assert fake.requests[0][2] is None
    assert fake.requests[1][2] == {
        "model": QWEN, "prompt": "hi", "stream": False, "options": {"temperature": 0}
    }  # fmt: skip
    assert len(fake.generate_requests()) == 3
    assert [b["model"] for b in fake.generate_requests("gemma4:latest")] == [GEMMA, "gemma4:latest"]
    assert fake.generate_requests(QWEN)[0]["options"] == {"temperature": 0}


def test_ps_lists_models_after_they_served(client: httpx.Client) -> None:
    assert client.get("/api/ps").json() == {"models": []}
    client.post("/api/show", json={"model": QWEN})
    generate(client, GEMMA, think=True)  # refused: does not load
    assert client.get("/api/ps").json() == {"models": []}
    generate(client, QWEN)
    (loaded,) = client.get("/api/ps").json()["models"]
    assert (loaded["name"], loaded["model"]) == (QWEN, QWEN)
    assert loaded["size"] == loaded["size_vram"] == 6_000_000_000
    assert loaded["context_length"] == 4096
    assert loaded["digest"] == hashlib.sha256(QWEN.encode()).hexdigest()
    assert loaded["details"]["parameter_size"] == "8.2B"
    assert datetime.fromisoformat(loaded["expires_at"]).timestamp() > time.time()


def test_empty_prompt_loads_and_unloads(client: httpx.Client) -> None:
    loaded = client.post("/api/generate", json={"model": GEMMA, "stream": False}).json()
    assert (loaded["response"], loaded["done"], loaded["done_reason"]) == ("", True, "load")
    assert [m["name"] for m in client.get("/api/ps").json()["models"]] == ["gemma4:latest"]
    assert "load_duration" not in generate(client, GEMMA).json()
    unload = {"model": GEMMA, "keep_alive": 0, "stream": False}
    assert client.post("/api/generate", json=unload).json()["done_reason"] == "unload"
    assert client.get("/api/ps").json() == {"models": []}


@pytest.mark.parametrize("stream", [True, None])
def test_streaming_ndjson(client: httpx.Client, stream: bool | None) -> None:
    body = {"model": QWEN, "prompt": "hi"} | ({} if stream is None else {"stream": stream})
    with client.stream("POST", "/api/generate", json=body) as response:
        assert response.headers["content-type"] == "application/x-ndjson"
        chunks = [json.loads(line) for line in response.iter_lines() if line]
    assert len(chunks) >= 3
    assert [c["done"] for c in chunks] == [False] * (len(chunks) - 1) + [True]
    assert "".join(c.get("thinking", "") for c in chunks) == "hmm"
    assert "".join(c["response"] for c in chunks) == "first"
    final = chunks[-1]
    assert (final["done_reason"], final["eval_count"], final["model"]) == ("stop", 7, QWEN)
    assert final["total_duration"] > 0
    assert generate(client).json()["response"] == "second"  # the connection is still usable


def test_streaming_error_before_start(client: httpx.Client) -> None:
    body = {"model": "nope", "prompt": "hi"}
    not_found = (404, {"error": "model 'nope' not found"})
    assert error(client.post("/api/generate", json=body)) == not_found


def test_unknown_routes_and_bad_bodies(client: httpx.Client) -> None:
    assert error(client.get("/api/nothing")) == (404, {"error": "not found"})
    assert error(client.get("/api/generate")) == (404, {"error": "not found"})
    assert error(client.post("/api/chat", json={"model": QWEN})) == (404, {"error": "not found"})
    assert error(client.delete("/api/delete")) == (404, {"error": "not found"})
    invalid = client.post("/api/generate", content=b"{not json")
    assert error(invalid) == (400, {"error": "invalid request"})
    assert error(client.post("/api/show", content=b"[1]")) == (400, {"error": "invalid request"})
    assert error(client.post("/api/generate")) == (400, {"error": "missing request body"})


def test_keep_alive_connection_is_reused(fake: FakeOllama) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", int(fake.url.rsplit(":", 1)[1]), timeout=10)
    try:
        for path in ("/api/version", "/api/nothing", "/api/tags", "/"):
            conn.request("GET", path)
            response = conn.getresponse()
            assert response.read()
            assert not response.will_close
        conn.request("POST", "/api/generate", body=json.dumps({"model": QWEN, "prompt": "x"}))
        streamed = conn.getresponse()
        assert streamed.read().decode().splitlines()[-1].startswith('{"model"')
        conn.request("GET", "/api/version")
        assert json.loads(conn.getresponse().read()) == {"version": "0.33.0"}
    finally:
        conn.close()


def test_set_down_and_back_up(fake: FakeOllama, client: httpx.Client) -> None:
    assert client.get("/api/version").status_code == 200  # a kept-alive connection exists
    fake.set_down(True)
    for _ in range(2):
        with pytest.raises(httpx.TransportError):
            generate(client)
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{fake.url}/api/version", timeout=10)
    assert fake.requests == [("GET", "/api/version", None)]  # a host that is down sees nothing
    fake.set_down(False)
    assert generate(client).json()["response"] == "first"


def test_set_down_drops_a_reply_in_its_delay() -> None:
    with serving(FakeModel("slow", [Reply("late", delay_s=0.5)])) as (fake, client):
        timer = threading.Timer(0.1, fake.set_down, args=(True,))
        timer.start()
        try:
            with pytest.raises(httpx.TransportError):
                generate(client, "slow")
        finally:
            timer.join()


def test_concurrent_requests_and_stop_interrupts_a_delay() -> None:
    outcome: list[BaseException] = []

    def slow_call(url: str) -> None:
        try:
            with httpx.Client(base_url=url, timeout=60) as client:
                generate(client, "slow")
        except httpx.TransportError as exc:
            outcome.append(exc)

    fake = FakeOllama([FakeModel("slow", [Reply("late", delay_s=30)])]).start()
    try:
        caller = threading.Thread(target=slow_call, args=(fake.url,))
        caller.start()
        deadline = time.monotonic() + 10
        while not fake.generate_requests() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert httpx.get(f"{fake.url}/api/version", timeout=10).status_code == 200  # not blocked
        assert caller.is_alive()
    finally:
        started = time.monotonic()
        fake.stop()
        caller.join()
    assert time.monotonic() - started < 10
    assert len(outcome) == 1


def test_stop_is_idempotent_then_refuses(fake: FakeOllama, client: httpx.Client) -> None:
    assert client.get("/").status_code == 200
    fake.stop()
    fake.stop()
    with pytest.raises(httpx.TransportError):
        client.get("/")
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{fake.url}/", timeout=10)
    fake.start()  # again, on a new port; the fixture stops it
    assert httpx.get(f"{fake.url}/api/version", timeout=10).status_code == 200


def test_fake_model_needs_a_reply() -> None:
    with pytest.raises(ValueError, match="at least one Reply"):
        FakeModel("m", [])
