"""Suites on the real Docker engine: import and fill a handful of EvalPlus tasks, grade their
gold and mutants, the harness's batch mode, ``spec fill`` and ``grade --samples``.

CI imports four tasks (HumanEval/0 and /32, Mbpp/2 and /88), never the whole suites.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from fakes import EVALPLUS

from runner.commands import import_suite
from runner.grade import grade_response
from runner.records import Outcome, Spec
from runner.spec import load_spec, load_specs
from runner.suites import fill_specs

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("no_leftovers")]

DATA = EVALPLUS
ROOT = Path(__file__).resolve().parent.parent
TASKS = {
    "HumanEvalPlus-v0.1.10.jsonl.gz": ("HumanEval/0", "HumanEval/32"),
    "MbppPlus-v0.2.0.jsonl.gz": ("Mbpp/2", "Mbpp/88"),
}


@pytest.fixture(scope="module")
def suite_dirs(tmp_path_factory, settings) -> dict[str, Path]:
    folders = {}
    for name, task_ids in TASKS.items():
        folder = tmp_path_factory.mktemp(name.split("-")[0])
        result = import_suite(DATA / name, folder, task_ids, settings)
        assert result.skipped == []
        assert len(result.written) == len(task_ids)
        folders[result.suite] = folder
    return folders


@pytest.fixture(scope="module")
def specs(suite_dirs) -> dict[str, Spec]:
    found = load_specs(list(suite_dirs.values()))
    return {spec.suite.task_id: spec for spec in found if spec.suite}


def test_imported_specs_are_filled_and_calibrated(specs):
    assert sorted(specs) == ["HumanEval/0", "HumanEval/32", "Mbpp/2", "Mbpp/88"]
    for spec in specs.values():
        assert all(case.filled for case in spec.cases)
        assert spec.limits.calibration is not None
        assert spec.limits.group_timeout_s is not None and spec.limits.group_timeout_s >= 60
        assert all(c.timeout_s is None or c.timeout_s > 4 for c in spec.cases)
    assert specs["Mbpp/88"].cases[0].expected.startswith("{")  # a Counter, as its items


@pytest.mark.parametrize("task_id", ["HumanEval/0", "HumanEval/32", "Mbpp/2", "Mbpp/88"])
def test_gold_earns_full_marks(sandbox, specs, task_id):
    spec = specs[task_id]
    grade = grade_response(spec, spec.reference, sandbox)
    assert (grade.points, grade.max_points) == (2, 2), grade.error
    assert [(g.group, g.ok) for g in grade.groups] == [("base", True), ("plus", True)]
    assert grade.groups[1].total == sum(c.group == "plus" for c in spec.cases)


def test_find_zero_checks_the_root_not_the_reference_value(sandbox, specs):
    spec = specs["HumanEval/32"]
    # A tighter tolerance: other floats than the reference's, still roots within atol.
    closer = spec.reference.replace("x, tol = 0, 1e-5", "x, tol = 0, 1e-9")
    assert closer != spec.reference
    assert grade_response(spec, closer, sandbox).points == 2
    off = spec.reference.replace("    return x\n", "    return x + 0.01\n")
    assert off != spec.reference
    assert grade_response(spec, off, sandbox).points == 0


def test_a_mutant_fails_base_and_plus_is_not_run(sandbox, specs):
    spec = specs["HumanEval/0"]
    mutant = spec.reference.replace("< threshold:", "<= threshold:")
    assert mutant != spec.reference
    grade = grade_response(spec, mutant, sandbox)
    base, plus = grade.groups
    assert not base.ok or not plus.ok
    assert grade.points < 2
    wrong = spec.reference.replace("return True", "return False", 1)
    grade = grade_response(spec, wrong, sandbox)
    assert grade.points == 0 and not grade.groups[0].ok
    outcomes = {c.outcome for c in grade.checks if c.case.startswith("plus")}
    assert outcomes == {Outcome.NOT_RUN}


def test_set_equal_oracle_accepts_any_order(sandbox, specs):
    spec = specs["Mbpp/2"]
    candidate = (
        "def similar_elements(test_tup1, test_tup2):\n"
        "    return tuple(sorted(set(test_tup1) & set(test_tup2), reverse=True))\n"
    )
    assert grade_response(spec, candidate, sandbox).points == 2


BATCH = {
    "id": "batch",
    "title": "batch mode",
    "family": "suite",
    "kind": "function",
    "prompt": "p",
    "entry_point": "f",
    "reference": "def f(x):\n    return x\n",
    "scoring": "per_group",
    "comparison": {"mode": "evalplus"},
    "limits": {"case_timeout_s": 1, "group_timeout_s": 20},
    "cases": [
        {"id": f"{group}_{i}", "group": group, "args": [str(i)], "expected": str(i)}
        for group in ("base", "plus")
        for i in range(4)
    ],
}
HOSTILE = (
    "import os, time\n"
    "def f(x):\n"
    "    if x == 1:\n"
    "        while True:\n"
    "            pass\n"
    "    if x == 2:\n"
    "        os._exit(3)\n"
    "    return x\n"
)


def batch_spec(tmp_path: Path, **changes: object) -> Spec:
    path = tmp_path / "batch.json"
    path.write_text(json.dumps({**BATCH, **changes}))
    return load_spec(path)


def test_batch_mode_survives_a_hang_and_a_crash(sandbox, tmp_path):
    spec = batch_spec(tmp_path)
    grade = grade_response(spec, HOSTILE, sandbox)
    outcomes = [c.outcome for c in grade.checks]
    assert outcomes[:4] == [Outcome.PASSED, Outcome.TIMEOUT, Outcome.CRASHED, Outcome.PASSED]
    assert outcomes[4:] == outcomes[:4]
    assert [(g.passed, g.total) for g in grade.groups] == [(2, 4), (2, 4)]
    assert grade.points == 0 and grade.error is None


def test_stop_at_first_failure_runs_nothing_after_it(sandbox, tmp_path):
    spec = batch_spec(tmp_path, stop_at_first_failure=True)
    grade = grade_response(spec, HOSTILE, sandbox)
    outcomes = [c.outcome for c in grade.checks]
    assert outcomes == [Outcome.PASSED, Outcome.TIMEOUT] + [Outcome.NOT_RUN] * 6


def test_group_cap_counts_the_cpu_time_of_calls(sandbox, tmp_path):
    burn = (
        "import time\n"
        "def f(x):\n"
        "    start = time.process_time()\n"
        "    while time.process_time() - start < 0.9:\n"
        "        pass\n"
        "    return x\n"
    )
    spec = batch_spec(tmp_path, limits={"case_timeout_s": 1.5, "group_timeout_s": 2})
    grade = grade_response(spec, burn, sandbox)
    base = [c.outcome for c in grade.checks if c.case.startswith("base")]
    assert base[:2] == [Outcome.PASSED, Outcome.PASSED]
    assert base[3] is Outcome.TIMEOUT  # 3 x 0.9 s of CPU is past the 2 s cap
    assert grade.error is None


def test_a_sleeping_call_is_not_cpu_but_the_wall_clock_backs_it_up(sandbox, tmp_path):
    sleepy = "import time\ndef f(x):\n    time.sleep(0.3 if x != 1 else 60)\n    return x\n"
    spec = batch_spec(tmp_path, limits={"case_timeout_s": 0.2, "group_timeout_s": 1})
    grade = grade_response(spec, sleepy, sandbox)
    outcomes = [c.outcome for c in grade.checks][:2]
    assert outcomes == [Outcome.PASSED, Outcome.TIMEOUT]  # 0.3 s asleep is no CPU at all


def test_spec_fill_writes_what_the_reference_returns_and_raises(sandbox, tmp_path):
    original = json.loads((ROOT / "specs" / "iso_duration.json").read_text())
    data = json.loads(json.dumps(original))
    for case in data["cases"]:
        case.pop("expected", None)
        case.pop("raises", None)
    path = tmp_path / "iso_duration.json"
    path.write_text(json.dumps(data))
    [result] = fill_specs([path], sandbox, 1, lambda _: None)
    assert result.problem is None and result.filled == len(data["cases"])
    filled = json.loads(path.read_text())
    for before, after in zip(original["cases"], filled["cases"], strict=True):
        if "expected" in before:
            assert after["expected"] == before["expected"]
        else:
            assert after["raises"] == {"type": before["raises"]["type"]}
    assert load_spec(path).cases


def test_spec_fill_names_a_value_without_a_literal_form(sandbox, tmp_path):
    spec = batch_spec(tmp_path)
    data = json.loads(Path(spec.path).read_text())
    data["reference"] = "def f(x):\n    return frozenset({x})\n"
    data["cases"][0].pop("expected")
    Path(spec.path).write_text(json.dumps(data))
    [result] = fill_specs([Path(spec.path)], sandbox, 1, lambda _: None)
    assert result.problem is not None
    assert "/cases/0 (base_0)" in result.problem and "frozenset" in result.problem


def test_spec_fill_gives_a_reference_short_of_memory_more_once(sandbox, tmp_path):
    # Mbpp/255's reference holds 1.1 GB: the import gives such a task EvalPlus's 4 GiB. Here,
    # in small: 200 MB of bytes under a 128 MiB limit, then 512 MiB.
    hungry = 'def f(x):\n    block = b"x" * (200 << 20)\n    return x + len(block) - len(block)\n'
    spec = batch_spec(tmp_path, reference=hungry, limits={"case_timeout_s": 4, "memory_mb": 128})
    data = json.loads(Path(spec.path).read_text())
    for case in data["cases"]:
        case.pop("expected")
    Path(spec.path).write_text(json.dumps(data))
    [refused] = fill_specs([Path(spec.path)], sandbox, 1, lambda _: None)
    assert refused.run_failed and refused.problem  # a case crashed (runc) or the run did (runsc)
    assert json.loads(Path(spec.path).read_text()) == data  # left as it was
    said: list[str] = []
    [result] = fill_specs([Path(spec.path)], sandbox, 1, said.append, more_memory_mb=512)
    assert result.problem is None and result.filled == len(data["cases"]), result.problem
    assert any("again with 512 MiB" in line for line in said)
    filled = load_spec(Path(spec.path))
    assert filled.limits.memory_mb == 512 and all(case.filled for case in filled.cases)
    assert grade_response(filled, hungry, sandbox).points == filled.max_points


def chorebench(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "runner", *args]
    return subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT)


def test_grade_samples_cli_in_both_forms(suite_dirs, specs, tmp_path):
    folder = tmp_path / "humanevalplus"
    shutil.copytree(suite_dirs["humanevalplus"], folder)
    spec = specs["HumanEval/0"]
    completion = spec.reference[len(spec.suite.prompt) :]
    lines = [
        {"task_id": "HumanEval/0", "solution": spec.reference},
        {"task_id": "HumanEval/0", "completion": completion.replace("return True", "return 0")},
        {"task_id": "HumanEval/32", "completion": "    return 0.0\n"},
    ]
    samples = tmp_path / "samples.jsonl"
    samples.write_text("".join(json.dumps(line) + "\n" for line in lines))
    done = chorebench("grade", str(folder), "--samples", str(samples), "--json")
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r.get("task_id") for r in rows[:3]] == ["HumanEval/0", "HumanEval/0", "HumanEval/32"]
    assert rows[0]["base"]["passed"] == rows[0]["base"]["total"]
    assert rows[0]["plus"]["passed"] == rows[0]["plus"]["total"]
    assert rows[1]["base"]["passed"] < rows[1]["base"]["total"]
    assert rows[3]["pass@1"] == {"base": 0.25, "base+plus": 0.25}  # (1/2 + 0) / 2 tasks
    text = chorebench("grade", str(folder), "--samples", str(samples))
    assert text.returncode == 0 and "pass@1 base 0.2500, base+plus 0.2500" in text.stdout


def test_import_cli_and_a_task_with_no_plus_inputs(tmp_path):
    # Mbpp/793 has no plus inputs: its gold passes base + plus, as in EvalPlus (docs/SUITES.md).
    # Also the CLI path of `import` and `spec fill` (both once crashed on a flag).
    source = str(DATA / "MbppPlus-v0.2.0.jsonl.gz")
    done = chorebench("import", "evalplus", source, "--task", "Mbpp/793", "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    spec = load_spec(tmp_path / "mbpp_793.json")
    assert spec.groups == ("base",)
    data = json.loads(Path(spec.path).read_text())
    expected = [case.pop("expected") for case in data["cases"]]
    Path(spec.path).write_text(json.dumps(data))
    done = chorebench("spec", "fill", spec.path)
    assert done.returncode == 0, done.stderr
    assert [c["expected"] for c in json.loads(Path(spec.path).read_text())["cases"]] == expected
    samples = tmp_path / "samples.jsonl"
    samples.write_text(json.dumps({"task_id": "Mbpp/793", "solution": spec.reference}) + "\n")
    done = chorebench("grade", str(tmp_path), "--samples", str(samples), "--json")
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert rows[0]["base"] == {"passed": 3, "total": 3} and "plus" not in rows[0]
    assert rows[1]["pass@1"] == {"base": 1.0, "base+plus": 1.0}


def test_grade_samples_cli_names_bad_lines(suite_dirs, tmp_path):
    samples = tmp_path / "samples.jsonl"
    samples.write_text('{"task_id": "HumanEval/99", "solution": "x"}\n{"task_id": \n')
    done = chorebench("grade", str(suite_dirs["humanevalplus"]), "--samples", str(samples))
    assert done.returncode == 2
    assert f"{samples}: line 1: task 'HumanEval/99' is not in the suite" in done.stderr
    assert f"{samples}: line 2: not valid JSON" in done.stderr


def test_check_specs_warns_when_limits_are_tighter_than_the_rule(suite_dirs, tmp_path):
    folder = tmp_path / "tight"
    shutil.copytree(suite_dirs["mbppplus"], folder)
    path = folder / "mbpp_2.json"
    data = json.loads(path.read_text())
    data["limits"]["case_timeout_s"] = 0.5
    path.write_text(json.dumps(data))
    done = chorebench("check-specs", str(path))
    assert done.returncode == 0, done.stderr
    assert "tighter than the calibration rule" in done.stdout


def test_the_suite_speed_benchmark_measures_its_floor(suite_dirs, specs, settings, sandbox):
    # A smoke of benchmarks/suites_speed.py's own measurements on the real engine, no timing
    # asserted (its EvalPlus side needs the `suites` extra, which CI does not install).
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import suites_speed

    gold = [{"task_id": "HumanEval/0", "solution": specs["HumanEval/0"].reference}]
    compute = suites_speed.gold_compute_s(suite_dirs["humanevalplus"], gold)
    assert compute > 0
    floor = suites_speed.platform_floor(2, 1, settings.runtime, compute)
    assert floor["lifecycles_s"] > 0 and floor["compute_s"] == compute
    assert floor["wall_s"] == floor["lifecycles_s"] + compute
