"""Damaged operator inputs: exit 2 with a message naming the file and the place, no traceback.

Run directories, specs, configs and settings as a person might leave them after an edit gone
wrong, or as someone hostile might hand them over (issue 18, finding 6). No engine is needed:
each is refused before one would be asked for.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from fakes import sample, write_run

from runner.cli import main

ROOT = Path(__file__).resolve().parent.parent
DEEP = "[" * 100_000 + "]" * 100_000


def invoke(*args: str, env: dict[str, str] | None = None):
    result = CliRunner().invoke(main, list(args), env=env)
    assert "Traceback" not in result.output + result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result


def a_run(tmp_path: Path) -> Path:
    spec = str(ROOT / "specs" / "iso_duration.json")
    run = write_run(
        tmp_path / "run",
        {"m": 1},
        [("iso_duration", "parsers")],
        [sample("m", "iso_duration", run, 22, 22) for run in (1, 2, 3)],
    )
    manifest = json.loads((run / "manifest.json").read_text())
    manifest["specs"][0]["path"] = spec
    (run / "manifest.json").write_text(json.dumps(manifest))
    return run


def replace_line(run: Path, number: int, text: str) -> None:
    lines = (run / "samples.jsonl").read_text().splitlines()
    lines[number - 1] = text
    (run / "samples.jsonl").write_text("\n".join(lines) + "\n")


def edit_sample(run: Path, number: int, edit: str) -> None:
    """Apply ``edit`` (``field=json`` or ``grade.field=json``) to sample line ``number``."""
    record = json.loads((run / "samples.jsonl").read_text().splitlines()[number - 1])
    path, _, value = edit.partition("=")
    target = record
    *parents, name = path.split(".")
    for parent in parents:
        target = target[parent]
    target[name] = "@@"
    replace_line(run, number, json.dumps(record).replace('"@@"', value))


@pytest.mark.parametrize("command", ["report", "regrade"])
@pytest.mark.parametrize(
    ("damage", "said"),
    [
        ("line=" + DEEP, "samples.jsonl: line 2: nested deeper than 32 levels"),
        ("run=1e400", "samples.jsonl: line 2: a number out of range: 1e400"),
        ("grade.points=1e400", "samples.jsonl: line 2: a number out of range: 1e400"),
        ("grade.points=" + "9" * 5000, "samples.jsonl: line 2: a number out of range: 99999"),
        ("wall_s=NaN", "samples.jsonl: line 2: a number out of range: NaN"),
        ('grade.checks="passed"', "samples.jsonl: line 2: /grade/checks: not list"),
        ("response=42", "samples.jsonl: line 2: /response: not str or null"),
        ("run=[2]", "samples.jsonl: line 2: /run: not int or str"),
        ('run="two"', "samples.jsonl: line 2: not a chorebench sample (ValueError("),
        ("key={}", "samples.jsonl: line 2: /key: not str"),
        ('grade.violations=[{"rule": 1}]', "/grade/violations/0/rule: not str"),
        ('grade.checks=["x"]', "/grade/checks/0: not a JSON object"),
    ],
)
def test_a_damaged_samples_line_is_bad_input(tmp_path: Path, command: str, damage: str, said: str):
    run = a_run(tmp_path)
    if damage.startswith("line="):
        replace_line(run, 2, damage.removeprefix("line="))
    else:
        edit_sample(run, 2, damage)
    result = invoke(command, str(run))
    assert result.exit_code == 2, result.output
    assert said in result.stderr


@pytest.mark.parametrize(
    ("damage", "said"),
    [
        (DEEP, "manifest.json: /: nested deeper than 32 levels"),
        ('{"specs": "iso"}', "manifest.json: /specs: not list"),
        ('{"specs": [{"id": "x"}]}', "manifest.json: /specs/0/path: missing"),
        ('{"phases": {"best_of": null}}', "manifest.json: /phases/best_of: not a JSON object"),
        ('{"phases": {"best_of": {"hit_at": "x"}}}', "/phases/best_of/hit_at: not int or float"),
        ('{"models": {"m": {"size": Infinity}}}', "manifest.json: /: a number out of range"),
        ("[]", "manifest.json: /: not a JSON object"),
    ],
)
@pytest.mark.parametrize("command", ["report", "regrade"])
def test_a_damaged_manifest_is_bad_input(tmp_path: Path, command: str, damage: str, said: str):
    run = a_run(tmp_path)
    (run / "manifest.json").write_text(damage)
    result = invoke(command, str(run))
    assert result.exit_code == 2, result.output
    assert said in result.stderr


@pytest.mark.parametrize("command", ["check-specs", "grade"])
def test_a_spec_nested_100000_deep_is_bad_input(tmp_path: Path, command: str):
    spec = tmp_path / "deep.json"
    spec.write_text('{"id": ' + DEEP + "}")
    answer = tmp_path / "answer.txt"
    answer.write_text("x")
    result = invoke(command, str(spec), *([str(answer)] if command == "grade" else []))
    assert result.exit_code == 2
    assert f"{spec}: /: nested deeper than 32 levels" in result.stderr


@pytest.mark.parametrize(
    ("config", "said"),
    [
        (DEEP, "/: nested deeper than 32 levels"),
        ('{"timeout_s": NaN}', "/timeout_s: <NaN, an infinity or a number of too many digits>"),
        ('{"timeout_s": Infinity}', "/timeout_s: <NaN, an infinity"),
        ('{"timeout_s": 1e400}', "/timeout_s: <NaN, an infinity"),
        ('{"runs": 1' + "0" * 400 + "}", "/runs: <NaN, an infinity"),
    ],
)
def test_a_damaged_config_is_bad_input_naming_the_field(tmp_path: Path, config: str, said: str):
    path = tmp_path / "bench.json"
    path.write_text(config)
    result = invoke("run", "--config", str(path), "--host", "http://127.0.0.1:9")
    assert result.exit_code == 2
    assert f"{path}: {said}" in result.stderr


@pytest.mark.parametrize("flag", ["nan", "inf", "-inf"])
def test_a_non_finite_timeout_flag_is_bad_input(flag: str):
    result = invoke("run", "--timeout", flag, "--host", "http://127.0.0.1:9")
    assert result.exit_code == 2
    assert "--timeout" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("value", ["²", "٣", "1" * 40, "-1", "0", "1e3"])
def test_a_jobs_variable_that_is_no_plain_number_is_bad_input(value: str):
    result = invoke("report", "/nonexistent", env={"CHOREBENCH_JOBS": value})
    assert result.exit_code == 2
    assert "CHOREBENCH_JOBS" in result.stderr
