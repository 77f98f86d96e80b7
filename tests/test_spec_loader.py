"""Tests of runner.spec: every malformed spec is reported as ``FILE: /pointer: reason``."""

from __future__ import annotations

import ast
import copy
import hashlib
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from runner.errors import BadInputError, SpecError
from runner.records import Case, Constraints, ExpectedRaise, Limits, Spec
from runner.spec import load_spec, load_specs, spec_paths

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"
ISO_PATH = SPECS / "iso_duration.json"
FLATTEN_PATH = SPECS / "flatten_dict.json"
ISO: dict[str, Any] = json.loads(ISO_PATH.read_text(encoding="utf-8"))

MODULE = {
    "import_path": "src.calc",
    "reference": ["def double(x):", "    return 2 * x"],
    "mutants": [
        {
            "name": "plus",
            "description": "adds instead",
            "patch": [{"old": "2 * x", "new": "2 + x"}],
        },
        {"name": "zero", "description": "always zero", "source": "def double(x):\n    return 0\n"},
    ],
}


def iso(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(ISO)
    data.update(changes)
    return data


def write(folder: Path, data: Any, name: str = "iso_duration") -> Path:
    path = folder / f"{name}.json"
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return path


def problems_of(path: Path) -> list[str]:
    with pytest.raises(SpecError) as info:
        load_spec(path)
    return info.value.problems


def exact(reason: str) -> str:
    return re.escape(reason)


# jsonschema's minLength/minItems wording changed in 4.21; both say the same thing
NON_EMPTY = "(?:should be non-empty|is too short)"


Mutator = Callable[[dict[str, Any]], object]


def _pytest_kind(d: dict[str, Any]) -> None:
    d.update(kind="pytest", module=copy.deepcopy(MODULE))


def _pytest_module(d: dict[str, Any]) -> None:
    d.pop("cases")
    d.update(kind="pytest", entry_point="test_double", module=copy.deepcopy(MODULE))
    d["reference"] = (
        "from src.calc import double\n\ndef test_double():\n    assert double(2) == 4\n"
    )


def _mutant_patch(old: str) -> Mutator:
    def mutate(d: dict[str, Any]) -> None:
        _pytest_module(d)
        d["module"]["mutants"][0]["patch"][0]["old"] = old

    return mutate


# (mutation, file name, pointer, reason regex)
MALFORMED: list[Any] = [
    pytest.param(
        lambda d: d.update(title=""),
        "iso_duration",
        "/title",
        exact("'' ") + NON_EMPTY,
        id="title-empty",
    ),
    pytest.param(
        lambda d: d.update(entry_point="parse-iso"),
        "iso_duration",
        "/entry_point",
        exact("'parse-iso' does not match '^[A-Za-z_][A-Za-z0-9_]*$'"),
        id="entry-point-not-a-name",
    ),
    pytest.param(
        lambda d: d.pop("cases"),
        "iso_duration",
        "/",
        exact("'cases' is a required property"),
        id="function-without-cases",
    ),
    pytest.param(
        _pytest_kind,
        "iso_duration",
        "/",
        r"\{.*\} should not be valid under \{'required': \['cases'\]\}",
        id="pytest-with-cases",
    ),
    pytest.param(
        lambda d: d.update(id="Iso_duration"),
        "Iso_duration",
        "/id",
        exact("'Iso_duration' does not match '^[a-z][a-z0-9_]*$'"),
        id="id-with-capitals",
    ),
    pytest.param(
        lambda d: d["cases"][1].update(id="has space"),
        "iso_duration",
        "/cases/1/id",
        exact("'has space' does not match '^[A-Za-z0-9_.:-]+$'"),
        id="case-id-with-space",
    ),
    pytest.param(
        lambda d: d["cases"][0].update(args=[""]),
        "iso_duration",
        "/cases/0/args/0",
        exact("'' ") + NON_EMPTY,
        id="arg-empty",
    ),
    pytest.param(
        lambda d: d["cases"][6].update(expected="0"),
        "iso_duration",
        "/cases/6",
        exact("has more than one of 'expected', 'expected_digest' and 'raises': keep one"),
        id="both-expected-and-raises",
    ),
    pytest.param(
        lambda d: d["cases"][0].pop("expected"),
        "iso_duration",
        "/cases/0",
        exact("no 'expected' nor 'raises' (1 case(s) in all): run `chorebench spec fill ")
        + r".*iso_duration\.json`",
        id="neither-expected-nor-raises",
    ),
    pytest.param(
        lambda d: d["cases"][7]["raises"].update(type="object"),
        "iso_duration",
        "/cases/7/raises/type",
        exact("'object' is not a built-in exception"),
        id="raises-type-not-an-exception",
    ),
    pytest.param(
        lambda d: d["cases"][7]["raises"].update(type="Value.Error"),
        "iso_duration",
        "/cases/7/raises/type",
        exact("'Value.Error' does not match '^[A-Za-z]+$'"),
        id="raises-type-dotted",
    ),
    pytest.param(
        lambda d: d["cases"][8]["raises"].pop("type"),
        "iso_duration",
        "/cases/8/raises",
        exact("'type' is a required property"),
        id="raises-without-type",
    ),
    pytest.param(
        lambda d: d["cases"][2].update(points=0),
        "iso_duration",
        "/cases/2/points",
        exact("0 is less than the minimum of 1"),
        id="points-zero",
    ),
    pytest.param(
        lambda d: d["cases"][2].update(approx=0.6),
        "iso_duration",
        "/cases/2/approx",
        exact("0.6 is greater than the maximum of 0.5"),
        id="approx-too-large",
    ),
    pytest.param(
        lambda d: d["limits"].update(memory_mb=16),
        "iso_duration",
        "/limits/memory_mb",
        exact("16 is less than the minimum of 32"),
        id="memory-too-small",
    ),
    pytest.param(
        lambda d: d["constraints"].update(forbidden_calls=["eval", "eval"]),
        "iso_duration",
        "/constraints/forbidden_calls",
        exact("['eval', 'eval'] has non-unique elements"),
        id="forbidden-calls-repeated",
    ),
    pytest.param(
        lambda d: d.update(scoring="best_of"),
        "iso_duration",
        "/scoring",
        exact("'best_of' is not one of ['per_check', 'all_or_nothing', 'per_group']"),
        id="bad-scoring",
    ),
    pytest.param(
        _mutant_patch("x"),
        "iso_duration",
        "/module/mutants/0/patch",
        exact("hunk 0: 'old' occurs 2 times in the reference, not once"),
        id="mutant-patch-ambiguous",
    ),
    pytest.param(
        lambda d: (_pytest_module(d), d["module"]["mutants"][1].update(name="plus")),
        "iso_duration",
        "/module/mutants/1/name",
        exact("duplicate mutant name 'plus'"),
        id="mutant-name-repeated",
    ),
    pytest.param(
        lambda d: (
            _pytest_module(d),
            d["module"]["mutants"][1].update(source="def double(x):\n    return 2 * x\n"),
        ),
        "iso_duration",
        "/module/mutants/1",
        exact("the mutant is identical to the reference"),
        id="mutant-identical",
    ),
    pytest.param(
        lambda d: (_pytest_module(d), d["module"]["mutants"][1].update(source="def double(x:\n")),
        "iso_duration",
        "/module/mutants/1",
        exact("does not compile: '(' was never closed (line 1)"),
        id="mutant-does-not-compile",
    ),
]


@pytest.mark.parametrize(("mutate", "name", "pointer", "reason"), MALFORMED)
def test_malformed_spec_is_reported_with_its_pointer(
    tmp_path: Path, mutate: Mutator, name: str, pointer: str, reason: str
) -> None:
    data = iso()
    mutate(data)
    path = write(tmp_path, data, name)
    problems = problems_of(path)
    assert len(problems) == 1, problems
    prefix = f"{path}: {pointer}: "
    assert problems[0].startswith(prefix)
    assert re.fullmatch(re.escape(prefix) + reason, problems[0], flags=re.DOTALL), problems[0]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        pytest.param(
            b"", exact("not valid JSON: Expecting value: line 1 column 1 (char 0)"), id="empty-file"
        ),
        pytest.param(
            b'{"cases": [{"id": "a", "expected": "1", "expected": "2"}]}',
            exact("not valid JSON: duplicate key(s) 'expected'"),
            id="duplicate-nested-keys",
        ),
        pytest.param(
            b'{"title": "\xff"}', r"not valid JSON: 'utf-8' codec can't decode .*", id="not-utf8"
        ),
    ],
)
def test_unreadable_json_is_reported_at_the_root(
    tmp_path: Path, content: bytes, reason: str
) -> None:
    path = tmp_path / "iso_duration.json"
    path.write_bytes(content)
    problems = problems_of(path)
    assert len(problems) == 1, problems
    assert re.fullmatch(re.escape(f"{path}: /: ") + reason, problems[0]), problems[0]


