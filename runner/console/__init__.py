"""The console: chorebench's rendering for a terminal.

Owns the live progress display (``Display``, fed the progress events of ``runner.records``;
``display`` and ``log`` for the length of a command) and the text the look commands print
(grades, samples, run summaries, run comparisons). Candidate text (model answers, exception
and type names, model and host names, run directories) always goes through
``runner.values.printable`` / ``short_repr`` before it reaches the terminal.

May import: ``runner.errors``, ``runner.caps``, ``runner.records``, ``runner.values``,
``runner.rundir`` and click; no room.
"""

from runner.console.progress import WAIT_NOTICE_S, WAIT_REPEAT_S, Display, clock, display, log
from runner.console.text import (
    diff_json,
    grade_text,
    mean_text,
    sample_text,
    summary_text,
)

__all__ = [
    "WAIT_NOTICE_S",
    "WAIT_REPEAT_S",
    "Display",
    "clock",
    "diff_json",
    "display",
    "grade_text",
    "log",
    "mean_text",
    "sample_text",
    "summary_text",
]
