"""What each CLI command does, as library functions that return records.

The CLI parses flags, calls one of these and prints; these never print.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runner.backends import require_a_server
from runner.errors import BadInputError
from runner.grade import grade_all
from runner.records import Grade, Spec
from runner.report import Written, build_report, write_report
from runner.run import (
    RegradeSummary,
    RunPlan,
    RunSummary,
    Stop,
    collect,
    missing_models,
    plans_for,
    regrade,
)
from runner.rundir import make_run_dir
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
    stop: Stop | None = None,
) -> list[RunSummary]:
    """Collect and grade the samples of each plan in turn (resuming what is already there).

    Every host is asked first, and every requested model looked for on them, so a missing
    server or model stops the run before the run directory is made and the sandbox starts.
    A model no host serves, beside others that are, is named once in a warning and left out.
    After a ``stop`` request, the plans not started are not started.

    Raises:
        ServerUnreachable: no host of the first plan answers.
        BadInputError: a host is of another backend than it says, no requested model is
            served (one line each, with what is served and the closest name), or the run
            directory cannot be made.
        SandboxError: no sandbox could be had.
    """
    if not plans:
        return []
    stop = stop or Stop()
    key = settings.openai_api_key
    found = require_a_server(plans[0].hosts, api_key=key)
    missing = missing_models(plans, found.listings)
    if missing and len(missing) == len({model for plan in plans for model in plan.models}):
        raise BadInputError("\n".join(missing.values()))
    for message in missing.values():
        log(f"warning: {message} (left out of this run)")
    make_run_dir(plans[0].out)
    log(f"run directory {plans[0].out}")
    with open_sandbox(settings.for_many(), log) as sandbox:
        image = {"tag": sandbox.image.tag, "id": sandbox.image.id, "runtime": sandbox.runtime}
        summaries = []
        for plan in plans:
            if stop.stopping or (plan.models and set(plan.models) <= set(missing)):
                continue
            summaries.append(collect(plan, sandbox, image, progress, settings.jobs, key, stop))
        return summaries


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
    written: Written | None  # None: stopped before the end, no report


def bench(
    config_path: Path,
    flags: dict[str, Any],
    settings: Settings,
    command: tuple[str, ...],
    progress: Callable[[dict[str, Any]], None] = lambda _: None,
    log: Callable[[str], None] = lambda _: None,
    stop: Stop | None = None,
) -> BenchResult:
    """Run, grade and report from a config file: every phase it configures, one directory.

    After a ``stop`` request nothing more starts, and no report is written.

    Raises:
        BadInputError: the config, a spec, a host, a model or the run directory is invalid
            (before anything runs).
        ServerUnreachable: no server answers (before the sandbox starts).
    """
    stop = stop or Stop()
    plans = plans_for(config_path, flags, settings, command)
    summaries = run_samples(plans, settings, progress, log, stop)
    if stop.stopping:
        return BenchResult(summaries, None)
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