def test_missing_kind_is_reported_once(tmp_path: Path) -> None:
    data = iso()
    del data["kind"]
    path = write(tmp_path, data)
    assert problems_of(path) == [f"{path}: /: 'kind' is a required property"]


def test_top_level_array_is_reported_once(tmp_path: Path) -> None:
    path = tmp_path / "iso_duration.json"
    path.write_bytes(b"[]")
    assert problems_of(path) == [f"{path}: /: [] is not of type 'object'"]


def test_top_level_array_is_rejected_at_the_root(tmp_path: Path) -> None:
    path = tmp_path / "iso_duration.json"
    path.write_bytes(b"[]")
    problems = problems_of(path)
    assert problems[0] == f"{path}: /: [] is not of type 'object'"
    assert all(problem.startswith(f"{path}: /: ") for problem in problems)


def test_missing_file_is_reported_at_the_root(tmp_path: Path) -> None:
    path = tmp_path / "absent.json"
    assert problems_of(path) == [f"{path}: /: cannot read the file: No such file or directory"]


def test_spec_error_is_bad_input_with_exit_code_2(tmp_path: Path) -> None:
    path = write(tmp_path, iso(title=5))
    with pytest.raises(BadInputError) as info:
        load_spec(path)
    assert isinstance(info.value, SpecError)
    assert info.value.exit_code == 2
    assert str(info.value) == f"{path}: /title: 5 is not of type 'string'"


