"""The looking-inside commands: show, specs, models, diff, runs/latest, and the help itself.

No Docker: ``show`` and ``diff`` read run directories written by hand (``rundirs.py``);
``models`` asks real loopback servers speaking Ollama's and the OpenAI API.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner
from fakes import GB, ChatModel, ChatReply, FakeModel, FakeOllama, FakeOpenAI, sample, write_run
from fakes import Reply as OllamaReply

from runner.cli import main
from runner.records import Check, Outcome, Violation
from runner.rundir import mark_latest, read_samples

SIZES = {"good:7b": int(4.1 * GB), "bad:1b": int(0.8 * GB)}
SPECS = [("iso_duration", "parsers")]


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    records = [sample("good:7b", "iso_duration", run, 22, 22) for run in (1, 2, 3)]
    bad = sample("bad:1b", "iso_duration", 1, 0, 22, response="```python\nx = (\n```\n")
    grade = replace(
        bad.grade,
        violations=(Violation("fences", "1 fenced block"),),
        checks=(Check("minutes_only", False, 0, 1, Outcome.NO_CODE, "syntax error"),),
    )
    bad = replace(bad, thinking="hmm, a tuple?", grade=grade)
    records.append(bad)
    return write_run(tmp_path / "run", SIZES, SPECS, records)


def test_show_by_model_spec_and_run_prints_everything(run_dir: Path) -> None:
    result = invoke("show", str(run_dir), "--model", "bad:1b", "--spec", "iso_duration")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith("sample ") and "bad:1b on iso_duration, runs run 1" in out
    assert "iso_duration: 0/22 points" in out and "violation fences: 1 fenced block" in out
    assert re.search(r"FAIL minutes_only\s+no_code\s+syntax error", out)
    assert "--- response (" in out and "```python" in out
    assert "--- thinking (13 bytes)\nhmm, a tuple?" in out
    assert "--- extracted code, 1 fenced block(s) (" in out and "\nx = (" in out


def test_show_by_key_prefix_and_as_json(run_dir: Path) -> None:
    key = read_samples(run_dir)[1].key
    result = invoke("show", str(run_dir), key[:10], "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["key"] == key


def test_show_lists_the_candidates_when_several_match_and_says_when_none(run_dir: Path) -> None:
    result = invoke("show", str(run_dir), "--model", "good:7b")
    assert result.exit_code == 2
    assert "3 samples match --model good:7b; name one by its key" in result.stderr
    assert result.stderr.count("good:7b iso_duration runs run") == 3
    result = invoke("show", str(run_dir), "--model", "good:7b", "--run", "9")
    assert result.exit_code == 2 and "no sample matches --model good:7b --run 9" in result.stderr


def test_specs_lists_without_a_sandbox_and_takes_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    from runner import sandbox

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("specs opened the sandbox")

    monkeypatch.setattr(sandbox.DockerSandbox, "__init__", refuse)
    result = invoke("specs")
    assert result.exit_code == 0, result.output
    assert re.search(r"iso_duration\s+parsers\s+function\s+22\s+14", result.stdout)
    result = invoke("specs", "iso_duration", "--json")
    assert json.loads(result.stdout)["points"] == 22
    result = invoke("specs", "iso_durration")
    assert result.exit_code == 2
    assert "a spec id in" in result.stderr and "iso_duration" in result.stderr


def test_models_lists_both_backends_with_sizes_and_reports_a_dead_host() -> None:
    ollama = FakeOllama([FakeModel("qwen2.5-coder:7b", [OllamaReply("x")], size=4_683_087_332)])
    meta = {"n_params": 134_515_008, "size": 105_454_848}
    openai = FakeOpenAI([ChatModel("smollm2-135m", [ChatReply("x")], meta=meta)])
    with ollama, openai:
        result = invoke(
            "models", "--host", ollama.url, "--host", f"openai+{openai.url}",
            "--host", "http://127.0.0.1:9",
        )  # fmt: skip
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert f"{ollama.url} (ollama 0.33.0): 1 model(s)" in out
    assert re.search(r"qwen2.5-coder:7b\s+4.7 GB, 8.2B parameters, Q4_K_M", out)
    assert re.search(r"smollm2-135m\s+0.1 GB, 135M parameters", out)
    assert "http://127.0.0.1:9 (ollama): not answering:" in out


def test_models_fails_when_no_host_answers() -> None:
    result = invoke("models", "--host", "http://127.0.0.1:9")
    assert result.exit_code == 1 and "no model server answers" in result.stderr


def test_diff_says_which_differences_the_intervals_support(tmp_path: Path) -> None:
    before = [sample("good:7b", "iso_duration", r, p, 22) for r, p in ((1, 10), (2, 11), (3, 12))]
    before += [sample("bad:1b", "iso_duration", r, p, 22) for r, p in ((1, 5), (2, 15), (3, 9))]
    after = [sample("good:7b", "iso_duration", r, p, 22) for r, p in ((1, 21), (2, 22), (3, 22))]
    after += [sample("bad:1b", "iso_duration", r, p, 22) for r, p in ((1, 8), (2, 12), (3, 7))]
    after += [sample("new:3b", "iso_duration", 1, 22, 22)]
    a = write_run(tmp_path / "a", SIZES, SPECS, before)
    b = write_run(tmp_path / "b", SIZES, SPECS, after)
    result = invoke("diff", str(a), str(b))
    assert result.exit_code == 0, result.output
    lines = {line.split("|")[1].strip(): line for line in result.stdout.splitlines() if "|" in line}
    assert "B higher: the intervals do not overlap" in lines["good:7b"]
    assert "11.0/22 [" in lines["good:7b"] and "(3 runs)" in lines["good:7b"]
    assert "the intervals overlap: no difference shown" in lines["bad:1b"]
    assert "only in B" in lines["new:3b"]
    rows = [
        json.loads(line) for line in invoke("diff", str(a), str(b), "--json").stdout.splitlines()
    ]
    assert rows[0]["a"]["mean_points"] == 11.0 and len(rows[0]["b"]["keys"]) == 3


def test_latest_points_at_the_last_run_only_inside_the_runs_folder(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    first, second = runs / "20261201T080000Z", runs / "20261201T090000Z"
    for folder in (first, second):
        folder.mkdir(parents=True)
    assert mark_latest(first, runs) == runs / "latest"
    assert mark_latest(second, runs) == runs / "latest"
    assert (runs / "latest").resolve() == second.resolve()
    assert mark_latest(runs / "latest", runs) is None  # resuming through the link keeps it
    elsewhere = tmp_path / "mine"
    elsewhere.mkdir()
    assert mark_latest(elsewhere, runs) is None and not (tmp_path / "latest").exists()


def test_dash_h_and_every_command_has_an_example() -> None:
    result = invoke("-h")
    assert result.exit_code == 0
    # whole first sentences, not cut at 45 characters
    assert "Validate SPECS (default: every spec in specs/), prove each" in result.stdout
    commands_part = result.stdout.split("Commands:")[1]
    assert "..." not in commands_part
    commands = [
        ["grade"], ["check-specs"], ["run"], ["bench"], ["report"], ["regrade"], ["image"],
        ["sandbox"], ["sandbox", "prune"], ["show"], ["specs"], ["models"], ["diff"],
    ]  # fmt: skip
    for command in commands:
        result = invoke(*command, "-h")
        assert result.exit_code == 0, command
        assert "Example" in result.stdout, command


def test_shell_completion_works_as_the_readme_says() -> None:
    command = [str(Path(sys.executable).parent / "chorebench")]  # the installed entry point
    env = dict(os.environ, _CHOREBENCH_COMPLETE="bash_source")
    script = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    assert "_chorebench_completion" in script and "complete " in script
    env.update(_CHOREBENCH_COMPLETE="bash_complete", COMP_WORDS="chorebench sh", COMP_CWORD="1")
    words = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    assert "plain,show" in words.split()
