"""The ``chorebench`` command line: parse flags, call one library function, print.

Exit codes, fixed here and only here: 0 done, 1 could not run (engine, image, server),
2 bad input (a spec, a file, a flag). Also the terminal face of long commands (``Display``:
the progress events of ``runner.records`` as lines and a bar on stderr) and the commands that
look inside a run (``show``, ``specs``, ``models``, ``diff``).
"""

from __future__ import annotations

import json
import math
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

import click

from runner import __version__, commands
from runner.errors import BadInputError, ChorebenchError, InfraError, SandboxError, SpecError
from runner.records import (
    FLOOR_WARNING,
    Grade,
    ModelStarted,
    ProgressEvent,
    StageStarted,
    UnitDone,
    UnitStarted,
)
from runner.report import md_text
from runner.run import THINK_VALUES, RunSummary, Stop, plans_for
from runner.sandbox import prune
from runner.settings import MAX_JOBS, PROJECT_ROOT, RUNTIMES, Settings
from runner.values import printable


def _log(message: str) -> None:
    if _shown:  # a progress bar is on the screen: the line goes above it
        _shown[-1].say(f"chorebench: {message}")
        return
    click.echo(f"chorebench: {printable(message)}", err=True)


_shown: list[Display] = []  # the live progress display of this command, if any


class _Group(click.Group):
    """Turns chorebench's exceptions into a message and the exit code they carry; lists each
    command with its whole first sentence."""

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit=400)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ChorebenchError as exc:
            if ctx.obj is not None and ctx.obj.raise_errors:
                raise
            for line in str(exc).splitlines() or [exc.__class__.__name__]:
                click.echo(f"chorebench: error: {printable(line)}", err=True)
            ctx.exit(exc.exit_code)


