"""What each CLI command does, as library functions that return records.

The CLI parses flags, calls one of these and prints; these never print.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runner.collect import collect
from runner.grade import grade_response
from runner.plan import RunPlan, RunSummary
from runner.records import Grade, Spec
from runner.regrade import RegradeSummary, regrade
from runner.settings import Settings
from runner.spec import load_spec, load_specs


@dataclass(frozen=True)
class SpecCheck:
    """``check-specs`` verdict on one spec: its reference's grade."""

    spec: Spec
    grade: Grade

    @property
    def ok(self) -> bool:
        """The reference earned full marks, compliantly, with no error."""
        return (
            self.grade.points == self.grade.max_points
            and self.grade.error is None
            and not self.grade.infra_failed
        )

    @property
    def problem(self) -> str | None:
        """Why the spec is not satisfiable, as ``FILE: /reference: reason``; None when ok."""
        if self.ok:
            return None
        failed = [c for c in self.grade.checks if not c.passed]
        first = f"; first failure {failed[0].case}: {failed[0].outcome.value} {failed[0].detail}"
        return (
            f"{self.spec.path}: /reference: earns {self.grade.points}/{self.grade.max_points} "
            f"in the sandbox, not full marks{first if failed else ''}"
            + (f" ({self.grade.error})" if self.grade.error else "")
        )


@contextmanager
def open_sandbox(settings: Settings, log: Callable[[str], None] = lambda _: None) -> Iterator:
    """A connected DockerSandbox, closed on exit. Raises SandboxError when none can be had."""
    from runner.sandbox import DockerSandbox

    sandbox = DockerSandbox(settings, log)
    try:
        yield sandbox
    finally:
        sandbox.close()


def grade_file(
    spec_path: Path, response: str, settings: Settings, log: Callable[[str], None] = lambda _: None
) -> Grade:
    """Grade one raw response against the spec file at ``spec_path``.

    Raises:
        SpecError: the spec is invalid (nothing is run).
        SandboxError: no sandbox could be had.
    """
    spec = load_spec(spec_path)
    with open_sandbox(settings, log) as sandbox:
        return grade_response(spec, response, sandbox)


def check_specs(
    paths: Iterable[Path], settings: Settings, log: Callable[[str], None] = lambda _: None
) -> list[SpecCheck]:
    """Validate every spec, then grade each reference in the sandbox.

    Raises:
        SpecError: any spec is invalid; then no reference is run.
        SandboxError: no sandbox could be had.
    """
    specs = load_specs(paths)
    with open_sandbox(settings, log) as sandbox:
        return [SpecCheck(spec, grade_response(spec, spec.reference, sandbox)) for spec in specs]


def run_samples(
    plan: RunPlan,
    settings: Settings,
    progress: Callable[[dict[str, Any]], None] = lambda _: None,
    log: Callable[[str], None] = lambda _: None,
) -> RunSummary:
    """Collect and grade the samples of ``plan`` (resuming when ``plan.out`` has some)."""
    with open_sandbox(settings, log) as sandbox:
        image = {"tag": sandbox.image.tag, "id": sandbox.image.id, "runtime": sandbox.runtime}
        return collect(plan, sandbox, image, progress)


def regrade_run(
    run_dir: Path, settings: Settings, log: Callable[[str], None] = lambda _: None
) -> RegradeSummary:
    """Grade a run directory's stored responses again."""
    with open_sandbox(settings, log) as sandbox:
        return regrade(run_dir, sandbox)


def build_image(settings: Settings, log: Callable[[str], None] = lambda _: None) -> str:
    """Make sure the grader image exists (building it if needed); return its tag."""
    with open_sandbox(settings, log) as sandbox:
        return str(sandbox.image.tag)
