"""Grading on the real Docker engine: honest, wrong and partial candidates.

Every test ends graded, within the execution deadline, with no container left behind.
Hostile candidates are in the adversarial suite (tests/adversarial).
"""

from __future__ import annotations

import os
from dataclasses import replace

import pytest
from fakes import BUGGY_ISO

from runner.grade import grade_response
from runner.records import Grade, Outcome, Spec
from runner.sandbox import execution_deadline

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("no_leftovers")]


def pick(spec: Spec, ids: list[str], timeout: float = 0.5) -> Spec:
    """The spec reduced to some cases, with a short case timeout (hostile candidates hang)."""
    cases = tuple(case for case in spec.cases if case.id in ids)
    return replace(spec, cases=cases, limits=replace(spec.limits, case_timeout_s=timeout))


def outcomes(grade: Grade) -> dict[str, Outcome]:
    return {check.case: check.outcome for check in grade.checks}


def assert_bounded(grade: Grade, spec: Spec) -> None:
    assert grade.elapsed_s < execution_deadline(spec.limits, len(spec.cases)) + 5


def test_references_earn_full_marks(sandbox, iso_spec, flatten_spec):
    for spec in (iso_spec, flatten_spec):
        grade = grade_response(spec, spec.reference, sandbox)
        assert (grade.points, grade.max_points) == (spec.max_points, spec.max_points)
        assert grade.compliant and grade.error is None
        assert grade.sandbox["python"].startswith("3.")
        assert grade.sandbox["image_id"].startswith("sha256:")


def test_fenced_reference_with_prose_is_lenient_but_not_strict(sandbox, iso_spec):
    raw = f"Sure! Here it is:\n\n```python\n{iso_spec.reference}```\n\nHope this helps."
    grade = grade_response(iso_spec, raw, sandbox)
    assert grade.points == 22
    assert grade.score == 1.0 and grade.strict_score == 0.0
    assert [v.rule for v in grade.violations] == ["fences", "prose"]


def test_seed_regex_bug_needs_all_three_letters(sandbox, iso_spec):
    grade = grade_response(iso_spec, BUGGY_ISO, sandbox)
    assert grade.points == 17  # only PT2H3M4S of the valid inputs, every invalid one
    seen = outcomes(grade)
    assert seen["minutes_only"] is Outcome.RAISED
    assert seen["all_three"] is Outcome.PASSED
    assert seen["bare_pt:message"] is Outcome.PASSED


def test_exception_type_and_message_are_separate_checks(sandbox, iso_spec):
    right_type_wrong_message = iso_spec.reference.replace("invalid ISO duration: {s}", "bad {s}")
    grade = grade_response(iso_spec, right_type_wrong_message, sandbox)
    assert grade.points == 14
    assert outcomes(grade)["empty"] is Outcome.PASSED
    assert outcomes(grade)["empty:message"] is Outcome.WRONG


def test_a_real_subclass_of_valueerror_counts(sandbox, iso_spec):
    subclass = "class DurationError(ValueError):\n    pass\n\n\n" + iso_spec.reference.replace(
        "raise ValueError(", "raise DurationError("
    )
    grade = grade_response(iso_spec, subclass, sandbox)
    assert grade.points == 22


def test_flatten_truthy_bug_drops_falsy_leaves(sandbox, flatten_spec):
    candidate = (
        "def flatten(d, sep='.'):\n"
        "    out = {}\n"
        "    for k, v in d.items():\n"
        "        if isinstance(v, dict):\n"
        "            out.update({f'{k}{sep}{kk}': vv for kk, vv in flatten(v, sep).items()})\n"
        "        elif v:\n"
        "            out[k] = v\n"
        "    return out\n"
    )
    grade = grade_response(flatten_spec, candidate, sandbox)
    assert grade.points == 5
    assert outcomes(grade)["none_leaves"] is Outcome.WRONG
    assert outcomes(grade)["only_empty_subtree"] is Outcome.PASSED


