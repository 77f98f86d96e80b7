"""The host side on untrusted text: bounded work, a named outcome, never a traceback (issue 18).

Each test reproduces one finding of a hostile-user review. Work is asserted on what the
algorithm does (characters handed to the parser, AST nodes visited, hash probes), never on
wall time: on the code before the fix each of these fails within seconds, not minutes.
"""

from __future__ import annotations

import ast
import json
import math
import socket
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from adversarial.hostside import Replay, forged, replayed

from runner import caps
from runner.grade import (
    check_compliance,
    extract_code,
    grade_response,
    read_transcript,
    stale_reference_diagnostics,
)
from runner.records import Execution, Limits, Outcome, Spec
from runner.sandbox import send_job
from runner.spec import load_spec
from runner.values import TooLarge, decode

P61 = (1 << 61) - 1  # every multiple of it hashes to 0 in CPython


class OverWork(Exception):
    """Raised from inside a patched primitive once the work passed the test's bound."""


@pytest.fixture
def parsed_chars(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Characters handed to ``ast.parse``; past the bound in ``parsed_chars[1]``, OverWork."""
    counter = [0, 10**12]
    real = ast.parse

    def counting(source: Any, *args: Any, **kwargs: Any) -> Any:
        counter[0] += len(source)
        if counter[0] > counter[1]:
            raise OverWork(f"parsed {counter[0]} characters")
        return real(source, *args, **kwargs)

    monkeypatch.setattr(ast, "parse", counting)
    return counter


class NoSandbox:
    """A sandbox that must not be reached."""

    def execute(self, job: bytes, limits: Limits, cases: int, kind: str = "function") -> Execution:
        raise AssertionError("a container was started for an input over the caps")


def reply(spec: Spec, *records: dict[str, Any]) -> bytes:
    """A transcript of hello, ``records`` as the cases, done."""
    return forged(lambda _: [json.dumps(record)[1:-1] for record in records])(spec)


# --- 1. extraction ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "#\n" * 3000 + ")\n",  # 6 KB: 239-270 s of host CPU before
        "def f():\n    return 1\n" + "# a comment line of a realistic answer\n" * 600 + ")\n",
        "Some prose\n" + "def f():\n    return 1\nprose (\n" * 1500,
        "import x\n" + "(\n" * 2000,
        "def f(): pass\n\0\n" * 1000,
    ],
    ids=["6KB-comments", "35KB-answer", "alternating", "open-brackets", "nul-bytes"],
)
def test_extraction_parses_a_bounded_multiple_of_its_input(raw: str, parsed_chars: list[int]):
    parsed_chars[1] = (caps.EXTRACT_PARSE_FACTOR + 1) * len(raw) + 8192
    extraction = extract_code(raw)
    assert extraction.raw == raw
    assert parsed_chars[0] <= parsed_chars[1]


def test_extraction_keeps_finding_code_before_prose_within_the_budget(parsed_chars):
    raw = "Here it is:\n\ndef f(x):\n    return (x +\n            1)\n\nThat (was easy.\n"
    parsed_chars[1] = 4 * len(raw)
    extraction = extract_code(raw)
    assert extraction.code == "def f(x):\n    return (x +\n            1)"
    assert extraction.prose == ("Here it is:", "That (was easy.")


# --- 1b. answer size ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "# " + "\x01" * 2_500_000 + "\ndef parse_iso_duration(s):\n    return 0\n",
        "def parse_iso_duration(s):\n    return 0\n" + "x = 1\n" * 60_000,
        "def parse_iso_duration(s):\n    return 0\n" + "\n" * (caps.ANSWER_LINES + 1),
        "\U0001f600" * (caps.ANSWER_BYTES // 4 + 1),
    ],
    ids=["2.5MB-control-chars", "360KB-code", "too-many-lines", "emoji-over-by-bytes"],
)
def test_an_answer_over_the_caps_is_too_large_before_any_parse_or_container(
    raw: str, iso_spec: Spec, parsed_chars: list[int]
):
    parsed_chars[1] = 0
    grade = grade_response(iso_spec, raw, NoSandbox())
    assert [v.rule for v in grade.violations] == ["too_large"]
    assert {c.outcome for c in grade.checks} == {Outcome.TOO_LARGE}
    assert grade.points == 0 and not grade.infra_failed and grade.error is None


def test_an_answer_just_under_the_byte_cap_is_analysed(iso_spec: Spec):
    raw = "def parse_iso_duration(s):\n    return 0\n"
    raw += "#" * (caps.ANSWER_BYTES - len(raw) - 1) + "\n"
    assert len(raw.encode()) == caps.ANSWER_BYTES
    assert check_compliance(extract_code(raw), iso_spec.constraints, iso_spec.entry_point) == ()


def test_the_job_line_is_measured_as_sent_before_the_container(
    iso_spec: Spec, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr("runner.grade.protocol.JOB_BYTES", 500)
    grade = grade_response(iso_spec, iso_spec.reference, NoSandbox())
    assert {c.outcome for c in grade.checks} == {Outcome.TOO_LARGE}
    assert "once escaped" in grade.checks[0].detail


def test_a_pytest_job_line_over_the_cap_is_too_large_on_every_variant(
    monkeypatch: pytest.MonkeyPatch,
):
    spec = load_spec(Path(__file__).resolve().parent.parent / "specs" / "cache_reset_test.json")
    assert spec.module is not None
    monkeypatch.setattr("runner.grade.protocol.JOB_BYTES", 500)
    grade = grade_response(spec, spec.module.reference, NoSandbox())
    assert len(grade.checks) == 1 + len(spec.module.mutants)
    assert {c.outcome for c in grade.checks} == {Outcome.TOO_LARGE}
    assert "once escaped" in grade.checks[0].detail and grade.points == 0


def test_the_host_cap_on_the_job_is_the_harness_s_own():
    harness = (Path(__file__).resolve().parent.parent / "grader_image" / "harness.py").read_text()
    [limit] = [
        node.value
        for node in ast.parse(harness).body
        if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == "JOB_LIMIT"
    ]
    assert eval(compile(ast.Expression(limit), "harness", "eval"), {}) == caps.JOB_BYTES


def test_a_job_the_container_does_not_take_fails_at_the_deadline():
    ours, theirs = socket.socketpair()
    try:
        with pytest.raises(TimeoutError):
            send_job(ours, b"x" * (8 << 20), time.monotonic() + 0.2)
    finally:
        ours.close()
        theirs.close()


# --- 2. diagnostics ----------------------------------------------------------------------------


def test_diagnostics_visit_each_node_a_bounded_number_of_times(
    cache_spec: Spec, monkeypatch: pytest.MonkeyPatch
):
    assert cache_spec.module is not None
    rebinder = cache_spec.module.rebinds[0][1]
    lines = ["from src.main_improved import _model_cache"]
    for depth in range(90):
        pad = "    " * depth
        lines += [f"{pad}def f{depth}():", f"{pad}    {rebinder}()", f"{pad}    _model_cache"]
    code = "\n".join(lines) + "\n"
    nodes = sum(1 for _ in ast.walk(ast.parse(code)))
    visits = [0]
    real = ast.iter_child_nodes

    def counting(node: ast.AST) -> Any:
        visits[0] += 1
        if visits[0] > 8 * nodes:
            raise OverWork(f"{visits[0]} visits of {nodes} nodes")
        return real(node)

    monkeypatch.setattr(ast, "iter_child_nodes", counting)
    found = stale_reference_diagnostics(code, cache_spec.module)
    assert found and len(found) <= 2 * caps.FINDINGS_PER_RULE


# --- 3. forged observations --------------------------------------------------------------------


@pytest.mark.parametrize(
    "number",
    ["1" + "0" * 400, "NaN", "Infinity", "-Infinity", "1e400", "-1", "1e300"],
)
def test_a_forged_elapsed_time_is_a_protocol_error_of_that_case_only(iso_spec: Spec, number: str):
    spec = replace(iso_spec, cases=iso_spec.cases[:2])
    good = {"status": "returned", "elapsed_s": 0.1, "value": ["int", hex(300)[2:]]}
    stdout = reply(spec, {"status": "returned", "elapsed_s": 0, "value": ["none"]}, good)
    stdout = stdout.replace(b'"elapsed_s": 0,', f'"elapsed_s": {number},'.encode(), 1)
    report = read_transcript(replayed(stdout), [case.id for case in spec.cases])
    assert report.error is None and report.complete
    first = report.observations[spec.cases[0].id]
    assert (first.status, first.detail) == ("protocol_error", "malformed elapsed_s")
    grade = grade_response(spec, spec.reference, Replay(stdout))
    outcomes = [c.outcome for c in grade.checks]
    assert outcomes[0] is Outcome.PROTOCOL_ERROR and not grade.infra_failed
    text = json.dumps(grade.to_json(), allow_nan=False)  # valid JSON: no NaN, no Infinity
    assert all(math.isfinite(c["elapsed_s"] or 0) for c in json.loads(text)["checks"])


@pytest.mark.parametrize("field", ["exit_code", "value"])
def test_huge_or_non_finite_numbers_elsewhere_in_a_record_are_that_case_s_error(
    iso_spec: Spec, field: str
):
    spec = replace(iso_spec, cases=iso_spec.cases[:1])
    if field == "value":
        record = {"status": "returned", "elapsed_s": 0.1, "value": ["bool", float("nan")]}
    else:
        record = {"status": "pytest", "elapsed_s": 0.1, "counts": {}, "exit_code": 10**30}
    stdout = reply(spec, record)
    report = read_transcript(replayed(stdout), [spec.cases[0].id])
    observed = report.observations[spec.cases[0].id]
    assert observed.status in ("returned", "protocol_error")
    assert observed.value is None
    assert json.dumps(
        grade_response(spec, spec.reference, Replay(stdout)).to_json(), allow_nan=False
    )


# --- 4. hash-colliding values ------------------------------------------------------------------


@pytest.mark.parametrize("tag", ["set", "frozenset", "dict"])
def test_members_that_all_hash_alike_are_too_large_before_the_set_is_built(tag: str):
    members = [["int", hex(k * P61)[2:]] for k in range(1, 3001)]
    tagged = [tag, [[m, ["none"]] for m in members] if tag == "dict" else members]
    with pytest.raises(TooLarge, match="members with one hash"):
        decode(tagged)


def test_a_set_of_distinct_hashes_still_decodes():
    assert decode(["set", [["int", hex(k)[2:]] for k in range(5000)]]) == set(range(5000))


def test_a_returned_hash_colliding_set_is_a_too_large_check(flatten_spec: Spec):
    spec = replace(flatten_spec, cases=flatten_spec.cases[:1])
    members = [["int", hex(k * P61)[2:]] for k in range(1, 3001)]
    stdout = reply(spec, {"status": "returned", "elapsed_s": 0.1, "value": ["set", members]})
    grade = grade_response(spec, spec.reference, Replay(stdout))
    assert [c.outcome for c in grade.checks] == [Outcome.TOO_LARGE]
    assert "one hash" in grade.checks[0].detail


@pytest.mark.parametrize(
    "tagged",
    [["int", "f" * (caps.VALUE_INT_BITS // 4 + 2)], ["float", "0x1." + "0" * 100 + "p+1"]],
    ids=["int-over-bits", "float-text"],
)
def test_numbers_over_the_value_caps_are_too_large(tagged: list[Any]):
    with pytest.raises(TooLarge):
        decode(tagged)


def test_every_cap_is_documented_in_security_md():
    doc = (Path(__file__).resolve().parent.parent / "docs" / "SECURITY.md").read_text()
    names = [n for n, v in vars(caps).items() if n.isupper() and type(v) in (int, float)]
    assert len(names) >= 10
    assert [name for name in names if f"| `{name}` |" not in doc] == []