def test_every_schema_problem_of_a_file_is_reported_sorted_by_pointer(tmp_path: Path) -> None:
    data = iso(title=5, kind="script")
    data["limits"]["memory_mb"] = 16
    data["cases"][3]["note"] = "x"
    path = write(tmp_path, data)
    assert problems_of(path) == [
        f"{path}: /cases/3: Additional properties are not allowed ('note' was unexpected) "
        "(allowed: approx, args, expected, expected_digest, group, id, kwargs, points, raises, "
        "timeout_s)",
        f"{path}: /kind: 'script' is not one of ['function', 'pytest']",
        f"{path}: /limits/memory_mb: 16 is less than the minimum of 32",
        f"{path}: /title: 5 is not of type 'string'",
    ]


def test_every_semantic_problem_of_a_file_is_reported(tmp_path: Path) -> None:
    data = iso(reference="def parse_iso_duration(s):\nreturn 1\n")
    data["cases"][1]["id"] = "minutes_only"
    data["cases"][2]["args"] = ["PT1H30M"]
    data["cases"][9]["raises"]["match"] = "["
    path = write(tmp_path, data, "other_name")
    assert problems_of(path) == [
        f"{path}: /id: 'iso_duration' differs from the file name 'other_name'",
        f"{path}: /reference: does not compile: "
        "expected an indented block after function definition on line 1 (line 2)",
        f"{path}: /cases/1/id: duplicate case id 'minutes_only'",
        f"{path}: /cases/2/args/0: not a Python literal (ValueError): 'PT1H30M'; a string "
        "needs its own quotes inside the JSON string: \"'PT1H30M'\"",
        f"{path}: /cases/9/raises/match: "
        "regex does not compile: unterminated character set at position 0",
    ]


def test_kwargs_pointer_is_escaped(tmp_path: Path) -> None:
    data = iso()
    data["cases"][0]["kwargs"] = {"a/b~c": "not a literal"}
    path = write(tmp_path, data)
    assert problems_of(path) == [
        f"{path}: /cases/0/kwargs/a~1b~0c: not a Python literal (SyntaxError): 'not a literal'; "
        "a string needs its own quotes inside the JSON string: \"'not a literal'\""
    ]


def test_reference_too_deep_to_compile_is_a_spec_problem(tmp_path: Path) -> None:
    path = write(tmp_path, iso(reference="x = " + "1 + " * 100_000 + "1\n"))
    problems = problems_of(path)
    assert len(problems) == 1
    assert problems[0].startswith(f"{path}: /reference: ")


