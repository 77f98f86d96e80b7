"""Grade one raw response to one spec: extract, check compliance, execute, compare.

A function candidate is executed on every case here and compared, on the host, against
expected values that never left it; a generated test goes to ``mutation``. ``score_function``
is pure: it turns a transcript into checks, so it is unit-tested without Docker.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from runner.errors import SandboxError
from runner.grade.compliance import UNRUNNABLE, check_compliance, not_executed
from runner.grade.extract import extract_code
from runner.grade.mutation import grade_test_module
from runner.grade.oracles import NOT_NONE, GroupTolerance, matches
from runner.grade.protocol import (
    REPORT_ALLOWANCE_S,
    WALL_SLACK,
    Sandbox,
    Transcript,
    execution_error,
    function_job,
    oversized_job,
    read_transcript,
    sandbox_facts,
    why_untrusted,
)
from runner.records import (
    Case,
    Check,
    Execution,
    Grade,
    GroupResult,
    Observation,
    Outcome,
    Spec,
    Violation,
)
from runner.values import Digest, parse_literal, short_repr, strictly_equal


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
    groups = group_results(spec, checks) if spec.scoring == "per_group" else ()
    if groups:
        points = sum(group.ok for group in groups)
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
        groups=groups,
    )


def group_results(spec: Spec, checks: Sequence[Check]) -> tuple[GroupResult, ...]:
    """Each group's passed and total cases, in the spec's group order (all or nothing each)."""
    counts = {group: [0, 0] for group in spec.groups}
    for check, group in zip(checks, _groups_of(spec, checks), strict=True):
        counts[group][0] += check.passed
        counts[group][1] += 1
    return tuple(GroupResult(group, passed, total) for group, (passed, total) in counts.items())


def _groups_of(spec: Spec, checks: Sequence[Check]) -> list[str]:
    """Each check's group, in order (a check's id is its case's id, or ``case:part``)."""
    group_of = {case.id: case.group for case in spec.cases}
    return [group_of[check.case.split(":", 1)[0]] for check in checks]


def grade_function(
    spec: Spec, code: str, violations: tuple[Violation, ...], sandbox: Sandbox
) -> tuple[list[Check], str | None, dict[str, object]]:
    """Execute ``code`` on every case of ``spec``: the checks, a run-level error, sandbox facts.

    One container runs every case (a suite's groups one after the other, each in a process of
    its own). With ``stop_at_first_failure`` the harness stops at a failure it can see (an
    exception, a timeout, a crash); a wrong value only the host can see, after the run: the
    groups after the first failed one are then not counted (``uncounted_after_failure``).
    """
    unrunnable = [v for v in violations if v.rule in UNRUNNABLE]
    if unrunnable:
        return unscored(spec.cases, *not_executed(unrunnable[0])), None, {}
    job = function_job(spec, code)
    if too_large := oversized_job(job):
        return unscored(spec.cases, Outcome.TOO_LARGE, too_large), None, {}
    try:
        execution = sandbox.execute(job, spec.limits, host_units(spec))
    except SandboxError as exc:
        return unscored(spec.cases, Outcome.INFRA_ERROR, str(exc)), str(exc), {}
    transcript = read_transcript(execution, [case.id for case in spec.cases])
    checks = score_function(spec, transcript, execution)
    if spec.scoring == "per_group" and spec.stop_at_first_failure:
        checks = uncounted_after_failure(spec, checks)
    facts = sandbox_facts(execution, transcript.python)
    return checks, execution_error(transcript, execution), facts


def uncounted_after_failure(spec: Spec, checks: Sequence[Check]) -> list[Check]:
    """The checks of every group after the first failed one, as not counted (``not_run``).

    What stopping at the first failed group means, for a failure the harness could not see:
    the later groups ran in the same container, but their results do not count.
    """
    first = next((g.group for g in group_results(spec, checks) if not g.ok), None)
    if first is None:
        return list(checks)
    later = set(spec.groups[spec.groups.index(first) + 1 :])
    detail = f"not counted: group {first} failed first"
    return [
        replace(c, passed=False, points=0, outcome=Outcome.NOT_RUN, detail=detail)
        if group in later and c.outcome is not Outcome.NOT_RUN
        else c
        for c, group in zip(checks, _groups_of(spec, checks), strict=True)
    ]


