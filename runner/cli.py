"""The ``chorebench`` command line: parse flags, call one library function, print.

Exit codes, fixed here and only here: 0 done, 1 could not run (engine, image, server),
2 bad input (a spec, a file, a flag).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from runner import __version__, commands
from runner.errors import ChorebenchError, SandboxError, SpecError
from runner.records import Grade
from runner.run import THINK_VALUES, RunSummary, plans_for
from runner.rundir import SampleRecord
from runner.sandbox import prune
from runner.settings import PROJECT_ROOT, RUNTIMES, Settings


def _log(message: str) -> None:
    click.echo(f"chorebench: {message}", err=True)


class _Group(click.Group):
    """Turns chorebench's exceptions into a message and the exit code they carry."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ChorebenchError as exc:
            if ctx.obj is not None and ctx.obj.raise_errors:
                raise
            for line in str(exc).splitlines() or [exc.__class__.__name__]:
                click.echo(f"chorebench: error: {line}", err=True)
            ctx.exit(exc.exit_code)


runtime_option = click.option(
    "--runtime",
    type=click.Choice(RUNTIMES),
    default=None,
    help="Container runtime for candidates (default: CHOREBENCH_RUNTIME, else runc).",
)
jobs_option = click.option(
    "--jobs",
    "-j",
    type=click.IntRange(1, 256),
    default=None,
    help="Candidates graded at once (default: CHOREBENCH_JOBS, else the number of cores).",
)


def sandbox_options(command: Any) -> Any:
    """--runtime and --jobs: how candidates are executed."""
    return runtime_option(jobs_option(command))


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="chorebench")
@click.pass_context
def main(ctx: click.Context) -> None:
    """chorebench: which local model for which small coding chore, measured safely."""
    ctx.obj = Settings.from_env()