# --- load_specs ------------------------------------------------------------------------------


def test_load_specs_reports_problems_of_every_file_in_a_folder(tmp_path: Path) -> None:
    flatten = json.loads(FLATTEN_PATH.read_text(encoding="utf-8"))
    flatten["kind"] = "script"
    bad_flatten = write(tmp_path, flatten, "flatten_dict")
    bad_iso = write(tmp_path, iso(title=5))
    (tmp_path / "notes.txt").write_text("not a spec", encoding="utf-8")
    with pytest.raises(SpecError) as info:
        load_specs([tmp_path])
    assert info.value.problems == [
        f"{bad_flatten}: /kind: 'script' is not one of ['function', 'pytest']",
        f"{bad_iso}: /title: 5 is not of type 'string'",
    ]


def test_load_specs_reports_a_bad_file_next_to_a_good_one(tmp_path: Path) -> None:
    write(tmp_path, json.loads(FLATTEN_PATH.read_text(encoding="utf-8")), "flatten_dict")
    bad = write(tmp_path, iso(kind="script"))
    with pytest.raises(SpecError) as info:
        load_specs([tmp_path])
    assert info.value.problems == [f"{bad}: /kind: 'script' is not one of ['function', 'pytest']"]


# Run in a fresh interpreter: the pool is used only by a single-threaded process, and a
# pytest session may have threads of earlier tests alive.
PARALLEL_LOAD = """
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import runner.spec as loader
from runner.errors import SpecError

good, mixed = Path(sys.argv[1]), Path(sys.argv[2])


def problems(folder):
    try:
        loader.load_specs([folder])
    except SpecError as exc:
        return exc.problems
    raise AssertionError("no problem found")


serial, serial_problems = loader.load_specs([good]), problems(mixed)
loader.PARALLEL_LOAD_BYTES = 0
pools = []
loader.ProcessPoolExecutor = lambda n, **kw: pools.append(n) or ProcessPoolExecutor(n, **kw)
parallel = loader.load_specs([good])
assert parallel == serial and len(pools) == 1, (pools, parallel == serial)
case = next(c for spec in parallel for c in spec.cases if c.expected is not None)
assert case.parsed_expected()[0]  # each expected value still read only once
assert problems(mixed) == serial_problems and len(pools) == 2
assert len(serial_problems) == 2, serial_problems  # the bad file's and the misnamed one's
print("same")
"""


def test_many_specs_load_in_worker_processes_with_the_same_result(tmp_path: Path) -> None:
    # Past PARALLEL_LOAD_BYTES the files are read by a process pool: the same specs, the
    # same problems, every file's.
    for folder in ("good", "mixed"):
        (tmp_path / folder).mkdir()
    for name in ("iso_duration", "flatten_dict", "cache_reset_test"):
        (tmp_path / "good" / f"{name}.json").write_bytes((SPECS / f"{name}.json").read_bytes())
    write(tmp_path / "mixed", iso(kind="script"))
    write(tmp_path / "mixed", json.loads(FLATTEN_PATH.read_text(encoding="utf-8")), "flatten")
    script = tmp_path / "parallel_load.py"
    script.write_text(PARALLEL_LOAD, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "good"), str(tmp_path / "mixed")],
        check=False,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=120,
    )
    assert result.returncode == 0 and result.stdout == "same\n", result.stderr


def test_load_specs_rejects_two_files_with_the_same_id(tmp_path: Path) -> None:
    first_dir, second_dir = tmp_path / "a", tmp_path / "b"
    first_dir.mkdir()
    second_dir.mkdir()
    first, second = write(first_dir, iso()), write(second_dir, iso())
    with pytest.raises(SpecError) as info:
        load_specs([first_dir, second_dir])
    assert info.value.problems == [f"{second}: /id: duplicate id 'iso_duration', also in {first}"]


def test_load_specs_rejects_the_same_file_named_twice() -> None:
    with pytest.raises(SpecError) as info:
        load_specs([ISO_PATH, ISO_PATH])
    assert info.value.problems == [
        f"{ISO_PATH}: /id: duplicate id 'iso_duration', also in {ISO_PATH}"
    ]