class _Finite(click.FloatRange):
    """A FloatRange that also refuses NaN and the infinities, which its range checks let by."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number


runtime_option = click.option(
    "--runtime",
    type=click.Choice(RUNTIMES),
    default=None,
    help="Container runtime for candidates (default: CHOREBENCH_RUNTIME, else runc).",
)
jobs_option = click.option(
    "--jobs",
    "-j",
    type=click.IntRange(1, MAX_JOBS),
    default=None,
    help="Candidates graded at once (default: CHOREBENCH_JOBS, else the number of cores).",
)

sandboxes_option = click.option(
    "--sandbox",
    "sandboxes",
    multiple=True,
    metavar="ENGINE",
    help="Docker engine to grade on (repeatable): local, unix:///PATH, tcp://HOST:PORT or "
    "ssh://[USER@]HOST, each optionally ?jobs=N&runtime=runsc (default: CHOREBENCH_SANDBOXES, "
    "else the local engine).",
)


def sandbox_options(command: Any) -> Any:
    """--runtime, --jobs and --sandbox: how and where candidates are executed."""
    return runtime_option(jobs_option(sandboxes_option(command)))


CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.group(cls=_Group, context_settings=CONTEXT)
@click.version_option(__version__, prog_name="chorebench")
@click.pass_context
def main(ctx: click.Context) -> None:
    """chorebench: which local model for which small coding chore, measured safely.

    \b
    Start here:
      chorebench specs                         # what can be asked
      chorebench models                        # what your server serves
      chorebench bench                         # run, grade and report (bench.json)
      chorebench report runs/latest            # the answer again
      chorebench show runs/latest KEY          # one sample, whole

    \b
    Shell completion (bash; zsh and fish in the README):
      eval "$(_CHOREBENCH_COMPLETE=bash_source chorebench)"
    """
    ctx.obj = Settings.from_env()


@main.command()
@click.argument("spec", type=click.Path(path_type=Path))
@click.argument("responses", nargs=-1, type=click.File("rb"))
@click.option(
    "--samples",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="An EvalPlus samples file (JSON lines with task_id and solution or completion), "
    "graded against the suite folder SPEC.",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per response, per line.")
@sandbox_options
@click.pass_obj
def grade(
    settings: Settings,
    spec: Path,
    responses: tuple[Any, ...],
    samples: Path | None,
    as_json: bool,
    runtime: str | None,
    jobs: int | None,
    sandboxes: tuple[str, ...],
) -> None:
    """Grade each RESPONSE (a file of raw model output, or - for stdin) against SPEC (a spec
    file, or a spec id in specs/).

    Several responses are graded in parallel (--jobs) and printed in the order given. With
    --samples, SPEC is a folder of imported suite specs and each line of the samples file is
    graded; then EvalPlus's pass@1 on base and on base + plus tests is printed.
    Exit 0 when all are graded, whatever the scores; 1 when the sandbox could not run one.

    \b
    Examples:
      chorebench grade iso_duration answer.txt
      pbpaste | chorebench grade specs/iso_duration.json - --json
    """
    settings = settings.with_flags(runtime=runtime, jobs=jobs, sandboxes=sandboxes)
    if samples is not None:
        if responses:
            raise BadInputError("give either RESPONSES or --samples, not both")
        _grade_samples(spec, samples, as_json, settings)
        return
    if not responses:
        raise BadInputError("no RESPONSES to grade: name files (- for stdin), or use --samples")
    if spec.is_dir():
        raise BadInputError(f"{spec}: a folder; name one spec file (or use --samples)")
    texts = [r.read().decode("utf-8", errors="replace") for r in responses]
    names = [getattr(handle, "name", "-") for handle in responses]
    with _display(silent=len(texts) == 1) as display:
        results = commands.grade_files(spec, texts, settings, _log, display, names)
    for handle, result in zip(responses, results, strict=True):
        if as_json:
            click.echo(json.dumps(result.to_json(), indent=None))
            continue
        if len(results) > 1:
            click.echo(f"== {printable(handle.name)}")
        click.echo(grade_text(result))
    broken = [r for r in results if r.infra_failed]
    if broken:
        _log(f"error: the sandbox failed, {len(broken)} grade(s) do not count: {broken[0].error}")
        sys.exit(1)


def _grade_samples(folder: Path, samples: Path, as_json: bool, settings: Settings) -> None:
    if not folder.is_dir():
        raise BadInputError(f"{folder}: with --samples, name the folder of the suite's specs")
    result = commands.grade_samples_file(folder, samples, settings, _log)
    for item in result.grades:
        if as_json:
            click.echo(json.dumps(item.to_json()))
            continue
        groups = " ".join(f"{g.group} {g.passed}/{g.total}" for g in item.grade.groups)
        click.echo(f"{item.sample.task_id} (line {item.sample.line}): {groups}")
    figures = {"base": result.pass_at_1("base"), "base+plus": result.pass_at_1("base", "plus")}
    if as_json:
        click.echo(json.dumps({"pass@1": figures, "samples": len(result.grades)}))
    else:
        click.echo(
            f"pass@1 base {figures['base']:.4f}, base+plus {figures['base+plus']:.4f} "
            f"({len(result.grades)} samples)"
        )
    if result.infra_failed:
        _log(f"error: the sandbox failed, {len(result.infra_failed)} grade(s) do not count")
        sys.exit(1)


@main.command("import")
@click.argument("kind", type=click.Choice(["evalplus"]))
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the specs (default specs/humanevalplus or specs/mbppplus).",
)
@click.option("--task", "task_ids", multiple=True, help="Import only this task id (repeatable).")
@sandbox_options
@click.pass_obj
def import_(
    settings: Settings,
    kind: str,
    source: Path,
    out: Path | None,
    task_ids: tuple[str, ...],
    runtime: str | None,
    jobs: int | None,
    sandboxes: tuple[str, ...],
) -> None:
    """Import a standard suite: SOURCE is EvalPlus's HumanEval+ or MBPP+ file (.jsonl[.gz]).

    Writes one spec per task and fills its expected values and time limits by running the
    task's reference in the sandbox. Tasks that cannot be imported are listed with the reason.
    """
    settings = settings.with_flags(runtime=runtime, jobs=jobs, sandboxes=sandboxes)
    result = commands.import_suite(source, out, task_ids, settings, _log)
    for task_id, reason in result.skipped:
        click.echo(f"skipped {task_id}: {reason}")
    folder = result.written[0].parent if result.written else out
    written, skipped = len(result.written), len(result.skipped)
    click.echo(f"{result.suite}: {written} spec(s) in {folder}, {skipped} skipped")


@main.group()
def spec() -> None:
    """Author specs: fill in what a reference computes."""


@spec.command("fill")
@click.argument("specs", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@sandbox_options
@click.pass_obj
def spec_fill(
    settings: Settings,
    specs: tuple[Path, ...],
    runtime: str | None,
    jobs: int | None,
    sandboxes: tuple[str, ...],
) -> None:
    """Fill each case of SPECS that has no expected value with what the reference returns or
    raises in the sandbox (and, for calibrated specs, the time limits). Review the diff."""
    settings = settings.with_flags(runtime=runtime, jobs=jobs, sandboxes=sandboxes)
    results = commands.fill(list(specs), settings, _log)
    for result in results:
        if result.problem is None:
            click.echo(
                f"{result.path}: {result.filled} case(s) filled, "
                f"slowest reference case {result.slowest_s * 1000:.1f} ms"
            )
    problems = [r.problem for r in results if r.problem]
    if problems:
        raise SpecError(problems)


@main.command("check-specs")
@click.argument("specs", nargs=-1, type=click.Path(path_type=Path))
@sandbox_options
@click.pass_obj
def check_specs(
    settings: Settings,
    specs: tuple[Path, ...],
    runtime: str | None,
    jobs: int | None,
    sandboxes: tuple[str, ...],
) -> None:
    """Validate SPECS (default: every spec in specs/), prove each satisfiable, show its floor.

    A spec is satisfiable when its reference earns full marks in the sandbox. The reference's
    time per case is shown, so limits can be set well above it. The floor is the best score of
    a few trivial answers (always raise the expected exception, return None, return the first
    argument, return a constant): a floor above 0.3 is flagged, since a do-nothing answer then
    earns a misleading score. Exit 0 when all are satisfiable; 2 when any spec is invalid or
    unsatisfiable; 1 when the sandbox could not run.

    \b
    Example:
      chorebench check-specs                      # every spec in specs/
      chorebench check-specs specs/iso_duration.json
    """
    settings = settings.with_flags(runtime=runtime, jobs=jobs, sandboxes=sandboxes)
    with _display() as display:
        results = commands.check_specs(list(specs) or [settings.specs_dir], settings, _log, display)
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
        floor = result.floor
        if floor is not None:
            warning = (
                f"  WARNING: above {FLOOR_WARNING}: add cases a trivial answer fails, or read "
                "its scores against this floor"
                if floor.high
                else ""
            )
            click.echo(
                f"     floor {floor.points}/{floor.max_points} ({floor.score:.2f}) "
                f"from {floor.candidate}{warning}"
            )
        if not result.ok:
            click.echo(grade_text(grade, failures_only=True))
        tight = result.tight_limits
        if tight:
            click.echo(
                f"  warning: {len(tight)} case limit(s) tighter than the calibration rule "
                f"(run `chorebench spec fill` again to recalibrate), first {tight[0]}"
            )
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
                type=_Finite(0, 1),
                help="Best-of: the score fraction counted as a hit (default 0.82, 18/22).",
            ),
            click.option(
                "--quiet", is_flag=True, help="Progress: only a line per phase, no sample lines."
            ),
            click.option(
                "--verbose",
                is_flag=True,
                help="Progress: plain lines even on a terminal (no redrawn bar).",
            ),
            runtime_option,
            jobs_option,
            sandboxes_option,
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
    type=click.Path(path_type=Path),
    help="Spec file, folder or id (repeatable; default specs/).",
)
@click.option("--runs", type=click.IntRange(1), help="Independent samples per model and spec.")
@click.option(
    "--best-of",
    type=click.IntRange(1, 100),
    help="Instead of --runs: N samples per model and spec at temperature 0.7 (unless "
    "--temperature), each graded; the report keeps the best.",
)
@click.option("--temperature", type=_Finite(0, 2), help="Default 0.2.")
@click.option(
    "--think",
    type=click.Choice(THINK_VALUES, case_sensitive=False),
    help="Sent as given; omitted by default (the server's default).",
)
@click.option("--seed", type=int, help="Sampling seed sent in options.")
@click.option("--num-predict", type=click.IntRange(1), help="Token budget sent in options.")
@click.option("--timeout", "timeout_s", type=_Finite(min=0, min_open=True), help="Per request, s.")
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
    verbose: bool,
    runtime: str | None,
    jobs: int | None,
    sandboxes: tuple[str, ...],
    **flags: Any,
) -> None:
    """Sample models on model servers, grade each response, write a resumable run directory.

    Progress goes to stderr: a line per sample (a bar under them on a terminal). Rerunning the
    same command resumes. It ends by naming the command that reports on the run.

    \b
    Examples:
      chorebench run --model qwen2.5-coder:7b --spec iso_duration --runs 3
      chorebench run --config bench.json --out runs/mine
    """
    settings = settings.with_flags(runtime=runtime, jobs=jobs, sandboxes=sandboxes)
    plans = plans_for(config, flags, settings, tuple(sys.argv))
    settings = commands.configured(config, settings)
    stop = Stop()
    with _stoppable(stop, plans[0].out), _display(quiet, verbose) as display:
        summaries = commands.run_samples(plans, settings, display, _log, stop)
    for summary in summaries:
        _print_summary(summary)
    _exit_if_stopped(stop, plans[0].out)
    click.echo(f"next: chorebench report {plans[0].out}")


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
    verbose: bool,
    runtime: str | None,
    jobs: int | None,
    sandboxes: tuple[str, ...],
    **flags: Any,
) -> None:
    """Run, grade and report in one command, from a config file.

    Every phase the config asks for (repeated runs, then best-of-N) goes into one run
    directory; the report is printed and written there (report.md, report.json, report.html).

    \b
    Examples:
      chorebench bench                          # bench.json at the repo root
      chorebench bench --config demo.json --host openai+http://127.0.0.1:8080
    """
    settings = settings.with_flags(runtime=runtime, jobs=jobs, sandboxes=sandboxes)
    path = config or PROJECT_ROOT / "bench.json"
    out = flags.get("out") or Path("the run directory")
    stop = Stop()
    with _stoppable(stop, out), _display(quiet, verbose) as display:
        result = commands.bench(path, flags, settings, tuple(sys.argv), display, _log, stop)
    for summary in result.summaries:
        _print_summary(summary)
    _exit_if_stopped(stop, result.summaries[0].out if result.summaries else out)
    assert result.written is not None  # only a stopped bench has no report
    click.echo(result.written.markdown)
    _log("wrote " + ", ".join(str(f) for f in result.written.files))


@main.command()
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print report.json instead of markdown.")
@click.option(
    "--hit-at",
    type=_Finite(0, 1),
    help="Best-of hit threshold as a fraction (default: the run's own, else 0.82).",
)
def report(run_dir: Path, as_json: bool, hit_at: float | None) -> None:
    """Report on RUN_DIR: ranking, variance, compliance, thinking, best-of, routing rules.

    Prints the tables and writes report.md, report.json and report.html into RUN_DIR.

    \b
    Examples:
      chorebench report runs/latest
      chorebench report runs/latest --json | jq '.routing[0]'
    """
    written = commands.report_run(run_dir, hit_at)
    if as_json:
        click.echo(json.dumps(written.report.to_json(), indent=2, sort_keys=True))
    else:
        click.echo(written.markdown)
    _log("wrote " + ", ".join(str(f) for f in written.files))


@contextmanager
def _stoppable(stop: Stop, out: Path) -> Iterator[None]:
    """SIGINT and SIGTERM while a run collects: the first asks ``stop`` (no new request or
    grade; what is in flight is recorded), the second abandons what is in flight.

    Abandoning, or a signal before collection starts, interrupts the main thread; once the
    run directory is written, the process exits at once (128 + the signal): requests still
    in flight are not waited for.
    """

    def handle(signum: int, _frame: object) -> None:
        if stop.request(signum):
            message = (
                f"stopping: {stop.in_flight} request(s) in flight (Ctrl-C again to abandon them)"
            )
            # From a thread: the handler may interrupt the main thread holding the display's lock.
            threading.Thread(target=_log, args=(message,), daemon=True).start()
            return
        raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    except KeyboardInterrupt:
        _log(f"interrupted: {out} is valid; rerun the same command to resume")
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(128 + (stop.signal or signal.SIGINT))
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _exit_if_stopped(stop: Stop, out: Path) -> None:
    """After a graceful stop: say the run directory is valid, exit 128 + the signal."""
    if stop.signal is not None:
        _log(f"stopped: {out} is valid; rerun the same command to resume")
        sys.exit(128 + stop.signal)


def _print_summary(summary: RunSummary) -> None:
    down = f"; hosts down: {', '.join(summary.hosts_down)}" if summary.hosts_down else ""
    click.echo(
        printable(
            f"{summary.phase}: {summary.collected} collected, {summary.skipped} already there, "
            f"{summary.failed} failed{down}"
            + (f"; {summary.left} left for a resume" if summary.left else "")
        )
    )


@main.command()
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@sandbox_options
@click.pass_obj
def regrade(
    settings: Settings,
    run_dir: Path,
    runtime: str | None,
    jobs: int | None,
    sandboxes: tuple[str, ...],
) -> None:
    """Grade the stored responses of RUN_DIR again (after a spec or grader change).

    \b
    Example:
      chorebench regrade runs/latest && chorebench report runs/latest
    """
    with _display() as display:
        settings = settings.with_flags(runtime=runtime, jobs=jobs, sandboxes=sandboxes)
        summary = commands.regrade_run(run_dir, settings, _log, display)
    click.echo(
        f"{printable(str(run_dir))}: {summary.regraded} regraded, "
        f"{summary.changed} grades changed, {summary.skipped} skipped (no response or unknown spec)"
    )


@contextmanager
def _display(quiet: bool = False, verbose: bool = False, silent: bool = False) -> Iterator[Any]:
    """Live progress on stderr for the length of a command (the events of ``runner.records``)."""
    display = Display("silent", sys.stderr) if silent else Display.for_stderr(quiet, verbose)
    _shown.append(display)
    try:
        yield display
    finally:
        _shown.remove(display)
        display.close()


@main.command()
@runtime_option
@sandboxes_option
@click.pass_obj
def image(settings: Settings, runtime: str | None, sandboxes: tuple[str, ...]) -> None:
    """Build the grader image if it is missing or stale (shipping it to every engine named),
    and print its tag.

    \b
    Example:
      chorebench image --runtime runsc
    """
    settings = settings.with_flags(runtime=runtime, sandboxes=sandboxes)
    click.echo(commands.build_image(settings, _log))


@main.group()
def sandbox() -> None:
    """Look after the Docker sandbox: remove what dead runners left behind.

    \b
    Example:
      chorebench sandbox prune
    """


@sandbox.command("prune")
@click.option(
    "--all",
    "everyone",
    is_flag=True,
    help="Also remove chorebench containers owned on other hosts or with no readable owner "
    "(only when no runner elsewhere shares this engine).",
)
@sandboxes_option
@click.pass_obj
def sandbox_prune(settings: Settings, everyone: bool, sandboxes: tuple[str, ...]) -> None:
    """Remove chorebench containers of dead runners and runtime-level orphans; list them.

    Every configured engine is pruned (--sandbox, CHOREBENCH_SANDBOXES, else the local one).
    Containers of live runners are never touched. Runtime-level orphans (processes of
    chorebench containers the engine no longer lists, such as a runsc-sandbox after a failed
    start) are swept when the engine runs on this machine; removing them needs root.

    \b
    Example:
      chorebench sandbox prune
    """
    results = prune(settings.with_flags(sandboxes=sandboxes), everyone=everyone)
    for result in results:
        where = f" on {result.engine}" if len(results) > 1 else ""
        for container in result.containers:
            click.echo(
                printable(
                    f"removed container {container.name}{where} ({container.status}, "
                    f"owner {container.owner})"
                )
            )
        for orphan in result.runtime:
            processes = ", ".join(f"{name} {pid}" for pid, name in orphan.processes)
            click.echo(
                printable(
                    f"runtime orphan {orphan.container[:12]}{where} [{processes}]: {orphan.detail}"
                )
            )
        removed = len(result.containers) + sum(orphan.removed for orphan in result.runtime)
        click.echo(
            f"{removed} removed{where}; {result.kept} kept (owner alive, or on another host)"
        )


# Live progress (library code reports ``runner.records`` progress events; this shows them)

WAIT_NOTICE_S = 10.0  # a request waiting this long gets a line, then every WAIT_REPEAT_S more
WAIT_REPEAT_S = 30.0


def clock(seconds: float) -> str:
    """``42s``, ``3m05s``, ``1h02m``: short enough for a progress line."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


