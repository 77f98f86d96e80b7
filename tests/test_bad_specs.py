"""Malformed spec files (tests/bad_specs): each is rejected before anything runs.

``chorebench check-specs FILE`` must exit 2 with exactly one problem, ``FILE: /pointer:
reason``, and never open the sandbox (opening it fails these tests). No Docker needed.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from runner.cli import main

BAD_SPECS = Path(__file__).resolve().parent / "bad_specs"
NOT_LITERAL = "not a Python literal"

# file name (without .json) -> (pointer, reason as a regex)
EXPECTED: dict[str, tuple[str, str]] = {
    # wrong types
    "wrong_type_title": ("/title", re.escape("5 is not of type 'string'")),
    "wrong_type_memory": ("/limits/memory_mb", re.escape("256.5 is not of type 'integer'")),
    "wrong_type_cases": ("/cases", re.escape("{'five': '5'} is not of type 'array'")),
    # jsonschema's minItems wording changed in 4.21; both say the same thing
    "empty_cases": ("/cases", r"\[\] (?:should be non-empty|is too short)"),
    "unknown_kind": ("/kind", re.escape("'script' is not one of ['function', 'pytest']")),
    "timeout_zero": (
        "/limits/case_timeout_s",
        re.escape("0 is less than or equal to the minimum of 0"),
    ),
    # unknown keys
    "unknown_top_level_key": (
        "/",
        re.escape(
            "Additional properties are not allowed ('tags' was unexpected) (allowed: $schema,"
        )
        + ".*",
    ),
    "unknown_case_key": (
        "/cases/1",
        re.escape("Additional properties are not allowed ('note' was unexpected) (allowed: approx,")
        + ".*",
    ),
    "unknown_constraint_key": (
        "/constraints",
        re.escape("Additional properties are not allowed ('max_lines' was unexpected) (allowed: ")
        + ".*",
    ),
    # entry point and reference
    "missing_entry_point": ("/", re.escape("'entry_point' is a required property")),
    "reference_without_entry_point": (
        "/reference",
        re.escape("does not define the entry point 'parse_minutes' at the top level"),
    ),
    "reference_does_not_compile": (
        "/reference",
        re.escape("does not compile: expected an indented block after function definition")
        + r" on line 1 \(line 2\)",
    ),
    "mutant_patch_not_found": (
        "/module/mutants/0/patch",
        re.escape("hunk 0: 'old' occurs 0 times in the reference, not once"),
    ),
    # regexes and values
    "regex_does_not_compile": (
        "/cases/2/raises/match",
        re.escape("regex does not compile: missing ), unterminated subpattern at position 5"),
    ),
    "raises_not_a_builtin": (
        "/cases/2/raises/type",
        re.escape("'MinutesError' is not a built-in exception"),
    ),
    "expected_not_a_literal": (
        "/cases/0/expected",
        re.escape(
            f"{NOT_LITERAL} (ValueError): 'five'; a string needs its own quotes inside the JSON "
            "string: \"'five'\""
        ),
    ),
    "expected_unhashable_key": (
        "/cases/0/expected",
        re.escape(f"{NOT_LITERAL} (TypeError): \"{{[5]: 'm'}}\""),
    ),
    "arg_not_a_literal": ("/cases/0/args/0", re.escape(f"{NOT_LITERAL} (SyntaxError): '5m'")),
    "kwarg_not_a_literal": (
        "/cases/1/kwargs/strict",
        re.escape(f"{NOT_LITERAL} (SyntaxError): 'yes please'; a string needs its own quotes")
        + ".*",
    ),
    # empty prompts
    "prompt_empty": ("/prompt", re.escape("'' is not valid under any of the given schemas")),
    "prompt_blank": (
        "/prompt",
        re.escape("'  \\n\\t' is not valid under any of the given schemas"),
    ),
    "prompt_no_lines": ("/prompt", re.escape("[] is not valid under any of the given schemas")),
    # ids
    "duplicate_case_ids": ("/cases/1/id", re.escape("duplicate case id 'five'")),
    "id_differs_from_file_name": (
        "/id",
        re.escape("'parse_minutes' differs from the file name 'id_differs_from_file_name'"),
    ),
    # not JSON
    "not_json": ("/", re.escape("not valid JSON: Expecting value: line 5 column 1 (char 75)")),
    "duplicate_json_keys": ("/", re.escape("not valid JSON: duplicate key(s) 'title'")),
}


@pytest.fixture
def no_sandbox(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record (and refuse) any attempt to reach the engine or open a sandbox."""
    from runner import sandbox

    opened: list[str] = []

    def refuse(*args: object, **kwargs: object) -> None:
        opened.append("sandbox")
        raise AssertionError("the sandbox was opened for an invalid spec")

    monkeypatch.setattr(sandbox.DockerSandbox, "__init__", refuse)
    return opened


def test_every_bad_spec_file_has_its_expectation() -> None:
    assert sorted(p.stem for p in BAD_SPECS.glob("*.json")) == sorted(EXPECTED)
    assert len(EXPECTED) >= 20


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_spec_is_rejected_before_anything_runs(name: str, no_sandbox: list[str]) -> None:
    path = BAD_SPECS / f"{name}.json"
    pointer, reason = EXPECTED[name]
    result = CliRunner().invoke(main, ["check-specs", str(path)])
    assert result.exit_code == 2, result.output
    problems = [
        line for line in result.output.splitlines() if line.startswith("chorebench: error:")
    ]
    assert len(problems) == 1, result.output
    prefix = f"chorebench: error: {path}: {pointer}: "
    assert re.fullmatch(re.escape(prefix) + reason, problems[0]), problems[0]
    assert no_sandbox == []


def test_all_bad_specs_at_once_are_all_reported(no_sandbox: list[str]) -> None:
    result = CliRunner().invoke(main, ["check-specs", str(BAD_SPECS)])
    assert result.exit_code == 2
    reported = {
        Path(line.split(": ")[2]).stem
        for line in result.output.splitlines()
        if line.startswith("chorebench: error: ")
    }
    assert reported == set(EXPECTED)
    assert no_sandbox == []
