"""The contract of a sandbox, run against the scripted FakeSandbox and the real DockerSandbox.

What ``runner.grade`` relies on: a job comes back as the harness's complete transcript from a
container that exited 0; a function's returns and raises are observed as the harness encodes
them; a case past its time limit is a ``timeout`` and the other cases still run; a generated
test is run on every module variant; an engine that fails raises SandboxError, which a grade
records as an infrastructure failure, never the candidate's. The fake is scripted with
mirrors of the very candidates the real sandbox executes, so both must give the same grades:
the fake cannot drift from the real one unnoticed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from fakes import (
    BUGGY_ISO,
    STALE_CACHE_TEST,
    WRONG_ISO,
    FakeSandbox,
    Hang,
    mirror,
    passes_on_reference_only,
)

from runner.errors import SandboxError
from runner.grade import function_job, grade_response, read_transcript
from runner.records import Outcome, Spec
from runner.sandbox import GraderImage, open_engines
from runner.settings import RUNTIMES

RAISING = "def parse_iso_duration(s):\n    raise KeyError(s)\n"
HANGING = "def parse_iso_duration(s):\n    while s == 'PT5M':\n        pass\n    return 30\n"


def _hangs_on_pt5m(s: str) -> int:
    if s == "PT5M":
        raise Hang
    return 30


def script(iso: Spec, cache: Spec) -> FakeSandbox:
    """The fake, told what each candidate of this suite does."""
    entry = iso.entry_point
    functions: dict[str, Any] = {code: mirror(code, entry) for code in (iso.reference, BUGGY_ISO)}
    functions |= {WRONG_ISO: mirror(WRONG_ISO, entry), RAISING: mirror(RAISING, entry)}
    functions[HANGING] = _hangs_on_pt5m
    tests = {cache.reference: passes_on_reference_only(cache), STALE_CACHE_TEST: lambda _: False}
    return FakeSandbox(functions, tests)


@pytest.fixture(
    params=[
        "fake",
        pytest.param("docker", marks=pytest.mark.docker),
        pytest.param("two engines", marks=pytest.mark.docker),
    ]
)
def box(request: pytest.FixtureRequest, iso_spec: Spec, cache_spec: Spec) -> Iterator[Any]:
    if request.param == "fake":
        yield script(iso_spec, cache_spec)
    elif request.param == "docker":
        yield request.getfixturevalue("sandbox")
    else:  # what commands grade in: the engine pool, here over the local and a second engine
        second = request.getfixturevalue("second_engine").unix
        settings = request.getfixturevalue("settings")
        engines = ("local?jobs=1", f"{second}?jobs=1")
        with open_engines(settings.with_flags(sandboxes=engines)) as pool:
            yield pool
            pool.settle()


@pytest.fixture
def two_cases(iso_spec: Spec) -> Spec:
    """minutes_only (PT5M) and seconds_only (PT30S), with a short time limit per case."""
    limits = replace(iso_spec.limits, case_timeout_s=1.0)
    return replace(iso_spec, cases=iso_spec.cases[:2], limits=limits)


def test_a_job_comes_back_as_a_complete_transcript_of_a_clean_exit(box, two_cases):
    ids = [case.id for case in two_cases.cases]
    execution = box.execute(function_job(two_cases, two_cases.reference), two_cases.limits, 2)
    transcript = read_transcript(execution, ids)
    assert transcript.error is None and transcript.complete
    assert transcript.python.startswith("3.")
    assert list(transcript.observations) == ids == ["minutes_only", "seconds_only"]
    assert [o.status for o in transcript.observations.values()] == ["returned", "returned"]
    assert [o.value for o in transcript.observations.values()] == [300, 30]
    assert execution.exit_code == 0 and not (execution.timed_out or execution.output_capped)
    assert execution.image and execution.image_id and execution.runtime in RUNTIMES
    assert execution.elapsed_s > 0


@pytest.mark.parametrize(
    ("code", "points"), [("reference", 22), (BUGGY_ISO, 17), (WRONG_ISO, 1), (RAISING, 0)]
)
def test_function_candidates_earn_the_same_points(box, iso_spec, code, points):
    grade = grade_response(iso_spec, iso_spec.reference if code == "reference" else code, box)
    assert (grade.points, grade.max_points, grade.error) == (points, 22, None)
    assert not grade.infra_failed
    if code == RAISING:
        raised = [c for c in grade.checks if c.outcome is Outcome.RAISED]
        assert raised and all("raised KeyError: 'PT" in c.detail for c in raised)
        wrong = [c.detail for c in grade.checks if c.outcome is Outcome.WRONG]
        assert "raised KeyError, expected ValueError" in wrong
        assert set(wrong) == {
            "raised KeyError, expected ValueError",
            "not checked: no ValueError raised",
        }


def test_a_case_past_its_time_limit_is_a_timeout_and_the_next_case_still_runs(box, two_cases):
    grade = grade_response(two_cases, HANGING, box)
    outcomes = [(c.case, c.outcome) for c in grade.checks]
    assert outcomes == [("minutes_only", Outcome.TIMEOUT), ("seconds_only", Outcome.PASSED)]
    assert grade.error is None and not grade.infra_failed


def test_a_generated_test_is_run_on_the_reference_and_every_mutant(box, cache_spec):
    good = grade_response(cache_spec, cache_spec.reference, box)
    assert cache_spec.module is not None
    names = ["reference"] + [f"mutant:{m.name}" for m in cache_spec.module.mutants]
    assert [c.case for c in good.checks] == names
    assert all(c.passed for c in good.checks) and good.points == good.max_points == 1
    stale = grade_response(cache_spec, STALE_CACHE_TEST, box)
    assert stale.points == 0 and stale.checks[0].outcome is Outcome.WRONG
    assert "fails on the reference" in stale.checks[0].detail


def test_an_engine_that_fails_raises_and_no_grade_blames_the_candidate(
    box, iso_spec, two_cases, monkeypatch
):
    if isinstance(box, FakeSandbox):
        box.break_engine()
    else:  # an image the engine does not have: creating the container fails
        gone = GraderImage("chorebench-grader:gone", "sha256:" + "0" * 64)
        for engine in getattr(box, "members", [box]):  # every engine of a pool still answers
            monkeypatch.setattr(engine, "image", gone)
    with pytest.raises(SandboxError, match="the Docker engine failed"):
        box.execute(function_job(two_cases, two_cases.reference), two_cases.limits, 2)
    grade = grade_response(iso_spec, iso_spec.reference, box)
    assert grade.infra_failed and grade.points == 0 and grade.error
    assert {c.outcome for c in grade.checks} == {Outcome.INFRA_ERROR}


@pytest.mark.docker
def test_the_fake_and_the_real_sandbox_give_every_check_the_same_verdict_and_words(
    sandbox, iso_spec, cache_spec, two_cases
):
    fake = script(iso_spec, cache_spec)
    work = [(iso_spec, code) for code in (iso_spec.reference, BUGGY_ISO, WRONG_ISO, RAISING)]
    work += [
        (two_cases, HANGING),
        (cache_spec, cache_spec.reference),
        (cache_spec, STALE_CACHE_TEST),
    ]
    for spec, code in work:
        real, scripted = grade_response(spec, code, sandbox), grade_response(spec, code, fake)
        assert [_verdict(c) for c in scripted.checks] == [_verdict(c) for c in real.checks]
        assert (scripted.points, scripted.error, scripted.diagnostics) == (
            real.points,
            real.error,
            real.diagnostics,
        )


def _verdict(check: Any) -> tuple[Any, ...]:
    """A check without its timing."""
    return (check.case, check.passed, check.points, check.outcome, check.detail)
