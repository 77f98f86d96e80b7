"""Grade one raw response to one spec: extract, check compliance, execute, compare.

A function candidate is executed on every case here and compared, on the host, against
expected values that never left it; a generated test goes to ``mutation``. ``score_function``
is pure: it turns a transcript into checks, so it is unit-tested without Docker.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from runner.errors import SandboxError
from runner.grade.compliance import UNRUNNABLE, check_compliance, not_executed
from runner.grade.extract import extract_code
from runner.grade.mutation import grade_test_module
from runner.grade.protocol import (
    Sandbox,
    Transcript,
    execution_error,
    function_job,
    oversized_job,
    read_transcript,
    sandbox_facts,
    why_untrusted,
)
from runner.records import Case, Check, Execution, Grade, Observation, Outcome, Spec, Violation
from runner.values import parse_literal, short_repr, strictly_equal


def grader_pool(jobs: int) -> ThreadPoolExecutor:
    """The bounded pool candidates are graded in: ``jobs`` at once, each one container."""
    return ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="chorebench-grade")


def grade_all(
    work: Sequence[tuple[Spec, str]],
    sandbox: Sandbox,
    jobs: int,
    on_grade: Callable[[int, Grade], None] | None = None,
) -> list[Grade]:
    """Grade each (spec, raw response) pair, up to ``jobs`` at once; grades in input order.

    Each grade is what ``grade_response`` alone gives: candidates share nothing but the engine.
    ``on_grade(index, grade)`` is called as each grade is made (from the grading thread).
    """

    def one(index: int) -> Grade:
        spec, raw = work[index]
        grade = grade_response(spec, raw, sandbox)
        if on_grade is not None:
            on_grade(index, grade)
        return grade

    if jobs <= 1 or len(work) <= 1:
        return [one(index) for index in range(len(work))]
    with grader_pool(min(jobs, len(work))) as pool:
        return list(pool.map(one, range(len(work))))


def grade_response(spec: Spec, raw: str, sandbox: Sandbox) -> Grade:
    """Grade ``raw`` (the model's whole response text) against ``spec``.

    The grade always comes back: a sandbox failure in mid-run is an ``infra_error`` on every
    check (``Grade.infra_failed``), never the candidate's failure.
    """
    started = time.monotonic()
    extraction = extract_code(raw)
    violations = check_compliance(extraction, spec.constraints, spec.entry_point, kind=spec.kind)
    if spec.kind == "pytest":
        checks, diagnostics, error, facts = grade_test_module(
            spec, extraction.code, violations, sandbox
        )
    else:
        diagnostics = ()
        checks, error, facts = grade_function(spec, extraction.code, violations, sandbox)
    points = sum(check.points for check in checks)
    max_points = spec.max_points
    if spec.scoring == "all_or_nothing":
        points = max_points if checks and all(check.passed for check in checks) else 0
    return Grade(
        spec=spec.id,
        points=points,
        max_points=max_points,
        compliant=not violations,
        violations=tuple(violations),
        checks=tuple(checks),
        diagnostics=tuple(diagnostics),
        error=error,
        elapsed_s=time.monotonic() - started,
        sandbox=facts,
    )


def grade_function(
    spec: Spec, code: str, violations: tuple[Violation, ...], sandbox: Sandbox
) -> tuple[list[Check], str | None, dict[str, object]]:
    """Execute ``code`` on every case of ``spec``: the checks, a run-level error, sandbox facts."""
    unrunnable = [v for v in violations if v.rule in UNRUNNABLE]
    if unrunnable:
        return unscored(spec.cases, *not_executed(unrunnable[0])), None, {}
    job = function_job(spec, code)
    if too_large := oversized_job(job):
        return unscored(spec.cases, Outcome.TOO_LARGE, too_large), None, {}
    try:
        execution = sandbox.execute(job, spec.limits, len(spec.cases))
    except SandboxError as exc:
        return unscored(spec.cases, Outcome.INFRA_ERROR, str(exc)), str(exc), {}
    transcript = read_transcript(execution, [case.id for case in spec.cases])
    facts = sandbox_facts(execution, transcript.python)
    error = execution_error(transcript, execution)
    return score_function(spec, transcript, execution), error, facts


def unscored(cases: tuple[Case, ...], outcome: Outcome, detail: str) -> list[Check]:
    """Every check of every case, failed with one outcome (nothing ran, or nothing counts)."""
    return [
        Check(check_id, False, 0, case.points, outcome, detail)
        for case in cases
        for check_id in _check_ids(case)
    ]


def score_function(spec: Spec, transcript: Transcript, execution: Execution) -> list[Check]:
    """Compare each case's observation with its hidden expectation.

    A transcript that did not parse scores nothing (``protocol_error``); nor does one from an
    execution that did not end normally (``why_untrusted``): every check is then a ``timeout``
    (the host's deadline) or ``crashed``, with the reason.
    """
    if transcript.error:
        return unscored(spec.cases, Outcome.PROTOCOL_ERROR, transcript.error)
    reason = why_untrusted(transcript, execution)
    if reason is not None:
        outcome = Outcome.TIMEOUT if execution.timed_out else Outcome.CRASHED
        return unscored(spec.cases, outcome, f"not counted: {reason}")
    observations = transcript.observations
    return [check for case in spec.cases for check in _compare(case, observations[case.id])]


def _check_ids(case: Case) -> list[str]:
    if case.raises is not None and case.raises.match is not None:
        return [case.id, f"{case.id}:message"]
    return [case.id]


def _compare(case: Case, seen: Observation) -> list[Check]:
    elapsed = round(seen.elapsed_s, 6)

    def check(check_id: str, outcome: Outcome, detail: str) -> Check:
        passed = outcome is Outcome.PASSED
        return Check(
            check_id, passed, case.points if passed else 0, case.points, outcome, detail, elapsed
        )

    failure = _failure(seen)
    if failure is not None:
        return [check(check_id, failure[0], failure[1]) for check_id in _check_ids(case)]
    if case.raises is None:
        want = parse_literal(case.expected or "None")
        if seen.status == "raised":
            return [check(case.id, Outcome.RAISED, f"raised {seen.exc_type}: {_message(seen)}")]
        if seen.value_error is not None:
            return [check(case.id, Outcome.WRONG, seen.value_error)]
        if strictly_equal(seen.value, want, case.approx):
            return [check(case.id, Outcome.PASSED, f"returned {short_repr(want)}")]
        return [
            check(
                case.id,
                Outcome.WRONG,
                f"returned {short_repr(seen.value)}, expected {short_repr(want)}",
            )
        ]
    name = case.raises.type
    if seen.status != "raised":
        got = seen.value_error or f"returned {short_repr(seen.value)}"
        results = [check(case.id, Outcome.WRONG, f"{got}, expected {name}")]
    elif name in seen.exc_builtins:
        results = [check(case.id, Outcome.PASSED, f"raised {seen.exc_type}")]
    else:
        results = [check(case.id, Outcome.WRONG, f"raised {seen.exc_type}, expected {name}")]
    if case.raises.match is not None:
        message_id = f"{case.id}:message"
        if not results[0].passed:
            results.append(check(message_id, Outcome.WRONG, f"not checked: no {name} raised"))
        elif seen.exc_message is None:
            results.append(
                check(message_id, Outcome.WRONG, "message not observable (not one str argument)")
            )
        elif re.search(case.raises.match, seen.exc_message):
            results.append(
                check(message_id, Outcome.PASSED, f"message {short_repr(seen.exc_message)}")
            )
        else:
            detail = f"message {short_repr(seen.exc_message)} does not match {case.raises.match!r}"
            results.append(check(message_id, Outcome.WRONG, detail))
    return results


def _failure(seen: Observation) -> tuple[Outcome, str] | None:
    """An observation that ended without a result, as an outcome and a detail."""
    if seen.status == "timeout":
        return Outcome.TIMEOUT, "the case exceeded its time limit and was killed"
    if seen.status == "crashed":
        return Outcome.CRASHED, seen.detail or "the case died without a report"
    if seen.status in ("no_entry", "compile_error"):
        return Outcome.NO_CODE, f"{seen.status}: {seen.detail}"
    if seen.status == "too_large":
        return Outcome.TOO_LARGE, seen.detail
    if seen.status in ("returned", "raised"):
        return None
    return Outcome.PROTOCOL_ERROR, seen.detail or "malformed case record"


def _message(seen: Observation) -> str:
    return (
        short_repr(seen.exc_message) if seen.exc_message is not None else "<message not observable>"
    )
