"""What each CLI command does, as library functions that return records.

The CLI parses flags, calls one of these and prints; these never print.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runner.backends import require_a_server
from runner.grade import grade_all
from runner.records import Grade, Spec
from runner.report import Written, build_report, write_report
from runner.run import RegradeSummary, RunPlan, RunSummary, collect, plans_for, regrade
from runner.sandbox import open_sandbox
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


def grade_files(
    spec_path: Path,
    responses: Sequence[str],
    settings: Settings,
    log: Callable[[str], None] = lambda _: None,
) -> list[Grade]:
    """Grade raw responses against the spec file at ``spec_path``; grades in input order.

    Raises:
        SpecError: the spec is invalid (nothing is run).
        SandboxError: no sandbox could be had.
    """
    spec = load_spec(spec_path)
    if len(responses) > settings.jobs:
        settings = settings.for_many()
    with open_sandbox(settings, log) as sandbox:
        return grade_all([(spec, raw) for raw in responses], sandbox, settings.jobs)


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
        grades = grade_all([(spec, spec.reference) for spec in specs], sandbox, settings.jobs)
        return [SpecCheck(spec, grade) for spec, grade in zip(specs, grades, strict=True)]


def run_samples(
    plans: Sequence[RunPlan],
    settings: Settings,
    progress: Callable[[dict[str, Any]], None] = lambda _: None,
    log: Callable[[str], None] = lambda _: None,
) -> list[RunSummary]:
    """Collect and grade the samples of each plan in turn (resuming what is already there).

    The servers are asked first, so a missing server stops the run before the sandbox starts.

    Raises:
        ServerUnreachable: no host of the first plan answers.
        SandboxError: no sandbox could be had.
    """
    if not plans:
        return []
    key = settings.openai_api_key
    require_a_server(plans[0].hosts, api_key=key)
    with open_sandbox(settings.for_many(), log) as sandbox:
        image = {"tag": sandbox.image.tag, "id": sandbox.image.id, "runtime": sandbox.runtime}
        return [collect(plan, sandbox, image, progress, settings.jobs, key) for plan in plans]


def report_run(run_dir: Path, hit_at: float | None = None) -> Written:
    """Build the report of ``run_dir`` and write its files there.

    Raises:
        BadInputError: ``run_dir`` is not a run directory, or is damaged.
    """
    return write_report(build_report(run_dir, hit_at))


@dataclass(frozen=True)
class BenchResult:
    """What ``chorebench bench`` did: each phase's collection, then the report."""

    summaries: list[RunSummary]
    written: Written


def bench(
    config_path: Path,
    flags: dict[str, Any],
    settings: Settings,
    command: tuple[str, ...],
    progress: Callable[[dict[str, Any]], None] = lambda _: None,
    log: Callable[[str], None] = lambda _: None,
) -> BenchResult:
    """Run, grade and report from a config file: every phase it configures, one directory.

    Raises:
        BadInputError: the config or a spec is invalid (before anything runs).
        ServerUnreachable: no server answers (before the sandbox starts).
    """
    plans = plans_for(config_path, flags, settings, command)
    log(f"run directory {plans[0].out}")
    summaries = run_samples(plans, settings, progress, log)
    return BenchResult(summaries, report_run(plans[0].out, flags.get("hit_at")))


def regrade_run(
    run_dir: Path, settings: Settings, log: Callable[[str], None] = lambda _: None
) -> RegradeSummary:
    """Grade a run directory's stored responses again."""
    with open_sandbox(settings.for_many(), log) as sandbox:
        return regrade(run_dir, sandbox, settings.jobs)


def build_image(settings: Settings, log: Callable[[str], None] = lambda _: None) -> str:
    """Make sure the grader image exists (building it if needed); return its tag."""
    with open_sandbox(settings, log) as sandbox:
        return str(sandbox.image.tag)