def test_load_specs_on_an_empty_folder_is_a_problem(tmp_path: Path) -> None:
    (tmp_path / "readme.md").write_text("no specs here", encoding="utf-8")
    with pytest.raises(SpecError) as info:
        load_specs([tmp_path])
    assert info.value.problems == [
        "no spec files found: name a .json file or a folder that holds some"
    ]


def test_load_specs_with_no_paths_is_a_problem() -> None:
    with pytest.raises(SpecError) as info:
        load_specs([])
    assert info.value.problems == [
        "no spec files found: name a .json file or a folder that holds some"
    ]


def test_load_specs_on_a_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "gone.json"
    with pytest.raises(SpecError) as info:
        load_specs([path])
    assert info.value.problems == [f"{path}: /: cannot read the file: No such file or directory"]


def test_load_specs_returns_specs_sorted_by_id() -> None:
    specs = load_specs([ISO_PATH, FLATTEN_PATH])
    assert [s.id for s in specs] == ["flatten_dict", "iso_duration"]


def test_spec_paths_lists_folders_sorted_and_files_as_named(tmp_path: Path) -> None:
    for name in ("b.json", "a.json", "c.txt"):
        (tmp_path / name).write_text("{}", encoding="utf-8")
    named = tmp_path / "z.json"
    assert spec_paths([named, tmp_path]) == [named, tmp_path / "a.json", tmp_path / "b.json"]


# --- valid specs -----------------------------------------------------------------------------


def test_iso_duration_builds_the_right_spec() -> None:
    spec = load_spec(ISO_PATH)
    raw_bytes = ISO_PATH.read_bytes()
    assert spec.id == "iso_duration"
    assert spec.title == ISO["title"]
    assert spec.family == "parsers"
    assert spec.kind == "function"
    assert spec.entry_point == "parse_iso_duration"
    assert len(spec.cases) == 14
    assert spec.max_points == 22
    assert spec.prompt == "\n".join(ISO["prompt"]) + "\n"
    assert spec.prompt.startswith("Write a Python function `parse_iso_duration(s: str) -> int`")
    assert spec.reference == "\n".join(ISO["reference"]) + "\n"
    assert spec.sha256 == hashlib.sha256(raw_bytes).hexdigest()
    assert spec.path == str(ISO_PATH)
    assert spec.scoring == "per_check"
    assert spec.module is None
    assert spec.limits == Limits(case_timeout_s=2, memory_mb=256, pids=64, output_bytes=1_000_000)
    assert spec.constraints == Constraints(
        no_fences=True,
        no_prose=True,
        imports_inside_function=True,
        forbidden_calls=("eval", "exec", "open", "__import__"),
    )
    assert spec.cases[0] == Case(id="minutes_only", args=("'PT5M'",), expected="300")
    assert spec.cases[6] == Case(
        id="bare_pt",
        args=("'PT'",),
        raises=ExpectedRaise(type="ValueError", match="^invalid ISO duration: "),
    )
    assert [c.max_points for c in spec.cases] == [1] * 6 + [2] * 8


def test_flatten_dict_builds_the_right_spec() -> None:
    spec = load_spec(FLATTEN_PATH)
    raw = json.loads(FLATTEN_PATH.read_text(encoding="utf-8"))
    assert spec.id == "flatten_dict"
    assert len(spec.cases) == 10
    assert spec.max_points == 10
    assert spec.prompt == "\n".join(raw["prompt"]) + "\n"
    assert spec.sha256 == hashlib.sha256(FLATTEN_PATH.read_bytes()).hexdigest()
    assert spec.cases[1] == Case(
        id="custom_sep_keyword",
        args=("{'a': {'b': 1}}",),
        kwargs=(("sep", "'_'"),),
        expected="{'a_b': 1}",
    )


def test_prompt_as_a_string_is_kept_as_it_is(tmp_path: Path) -> None:
    spec = load_spec(write(tmp_path, iso(prompt="Write it.\nNo prose.")))
    assert spec.prompt == "Write it.\nNo prose."


def test_sha256_is_of_the_bytes_so_reformatting_changes_it(tmp_path: Path) -> None:
    path = tmp_path / "iso_duration.json"
    path.write_text(json.dumps(ISO, indent=4), encoding="utf-8")
    spec = load_spec(path)
    assert spec.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert spec.sha256 != load_spec(ISO_PATH).sha256
    assert spec.cases == load_spec(ISO_PATH).cases


