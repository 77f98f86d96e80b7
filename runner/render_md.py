"""The report as GitHub markdown (tabulate): what ``chorebench report`` prints and writes."""

from __future__ import annotations

from tabulate import tabulate

from runner.report import Report
from runner.sections import Block, Bullets, Section, Table, sections, summary


def _block(block: Block) -> str:
    if isinstance(block, Table):
        return tabulate(
            list(block.rows), headers=list(block.headers), tablefmt="github", disable_numparse=True
        )
    if isinstance(block, Bullets):
        return "\n".join(f"{'  ' * depth}- {text}" for depth, text in block.items)
    return block


def _section(section: Section) -> list[str]:
    lines = [f"{'#' * section.level} {section.title}", ""]
    for block in section.blocks:
        lines += [_block(block), ""]
    for child in section.children:
        lines += _section(child)
    return lines


def render_markdown(report: Report) -> str:
    """The whole report; each section only when the run has the data for it."""
    lines = [f"# chorebench report: {report.run_dir.name}", "", summary(report), ""]
    for section in sections(report):
        lines += _section(section)
    return "\n".join(lines).rstrip() + "\n"
