"""Engine commands: build the grader image, prune the sandbox."""

from __future__ import annotations

import click

from runner import commands, console
from runner.cli.options import sandbox_settings
from runner.sandbox import prune
from runner.settings import Settings
from runner.values import printable


@click.command()
@sandbox_settings("runtime", "sandboxes")
def image(settings: Settings) -> None:
    """Build the grader image if it is missing or stale (shipping it to every engine named),
    and print its tag.

    \b
    Example:
      chorebench image --runtime runsc
    """
    click.echo(commands.build_image(settings, console.log))


@click.group()
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
@sandbox_settings("sandboxes")
def sandbox_prune(settings: Settings, everyone: bool) -> None:
    """Remove chorebench containers of dead runners and runtime-level orphans; list them.

    Every configured engine is pruned (--sandbox, CHOREBENCH_SANDBOXES, else the local one).
    Containers of live runners are never touched. Runtime-level orphans (processes of
    chorebench containers the engine no longer lists, such as a runsc-sandbox after a failed
    start) are swept when the engine runs on this machine; removing them needs root.

    \b
    Example:
      chorebench sandbox prune
    """
    results = prune(settings, everyone=everyone)
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
