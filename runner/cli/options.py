"""What every command shares: the group class that turns exceptions into exit codes, the
option types, and the options several commands take."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from runner.errors import ChorebenchError
from runner.settings import MAX_JOBS, RUNTIMES, Settings
from runner.values import printable


class Group(click.Group):
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


class Finite(click.FloatRange):
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


SANDBOX_OPTIONS = {"runtime": runtime_option, "jobs": jobs_option, "sandboxes": sandboxes_option}


def sandbox_settings(*names: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The sandbox options named (default all: --runtime, --jobs, --sandbox), applied.

    The command takes the settings as its first argument (in place of ``click.pass_obj``),
    with every one of those flags the user gave already set on them, and not the flags
    themselves: the one place where how and where candidates run is read from the command line.
    """
    chosen = names or tuple(SANDBOX_OPTIONS)

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(command)
        def applied(settings: Settings, *args: Any, **kwargs: Any) -> Any:
            flags = {name: kwargs.pop(name) for name in chosen}
            return command(settings.with_flags(**flags), *args, **kwargs)

        wrapped = click.pass_obj(applied)
        for name in reversed(chosen):
            wrapped = SANDBOX_OPTIONS[name](wrapped)
        return wrapped

    return decorate


run_dir_argument = click.argument(
    "run_dir", type=click.Path(exists=True, file_okay=False, path_type=Path)
)

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
