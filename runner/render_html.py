"""``report.html``: the report's tables and a chart per spec, in one self-contained file.

Charts need matplotlib (``pip install 'chorebench[plots]'``); they are inline SVG, so the file
opens with no network. Without matplotlib the page says how to get them.
"""

from __future__ import annotations

import html
import re

from runner.report import Report
from runner.sections import Block, Bullets, Section, Table, sections, summary
from runner.values import printable

_STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 1200px; color: #222; }
table { border-collapse: collapse; margin: .6em 0 1em; font-size: 13px; }
th, td { border: 1px solid #ccc; padding: .25em .6em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
tr:nth-child(even) td { background: #fafafa; }
code { background: #f3f3f3; padding: 0 .2em; border-radius: 3px; }
.chart svg { max-width: 100%; height: auto; }
.missing { color: #8a5a00; background: #fff6e0; padding: .5em .8em; border-radius: 4px; }
"""


def inline(text: str) -> str:
    """``values.printable``, then HTML-escaped, then markdown's inline `code` and **bold**."""
    escaped = html.escape(printable(str(text)))
    escaped = re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped)
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
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    if isinstance(block, Bullets):
        return _bullets(block)
    return f"<p>{inline(block)}</p>"


def _section(section: Section, charts: dict[str, str]) -> str:
    parts = [f"<h{section.level}>{inline(section.title)}</h{section.level}>"]
    if section.spec in charts:
        parts.append(f'<div class="chart">{charts[section.spec]}</div>')
    parts += [_block(block) for block in section.blocks]
    parts += [_section(child, charts) for child in section.children]
    return "\n".join(parts)


def render_html(report: Report) -> str:
    """The whole page. Charts are drawn when matplotlib is installed."""
    try:
        from runner.charts import spec_charts
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
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{inline(title)}</title><style>{_STYLE}</style></head><body>\n"
        f"<h1>{inline(title)}</h1>\n<p>{inline(summary(report))}</p>\n{notice}\n{body}\n"
        "</body></html>\n"
    )
