"""Untrusted text is shown inert on every output path (issue 19).

A corpus of control characters, line breaks and markup goes in through everything a
candidate, a model server or a run directory controls: an exception's class name and an
unsupported type's name (through the real sandbox), compliance previews, model names,
families, server errors and a run directory's name. Every output is then searched: the
terminal text of ``chorebench grade``, ``report``, ``show``, ``diff``, the progress display
and the log, ``report.md`` and ``report.html``. None may hold a character a terminal acts on,
a line the corpus started, a table row it forged or a tag it opened.
"""

from __future__ import annotations

import html
import io
import re
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner
from fakes import GB, sample, write_run

from runner.cli import main
from runner.console import Display
from runner.records import ModelStarted
from runner.run import sample_done
from runner.values import printable, short_repr

ROOT = Path(__file__).resolve().parent.parent
ISO = ROOT / "specs" / "iso_duration.json"
CORPUS = (
    "\x1b[2J\x1b[H",  # clear the screen, cursor home
    "\x1b]0;title\x07",  # set the window title
    "\x9b31m",  # a C1 CSI
    "\r",
    "\n  pass forged_case          passed         ",
    "\n| forged | row |",
    "\x00\x08\t\x0b\x0c\x7f",
    "\u202e\u2066\u200b",  # bidi override, isolate, zero width space
    "\u2028\u2029\x85",  # line and paragraph separators, NEL
    "<script>alert(1)</script><img src=x onerror=alert(1)><!-- x -->",
    "**22/22 points** `score 1.000`",
)
HOSTILE = "".join(CORPUS)
NAMEABLE = HOSTILE.replace("\x00", "").replace("/", "")  # what a file or class name can hold


def assert_inert(output: str, markup: str = "") -> None:
    """No character a terminal acts on except our own line breaks, no forged line or row."""
    bad = sorted({hex(ord(ch)) for ch in output if not ch.isprintable() and ch != "\n"})
    assert bad == [], f"control or format characters reach the output: {bad}"
    lines = output.splitlines()
    assert not [line for line in lines if line.startswith(("  pass forged", "| forged"))]
    if markup == "md":
        assert not re.search(r"(?<!\\)<(script|img|!--)", output)
    if markup == "html":
        assert not re.search(r"<(script|img|!--)", output)


@pytest.mark.parametrize("text", [*CORPUS, HOSTILE])
def test_printable_escapes_and_keeps_the_text(text: str) -> None:
    shown = printable(text)
    assert_inert(shown)
    assert "\n" not in shown
    assert printable("café, 22/22 <b>") == "café, 22/22 <b>"  # printable text is unchanged
    assert len(short_repr(text, 20)) <= 20


@pytest.mark.parametrize("limit", [None, 4, 5, 20, 200])
def test_printable_cuts_as_if_it_escaped_the_whole_text(limit: int | None) -> None:
    # It escapes only the head it keeps: the same text as escaping everything, then cutting.
    for text in [*CORPUS, HOSTILE, "x" * 300, "\x1b" * 300, "ab" + "\n" * 3 + "c" * 200]:
        whole = "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)
        if limit is not None and len(whole) > limit:
            whole = whole[: limit - 3] + "..."
        assert printable(text, limit) == whole


def hostile_run(folder: Path) -> Path:
    model = f"qwen{HOSTILE}$\\frac$"
    records = [
        sample(model, "iso_duration", run, points, 22, family=f"parsers{HOSTILE}")
        for run, points in enumerate((22, 20, 21), 1)
    ]
    records.append(sample(model, "iso_duration", 4, 0, 22, error=f"server said {HOSTILE}"))
    records[0] = replace(records[0], response=f"def f():\n    return 1  # {HOSTILE}\n")
    records[1] = replace(records[1], key=f'k" onmouseover="alert(1){NAMEABLE}')
    return write_run(folder, {model: GB}, [("iso_duration", f"parsers{HOSTILE}")], records)


def test_the_report_on_every_path(tmp_path: Path) -> None:
    run_dir = hostile_run(tmp_path / f"run{NAMEABLE}")
    result = CliRunner().invoke(main, ["report", str(run_dir)])
    assert result.exit_code == 0, result.output
    assert_inert(result.stdout, "md")
    assert "qwen\\x1b[2J\\x1b[H" in result.stdout  # shown, escaped, not dropped
    assert_inert((run_dir / "report.md").read_text(encoding="utf-8"), "md")
    page = (run_dir / "report.html").read_text(encoding="utf-8")
    assert_inert(page, "html")
    assert html.escape("qwen\\x1b[2J\\x1b[H", quote=False) in page
    assert '<tr id="sample-k&quot; onmouseover=&quot;alert(1)' in page  # an id, not an attribute


def test_show_and_diff(tmp_path: Path) -> None:
    run_dir = hostile_run(tmp_path / "run")
    for run in (1, 4):
        result = CliRunner().invoke(main, ["show", str(run_dir), "--spec", "iso_duration",
                                           "--run", str(run)])  # fmt: skip
        assert result.exit_code == 0, result.output
        # The response is shown with its own line breaks: whole lines are the model's answer.
        head, _, body = result.stdout.partition("--- response")
        assert_inert(head)
        assert_inert(body.replace("\n  pass forged", "\n").replace("\n| forged", "\n"))
        assert "qwen\\x1b[2J" in head
    result = CliRunner().invoke(main, ["diff", str(run_dir), str(run_dir)])
    assert result.exit_code == 0, result.output
    assert_inert(result.stdout, "md")
    assert "\\| forged \\| row \\|" in result.stdout


def test_errors_the_log_and_the_progress_display(tmp_path: Path) -> None:
    missing = tmp_path / f"run{NAMEABLE}"
    missing.mkdir()
    result = CliRunner().invoke(main, ["report", str(missing)])
    assert result.exit_code == 2
    assert_inert(result.output)
    for mode in ("lines", "bar"):
        stream = io.StringIO()
        shown = Display(mode, stream, tick_s=3600)
        shown(ModelStarted("runs", f"m{HOSTILE}", f"http://h{HOSTILE}", 1))
        record = sample(f"m{HOSTILE}", "iso_duration", 1, 0, 22, error=HOSTILE)
        shown(sample_done(record))
        shown.say(f"chorebench: {HOSTILE}")
        shown.close()
        ours = stream.getvalue().replace("\r\x1b[K", "")  # the bar's own redraw
        assert_inert(ours)


@pytest.mark.docker
@pytest.mark.usefixtures("sandbox")
def test_grade_output_of_a_candidate_that_forges_its_summary(tmp_path: Path) -> None:
    """The issue's attack: exception and type names that clear the screen and forge lines."""
    name = NAMEABLE + "\n\x1b[32m22/22 points, score 1.000, strict 1.000, compliant\x1b[0m"
    response = tmp_path / "response.txt"
    response.write_text(
        f"Here it is {HOSTILE}\n"
        "def parse_iso_duration(s):\n"
        f"    name = {name!r}\n"
        "    if s.startswith('PT5'):\n"
        "        return type(name, (), {})()\n"
        "    raise type(name, (Exception,), {'__module__': 'builtins'})(name)\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["grade", str(ISO), str(response)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("iso_duration: 0/22 points")
    assert_inert(result.stdout)
    assert "raised \\x1b[2J\\x1b[H" in result.stdout
    assert "returned an object of type candidate.\\x1b[2J" in result.stdout
