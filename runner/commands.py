"""What each CLI command does, as library functions that return records.

The CLI parses flags, calls one of these and prints; these never print.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runner.backends import ModelInfo, make_client, require_a_server
from runner.errors import BackendError, BadInputError, ChorebenchError
from runner.grade import extract_code, grade_all, measure_floors
from runner.records import (
    Extraction,
    Floor,
    Grade,
    Progress,
    Spec,
    StageStarted,
    UnitDone,
    no_progress,
)
from runner.report import VarianceRow, Written, build_report, intervals_overlap, write_report
from runner.run import (
    RegradeSummary,
    RunPlan,
    RunSummary,
    Stop,
    collect,
    load_config,
    missing_models,
    plans_for,
    read_stored,
    record_floors,
    regrade,
    with_config_engines,
)
from runner.rundir import SampleRecord, make_run_dir, mark_latest, read_manifest, read_samples
from runner.sandbox import open_engines
from runner.settings import Settings
from runner.spec import load_spec, load_specs
from runner.suites import (
    MORE_MEMORY_MB,
    SamplesResult,
    fill_specs,
    grade_samples,
    import_evalplus,
)


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
    def tight_limits(self) -> list[str]:
        """Cases whose limits are tighter than the spec's calibration rule allows.

        The rule (``limits.calibration``, EvalPlus's): a case's limit is at least
        ``max(floor_s, factor x the reference's time)``, measured in this check.
        """
        rule = self.spec.limits.calibration
        if rule is None:
            return []
        elapsed = {check.case: check.elapsed_s or 0.0 for check in self.grade.checks}
        found = []
        for case in self.spec.cases:
            limit = case.timeout_s or self.spec.limits.case_timeout_s
            needed = max(rule.floor_s, rule.factor * elapsed.get(case.id, 0.0))
            if limit < needed:
                found.append(f"{case.id}: limit {limit:g} s, the rule gives {needed:.2f} s")
        return found

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
    progress: Progress = no_progress,
    names: Sequence[str] = (),
) -> list[Grade]:
    """Grade raw responses against the spec at ``spec_path`` (a file, or an id in the specs
    folder); grades in input order. ``progress`` hears a ``grade`` stage and each grade,
    named by ``names`` (file names).

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

    with open_engines(settings, log) as sandbox:
        progress(StageStarted("grade", len(responses), unit="response"))
        return grade_all([(spec, raw) for raw in responses], sandbox, sandbox.capacity, done)


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

    with open_engines(settings.for_many() if len(specs) > 1 else settings, log) as sandbox:
        progress(StageStarted("check-specs", len(specs), unit="spec"))
        work = [(spec, spec.reference) for spec in specs]
        grades = grade_all(work, sandbox, sandbox.capacity, done)
        measured = measure_floors(specs, sandbox, sandbox.capacity)
        floors = {floor.spec: floor for floor in measured}
    return [
        SpecCheck(spec, grade, floors.get(spec.id))
        for spec, grade in zip(specs, grades, strict=True)
    ]


def run_samples(
    plans: Sequence[RunPlan],
    settings: Settings,
    progress: Progress = no_progress,
    log: Callable[[str], None] = lambda _: None,
    stop: Stop | None = None,
) -> list[RunSummary]:
    """Collect and grade the samples of each plan in turn (resuming what is already there).

    Every host is asked first, and every requested model looked for on them, so a missing
    server or model stops the run before the run directory is made and the sandbox starts.
    A model no host serves, beside others that are, is named once in a warning and left out.
    After a ``stop`` request, the plans not started are not started.
    Beside the collection, each spec's floor is measured into the run directory; the run
    becomes ``runs/latest`` when it lies in the runs folder.

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
    log(f"asking {', '.join(plans[0].hosts)}")
    found = require_a_server(plans[0].hosts, api_key=key)
    missing = missing_models(plans, found.listings)
    if missing and len(missing) == len({model for plan in plans for model in plan.models}):
        raise BadInputError("\n".join(missing.values()))
    for message in missing.values():
        log(f"warning: {message} (left out of this run)")
    make_run_dir(plans[0].out)
    log(f"run directory {plans[0].out}")
    log(f"starting the sandbox ({settings.runtime}, on {len(settings.engines())} engine(s))")
    with open_engines(settings.for_many(), log) as sandbox, ThreadPoolExecutor(1) as side:
        log(f"{sandbox.capacity} grading at once")
        image = {"tag": sandbox.image.tag, "id": sandbox.image.id, "runtime": sandbox.runtime}
        specs = list({spec.id: spec for plan in plans for spec in plan.specs}.values())
        mark_latest(plans[0].out, settings.runs_dir)
        # The floors are graded beside the collection, which mostly waits for the models.
        floors = side.submit(record_floors, plans[0].out, specs, sandbox, sandbox.capacity)
        summaries = []
        for plan in plans:
            if stop.stopping or (plan.models and set(plan.models) <= set(missing)):
                continue
            summaries.append(
                collect(
                    plan, sandbox, image, progress, sandbox.capacity, key, stop, sandbox.engines
                )
            )
        try:
            floors.result()
        except ChorebenchError as exc:
            log(f"the specs' floors were not measured ({exc}); the report leaves them out")
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
    progress: Progress = no_progress,
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
    summaries = run_samples(plans, configured(config_path, settings), progress, log, stop)
    if stop.stopping:
        return BenchResult(summaries, None)
    return BenchResult(summaries, report_run(plans[0].out, flags.get("hit_at")))


def configured(config_path: Path | None, settings: Settings) -> Settings:
    """``settings`` with the config file's ``sandboxes`` (flag, then environment, then file).

    Raises:
        BadInputError: the config is invalid.
    """
    return with_config_engines(settings, load_config(config_path) if config_path else None)


def regrade_run(
    run_dir: Path,
    settings: Settings,
    log: Callable[[str], None] = lambda _: None,
    progress: Progress = no_progress,
) -> RegradeSummary:
    """Grade a run directory's stored responses again (read and checked before the engine)."""
    stored = read_stored(run_dir)
    with open_engines(settings.for_many(), log) as sandbox:
        return regrade(stored, sandbox, sandbox.capacity, progress)


def build_image(settings: Settings, log: Callable[[str], None] = lambda _: None) -> str:
    """Make sure the grader image exists (building it if needed); return its tag."""
    with open_engines(settings, log) as sandbox:
        return str(sandbox.image.tag)


@dataclass(frozen=True)
class SuiteImport:
    """What ``chorebench import evalplus`` did: the specs written and the tasks skipped."""

    suite: str
    written: list[Path]
    skipped: list[tuple[str, str]]  # (task id, reason)


def import_suite(
    source: Path,
    out: Path | None,
    task_ids: Sequence[str],
    settings: Settings,
    log: Callable[[str], None] = lambda _: None,
) -> SuiteImport:
    """Write one spec per task of an EvalPlus file, then fill each from its reference.

    A task whose inputs or reference results have no exact literal form, or whose reference
    fails in the sandbox, is skipped (its file removed) with the reason.

    Raises:
        BadInputError: the file is not an EvalPlus file, or a task asked for is not in it.
        SandboxError: no sandbox could be had.
    """
    suite, imported = import_evalplus(source, out, task_ids)
    skipped = [(item.task_id, item.skipped) for item in imported if item.skipped]
    paths = [item.path for item in imported if item.path is not None]
    log(f"{suite}: {len(paths)} spec(s) written; filling them from their references")
    with open_engines(settings.for_many(), log) as sandbox:
        results = fill_specs(paths, sandbox, sandbox.capacity, log, MORE_MEMORY_MB)
    written = []
    for item, result in zip([i for i in imported if i.path], results, strict=True):
        if result.problem:
            skipped.append((item.task_id, result.problem))
            result.path.unlink(missing_ok=True)
        else:
            written.append(result.path)
    return SuiteImport(suite, written, skipped)


def fill(
    paths: Sequence[Path], settings: Settings, log: Callable[[str], None] = lambda _: None
) -> list[Any]:
    """``chorebench spec fill``: every spec's missing expected values, from its reference.

    Raises:
        SpecError: a spec is invalid (nothing is run).
        SandboxError: no sandbox could be had.
    """
    with open_engines(settings.for_many(), log) as sandbox:
        return fill_specs(paths, sandbox, sandbox.capacity, log)


def grade_samples_file(
    folder: Path, samples: Path, settings: Settings, log: Callable[[str], None] = lambda _: None
) -> SamplesResult:
    """``chorebench grade DIR --samples FILE``: an EvalPlus samples file against a suite.

    Raises:
        BadInputError: the folder or the samples file is wrong (nothing is graded).
        SandboxError: no sandbox could be had.
    """
    many = settings.for_many()
    return grade_samples(folder, samples, lambda: open_engines(many, log))


# Looking inside: show, models, diff. Nothing here runs a candidate or asks for an answer.

LIST_TIMEOUT_S = 10.0  # listing models is quick; a server that takes longer is reported


@dataclass(frozen=True)
class SampleView:
    """One sample as stored, with its code extracted again."""

    run_dir: Path
    record: SampleRecord
    extraction: Extraction


def find_sample(
    run_dir: Path,
    key: str | None = None,
    model: str | None = None,
    spec: str | None = None,
    run: int | None = None,
    phase: str | None = None,
) -> SampleView:
    """The sample of ``run_dir`` named by its key (or a unique prefix of it), or by model,
    spec, run and phase (those given must single one out).

    Raises:
        BadInputError: not a run directory, or no sample or several match (the message lists
            them with their keys).
    """
    read_manifest(run_dir)
    # A retried sample has several records: the last one counts.
    records = list({record.key: record for record in read_samples(run_dir)}.values())
    if key:
        found = [r for r in records if r.key.startswith(key)]
    else:
        found = [
            r
            for r in records
            if (model is None or r.model == model)
            and (spec is None or r.spec == spec)
            and (run is None or r.run == run)
            and (phase is None or r.phase == phase)
        ]
    if len(found) != 1:
        asked = key or " ".join(
            f"--{name} {value}"
            for name, value in (("model", model), ("spec", spec), ("run", run), ("phase", phase))
            if value is not None
        )
        if not found:
            raise BadInputError(f"{run_dir}: no sample matches {asked or 'nothing'}")
        listed = "\n".join(
            f"  {r.key}  {r.model} {r.spec} {r.phase} run {r.run}" for r in found[:12]
        )
        more = f"\n  ... and {len(found) - 12} more" if len(found) > 12 else ""
        raise BadInputError(
            f"{run_dir}: {len(found)} samples match {asked or 'nothing'}; name one by its key "
            f"or add --model, --spec, --run, --phase:\n{listed}{more}"
        )
    return SampleView(run_dir, found[0], extract_code(found[0].response))


@dataclass(frozen=True)
class HostModels:
    """What one server lists, or why it could not be asked."""

    host: str
    backend: str
    version: str | None
    models: tuple[ModelInfo, ...]
    error: str | None = None


def list_models(hosts: Sequence[str], api_key: str | None = None) -> list[HostModels]:
    """Ask each host for its version and models (nothing is loaded or generated).

    A host that does not answer is reported in its ``error``, not raised.

    Raises:
        BadInputError: a host string is malformed.
    """
    found = []
    for host in hosts:
        client = make_client(host, LIST_TIMEOUT_S, 0, 0.0, api_key)
        try:
            version = client.version()
            models = tuple(sorted(client.models().values(), key=lambda m: m.name))
            found.append(HostModels(host, client.backend, version, models))
        except BackendError as exc:
            found.append(HostModels(host, client.backend, None, (), str(exc)))
        finally:
            client.close()
    return found


@dataclass(frozen=True)
class DiffRow:
    """One model on one spec in two runs: each run's variance row and what the data say."""

    model: str
    spec: str
    a: VarianceRow | None
    b: VarianceRow | None
    verdict: str
    spec_changed: bool = False


def diff_runs(run_a: Path, run_b: Path) -> list[DiffRow]:
    """Per model and spec of the repeated runs: both means with their intervals, and whether
    the intervals support a difference (they do not overlap) or not.

    Raises:
        BadInputError: either directory is not a run directory, or is damaged.
    """
    report_a, report_b = build_report(run_a), build_report(run_b)
    rows_a = {(r.model, r.spec): r for r in report_a.variance}
    rows_b = {(r.model, r.spec): r for r in report_b.variance}
    hashes_a = {s["id"]: s.get("sha256") for s in report_a.manifest.get("specs", [])}
    hashes_b = {s["id"]: s.get("sha256") for s in report_b.manifest.get("specs", [])}
    keys = list(dict.fromkeys([*rows_a, *rows_b]))
    diffs = []
    for model, spec in keys:
        a, b = rows_a.get((model, spec)), rows_b.get((model, spec))
        changed = spec in hashes_a and spec in hashes_b and hashes_a[spec] != hashes_b[spec]
        diffs.append(DiffRow(model, spec, a, b, _verdict(a, b), changed))
    return diffs


def _verdict(a: VarianceRow | None, b: VarianceRow | None) -> str:
    if a is None:
        return "only in B"
    if b is None:
        return "only in A"
    if a.ci_low is None or b.ci_low is None:
        return "single run: no interval, no verdict"
    if a.mean == b.mean:
        return "same mean"
    if not intervals_overlap(a, b):
        higher = "B" if b.mean > a.mean else "A"
        return f"{higher} higher: the intervals do not overlap"
    return "the intervals overlap: no difference shown"
