"""The report room: a run directory in, the answer out. Pure but for reading and writing files.

Owns the statistics (``stats``: intervals, stability labels, pass@k), the tables and the words
under them (``tables``, ``findings``), the routing rules (``routing``), the report itself
(``build``: ``build_report`` reads ``manifest.json`` and ``samples.jsonl`` only), its
format-free sections (``sections``), the charts (``charts``, matplotlib) and the one render
module for markdown and HTML that also writes the files (``render``: ``write_report``).

May import: ``runner.errors``, ``runner.records``, ``runner.settings``, ``runner.rundir``,
``runner.values`` (``printable``: untrusted text shown inert). No other room: a report never
needs a server, a container or a grader.
"""

from runner.report.build import HIT_RULE, Report, build_report
from runner.report.render import (
    REPORT_FILES,
    Written,
    md_text,
    render_html,
    render_markdown,
    write_report,
)
from runner.report.stats import intervals_overlap
from runner.report.tables import VarianceRow

__all__ = [
    "HIT_RULE",
    "REPORT_FILES",
    "Report",
    "VarianceRow",
    "Written",
    "build_report",
    "intervals_overlap",
    "md_text",
    "render_html",
    "render_markdown",
    "write_report",
]