@main.command()
@click.argument("spec", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("responses", nargs=-1, required=True, type=click.File("rb"))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per response, per line.")
@sandbox_options
@click.pass_obj
def grade(
    settings: Settings,
    spec: Path,
    responses: tuple[Any, ...],
    as_json: bool,
    runtime: str | None,
    jobs: int | None,
) -> None:
    """Grade each RESPONSE (a file of raw model output, or - for stdin) against SPEC.

    Several responses are graded in parallel (--jobs) and printed in the order given.
    Exit 0 when all are graded, whatever the scores; 1 when the sandbox could not run one.
    """
    texts = [r.read().decode("utf-8", errors="replace") for r in responses]
    results = commands.grade_files(
        spec, texts, settings.with_flags(runtime=runtime, jobs=jobs), _log
    )
    for handle, result in zip(responses, results, strict=True):
        if as_json:
            click.echo(json.dumps(result.to_json(), indent=None))
            continue
        if len(results) > 1:
            click.echo(f"== {handle.name}")
        click.echo(_summary(result))
    broken = [r for r in results if r.infra_failed]
    if broken:
        _log(f"error: the sandbox failed, {len(broken)} grade(s) do not count: {broken[0].error}")
        sys.exit(1)


@main.command("check-specs")
@click.argument("specs", nargs=-1, type=click.Path(exists=True, path_type=Path))
@sandbox_options
@click.pass_obj
def check_specs(
    settings: Settings, specs: tuple[Path, ...], runtime: str | None, jobs: int | None
) -> None:
    """Validate SPECS (default: every spec in specs/) and prove each satisfiable.

    A spec is satisfiable when its reference earns full marks in the sandbox. The reference's
    time per case is shown, so limits can be set well above it. Exit 0 when all are; 2 when
    any spec is invalid or unsatisfiable; 1 when the sandbox could not run.
    """
    settings = settings.with_flags(runtime=runtime, jobs=jobs)
    results = commands.check_specs(list(specs) or [settings.specs_dir], settings, _log)
    for result in results:
        grade = result.grade
        slowest = max((c.elapsed_s or 0.0 for c in grade.checks), default=0.0)
        mark = "ok  " if result.ok else "FAIL"
        click.echo(
            f"{mark} {grade.spec}: reference {grade.points}/{grade.max_points}, "
            f"slowest case {slowest * 1000:.1f} ms "
            f"(limit {result.spec.limits.case_timeout_s:g} s), "
            f"{grade.elapsed_s:.2f} s"
        )
        if not result.ok:
            click.echo(_summary(grade, failures_only=True))
    broken = [r.grade.error or "" for r in results if r.grade.infra_failed]
    if broken:
        raise SandboxError(f"the sandbox failed while checking specs: {broken[0]}")
    problems = [r.problem for r in results if r.problem]
    if problems:
        raise SpecError(problems)
    click.echo(f"{len(results)} spec(s) valid and satisfiable")


def _run_options(command: Any) -> Any:
    """The options ``run`` and ``bench`` share."""
    for option in reversed(
        [
            click.option(
                "--host",
                "hosts",
                multiple=True,
                help="Model server (repeatable; default OLLAMA_HOST): http://HOST:PORT is "
                "Ollama, openai+http://HOST:PORT an OpenAI-compatible server.",
            ),
            click.option(
                "--out",
                type=click.Path(file_okay=False, path_type=Path),
                help="Run directory (default runs/<UTC time>); an existing one is resumed.",
            ),
            click.option(
                "--hit-at",
                type=click.FloatRange(0, 1),
                help="Best-of: the score fraction counted as a hit (default 0.82, 18/22).",
            ),
            click.option("--quiet", is_flag=True, help="No progress lines on stderr."),
            runtime_option,
            jobs_option,
        ]
    ):
        command = option(command)
    return command


@main.command()
@click.option("--model", "models", multiple=True, help="Model to sample (repeatable).")
@click.option(
    "--spec",
    "spec_paths",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    help="Spec file or folder (repeatable; default specs/).",
)
@click.option("--runs", type=click.IntRange(1), help="Independent samples per model and spec.")
@click.option(
    "--best-of",
    type=click.IntRange(1, 100),
    help="Instead of --runs: N samples per model and spec at temperature 0.7 (unless "
    "--temperature), each graded; the report keeps the best.",
)
@click.option("--temperature", type=click.FloatRange(0, 2), help="Default 0.2.")
@click.option(
    "--think",
    type=click.Choice(THINK_VALUES, case_sensitive=False),
    help="Sent as given; omitted by default (the server's default).",
)
@click.option("--seed", type=int, help="Sampling seed sent in options.")
@click.option("--num-predict", type=click.IntRange(1), help="Token budget sent in options.")
@click.option(
    "--timeout", "timeout_s", type=click.FloatRange(min=0, min_open=True), help="Per request, s."
)
@click.option("--concurrency", type=click.IntRange(1, 64), help="Requests in flight per host.")
@click.option(
    "--config",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="JSON config (schemas/bench.schema.json): models with per-model options, and more.",
)
@_run_options
@click.pass_obj
def run(
    settings: Settings,
    config: Path | None,
    quiet: bool,
    runtime: str | None,
    jobs: int | None,
    **flags: Any,
) -> None:
    """Sample models on model servers, grade each response, write a resumable run directory."""
    settings = settings.with_flags(runtime=runtime, jobs=jobs)
    plans = plans_for(config, flags, settings, tuple(sys.argv))
    _log(f"run directory {plans[0].out}")
    with _interruptible(plans[0].out):
        summaries = commands.run_samples(plans, settings, _progress(quiet), _log)
    for summary in summaries:
        _print_summary(summary)


@main.command()
@click.option(
    "--config",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="JSON config (schemas/bench.schema.json); default bench.json at the repo root.",
)
@_run_options
@click.pass_obj
def bench(
    settings: Settings,
    config: Path | None,
    quiet: bool,
    runtime: str | None,
    jobs: int | None,
    **flags: Any,
) -> None:
    """Run, grade and report in one command, from a config file.

    Every phase the config asks for (repeated runs, then best-of-N) goes into one run
    directory; the report is printed and written there (report.md, report.json, report.html).
    """
    settings = settings.with_flags(runtime=runtime, jobs=jobs)
    path = config or PROJECT_ROOT / "bench.json"
    out = flags.get("out")
    with _interruptible(out or Path("the run directory")):
        result = commands.bench(path, flags, settings, tuple(sys.argv), _progress(quiet), _log)
    for summary in result.summaries:
        _print_summary(summary)
    click.echo(result.written.markdown)
    _log("wrote " + ", ".join(str(f) for f in result.written.files))


@main.command()
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print report.json instead of markdown.")
@click.option(
    "--hit-at",
    type=click.FloatRange(0, 1),
    help="Best-of hit threshold as a fraction (default: the run's own, else 0.82).",
)
def report(run_dir: Path, as_json: bool, hit_at: float | None) -> None:
    """Report on RUN_DIR: ranking, variance, compliance, thinking, best-of, routing rules.

    Prints the tables and writes report.md, report.json and report.html into RUN_DIR.
    """
    written = commands.report_run(run_dir, hit_at)
    if as_json:
        click.echo(json.dumps(written.report.to_json(), indent=2, sort_keys=True))
    else:
        click.echo(written.markdown)
    _log("wrote " + ", ".join(str(f) for f in written.files))


@contextmanager
def _interruptible(out: Path) -> Iterator[None]:
    """Ctrl-C: say the run directory is valid and resumable, exit 130."""
    try:
        yield
    except KeyboardInterrupt:
        _log(f"interrupted: {out} is valid; rerun the same command to resume")
        sys.exit(130)


def _print_summary(summary: RunSummary) -> None:
    click.echo(
        f"{summary.out}: {summary.collected} collected, {summary.skipped} already there, "
        f"{summary.failed} failed"
        + (f"; hosts down: {', '.join(summary.hosts_down)}" if summary.hosts_down else "")
    )


@main.command()
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@sandbox_options
@click.pass_obj
def regrade(settings: Settings, run_dir: Path, runtime: str | None, jobs: int | None) -> None:
    """Grade the stored responses of RUN_DIR again (after a spec or grader change)."""
    summary = commands.regrade_run(run_dir, settings.with_flags(runtime=runtime, jobs=jobs), _log)
    click.echo(
        f"{run_dir}: {summary.regraded} regraded, {summary.changed} grades changed, "
        f"{summary.skipped} skipped (no response or unknown spec)"
    )


def _progress(quiet: bool) -> Callable[[SampleRecord], None]:
    def show(record: SampleRecord) -> None:
        if quiet:
            return
        grade = record.grade
        verdict = f"{grade.points}/{grade.max_points}" if grade else f"error: {record.error}"
        flags = " THINKING TRAP" if record.thinking_trap else ""
        flags += " OUT OF BUDGET" if record.out_of_budget else ""
        _log(f"{record.model} {record.spec} run {record.run}: {verdict}{flags}")

    return show


@main.command()
@runtime_option
@click.pass_obj
def image(settings: Settings, runtime: str | None) -> None:
    """Build the grader image if it is missing or stale, and print its tag."""
    click.echo(commands.build_image(settings.with_flags(runtime=runtime), _log))


def _summary(grade: Grade, failures_only: bool = False) -> str:
    lines = []
    if not failures_only:
        lines.append(
            f"{grade.spec}: {grade.points}/{grade.max_points} points, score {grade.score:.3f}, "
            f"strict {grade.strict_score:.3f}, "
            + ("compliant" if grade.compliant else "not compliant")
        )
        for violation in grade.violations:
            where = f" (line {violation.line})" if violation.line else ""
            lines.append(f"  violation {violation.rule}{where}: {violation.detail}")
        for diagnostic in grade.diagnostics:
            where = f" (line {diagnostic.line})" if diagnostic.line else ""
            lines.append(f"  diagnostic {diagnostic.rule}{where}: {diagnostic.detail}")
    if grade.error:
        lines.append(f"  error: {grade.error}")
    for check in grade.checks:
        if failures_only and check.passed:
            continue
        mark = "pass" if check.passed else "FAIL"
        lines.append(f"  {mark} {check.case:<24} {check.outcome.value:<14} {check.detail}")
    return "\n".join(lines)


@main.group()
def sandbox() -> None:
    """Look after the Docker sandbox: remove what dead runners left behind."""


@sandbox.command("prune")
@click.option(
    "--all",
    "everyone",
    is_flag=True,
    help="Also remove chorebench containers owned on other hosts or with no readable owner "
    "(only when no runner elsewhere shares this engine).",
)
@click.pass_obj
def sandbox_prune(settings: Settings, everyone: bool) -> None:
    """Remove chorebench containers of dead runners and runtime-level orphans; list them.

    Containers of live runners are never touched. Runtime-level orphans (processes of
    chorebench containers the engine no longer lists, such as a runsc-sandbox after a failed
    start) are swept when the engine runs on this machine; removing them needs root.
    """
    result = prune(settings, everyone=everyone)
    for container in result.containers:
        click.echo(
            f"removed container {container.name} ({container.status}, owner {container.owner})"
        )
    for orphan in result.runtime:
        processes = ", ".join(f"{name} {pid}" for pid, name in orphan.processes)
        click.echo(f"runtime orphan {orphan.container[:12]} [{processes}]: {orphan.detail}")
    removed = len(result.containers) + sum(orphan.removed for orphan in result.runtime)
    click.echo(f"{removed} removed; {result.kept} kept (owner alive, or on another host)")
