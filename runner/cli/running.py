"""Commands that sample models and report: run, bench, report, regrade."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from runner import commands, console
from runner.cli.options import Finite, sandbox_settings
from runner.run import THINK_VALUES, Stop, plans_for
from runner.settings import PROJECT_ROOT, Settings
from runner.values import printable


def _run_options(command: Any) -> Any:
    """The options ``run`` and ``bench`` share; the settings come with the sandbox flags set."""
    command = sandbox_settings()(command)
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
                type=Finite(0, 1),
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
        ]
    ):
        command = option(command)
    return command


@click.command()
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
@click.option("--temperature", type=Finite(0, 2), help="Default 0.2.")
@click.option(
    "--think",
    type=click.Choice(THINK_VALUES, case_sensitive=False),
    help="Sent as given; omitted by default (the server's default).",
)
@click.option("--seed", type=int, help="Sampling seed sent in options.")
@click.option("--num-predict", type=click.IntRange(1), help="Token budget sent in options.")
@click.option("--timeout", "timeout_s", type=Finite(min=0, min_open=True), help="Per request, s.")
@click.option("--concurrency", type=click.IntRange(1, 64), help="Requests in flight per host.")
@click.option(
    "--config",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="JSON config (schemas/bench.schema.json): models with per-model options, and more.",
)
@_run_options
def run(
    settings: Settings,
    config: Path | None,
    quiet: bool,
    verbose: bool,
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
    plans = plans_for(config, flags, settings, tuple(sys.argv))
    settings = commands.configured(config, settings)
    stop = Stop()
    with _stoppable(stop, plans[0].out), console.display(quiet, verbose) as display:
        summaries = commands.run_samples(plans, settings, display, console.log, stop)
    for summary in summaries:
        click.echo(console.summary_text(summary))
    _exit_if_stopped(stop, plans[0].out)
    click.echo(f"next: chorebench report {plans[0].out}")


@click.command()
@click.option(
    "--config",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="JSON config (schemas/bench.schema.json); default bench.json at the repo root.",
)
@_run_options
def bench(
    settings: Settings,
    config: Path | None,
    quiet: bool,
    verbose: bool,
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
    path = config or PROJECT_ROOT / "bench.json"
    out = flags.get("out") or Path("the run directory")
    stop = Stop()
    with _stoppable(stop, out), console.display(quiet, verbose) as display:
        result = commands.bench(path, flags, settings, tuple(sys.argv), display, console.log, stop)
    for summary in result.summaries:
        click.echo(console.summary_text(summary))
    _exit_if_stopped(stop, result.summaries[0].out if result.summaries else out)
    assert result.written is not None  # only a stopped bench has no report
    click.echo(result.written.markdown)
    console.log("wrote " + ", ".join(str(f) for f in result.written.files))


@click.command()
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print report.json instead of markdown.")
@click.option(
    "--hit-at",
    type=Finite(0, 1),
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
    console.log("wrote " + ", ".join(str(f) for f in written.files))


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
            threading.Thread(target=console.log, args=(message,), daemon=True).start()
            return
        raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    except KeyboardInterrupt:
        console.log(f"interrupted: {out} is valid; rerun the same command to resume")
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(128 + (stop.signal or signal.SIGINT))
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _exit_if_stopped(stop: Stop, out: Path) -> None:
    """After a graceful stop: say the run directory is valid, exit 128 + the signal."""
    if stop.signal is not None:
        console.log(f"stopped: {out} is valid; rerun the same command to resume")
        sys.exit(128 + stop.signal)


@click.command()
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@sandbox_settings()
def regrade(
    settings: Settings,
    run_dir: Path,
) -> None:
    """Grade the stored responses of RUN_DIR again (after a spec or grader change).

    \b
    Example:
      chorebench regrade runs/latest && chorebench report runs/latest
    """
    with console.display() as display:
        summary = commands.regrade_run(run_dir, settings, console.log, display)
    click.echo(
        f"{printable(str(run_dir))}: {summary.regraded} regraded, "
        f"{summary.changed} grades changed, {summary.skipped} skipped (no response or unknown spec)"
    )