class Display:
    """Shows progress events on a stream; call ``close`` when the command ends.

    ``mode`` is ``bar`` (a status line redrawn under the sample lines, for a terminal),
    ``lines`` (every line, nothing redrawn: for a pipe or a log file), ``quiet`` (stage
    headers only) or ``silent`` (nothing). A ticker thread (bar and lines modes) redraws the
    bar and notices requests waiting longer than ``WAIT_NOTICE_S``.
    """

    def __init__(
        self,
        mode: str,
        stream: TextIO,
        now: Callable[[], float] = time.monotonic,
        tick_s: float = 1.0,
    ) -> None:
        if mode not in ("bar", "lines", "quiet", "silent"):
            raise ValueError(f"unknown progress mode {mode!r}")
        self.mode = mode
        self.stream = stream
        self.now = now
        self.lock = threading.Lock()
        self.stage = ""
        self.total = 0
        self.done = 0
        self.started = now()
        self.waiting: dict[str, tuple[float, float]] = {}  # label -> (sent at, next notice at)
        self.status_shown = False
        self.stopped = threading.Event()
        self.ticker: threading.Thread | None = None
        if mode in ("bar", "lines"):
            self.ticker = threading.Thread(
                target=self._tick, args=(tick_s,), name="chorebench-progress", daemon=True
            )
            self.ticker.start()

    @classmethod
    def for_stderr(cls, quiet: bool = False, verbose: bool = False) -> Display:
        """The display the CLI uses: a bar on a terminal, plain lines when piped."""
        stream = sys.stderr
        if quiet:
            return cls("quiet", stream)
        return cls("bar" if stream.isatty() and not verbose else "lines", stream)

    def __call__(self, event: ProgressEvent) -> None:
        with self.lock:
            if isinstance(event, StageStarted):
                self.stage, self.total, self.done = event.stage, event.total, 0
                self.started = self.now()
                self.waiting.clear()
                already = f" ({event.already} already done)" if event.already else ""
                self._line(f"== {event.stage}: {event.total} {event.unit}(s) to do{already}")
            elif isinstance(event, ModelStarted):
                self._line(f"-- {event.stage}: {event.model} on {event.host}, {event.count} to do")
            elif isinstance(event, UnitStarted):
                sent = self.now()
                self.waiting[event.label] = (sent, sent + WAIT_NOTICE_S)
            elif isinstance(event, UnitDone):
                self.waiting.pop(event.label, None)
                self.done += 1
                if self.mode in ("bar", "lines"):
                    self._line(self._done_line(event))

    def say(self, text: str) -> None:
        """Write a line of the command's own (a log line) above the bar, whatever the mode."""
        with self.lock:
            self._clear_status()
            self.stream.write(printable(text) + "\n")
            self._draw_status()
            self.stream.flush()

    def close(self) -> None:
        """Stop the ticker and clear the bar."""
        self.stopped.set()
        if self.ticker is not None:
            self.ticker.join()
        with self.lock:
            self._clear_status()

    def _done_line(self, event: UnitDone) -> str:
        measured = [f"{event.seconds:.1f} s"] if event.seconds is not None else []
        measured += [f"{event.tokens} tokens"] if event.tokens is not None else []
        head = f"[{event.stage} {self.done}/{self.total}] {event.label}: {event.verdict}"
        head += f" ({', '.join(measured)})" if measured else ""
        head += "".join(f" {flag}" for flag in event.flags)
        return f"{head}; {self._timing()}"

    def _timing(self) -> str:
        elapsed = self.now() - self.started
        if not self.done:
            return f"{clock(elapsed)} elapsed"
        left = elapsed / self.done * max(0, self.total - self.done)
        return f"{clock(elapsed)} elapsed, about {clock(left)} left"

    def _line(self, text: str) -> None:
        if self.mode == "silent":
            return
        self._clear_status()
        self.stream.write(printable(text) + "\n")  # model names, hosts, labels: untrusted
        self._draw_status()
        self.stream.flush()

    def _clear_status(self) -> None:
        if self.status_shown:
            self.stream.write("\r\x1b[K")
            self.status_shown = False

    def _draw_status(self) -> None:
        if self.mode != "bar" or not self.total:
            return
        width = 24
        filled = min(width, width * self.done // self.total)
        bar = "#" * filled + "-" * (width - filled)
        self.stream.write(f"{self.stage} [{bar}] {self.done}/{self.total} {self._timing()}")
        self.status_shown = True

    def tick(self) -> None:
        """Say which requests have waited long; redraw the bar (the ticker calls this)."""
        with self.lock:
            now = self.now()
            for label, (sent, notice_at) in list(self.waiting.items()):
                if now >= notice_at:
                    self.waiting[label] = (sent, notice_at + WAIT_REPEAT_S)
                    self._line(f"   still waiting for {label}: {clock(now - sent)}")
            if self.mode == "bar":
                self._clear_status()
                self._draw_status()
                self.stream.flush()

    def _tick(self, every_s: float) -> None:
        while not self.stopped.wait(every_s):
            self.tick()


# Looking inside a run


def grade_text(grade: Grade, failures_only: bool = False) -> str:
    """A grade as lines: the score, the violations and diagnostics, then each check.

    Every field that is not chorebench's own goes through ``printable``: a candidate's
    exception or type name must not forge a line or drive the terminal.
    """
    lines = []
    if not failures_only:
        lines.append(
            f"{printable(grade.spec)}: {grade.points}/{grade.max_points} points, "
            f"score {grade.score:.3f}, strict {grade.strict_score:.3f}, "
            + ("compliant" if grade.compliant else "not compliant")
        )
        for kind, notes in (("violation", grade.violations), ("diagnostic", grade.diagnostics)):
            for note in notes:
                where = f" (line {note.line})" if note.line else ""
                lines.append(f"  {kind} {printable(note.rule)}{where}: {printable(note.detail)}")
    if grade.error:
        lines.append(f"  error: {printable(grade.error)}")
    for check in grade.checks:
        if failures_only and check.passed:
            continue
        mark = "pass" if check.passed else "FAIL"
        case = printable(check.case)
        lines.append(f"  {mark} {case:<24} {check.outcome.value:<14} {printable(check.detail)}")
    return "\n".join(lines)


run_dir_argument = click.argument(
    "run_dir", type=click.Path(exists=True, file_okay=False, path_type=Path)
)


@main.command()
@run_dir_argument
@click.argument("key", required=False)
@click.option("--model", help="The sample's model (with --spec and --run when needed).")
@click.option("--spec", help="The sample's spec id.")
@click.option("--run", "run_index", type=click.IntRange(1), help="The sample's run number.")
@click.option(
    "--phase", type=click.Choice(["runs", "best_of"]), help="The sample's phase (default: any)."
)
@click.option("--json", "as_json", is_flag=True, help="The stored record, as JSON.")
def show(
    run_dir: Path,
    key: str | None,
    model: str | None,
    spec: str | None,
    run_index: int | None,
    phase: str | None,
    as_json: bool,
) -> None:
    """Show one sample of RUN_DIR whole: its raw response, thinking, extracted code,
    violations and every check's outcome.

    Name the sample by KEY (as the report lists it; a unique prefix will do) or by --model,
    --spec and --run. When several match, they are listed with their keys.

    \b
    Examples:
      chorebench show runs/latest 3f9c2a
      chorebench show runs/latest --model smollm2-135m --spec iso_duration --run 1
    """
    view = commands.find_sample(run_dir, key, model, spec, run_index, phase)
    record = view.record
    if as_json:
        click.echo(json.dumps(record.to_json(), indent=2, sort_keys=True))
        return
    think = "default" if record.think is None else str(record.think).lower()
    click.echo(
        printable(
            f"sample {record.key}: {record.model} on {record.spec}, {record.phase} run "
            f"{record.run} (temperature {record.temperature}, think {think})"
        )
    )
    click.echo(
        printable(
            f"host {record.host}, "
            + (f"{record.wall_s:.1f} s, " if record.wall_s is not None else "")
            + f"{record.eval_count} tokens, done: {record.done_reason}"
            + (" (out of budget)" if record.out_of_budget else "")
            + (" THINKING TRAP" if record.thinking_trap else "")
        )
    )
    if record.error:
        click.echo(
            printable(f"error: {record.error} (not counted: the server failed, not the model)")
        )
    if record.grade is not None:
        click.echo(grade_text(record.grade))
    _block("response", record.response)
    if record.thinking:
        _block("thinking", record.thinking)
    extraction = view.extraction
    fences = f", {extraction.fenced_blocks} fenced block(s)" if extraction.fenced_blocks else ""
    prose = f", {len(extraction.prose)} stretch(es) of prose" if extraction.prose else ""
    _block(f"extracted code{fences}{prose}", extraction.code)


def _block(title: str, body: str) -> None:
    """A model's text, line by line through ``printable`` (its line breaks kept, nothing else)."""
    size = len(body.encode("utf-8", "surrogatepass"))
    click.echo(f"--- {printable(title)} ({size} bytes)")
    if body:
        click.echo("\n".join(printable(line) for line in body.rstrip("\n").split("\n")))


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per spec, per line.")
@click.pass_obj
def specs(settings: Settings, paths: tuple[Path, ...], as_json: bool) -> None:
    """List the specs in PATHS (files, folders or ids; default specs/): id, family, kind,
    points, cases, title. Validates them; runs nothing (no sandbox).

    \b
    Examples:
      chorebench specs
      chorebench specs specs/iso_duration.json --json
    """
    from runner.spec import load_specs

    loaded = load_specs(list(paths) or [settings.specs_dir], settings.specs_dir)
    rows = []
    for spec in loaded:
        checks = len(spec.module.mutants) + 1 if spec.module else len(spec.cases)
        entry = {
            "id": spec.id,
            "family": spec.family,
            "kind": spec.kind,
            "points": spec.max_points,
            "checks": checks,
            "title": spec.title,
            "path": spec.path,
        }
        if as_json:
            click.echo(json.dumps(entry))
        rows.append(entry)
    if as_json:
        return
    from tabulate import tabulate

    table = [[r["id"], r["family"], r["kind"], r["points"], r["checks"], r["title"]] for r in rows]
    headers = ["Id", "Family", "Kind", "Points", "Cases", "Title"]
    click.echo(tabulate(table, headers=headers, tablefmt="plain", disable_numparse=True))


@main.command()
@click.option(
    "--host",
    "hosts",
    multiple=True,
    help="Model server (repeatable; default OLLAMA_HOST): http://HOST:PORT is Ollama, "
    "openai+http://HOST:PORT an OpenAI-compatible server.",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per model, per line.")
@click.pass_obj
def models(settings: Settings, hosts: tuple[str, ...], as_json: bool) -> None:
    """List what each model server serves, with sizes. Nothing is loaded or generated.

    Exit 1 when no host answers.

    \b
    Examples:
      chorebench models
      chorebench models --host openai+http://127.0.0.1:8080 --host http://gpu-box:11434
    """
    found = commands.list_models(hosts or (settings.ollama_host,), settings.openai_api_key)
    for entry in found:
        if as_json:
            for info in entry.models:
                fields = {"host": entry.host, "backend": entry.backend, "name": info.name}
                fields |= {"size": info.size or None, "parameter_size": info.parameter_size}
                fields |= {"quantization": info.quantization, "family": info.family}
                click.echo(json.dumps(fields))
            continue
        if entry.error:
            click.echo(printable(f"{entry.host} ({entry.backend}): not answering: {entry.error}"))
            continue
        click.echo(
            printable(
                f"{entry.host} ({entry.backend} {entry.version}): {len(entry.models)} model(s)"
            )
        )
        for info in entry.models:
            details = [f"{info.size / 1e9:.1f} GB" if info.size else "file size unknown"]
            details += [f"{info.parameter_size} parameters"] if info.parameter_size else []
            details += [info.quantization] if info.quantization else []
            click.echo(printable(f"  {info.name:<40} {', '.join(details)}"))
    if all(entry.error for entry in found):
        raise InfraError("no model server answers: " + "; ".join(e.error or "" for e in found))


@main.command()
@click.argument("run_a", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("run_b", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per model and spec.")
def diff(run_a: Path, run_b: Path, as_json: bool) -> None:
    """Compare two runs per model and spec: mean points with 95% intervals side by side, and
    which differences the intervals support (they do not overlap).

    \b
    Example:
      chorebench diff runs/20261126T090000Z runs/latest
    """
    from tabulate import tabulate

    rows = commands.diff_runs(run_a, run_b)
    if as_json:
        for row in rows:
            click.echo(json.dumps(_diff_json(row)))
        return
    table = [
        [
            md_text(row.model),
            md_text(row.spec + (" (changed)" if row.spec_changed else "")),
            _mean(row.a),
            _mean(row.b),
            md_text(row.verdict),
        ]
        for row in rows
    ]
    headers = ["Model", "Spec", f"A: {md_text(run_a.name)}", f"B: {md_text(run_b.name)}"]
    headers.append("What the data say")
    click.echo(tabulate(table, headers=headers, tablefmt="github", disable_numparse=True))
    click.echo(
        "Means are points out of the spec's maximum, over the repeated runs, with the 95% "
        "interval; (changed): the spec file differs between the runs."
    )


def _mean(row: Any) -> str:
    if row is None:
        return "-"
    interval = (
        f" [{row.ci_low * row.max_points:.1f}-{row.ci_high * row.max_points:.1f}]"
        if row.ci_low is not None
        else ""
    )
    return f"{row.mean_points:.1f}/{row.max_points}{interval} ({len(row.points)} runs)"


def _diff_json(row: Any) -> dict[str, Any]:
    def side(variance: Any) -> dict[str, Any] | None:
        if variance is None:
            return None
        return {
            "mean_points": variance.mean_points,
            "max_points": variance.max_points,
            "ci_low": variance.ci_low,
            "ci_high": variance.ci_high,
            "runs": len(variance.points),
            "keys": list(variance.keys),
        }

    return {
        "model": row.model,
        "spec": row.spec,
        "a": side(row.a),
        "b": side(row.b),
        "verdict": row.verdict,
        "spec_changed": row.spec_changed,
    }
