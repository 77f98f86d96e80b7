"""What each CLI command does, as library functions that return records.

The CLI parses flags, calls one of these and prints; these never print.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runner.backends import require_a_server
from runner.collect import collect
from runner.config import load_config, make_plans
from runner.errors import ChorebenchError
from runner.floor import measure_floors, record_floors
from runner.grade import grade_all
from runner.plan import RunPlan, RunSummary
from runner.progress import Progress, StageStarted, UnitDone, no_progress
from runner.records import Floor, Grade, Spec
from runner.regrade import RegradeSummary, regrade
from runner.report import Report, build_report, write_report
from runner.rundir import mark_latest
from runner.settings import Settings
from runner.spec import load_spec, load_specs


@dataclass(frozen=True)
class SpecCheck:
    """``check-specs`` verdict on one spec: its reference's grade and its floor."""

    spec: Spec
    grade: Grade
    floor: Floor | None = None

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


def grade_files(
    spec_path: Path,
    responses: Sequence[str],
    settings: Settings,
    log: Callable[[str], None] = lambda _: None,
    progress: Progress = no_progress,
    names: Sequence[str] = (),
) -> list[Grade]:
    """Grade raw responses against the spec file at ``spec_path``; grades in input order.

    ``progress`` hears a ``grade`` stage and each grade, named by ``names`` (file names).

    Raises:
        SpecError: the spec is invalid (nothing is run).
        SandboxError: no sandbox could be had.
    """
    spec = load_spec(spec_path, settings.specs_dir)
    if len(responses) > settings.jobs:
        settings = settings.for_many()
    labels = list(names) or [f"response {i}" for i in range(1, len(responses) + 1)]

    def done(index: int, grade: Grade) -> None:
        verdict = f"{grade.points}/{grade.max_points}"
        progress(UnitDone("grade", labels[index], verdict, grade.elapsed_s))

    with open_sandbox(settings, log) as sandbox:
        progress(StageStarted("grade", len(responses), unit="response"))
        return grade_all([(spec, raw) for raw in responses], sandbox, settings.jobs, done)


def check_specs(
    paths: Iterable[Path],
    settings: Settings,
    log: Callable[[str], None] = lambda _: None,
    progress: Progress = no_progress,
) -> list[SpecCheck]:
    """Validate every spec, then grade each reference and measure each floor in the sandbox.

    ``progress`` hears a ``check-specs`` stage and each reference graded.

    Raises:
        SpecError: any spec is invalid; then no reference is run.
        SandboxError: no sandbox could be had.
    """
    specs = load_specs(paths, settings.specs_dir)

    def done(index: int, grade: Grade) -> None:
        verdict = f"reference {grade.points}/{grade.max_points}"
        progress(UnitDone("check-specs", specs[index].id, verdict, grade.elapsed_s))

    with open_sandbox(settings.for_many() if len(specs) > 1 else settings, log) as sandbox:
        progress(StageStarted("check-specs", len(specs), unit="spec"))
        work = [(spec, spec.reference) for spec in specs]
        grades = grade_all(work, sandbox, settings.jobs, done)
        floors = {floor.spec: floor for floor in measure_floors(specs, sandbox, settings.jobs)}
    return [
        SpecCheck(spec, grade, floors.get(spec.id))
        for spec, grade in zip(specs, grades, strict=True)
    ]


def run_samples(
    plans: Sequence[RunPlan],
    settings: Settings,
    progress: Progress = no_progress,
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
    log(f"asking {', '.join(plans[0].hosts)}")
    require_a_server(plans[0].hosts, api_key=key)
    log(f"starting the sandbox ({settings.runtime}, {settings.jobs} grading at once)")
    with open_sandbox(settings.for_many(), log) as sandbox, ThreadPoolExecutor(1) as side:
        image = {"tag": sandbox.image.tag, "id": sandbox.image.id, "runtime": sandbox.runtime}
        specs = list({spec.id: spec for plan in plans for spec in plan.specs}.values())
        plans[0].out.mkdir(parents=True, exist_ok=True)
        mark_latest(plans[0].out, settings.runs_dir)
        # The floors are graded beside the collection: it mostly waits for the models.
        floors = side.submit(record_floors, plans[0].out, specs, sandbox, settings.jobs)
        summaries = [collect(plan, sandbox, image, progress, settings.jobs, key) for plan in plans]
        try:
            floors.result()
        except ChorebenchError as exc:
            log(f"the specs' floors were not measured ({exc}); the report leaves them out")
        return summaries


@dataclass(frozen=True)
class Written:
    """A report, and the files it was written to."""

    report: Report
    files: tuple[Path, ...]


def report_run(run_dir: Path, hit_at: float | None = None) -> Written:
    """Build the report of ``run_dir`` and write its files there.

    Raises:
        BadInputError: ``run_dir`` is not a run directory, or is damaged.
    """
    report = build_report(run_dir, hit_at)
    return Written(report, write_report(report))


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
    progress: Progress = no_progress,
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


def plans_for(
    config_path: Path | None,
    flags: dict[str, Any],
    settings: Settings,
    command: tuple[str, ...],
) -> list[RunPlan]:
    """The phases a ``run``/``bench`` command asks for: flags over the config file.

    Raises:
        BadInputError: the config or a spec is invalid.
    """
    flags = dict(flags)
    config = load_config(config_path) if config_path else None
    paths = list(flags.pop("spec_paths", ()) or ()) or list(config.specs if config else ())
    specs = tuple(load_specs(paths or [settings.specs_dir], settings.specs_dir))
    return make_plans(flags, config, settings, specs, command)


def regrade_run(
    run_dir: Path,
    settings: Settings,
    log: Callable[[str], None] = lambda _: None,
    progress: Progress = no_progress,
) -> RegradeSummary:
    """Grade a run directory's stored responses again."""
    with open_sandbox(settings.for_many(), log) as sandbox:
        return regrade(run_dir, sandbox, settings.jobs, progress)


def build_image(settings: Settings, log: Callable[[str], None] = lambda _: None) -> str:
    """Make sure the grader image exists (building it if needed); return its tag."""
    with open_sandbox(settings, log) as sandbox:
        return str(sandbox.image.tag)
