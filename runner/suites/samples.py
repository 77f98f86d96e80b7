"""EvalPlus-format samples files, graded against a folder of imported suite specs.

A samples file has one JSON object per line with ``task_id`` and either ``solution`` (the
whole code) or ``completion`` (appended to the task's prompt), as EvalPlus reads them. Each
sample is graded like a model's response; the figures are EvalPlus's pass@1 on the base
tests and on base + plus tests: per task the fraction of its samples that pass every case
of the groups, then the mean over tasks.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runner.errors import BadInputError
from runner.grade import Sandbox, grade_all
from runner.records import Grade, Spec
from runner.spec import load_specs

MAX_LINE = 16 << 20  # a sample line longer than this is damaged, not code


@dataclass(frozen=True)
class Sample:
    """One line of a samples file: which task, and the code to grade."""

    line: int
    task_id: str
    code: str


@dataclass(frozen=True)
class SampleGrade:
    """One sample's grade, with its task id and line."""

    sample: Sample
    grade: Grade

    def passed(self, *groups: str) -> bool:
        """Every case of every group named passed (``Grade.groups_passed``)."""
        return self.grade.groups_passed(*groups)

    def to_json(self) -> dict[str, Any]:
        """``grade --samples --json``: one object per sample, in input order."""
        return {
            "task_id": self.sample.task_id,
            "line": self.sample.line,
            "spec": self.grade.spec,
            **{g.group: {"passed": g.passed, "total": g.total} for g in self.grade.groups},
            "compliant": self.grade.compliant,
            "error": self.grade.error,
        }


@dataclass(frozen=True)
class SamplesResult:
    """Every sample's grade, and EvalPlus's two pass@1 figures."""

    grades: list[SampleGrade]

    def pass_at_1(self, *groups: str) -> float:
        """Mean over tasks of the fraction of the task's samples passing ``groups``."""
        per_task: dict[str, list[bool]] = {}
        for grade in self.grades:
            per_task.setdefault(grade.sample.task_id, []).append(grade.passed(*groups))
        if not per_task:
            return 0.0
        return sum(sum(v) / len(v) for v in per_task.values()) / len(per_task)

    @property
    def infra_failed(self) -> list[SampleGrade]:
        """Samples whose grade does not count: the sandbox failed."""
        return [g for g in self.grades if g.grade.infra_failed]


def read_samples(path: Path, suite: dict[str, Spec]) -> list[tuple[Sample, Spec]]:
    """Every sample of ``path`` with the spec of its task (``suite``: task id -> spec).

    Raises:
        BadInputError: the file cannot be read, or lines are damaged (not a JSON object, no
            task_id, neither solution nor completion) or name tasks not in the suite; every
            such line is named, and nothing is graded.
    """
    problems: list[str] = []
    found: list[tuple[Sample, Spec]] = []
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise BadInputError(f"{path}: cannot read the file: {exc.strerror}") from exc
    with handle:
        for number, raw in enumerate(iter(lambda: handle.readline(MAX_LINE + 1), b""), 1):
            if not raw.strip():
                continue
            try:
                sample = _sample(number, raw, suite)
                found.append((sample, suite[sample.task_id]))
            except ValueError as exc:
                problems.append(f"{path}: line {number}: {exc}")
    if problems:
        raise BadInputError("\n".join(problems[:20] + _more(len(problems) - 20)))
    if not found:
        raise BadInputError(f"{path}: no samples in the file")
    return found


def _more(count: int) -> list[str]:
    return [f"... and {count} more damaged line(s)"] if count > 0 else []


def _sample(number: int, raw: bytes, suite: dict[str, Spec]) -> Sample:
    if len(raw) > MAX_LINE:
        raise ValueError(f"longer than {MAX_LINE} bytes: damaged")
    try:
        record = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise ValueError(f"not valid JSON ({exc.__class__.__name__}): damaged") from exc
    if type(record) is not dict:
        raise ValueError("not a JSON object with task_id and solution or completion")
    task_id = record.get("task_id")
    if type(task_id) is not str:
        raise ValueError("no task_id string")
    if task_id not in suite:
        raise ValueError(f"task {task_id[:80]!r} is not in the suite")
    spec = suite[task_id]
    assert spec.suite is not None  # suite_index keeps only imported specs
    for field, prefix in (("solution", ""), ("completion", spec.suite.prompt)):
        if type(record.get(field)) is str:
            return Sample(number, task_id, prefix + record[field])
    raise ValueError("neither a 'solution' nor a 'completion' string")


def suite_index(folder: Path) -> dict[str, Spec]:
    """The imported specs under ``folder``, by task id.

    Raises:
        SpecError: a spec is invalid or not filled.
        BadInputError: no spec there comes from a suite (``chorebench import evalplus``).
    """
    index = {spec.suite.task_id: spec for spec in load_specs([folder]) if spec.suite}
    if not index:
        raise BadInputError(
            f"{folder}: no imported suite spec here: run `chorebench import evalplus FILE` first"
        )
    return index


def grade_samples(
    folder: Path, samples_path: Path, sandbox_for: Callable[[], Any]
) -> SamplesResult:
    """Grade every sample of ``samples_path`` against the suite in ``folder``, in input order.

    ``sandbox_for`` opens the sandbox (a context manager whose sandbox has a ``capacity``:
    how many grade at once), after the inputs are checked.

    Raises:
        BadInputError: the folder or the samples file is wrong (nothing is graded).
        SandboxError: no sandbox could be had.
    """
    pairs = read_samples(samples_path, suite_index(folder))
    with sandbox_for() as sandbox:
        grades = _grade(pairs, sandbox, sandbox.capacity)
    return SamplesResult([SampleGrade(s, g) for (s, _), g in zip(pairs, grades, strict=True)])


def _grade(pairs: list[tuple[Sample, Spec]], sandbox: Sandbox, jobs: int) -> list[Grade]:
    return grade_all([(spec, sample.code) for sample, spec in pairs], sandbox, jobs)
