"""The CLI contract: output shapes and exit codes (0 done, 1 could not run, 2 bad input)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from runner import __version__
from runner.cli import main

ROOT = Path(__file__).resolve().parent.parent
ISO = ROOT / "specs" / "iso_duration.json"
GRADE_KEYS = {
    "spec", "points", "max_points", "score", "strict_score", "compliant", "violations",
    "checks", "diagnostics", "error", "elapsed_s", "sandbox",
}  # fmt: skip


def run(*args: str, stdin: str | None = None, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, list(args), input=stdin, env=env)


def test_version():
    result = run("--version")
    assert result.exit_code == 0
    assert __version__ in result.output


def test_missing_response_file_is_bad_input():
    result = run("grade", str(ISO), "/nonexistent/response.txt")
    assert result.exit_code == 2
    assert "response.txt" in result.output


def test_invalid_spec_is_bad_input_and_names_file_and_pointer(tmp_path):
    spec = json.loads(ISO.read_text())
    spec["cases"][0]["expected"] = "not a literal("
    path = tmp_path / "iso_duration.json"
    path.write_text(json.dumps(spec))
    result = run("grade", str(path), "-", stdin="def parse_iso_duration(s): return 0")
    assert result.exit_code == 2
    assert f"{path}: /cases/0/expected: not a Python literal" in result.output


def test_bad_runtime_environment_is_bad_input():
    result = run("grade", str(ISO), "-", stdin="x", env={"CHOREBENCH_RUNTIME": "kata"})
    assert result.exit_code == 2
    assert "CHOREBENCH_RUNTIME" in result.output


def test_no_engine_could_not_run(tmp_path):
    env = {"DOCKER_HOST": f"unix://{tmp_path}/no-engine.sock"}
    result = run("grade", str(ISO), "-", stdin="def parse_iso_duration(s): return 0", env=env)
    assert result.exit_code == 1
    assert "no Docker engine answers" in result.output
    assert "no-engine.sock" in result.output


@pytest.mark.docker
@pytest.mark.usefixtures("sandbox")
def test_grade_json_contract():
    raw = "```python\ndef parse_iso_duration(s):\n    return 300\n```\n"
    result = run("grade", str(ISO), "-", "--json", stdin=raw)
    assert result.exit_code == 0, result.output
    grade = json.loads(result.output)
    assert set(grade) == GRADE_KEYS
    assert (grade["spec"], grade["points"], grade["max_points"]) == ("iso_duration", 1, 22)
    assert grade["score"] == round(1 / 22, 6) and grade["strict_score"] == 0.0
    assert grade["violations"] == [{"rule": "fences", "detail": "1 fenced block"}]
    assert [set(c) >= {"case", "passed", "points", "detail"} for c in grade["checks"]] == [
        True
    ] * 22
    assert grade["error"] is None and grade["diagnostics"] == []


@pytest.mark.docker
@pytest.mark.usefixtures("sandbox")
def test_grading_several_responses_in_parallel_matches_serial_order(tmp_path, iso_spec):
    bodies = [
        iso_spec.reference,
        "def parse_iso_duration(s):\n    return 300\n",
        f"```python\n{iso_spec.reference}```\n",
        "def parse_iso_duration(s):\n    raise ValueError('invalid ISO duration: ' + s)\n",
        "",
    ]
    files = []
    for number, body in enumerate(bodies):
        files.append(tmp_path / f"response{number}.txt")
        files[-1].write_text(body)
    outputs = {}
    for jobs in ("1", "3"):
        result = run("grade", str(ISO), *map(str, files), "--json", "--jobs", jobs)
        assert result.exit_code == 0, result.output
        outputs[jobs] = [json.loads(line) for line in result.stdout.splitlines()]
    assert [g["points"] for g in outputs["3"]] == [
        22,
        1,
        22,
        16,
        0,
    ]  # 8 invalid cases, 2 checks each
    for serial, parallel in zip(outputs["1"], outputs["3"], strict=True):
        assert [c["outcome"] for c in serial["checks"]] == [
            c["outcome"] for c in parallel["checks"]
        ]
        assert serial["violations"] == parallel["violations"]
    human = run("grade", str(ISO), str(files[0]), str(files[1]), "-j", "2")
    assert human.stdout.startswith(f"== {files[0]}\niso_duration: 22/22 points")
    assert f"== {files[1]}\niso_duration: 1/22 points" in human.stdout


def test_jobs_must_be_a_positive_number():
    result = run("grade", str(ISO), "-", stdin="x", env={"CHOREBENCH_JOBS": "many"})
    assert result.exit_code == 2 and "CHOREBENCH_JOBS='many'" in result.output
    result = run("grade", str(ISO), "-", "--jobs", "0", stdin="x")
    assert result.exit_code == 2 and "--jobs" in result.output


@pytest.mark.docker
@pytest.mark.usefixtures("sandbox")
def test_grade_human_summary():
    result = run("grade", str(ISO), "-", stdin="def parse_iso_duration(s):\n    return 300\n")
    assert result.exit_code == 0
    assert result.output.startswith("iso_duration: 1/22 points")
    assert "pass minutes_only" in result.output


@pytest.mark.docker
@pytest.mark.usefixtures("sandbox")
def test_check_specs_passes_on_the_shipped_specs():
    result = run("check-specs")
    assert result.exit_code == 0, result.output
    assert "spec(s) valid and satisfiable" in result.output
    # Each spec's floor; iso_duration's is the 16/22 from always raising, flagged.
    assert (
        "     floor 16/22 (0.73) from always raise ValueError  WARNING: above 0.3" in result.stdout
    )
    assert result.stdout.count("     floor ") == 3
    assert "[check-specs 3/3]" in result.stderr  # live progress, one line per reference


@pytest.mark.docker
@pytest.mark.usefixtures("sandbox")
def test_a_spec_is_named_by_its_id():
    result = run("grade", "iso_duration", "-", stdin="def parse_iso_duration(s):\n    return 300\n")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("iso_duration: 1/22 points")


@pytest.mark.docker
@pytest.mark.usefixtures("sandbox")
def test_check_specs_rejects_an_unsatisfiable_reference(tmp_path):
    path = tmp_path / "iso_duration.json"
    shutil.copy(ISO, path)
    spec = json.loads(path.read_text())
    spec["reference"] = ["def parse_iso_duration(s):", "    return 300"]
    path.write_text(json.dumps(spec))
    result = run("check-specs", str(path))
    assert result.exit_code == 2
    assert f"{path}: /reference: earns 1/22 in the sandbox" in result.output


@pytest.mark.docker
@pytest.mark.usefixtures("sandbox")
def test_grade_json_contract_for_a_pytest_spec():
    spec = ROOT / "specs" / "cache_reset_test.json"
    raw = (
        "from src.main_improved import _model_cache, invalidate_model_cache\n\n\n"
        "def test_invalidate_model_cache_resets_all_keys():\n"
        "    invalidate_model_cache()\n"
        "    assert _model_cache['model'] is None\n"
    )
    result = run("grade", str(spec), "-", "--json", stdin=raw)
    assert result.exit_code == 0, result.output
    grade = json.loads(result.output)
    assert set(grade) == GRADE_KEYS
    # The stale dict is the untouched original: all None on every variant, so the test passes
    # on the reference and every mutant survives.
    assert (grade["points"], grade["max_points"]) == (0, 1)
    assert [c["passed"] for c in grade["checks"]] == [True, False, False, False, False]
    assert [c["case"] for c in grade["checks"]][:2] == ["reference", "mutant:noop"]
    assert [d["rule"] for d in grade["diagnostics"]] == ["stale_import", "read_after_rebind"]
    assert all(d["line"] for d in grade["diagnostics"])


@pytest.mark.parametrize(
    "command",
    [
        ["spec", "fill", str(ISO)],
        ["import", "evalplus", str(ISO), "--task", "HumanEval/0"],
    ],
    ids=["spec fill", "import"],
)
def test_sandbox_flag_reaches_the_settings_of_every_grading_command(command):
    """Every command with the sandbox options takes ``--sandbox`` and checks it before any
    work: a wrong engine is bad input naming the flag, not a crash."""
    result = run(*command, "--sandbox", "ftp://x")
    assert result.exit_code == 2, result.output
    assert "--sandbox: engine 'ftp://x'" in result.output
