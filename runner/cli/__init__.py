"""The ``chorebench`` command line: parse flags, call one library function, print.

Exit codes, fixed here and only here (``options.Group``): 0 done, 1 could not run (engine,
image, server), 2 bad input (a spec, a file, a flag). The commands live by theme: ``grading``
(grade, import, spec fill, check-specs), ``running`` (run, bench, report, regrade), ``look``
(show, specs, models, diff) and ``engine`` (image, sandbox prune); what they print to a
terminal is rendered by ``runner.console``. May import everything.
"""

from __future__ import annotations

import click

from runner import __version__
from runner.cli.engine import image, sandbox
from runner.cli.grading import check_specs, grade, import_, spec
from runner.cli.look import diff, models, show, specs
from runner.cli.options import CONTEXT, Group
from runner.cli.running import bench, regrade, report, run
from runner.settings import Settings

__all__ = ["main"]


@click.group(cls=Group, context_settings=CONTEXT)
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


for _command in (
    *(grade, import_, spec, check_specs),
    *(run, bench, report, regrade),
    *(show, specs, models, diff),
    *(image, sandbox),
):
    main.add_command(_command)