def host_units(spec: Spec) -> int:
    """How many cases' worth of time (``case_timeout_s`` each) the host's deadline must hold
    for a run of every case of ``spec``.

    Hand-written specs: one per case. Suites (batch mode): each group's wall-clock backstop
    in the harness (``WALL_SLACK`` times its cap, or times every case's limit, plus the
    allowances for loading and encoding).
    """
    cases = spec.cases
    if spec.scoring != "per_group":
        return len(cases)
    slot = spec.limits.case_timeout_s + 0.5
    needed = 0.0
    for group in dict.fromkeys(case.group for case in cases):
        limits = [c.timeout_s or spec.limits.case_timeout_s for c in cases if c.group == group]
        cap = spec.limits.group_timeout_s
        if cap:
            needed += WALL_SLACK * cap + REPORT_ALLOWANCE_S + 5
        else:
            needed += sum(WALL_SLACK * t + 2 * REPORT_ALLOWANCE_S + 60 for t in limits)
    return max(1, math.ceil(needed / slot))


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
    (the host's deadline) or ``crashed``, with the reason. Values are compared by the spec's
    ``comparison`` (``oracles``).
    """
    cases = spec.cases
    if transcript.error:
        return unscored(cases, Outcome.PROTOCOL_ERROR, transcript.error)
    reason = why_untrusted(transcript, execution)
    if reason is not None:
        outcome = Outcome.TIMEOUT if execution.timed_out else Outcome.CRASHED
        return unscored(cases, outcome, f"not counted: {reason}")
    judge = _Judge(spec)
    observations = transcript.observations
    return [check for case in cases for check in _compare(case, observations[case.id], judge)]


class _Judge:
    """Whether a returned value is right, by the spec's comparison mode."""

    def __init__(self, spec: Spec) -> None:
        self.comparison = spec.comparison
        self.tolerances: dict[str, GroupTolerance] = {}

    def __call__(self, case: Case, seen: Observation, want: object) -> bool:
        if self.comparison.mode == "strict":
            return seen.value_error is None and strictly_equal(seen.value, want, case.approx)
        tolerance = self.tolerances.setdefault(case.group, GroupTolerance(self.comparison.atol))
        atol = tolerance.for_case(want)
        got = seen.value
        if seen.value_error is not None:
            if self.comparison.oracle != "not_none":
                return False
            got = NOT_NONE  # an object the sandbox cannot carry: all not_none asks is that
        args = [parse_literal(a) for a in case.args] if self.comparison.oracle else []
        return matches(got, want, atol, self.comparison.oracle, args)


def _check_ids(case: Case) -> list[str]:
    if case.raises is not None and case.raises.match is not None:
        return [case.id, f"{case.id}:message"]
    return [case.id]


def _compare(case: Case, seen: Observation, judge: _Judge) -> list[Check]:
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
        want = _expected(case)
        if seen.status == "raised":
            return [check(case.id, Outcome.RAISED, f"raised {seen.exc_type}: {_message(seen)}")]
        if judge(case, seen, want):
            return [check(case.id, Outcome.PASSED, f"returned {short_repr(want)}")]
        if seen.value_error is not None:
            return [check(case.id, Outcome.WRONG, seen.value_error)]
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


def _expected(case: Case) -> object:
    if case.expected_digest is not None:
        return Digest(*case.expected_digest)
    known, value = case.parsed_expected()
    return value if known else parse_literal(case.expected or "None")


def _failure(seen: Observation) -> tuple[Outcome, str] | None:
    """An observation that ended without a result, as an outcome and a detail."""
    if seen.status == "timeout":
        return Outcome.TIMEOUT, "the case exceeded its time limit and was killed"
    if seen.status == "crashed":
        return Outcome.CRASHED, seen.detail or "the case died without a report"
    if seen.status in ("no_entry", "compile_error"):
        return Outcome.NO_CODE, f"{seen.status}: {seen.detail}"
    if seen.status == "not_run":
        return Outcome.NOT_RUN, "not run: an earlier case failed"
    if seen.status == "too_large":
        return Outcome.TOO_LARGE, seen.detail
    if seen.status in ("returned", "raised"):
        return None
    return Outcome.PROTOCOL_ERROR, seen.detail or "malformed case record"


def _message(seen: Observation) -> str:
    return (
        short_repr(seen.exc_message) if seen.exc_message is not None else "<message not observable>"
    )
