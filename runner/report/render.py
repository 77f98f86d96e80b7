"""The report laid out, and written: GitHub markdown (tabulate) and one self-contained HTML page.

Both render the same format-free sections (``sections``), so both formats say the same thing.
``write_report`` writes ``report.md``, ``report.json`` and ``report.html`` into the run
directory; the markdown it wrote is what ``chorebench report`` prints.

The page's charts need matplotlib (``pip install 'chorebench[plots]'``); they are inline SVG,
so the file opens with no network. Without matplotlib the page says how to get them.

Every piece of text goes through ``values.printable`` first (no control character, no line
break: nothing a model name, a server's error or a run directory holds can start a row,
forge a line or drive the terminal that ``chorebench report`` prints to); markdown then
escapes table pipes and the start of HTML tags (``md_text``), HTML escapes it (``inline``).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path

from tabulate import tabulate

from runner.report.build import Report
from runner.report.sections import (
    Block,
    Bullets,
    Details,
    Section,
    Table,
    anchor,
    sample_anchor,
    sections,
    summary,
)
from runner.rundir import write_json_atomic, write_text_atomic
from runner.values import printable

REPORT_FILES = ("report.md", "report.json", "report.html")


@dataclass(frozen=True)
class Written:
    """A report, its markdown, and the files it was written to."""

    report: Report
    markdown: str
    files: tuple[Path, ...]


def write_report(report: Report) -> Written:
    """Write ``report.md``, ``report.json`` and ``report.html`` into the run directory."""
    out = report.run_dir
    markdown = render_markdown(report)
    write_text_atomic(out / "report.md", markdown)
    write_json_atomic(out / "report.json", report.to_json())
    write_text_atomic(out / "report.html", render_html(report))
    return Written(report, markdown, tuple(out / name for name in REPORT_FILES))


# Markdown

_TAG = re.compile(r"<(?=[A-Za-z/!?])")  # what starts an HTML tag, comment or directive


def md_text(piece: object) -> str:
    """One piece of the report as inert markdown: printable, pipes and tag openers escaped."""
    return _TAG.sub(r"\\<", printable(str(piece)).replace("|", r"\|"))


def _md_block(block: Block) -> str:
    if isinstance(block, Table):
        rows = [[md_text(cell) for cell in row] for row in block.rows]
        headers = [md_text(header) for header in block.headers]
        return tabulate(rows, headers=headers, tablefmt="github", disable_numparse=True)
    if isinstance(block, Bullets):
        return "\n".join(f"{'  ' * depth}- {md_text(item)}" for depth, item in block.items)
    return md_text(block)


def _md_section(section: Section) -> list[str]:
    lines = [f"{'#' * section.level} {md_text(section.title)}", ""]
    for block in section.blocks:
        if not isinstance(block, Details):  # HTML only: the markdown stays short
            lines += [_md_block(block), ""]
    for child in section.children:
        lines += _md_section(child)
    return lines


def render_markdown(report: Report) -> str:
    """The whole report; each section only when the run has the data for it."""
    lines = [
        f"# chorebench report: {md_text(report.run_dir.name)}",
        "",
        md_text(summary(report)),
        "",
    ]
    for section in sections(report):
        lines += _md_section(section)
    return "\n".join(lines).rstrip() + "\n"


# HTML

_STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 1200px; color: #222;
       padding: 0 1em; }
.table { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; margin: .6em 0 1em; font-size: 13px; }
th, td { border: 1px solid #ccc; padding: .25em .6em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
tr:nth-child(even) td { background: #fafafa; }
code { background: #f3f3f3; padding: 0 .2em; border-radius: 3px; }
.chart svg { width: 100%; height: auto; display: block; }
tr:target td { background: #fff3b0; }
p, li { overflow-wrap: anywhere; }
.missing { color: #8a5a00; background: #fff6e0; padding: .5em .8em; border-radius: 4px; }
"""


