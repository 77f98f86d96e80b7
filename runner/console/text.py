"""Grades, samples, run summaries and run comparisons as text for a terminal.

Every field that is not chorebench's own goes through ``printable``: a model's answer, a
candidate's exception, a model or host name must not forge a line or drive the terminal.
"""

from __future__ import annotations

from typing import Any

from runner.records import Extraction, Grade
from runner.rundir import SampleRecord
from runner.values import printable


def grade_text(grade: Grade, failures_only: bool = False) -> str:
    """A grade as lines: the score, the violations and diagnostics, then each check.

    Every field that is not chorebench's own goes through ``printable``: a candidate's
    exception or type name must not forge a line or drive the terminal.
    """
    lines = []
    if not failures_only:
        lines.append(
            f"{printable(grade.spec)}: {grade.points}/{grade.max_points} points, "
            f"score {grade.score:.3f}, strict {grade.strict_score:.3f}, "
            + ("compliant" if grade.compliant else "not compliant")
        )
        for kind, notes in (("violation", grade.violations), ("diagnostic", grade.diagnostics)):
            for note in notes:
                where = f" (line {note.line})" if note.line else ""
                lines.append(f"  {kind} {printable(note.rule)}{where}: {printable(note.detail)}")
    if grade.error:
        lines.append(f"  error: {printable(grade.error)}")
    for check in grade.checks:
        if failures_only and check.passed:
            continue
        mark = "pass" if check.passed else "FAIL"
        case = printable(check.case)
        lines.append(f"  {mark} {case:<24} {check.outcome.value:<14} {printable(check.detail)}")
    return "\n".join(lines)


def sample_text(record: SampleRecord, extraction: Extraction) -> str:
    """One stored sample whole: who and how, its grade, response, thinking and extracted code."""
    think = "default" if record.think is None else str(record.think).lower()
    lines = [
        printable(
            f"sample {record.key}: {record.model} on {record.spec}, {record.phase} run "
            f"{record.run} (temperature {record.temperature}, think {think})"
        ),
        printable(
            f"host {record.host}, "
            + (f"{record.wall_s:.1f} s, " if record.wall_s is not None else "")
            + f"{record.eval_count} tokens, done: {record.done_reason}"
            + (" (out of budget)" if record.out_of_budget else "")
            + (" THINKING TRAP" if record.thinking_trap else "")
        ),
    ]
    if record.error:
        lines.append(
            printable(f"error: {record.error} (not counted: the server failed, not the model)")
        )
    if record.grade is not None:
        lines.append(grade_text(record.grade))
    lines.append(block_text("response", record.response))
    if record.thinking:
        lines.append(block_text("thinking", record.thinking))
    fences = f", {extraction.fenced_blocks} fenced block(s)" if extraction.fenced_blocks else ""
    prose = f", {len(extraction.prose)} stretch(es) of prose" if extraction.prose else ""
    lines.append(block_text(f"extracted code{fences}{prose}", extraction.code))
    return "\n".join(lines)


def block_text(title: str, body: str) -> str:
    """A model's text, line by line through ``printable`` (its line breaks kept, nothing else)."""
    size = len(body.encode("utf-8", "surrogatepass"))
    lines = [f"--- {printable(title)} ({size} bytes)"]
    if body:
        lines.append("\n".join(printable(line) for line in body.rstrip("\n").split("\n")))
    return "\n".join(lines)


def summary_text(summary: Any) -> str:
    """A phase of a run (a ``runner.run.RunSummary``) in one line."""
    down = f"; hosts down: {', '.join(summary.hosts_down)}" if summary.hosts_down else ""
    return printable(
        f"{summary.phase}: {summary.collected} collected, {summary.skipped} already there, "
        f"{summary.failed} failed{down}"
        + (f"; {summary.left} left for a resume" if summary.left else "")
    )


def mean_text(row: Any) -> str:
    """One side of a run comparison (a ``runner.report.VarianceRow``, or None): mean points,
    the 95% interval in points, the number of runs."""
    if row is None:
        return "-"
    interval = (
        f" [{row.ci_low * row.max_points:.1f}-{row.ci_high * row.max_points:.1f}]"
        if row.ci_low is not None
        else ""
    )
    return f"{row.mean_points:.1f}/{row.max_points}{interval} ({len(row.points)} runs)"


def diff_json(row: Any) -> dict[str, Any]:
    """A run comparison row (``runner.commands.DiffRow``) as ``diff --json`` prints it."""

    def side(variance: Any) -> dict[str, Any] | None:
        if variance is None:
            return None
        return {
            "mean_points": variance.mean_points,
            "max_points": variance.max_points,
            "ci_low": variance.ci_low,
            "ci_high": variance.ci_high,
            "runs": len(variance.points),
            "keys": list(variance.keys),
        }

    return {
        "model": row.model,
        "spec": row.spec,
        "a": side(row.a),
        "b": side(row.b),
        "verdict": row.verdict,
        "spec_changed": row.spec_changed,
    }
