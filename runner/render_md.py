"""The report as GitHub markdown (tabulate): what ``chorebench report`` prints and writes.

Every piece of text goes through ``text``: ``values.printable`` (no control character, no
line break: nothing a model name, a server's error or a run directory holds can start a
row, forge a line or drive the terminal that ``chorebench report`` prints to), then table
pipes and the start of HTML tags are escaped, so a cell stays one cell and no tag renders.
"""

from __future__ import annotations

import re

from tabulate import tabulate

from runner.report import Report
from runner.sections import Block, Bullets, Section, Table, sections, summary
from runner.values import printable

_TAG = re.compile(r"<(?=[A-Za-z/!?])")  # what starts an HTML tag, comment or directive


def text(piece: object) -> str:
    """One piece of the report as inert markdown: printable, pipes and tag openers escaped."""
    return _TAG.sub(r"\\<", printable(str(piece)).replace("|", r"\|"))


def _block(block: Block) -> str:
    if isinstance(block, Table):
        rows = [[text(cell) for cell in row] for row in block.rows]
        headers = [text(header) for header in block.headers]
        return tabulate(rows, headers=headers, tablefmt="github", disable_numparse=True)
    if isinstance(block, Bullets):
        return "\n".join(f"{'  ' * depth}- {text(item)}" for depth, item in block.items)
    return text(block)


def _section(section: Section) -> list[str]:
    lines = [f"{'#' * section.level} {text(section.title)}", ""]
    for block in section.blocks:
        lines += [_block(block), ""]
    for child in section.children:
        lines += _section(child)
    return lines


def render_markdown(report: Report) -> str:
    """The whole report; each section only when the run has the data for it."""
    lines = [f"# chorebench report: {text(report.run_dir.name)}", "", text(summary(report)), ""]
    for section in sections(report):
        lines += _section(section)
    return "\n".join(lines).rstrip() + "\n"