def inline(text: str) -> str:
    """``values.printable``, then HTML-escaped, then markdown's inline `code`, **bold** and
    [links](#anchor)."""
    escaped = html.escape(printable(str(text)), quote=False)
    escaped = re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped)
    escaped = re.sub(r"\[([^\]]+)\]\(#([\w-]+)\)", r'<a href="#\2">\1</a>', escaped)
    return re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", escaped)


def _bullets(block: Bullets) -> str:
    out, depth = [], -1
    for level, text in block.items:
        while depth < level:
            out.append("<ul>")
            depth += 1
        while depth > level:
            out.append("</ul>")
            depth -= 1
        out.append(f"<li>{inline(text)}</li>")
    return "".join(out) + "</ul>" * (depth + 1)


def _block(block: Block) -> str:
    if isinstance(block, Table):
        head = "".join(f"<th>{inline(h)}</th>" for h in block.headers)
        body = "".join(
            "<tr>" + "".join(f"<td>{inline(cell)}</td>" for cell in row) + "</tr>"
            for row in block.rows
        )
        table = f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        return f'<div class="table">{table}</div>'
    if isinstance(block, Bullets):
        return _bullets(block)
    if isinstance(block, Details):
        return f"<details><summary>{inline(block.summary)}</summary>{_block(block.table)}</details>"
    return f"<p>{inline(block)}</p>"


def _section(section: Section, charts: dict[str, str]) -> str:
    level = section.level
    parts = [f'<h{level} id="{anchor(section.title)}">{inline(section.title)}</h{level}>']
    if section.spec in charts:
        parts.append(f'<div class="chart">{charts[section.spec]}</div>')
    parts += [_block(block) for block in section.blocks]
    parts += [_section(child, charts) for child in section.children]
    return "\n".join(parts)


def _samples(report: Report) -> str:
    """Every sample, one row each with its anchor: where a chart's dot leads."""
    rows = []
    for sample in report.samples:
        verdict = f"{sample.points}/{sample.max_points}" if sample.counted else "not counted"
        command = f"chorebench show {report.run_dir} {sample.key}"
        cells = [sample.key, sample.model, sample.spec, sample.phase, str(sample.run), verdict]
        row = "".join(f"<td>{html.escape(printable(cell))}</td>" for cell in cells)
        row += f"<td><code>{html.escape(printable(command))}</code></td>"
        anchor = html.escape(sample_anchor(sample.key))  # the key comes from the run directory
        rows.append(f'<tr id="{anchor}">{row}</tr>')
    head = "".join(
        f"<th>{h}</th>" for h in ("Key", "Model", "Spec", "Phase", "Run", "Points", "Look inside")
    )
    return (
        '<h2 id="every-sample">Every sample</h2>\n<p>Each dot of a chart links to its row; '
        "the command shows the raw answer, the extracted code and every check.</p>\n"
        f'<div class="table"><table><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}'
        "</tbody></table></div>"
    )


def render_html(report: Report) -> str:
    """The whole page. Charts are drawn when matplotlib is installed."""
    try:
        from runner.report.charts import spec_charts  # needs matplotlib, an optional extra
    except ImportError:
        charts: dict[str, str] = {}
        notice = (
            '<p class="missing">Charts need matplotlib: <code>pip install '
            "'chorebench[plots]'</code> (<code>make install</code> does it), then "
            "<code>chorebench report DIR</code> again.</p>"
        )
    else:
        charts = spec_charts(report)
        notice = ""
    title = f"chorebench report: {report.run_dir.name}"
    body = "\n".join(_section(section, charts) for section in sections(report))
    body += "\n" + _samples(report)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{inline(title)}</title><style>{_STYLE}</style></head><body>\n"
        f"<h1>{inline(title)}</h1>\n<p>{inline(summary(report))}</p>\n{notice}\n{body}\n"
        "</body></html>\n"
    )
