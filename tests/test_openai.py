"""The OpenAI-compatible client and the host forms, against a real loopback HTTP server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from click.testing import CliRunner
from fakes import ChatModel, ChatReply, FakeOpenAI

from runner.backends import (
    DEMO_HINT,
    OllamaClient,
    OpenAIClient,
    make_client,
    parse_host,
    require_a_server,
    split_think_block,
    thinking_fields,
)
from runner.errors import (
    BadInputError,
    BadResponse,
    ModelNotFound,
    ServerUnreachable,
    ThinkingUnsupported,
    TransientError,
)
from runner.settings import Settings

NOBODY = "http://127.0.0.1:9"  # the discard port: nothing listens there
KEY = "sk-test-0123456789"


def client(url: str, api_key: str | None = None) -> OpenAIClient:
    return OpenAIClient(url, timeout_s=10, retries=2, backoff_s=0.01, api_key=api_key)


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    models = [
        ChatModel("plain", [ChatReply("def f():\n    return 1\n")]),
        ChatModel("qwen3-8b", [ChatReply("x = 1", reasoning="Let me think.")]),
        ChatModel("gpt-oss", [ChatReply("y = 2", reasoning="Hmm.", reasoning_field="reasoning")]),
        ChatModel("trapped", [ChatReply(None, reasoning="Wait, " * 50, finish_reason="length")]),
        ChatModel("inline", [ChatReply("<think>\nplan it\n</think>\n\ndef g(): ...")]),
    ]
    with FakeOpenAI(models) as server:
        yield server


def test_host_forms_name_their_backend():
    assert parse_host("http://gpu1:11434") == ("ollama", "http://gpu1:11434")
    assert parse_host("gpu1") == ("ollama", "gpu1")
    assert parse_host("ollama+http://gpu1:11434") == ("ollama", "http://gpu1:11434")
    assert parse_host("openai+http://127.0.0.1:8080") == ("openai", "http://127.0.0.1:8080")
    assert parse_host("OpenAI+https://api.example/v1") == ("openai", "https://api.example/v1")
    with pytest.raises(BadInputError, match=r"unknown backend 'vllm'.*openai\+http://"):
        parse_host("vllm+http://127.0.0.1:8000")
    assert isinstance(make_client("openai+http://127.0.0.1:8080/v1/"), OpenAIClient)
    assert make_client("openai+http://127.0.0.1:8080/v1/").base_url == "http://127.0.0.1:8080"
    ollama = make_client("ollama+http://127.0.0.1")
    assert isinstance(ollama, OllamaClient) and ollama.base_url == "http://127.0.0.1:11434"


def test_models_are_listed_with_a_digest_stable_across_listings(fake):
    with client(fake.url) as first, client(fake.url) as second:
        listed, again = first.models(), second.models()
        assert set(listed) == {"plain:latest", "qwen3-8b:latest", "gpt-oss:latest",
                               "trapped:latest", "inline:latest"}  # fmt: skip
        assert listed["plain:latest"].name == "plain"
        assert listed["plain:latest"].parameter_size == "135M"
        assert listed["plain:latest"].digest == again["plain:latest"].digest  # created differs
        assert listed["plain:latest"].digest != listed["inline:latest"].digest
        assert first.show("plain") == listed["plain:latest"]
        assert first.loaded() == {}
        assert first.version() == "fake-openai/1.0"
        with pytest.raises(ModelNotFound, match="does not serve model 'nope'"):
            first.show("nope")


def test_generate_sends_the_options_under_their_openai_names(fake):
    with client(fake.url) as c:
        c.generate("plain", "Write f.", {"temperature": 0.2, "seed": 7, "num_predict": 64})
        c.generate("plain", "Write f.", {"temperature": 0.7})
    first, second = fake.chat_requests("plain")
    assert first == {
        "model": "plain",
        "messages": [{"role": "user", "content": "Write f."}],
        "stream": False,
        "temperature": 0.2,
        "seed": 7,
        "max_tokens": 64,
    }
    assert "seed" not in second and "max_tokens" not in second and "keep_alive" not in second


def test_think_maps_to_reasoning_fields(fake):
    assert thinking_fields(None) == {}
    assert thinking_fields(False) == {
        "reasoning_effort": "none",
        "chat_template_kwargs": {"enable_thinking": False},
    }
    assert thinking_fields(True) == {"chat_template_kwargs": {"enable_thinking": True}}
    assert thinking_fields("low") == {"reasoning_effort": "low"}
    with client(fake.url) as c:
        c.generate("plain", "p", {}, think=False)
        c.generate("plain", "p", {}, think="high")
    off, high = fake.chat_requests("plain")
    assert off["reasoning_effort"] == "none"
    assert off["chat_template_kwargs"] == {"enable_thinking": False}
    assert high["reasoning_effort"] == "high" and "chat_template_kwargs" not in high


def test_the_answer_and_the_reasoning_whichever_field_holds_it(fake):
    with client(fake.url) as c:
        plain = c.generate("plain", "p", {})
        llama = c.generate("qwen3-8b", "p", {})
        vllm = c.generate("gpt-oss", "p", {})
        trapped = c.generate("trapped", "p", {})
        inline = c.generate("inline", "p", {})
    assert (plain.response, plain.thinking, plain.done_reason) == (
        "def f():\n    return 1\n",
        "",
        "stop",
    )
    assert (plain.eval_count, plain.prompt_eval_count, plain.attempts) == (42, 17, 1)
    assert plain.eval_duration_ns == 250_000_000 and plain.wall_s > 0
    assert "choices" not in plain.raw and plain.raw["usage"]["total_tokens"] == 59
    assert (llama.response, llama.thinking) == ("x = 1", "Let me think.")
    assert (vllm.response, vllm.thinking) == ("y = 2", "Hmm.")
    # content null, reasoning filled, out of tokens: the thinking trap, out of budget
    assert trapped.response == "" and trapped.thinking.startswith("Wait")
    assert trapped.done_reason == "length"
    assert (inline.response, inline.thinking) == ("def g(): ...", "plan it")


def test_split_think_block():
    assert split_think_block("def f(): ...") == ("def f(): ...", "")
    assert split_think_block("  <think>a</think>\n\nb") == ("b", "a")
    assert split_think_block("<think>out of budget") == ("", "out of budget")
    assert split_think_block("x <think>y</think>") == ("x <think>y</think>", "")


def test_a_key_is_sent_when_given_and_asked_for_when_missing():
    with FakeOpenAI([ChatModel("m", [ChatReply("ok")])], api_key=KEY) as server:
        with client(server.url) as anonymous, pytest.raises(BadResponse) as refused:
            anonymous.models()
        with client(server.url, api_key="sk-wrong-key") as wrong, pytest.raises(BadResponse) as bad:
            wrong.generate("m", "p", {})
        with client(server.url, api_key=KEY) as keyed:
            assert keyed.generate("m", "p", {}).response == "ok"
        headers = server.requests[-1][3]
    assert "HTTP 401" in str(refused.value)
    assert "wants an API key: set CHOREBENCH_OPENAI_API_KEY" in str(refused.value)
    assert "refused the key in CHOREBENCH_OPENAI_API_KEY" in str(bad.value)
    assert "sk-wrong-key" not in str(bad.value)
    assert headers["Authorization"] == f"Bearer {KEY}"


def test_errors_map_as_ollamas_do():
    models = [
        ChatModel("flaky", [ChatReply(status=503), ChatReply("fine")]),
        ChatModel("broken", [ChatReply(status=500)]),
        ChatModel("dropper", [ChatReply(drop=True)]),
        ChatModel("plain", [ChatReply("x", status=400, error='"plain" does not support thinking')]),
    ]
    with FakeOpenAI(models) as server, client(server.url) as c:
        flaky = c.generate("flaky", "p", {})
        assert (flaky.response, flaky.attempts) == ("fine", 2)
        with pytest.raises(TransientError, match="HTTP 500: internal error"):
            c.generate("broken", "p", {})
        assert len(server.chat_requests("broken")) == 3  # 1 + 2 retries
        with pytest.raises(TransientError, match="connection failed"):
            c.generate("dropper", "p", {})
        with pytest.raises(ModelNotFound, match=r"does not serve model 'nope'.*does not exist"):
            c.generate("nope", "p", {})
        with pytest.raises(ThinkingUnsupported, match="drop --think"):
            c.generate("plain", "p", {}, think="low")
    with client(NOBODY) as c, pytest.raises(ServerUnreachable) as unreachable:
        c.version()
    assert f"no OpenAI-compatible server answers at {NOBODY}" in str(unreachable.value)


def test_an_ollama_server_given_as_openai_is_told_apart():
    from fakes import FakeModel, FakeOllama
    from fakes import Reply as OllamaReply

    with (
        FakeOllama([FakeModel("m", [OllamaReply("x")])]) as ollama,
        client(ollama.url) as c,
        pytest.raises(BadResponse, match="is it an OpenAI-compatible server"),
    ):
        c.models()


def test_require_a_server_tries_every_host_and_points_to_make_demo(fake):
    require_a_server((f"openai+{NOBODY}", f"openai+{fake.url}"))
    with pytest.raises(ServerUnreachable) as nobody:
        require_a_server((NOBODY, f"openai+{NOBODY}"))
    message = str(nobody.value)
    assert f"no Ollama server answers at {NOBODY}" in message
    assert f"no OpenAI-compatible server answers at {NOBODY}" in message
    assert message.endswith(DEMO_HINT)
    with pytest.raises(BadInputError, match="unknown backend"):
        require_a_server((f"openai+{fake.url}", "tgi+http://x:1"))


def test_the_api_key_is_read_once_and_never_shown():
    settings = Settings.from_env({"CHOREBENCH_OPENAI_API_KEY": KEY})
    assert settings.openai_api_key == KEY
    assert KEY not in repr(settings)
    assert Settings.from_env({}).openai_api_key is None


@pytest.mark.parametrize(
    ("host", "said"),
    [(NOBODY, "no Ollama server answers at"), (f"openai+{NOBODY}", "no OpenAI-compatible server")],
)
def test_the_cli_says_which_server_it_tried_and_points_to_make_demo(tmp_path, host, said):
    from runner.cli import main

    result = CliRunner().invoke(main, ["bench", "--host", host, "--out", str(tmp_path / "r")])
    assert result.exit_code == 1
    assert said in result.stderr and NOBODY in result.stderr
    assert "`make demo` runs a small real model" in result.stderr
    assert not (tmp_path / "r").exists()
