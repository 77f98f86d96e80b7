"""`chorebench run` with hostile answers and a failing sandbox: one sample never takes a run down.

Against a real loopback HTTP server speaking Ollama's API (tests/fake_ollama.py). The Docker
tests grade on the real engine; the others use a sandbox that fails on purpose, which is the
edge being tested (an engine lost mid-run, a grading bug), not a stand-in for Docker.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fakes import FakeModel, FakeOllama, Reply

from runner.errors import SandboxError
from runner.records import Execution, Limits, Spec
from runner.run import RunPlan, collect
from runner.rundir import read_manifest, read_samples

ROOT = Path(__file__).resolve().parent.parent
CANDIDATES = ROOT / "tests" / "adversarial" / "candidates"
IMAGE = {"tag": "t", "id": "sha256:t", "runtime": "runc"}


def plan_for(out: Path, spec: Spec, host: str, models: list[str]) -> RunPlan:
    return RunPlan(
        models=tuple(models), specs=(spec,), out=out, hosts=(host,), runs=1, backoff_s=0.01
    )


class Failing:
    """A sandbox that fails every job: ``SandboxError`` (the engine) or a plain bug."""

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.jobs = 0

    def execute(self, job: bytes, limits: Limits, cases: int, kind: str = "function") -> Execution:
        self.jobs += 1
        raise self.error


@pytest.mark.parametrize(
    ("error", "recorded"),
    [
        (SandboxError("the engine went away"), "the sandbox failed: "),
        (OverflowError("a bug"), "grading failed: OverflowError: a bug"),
    ],
)
def test_a_sample_the_grader_fails_is_recorded_with_its_error_and_retried_on_resume(
    tmp_path: Path, iso_spec: Spec, error: Exception, recorded: str
):
    constant = "def parse_iso_duration(s):\n    return 0\n"
    models = [
        FakeModel("a:1b", [Reply(response=iso_spec.reference)]),
        FakeModel("b:1b", [Reply(response=constant)]),
    ]
    with FakeOllama(models) as server:
        plan = plan_for(tmp_path / "run", iso_spec, server.url, ["a:1b", "b:1b"])
        summary = collect(plan, Failing(error), IMAGE)
        assert summary.collected == 2
        assert read_manifest(plan.out)["status"] == "complete"
        records = read_samples(plan.out)
        assert len(records) == 2
        assert all(recorded in (r.error or "") for r in records)
        again = Failing(error)
        collect(plan, again, IMAGE)  # resuming grades them again: they were not done
        assert again.jobs == 2
        assert len(server.generate_requests()) == 4


@pytest.mark.docker
@pytest.mark.usefixtures("no_leftovers")
@pytest.mark.parametrize("candidate", ["forged_elapsed_overflow", "forged_nan_elapsed"])
def test_a_forged_record_beside_a_right_answer_loses_nothing_of_the_run(
    tmp_path: Path, sandbox: object, iso_spec: Spec, candidate: str
):
    forged = (CANDIDATES / f"{candidate}.py").read_text(encoding="utf-8")
    models = [
        FakeModel("right:1b", [Reply(response=iso_spec.reference)]),
        FakeModel("forger:1b", [Reply(response=forged)]),
    ]
    with FakeOllama(models) as server:
        plan = plan_for(tmp_path / "run", iso_spec, server.url, ["right:1b", "forger:1b"])
        collect(plan, sandbox, IMAGE, jobs=2)
    assert read_manifest(plan.out)["status"] == "complete"
    samples = {r.model: r for r in read_samples(plan.out)}
    assert samples["right:1b"].points == samples["right:1b"].max_points > 0
    forger = samples["forger:1b"]
    assert forger.error is None and forger.grade is not None and forger.points == 0
    assert {c.outcome.value for c in forger.grade.checks} == {"protocol_error"}