def test_flatten_tuple_turned_list_is_wrong(sandbox, flatten_spec):
    candidate = flatten_spec.reference.replace(
        "result[key] = value", "result[key] = list(value) if isinstance(value, tuple) else value"
    )
    grade = grade_response(flatten_spec, candidate, sandbox)
    assert grade.points == 9
    assert outcomes(grade)["tuples_stay_tuples"] is Outcome.WRONG


ISO_THREE = ("minutes_only", "seconds_only", "hours_only")


def test_a_hung_case_does_not_sink_the_others(sandbox, iso_spec):
    spec = pick(iso_spec, [case.id for case in iso_spec.cases])
    candidate = spec.reference.replace(
        "    import re\n", "    import re\n    while s == 'PT1H':\n        pass\n"
    )
    grade = grade_response(spec, candidate, sandbox)
    assert grade.points == 21
    assert outcomes(grade)["hours_only"] is Outcome.TIMEOUT
    assert_bounded(grade, spec)


def test_state_does_not_carry_between_cases(sandbox, iso_spec):
    # Each case runs in a fresh child: a module-level counter restarts every time.
    candidate = (
        "calls = []\n\n\n"
        "def parse_iso_duration(s):\n"
        "    calls.append(s)\n"
        "    return 300 if len(calls) == 1 else -1\n"
    )
    grade = grade_response(pick(iso_spec, ["minutes_only", "seconds_only"]), candidate, sandbox)
    assert outcomes(grade) == {"minutes_only": Outcome.PASSED, "seconds_only": Outcome.WRONG}
    assert "returned 300" in grade.checks[1].detail


def test_each_case_runs_the_module_afresh_over_modules_imported_once(sandbox, iso_spec):
    # collections is imported once, in the harness, before the first case (PRELOAD); the
    # module-level code still runs in every case's own process, and what one case changes in
    # a shared module is gone for the next.
    candidate = (
        "import collections\n"
        "import os\n\n"
        "LOADED_IN = os.getpid()\n"
        "collections.Counter.runs = getattr(collections.Counter, 'runs', 0) + 1\n\n\n"
        "def parse_iso_duration(s):\n"
        "    if os.getpid() != LOADED_IN:\n"
        "        return -1  # the module ran in another process\n"
        "    if collections.Counter.runs != 1:\n"
        "        return -collections.Counter.runs\n"
        "    return {'PT5M': 300, 'PT30S': 30, 'PT1H': 3600}[s]\n"
    )
    spec = pick(iso_spec, list(ISO_THREE), timeout=2.0)
    grade = grade_response(spec, candidate, sandbox)
    assert grade.points == 3, [check.detail for check in grade.checks]


def test_unrunnable_responses_are_not_executed(sandbox, iso_spec):
    for raw, rule in [
        ("", "empty_response"),
        ("def f(:\n", "syntax_error"),
        ("x = 1\n", "entry_point_missing"),
    ]:
        grade = grade_response(iso_spec, raw, sandbox)
        assert grade.points == 0
        assert rule in [v.rule for v in grade.violations]
        assert set(outcomes(grade).values()) == {Outcome.NO_CODE}
        assert grade.sandbox == {}


def test_infra_failure_is_not_the_candidates(iso_spec, sandbox, settings):
    from runner.sandbox import DockerSandbox

    broken = object.__new__(DockerSandbox)
    broken.__dict__.update(sandbox.__dict__)
    broken.image = replace(sandbox.image, id="sha256:" + "0" * 64)
    grade = grade_response(iso_spec, iso_spec.reference, broken)
    assert grade.infra_failed
    assert set(outcomes(grade).values()) == {Outcome.INFRA_ERROR}
    assert grade.error and "Docker engine failed" in grade.error


def test_runner_process_environment_untouched(sandbox, iso_spec):
    before = dict(os.environ)
    grade_response(iso_spec, iso_spec.reference, sandbox)
    assert dict(os.environ) == before