def test_kwargs_are_sorted_and_points_and_approx_kept(tmp_path: Path) -> None:
    data = iso()
    data["cases"][0].update(kwargs={"z": "1", "a": "(2,)"}, points=3, approx=0.01)
    spec = load_spec(write(tmp_path, data))
    assert spec.cases[0] == Case(
        id="minutes_only",
        args=("'PT5M'",),
        kwargs=(("a", "(2,)"), ("z", "1")),
        expected="300",
        points=3,
        approx=0.01,
    )
    assert spec.max_points == 24


def test_valid_pytest_spec_builds_a_module(tmp_path: Path) -> None:
    data = iso()
    _pytest_module(data)
    data["module"]["rebinds"] = {"CACHE": "reset"}
    spec = load_spec(write(tmp_path, data))
    assert spec.kind == "pytest"
    assert spec.cases == ()
    assert spec.module is not None
    assert spec.module.import_path == "src.calc"
    assert spec.module.reference == "def double(x):\n    return 2 * x\n"
    assert [(m.name, m.source) for m in spec.module.mutants] == [
        ("plus", "def double(x):\n    return 2 + x\n"),
        ("zero", "def double(x):\n    return 0\n"),
    ]
    assert spec.module.rebinds == (("CACHE", "reset"),)
    assert spec.max_points == 3


def test_all_or_nothing_pytest_spec_is_worth_one_point(tmp_path: Path) -> None:
    data = iso()
    _pytest_module(data)
    data["scoring"] = "all_or_nothing"
    assert load_spec(write(tmp_path, data)).max_points == 1


@pytest.mark.parametrize("path", sorted(SPECS.glob("*.json")), ids=lambda p: p.name)
def test_every_shipped_spec_loads(path: Path) -> None:
    spec = load_spec(path)
    assert isinstance(spec, Spec)
    assert spec.id == path.stem
    assert spec.max_points > 0


def test_shipped_specs_folder_loads_as_a_whole() -> None:
    specs = load_specs([SPECS])
    assert [s.id for s in specs] == sorted(p.stem for p in SPECS.glob("*.json"))
    assert {s.id: s.max_points for s in specs}["iso_duration"] == 22


def test_a_misspelled_field_says_did_you_mean_and_nothing_else(tmp_path):
    data = iso()
    data["cases"][0]["expeted"] = data["cases"][0].pop("expected")
    path = write(tmp_path, data)
    assert problems_of(path) == [
        f"{path}: /cases/0: Additional properties are not allowed ('expeted' was unexpected): "
        "did you mean 'expected' for 'expeted'?"
    ]


def test_every_problem_that_needs_no_sandbox_comes_in_one_pass(tmp_path):
    # The four mistakes: a typo'd field, a bare string, a bad exception, a wrong id.
    data = iso()
    data["id"] = "iso"
    data["cases"][0]["expeted"] = data["cases"][0].pop("expected")
    data["cases"][1]["args"] = ["Hello World"]
    data["cases"][7]["raises"]["type"] = "ValueErorr"
    path = write(tmp_path, data)
    problems = problems_of(path)
    assert sorted(p.split(": ")[1] for p in problems) == [
        "/cases/0",
        "/cases/1/args/0",
        "/cases/7/raises/type",
        "/id",
    ]
    assert any("did you mean 'expected'" in p for p in problems)
    assert any("\"'Hello World'\"" in p for p in problems)
    assert not any("valid under" in p for p in problems)  # no oneOf noise


def test_expected_values_are_read_once_when_the_spec_loads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The loader parses each expected literal to validate it and keeps the value; grading
    # uses it instead of parsing the text again (a suite has 124,253 of them).
    from runner.grade import grading

    spec = load_spec(SPECS / "iso_duration.json")
    case = next(c for c in spec.cases if c.expected is not None)
    assert case.parsed_expected() == (True, ast.literal_eval(case.expected))
    parsed: list[str] = []
    real = grading.parse_literal
    monkeypatch.setattr(grading, "parse_literal", lambda text: parsed.append(text) or real(text))
    assert grading._expected(case) == ast.literal_eval(case.expected)
    assert parsed == []
    # A case whose expected text changed is read again, never with the stale value.
    changed = replace(case, expected="12345")
    assert changed.parsed_expected() == (False, None)
    assert grading._expected(changed) == 12345 and parsed == ["12345"]
