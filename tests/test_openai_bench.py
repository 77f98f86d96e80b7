"""`chorebench bench` over both backends at once: a loopback Ollama and a loopback
OpenAI-compatible server that wants an API key, graded in the real sandbox."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from fakes import ChatModel, ChatReply, FakeModel, FakeOllama, FakeOpenAI
from fakes import Reply as OllamaReply

from runner.cli import main
from runner.rundir import read_manifest, read_samples

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("sandbox")]

ROOT = Path(__file__).resolve().parent.parent
KEY = "sk-chorebench-secret-4242"


def test_bench_over_an_openai_server_and_ollama(tmp_path, iso_spec):
    code = iso_spec.reference
    fenced = f"Here you go:\n```python\n{code}```\n"
    openai_models = [
        ChatModel("coder-q4", [ChatReply(fenced)]),
        ChatModel("reasoner", [ChatReply(None, reasoning="Wait. " * 40, finish_reason="length")]),
    ]
    config = tmp_path / "bench.json"
    out = tmp_path / "run"
    with (
        FakeOpenAI(openai_models, api_key=KEY) as server,
        FakeOllama([FakeModel("local:7b", [OllamaReply(code)])]) as ollama,
    ):
        openai_host = f"openai+{server.url}/v1"
        config.write_text(
            json.dumps(
                {
                    "models": ["coder-q4", {"name": "reasoner", "think": False}, "local:7b"],
                    "specs": [str(ROOT / "specs" / "iso_duration.json")],
                    "runs": 2,
                    "num_predict": 256,
                    "hosts": [ollama.url, openai_host],
                }
            )
        )
        args = ["bench", "--config", str(config), "--out", str(out), "--quiet"]
        env = {"CHOREBENCH_OPENAI_API_KEY": KEY}
        first = CliRunner().invoke(main, args, env=env)
        again = CliRunner().invoke(main, args, env=env)
        bodies = server.chat_requests()
    assert first.exit_code == 0, first.stderr
    assert "## Routing rules" in first.stdout
    assert again.exit_code == 0, again.stderr
    assert "0 collected, 6 already there" in again.stdout
    assert len(bodies) == 4  # resumed: nothing asked twice
    assert {b["max_tokens"] for b in bodies} == {256}
    reasoner = [b for b in bodies if b["model"] == "reasoner"]
    assert all(b["reasoning_effort"] == "none" for b in reasoner)

    samples = {(r.model, r.run): r for r in read_samples(out)}
    assert len(samples) == 6 and all(r.error is None for r in samples.values())
    assert {m: r.backend for (m, _), r in samples.items()} == {
        "coder-q4": "openai",
        "reasoner": "openai",
        "local:7b": "ollama",
    }
    assert samples[("coder-q4", 1)].host == openai_host
    coder = samples[("coder-q4", 1)]
    assert coder.response == fenced and coder.eval_count == 42
    assert [v.rule for v in coder.grade.violations] == ["fences", "prose"]
    assert coder.grade.points == coder.grade.max_points
    trap = samples[("reasoner", 2)]
    assert trap.thinking_trap and trap.out_of_budget and trap.thinking.startswith("Wait")

    manifest = read_manifest(out)
    assert manifest["servers"][openai_host] == {
        "url": server.url,
        "backend": "openai",
        "version": "fake-openai/1.0",
    }
    assert manifest["servers"][ollama.url]["backend"] == "ollama"
    assert manifest["models"]["coder-q4"]["digest"]
    report = json.loads((out / "report.json").read_text())
    assert {row["model"] for row in report["variance"]} == {"coder-q4", "reasoner", "local:7b"}
    thinking = {row["model"]: row for row in report["thinking"]}
    assert thinking["reasoner"]["traps"] == 2
    for path in out.iterdir():  # the key is sent, never written
        assert KEY not in path.read_text(errors="replace"), path
