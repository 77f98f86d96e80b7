"""The report's sections as format-free blocks: paragraphs, tables and bullet lists.

``render`` only lays these out, in markdown and in HTML, so both formats say the same thing.
Text may use markdown's inline `code` and **bold**; nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from runner.report import stats
from runner.report.build import HIT_RULE, Report
from runner.report.routing import ROUTING_RULE, RoutingRow, gigabytes
from runner.report.tables import BestOfRow, VarianceRow


def model_label(model: str, think: Any) -> str:
    """The model as the write-up wrote it: the think setting beside the name when one was sent."""
    if think is None:
        return model
    return f"{model} (`think:{str(think).lower()}`)"


def points(value: int, maximum: int) -> str:
    return ("yes" if value else "no") if maximum == 1 else f"{value}/{maximum}"


@dataclass(frozen=True)
class Table:
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Bullets:
    items: tuple[tuple[int, str], ...]  # (depth, text)


Block = str | Table | Bullets


@dataclass(frozen=True)
class Section:
    title: str
    blocks: tuple[Block, ...]
    spec: str | None = None  # a per-spec subsection: the chart of that spec goes here
    level: int = 2
    children: tuple[Section, ...] = field(default=())


def _table(rows: Sequence[Sequence[Any]], headers: Sequence[str]) -> Table:
    return Table(tuple(headers), tuple(tuple(str(cell) for cell in row) for row in rows))


def _notes(notes: Sequence[str]) -> list[Block]:
    return [Bullets(tuple((0, note) for note in notes))] if notes else []


def ranking_section(report: Report) -> Section | None:
    if not report.ranking:
        return None
    rows = [
        [
            row.rank,
            model_label(row.model, row.think),
            gigabytes(row.size_bytes),
            *[
                points(row.cells[s].points, row.cells[s].max_points) if s in row.cells else "-"
                for s in report.specs
            ],
            f"{row.score:.3f}",
            f"{row.mean_all_runs:.3f}",
        ]
        for row in report.ranking
    ]
    headers = ["#", "Model", "Size", *report.specs, "Score (run 1)", "Mean over runs"]
    return Section(
        "Single-shot ranking",
        (
            "Each spec's score is normalized to [0,1] and averaged over specs, from the first "
            "run only, as a single-shot benchmark would. The last column is the same average "
            "over every run.",
            _table(rows, headers),
            *_notes(report.ranking_notes),
        ),
    )


def _interval(row: VarianceRow) -> str:
    if row.ci_low is None or row.ci_high is None:
        return "-"
    return f"{row.ci_low * row.max_points:.1f}-{row.ci_high * row.max_points:.1f}"


def _stability(row: VarianceRow) -> str:
    label = f"{row.stability} x {len(row.points)}" if row.stability == "perfect" else row.stability
    return f"{label}, byte-stable" if row.byte_stable else label


def variance_section(report: Report) -> Section | None:
    if not report.variance:
        return None
    children = []
    for spec in report.specs:
        rows = [r for r in report.variance if r.spec == spec]
        if not rows:
            continue
        width = max(len(r.points) for r in rows)
        table = [
            [
                model_label(r.model, r.think),
                *[points(p, r.max_points) for p in r.points],
                *[""] * (width - len(r.points)),
                f"{r.mean_points:.1f}",
                r.min_points,
                r.max_points_seen,
                f"{r.sd_points:.2f}",
                _interval(r),
                r.distinct_responses,
                _stability(r),
            ]
            for r in rows
        ]
        headers = ["Model", *[f"Run {i}" for i in range(1, width + 1)]]
        headers += ["Mean", "Min", "Max", "SD", "95% CI", "Distinct", "Stability"]
        blocks = (_table(table, headers), *_notes(report.variance_notes[spec]))
        children.append(Section(spec, blocks, spec=spec, level=3))
    return Section(
        "Variance per spec",
        (f"{stats.CI_METHOD} Distinct counts different responses (by hash).",),
        children=tuple(children),
    )


def compliance_section(report: Report) -> Section | None:
    if not report.compliance:
        return None
    rows = [
        [
            r.model,
            r.spec,
            r.runs,
            *[
                f"{count}/{r.runs}"
                for count in (r.fences, r.prose, r.module_import, r.forbidden, r.broken)
            ],
            f"{r.compliant_runs}/{r.runs}",
            f"{r.lenient:.3f}",
            f"{r.strict:.3f}",
        ]
        for r in report.compliance
    ]
    headers = ["Model", "Spec", "Runs", "Fences", "Prose", "Module imports", "Forbidden"]
    headers += ["No code", "Compliant", "Lenient", "Strict"]
    return Section(
        "Compliance",
        (
            "Runs that broke each constraint of the prompt. Lenient scores the code after "
            "fences and prose are stripped (as the write-up's verifier did); strict scores a run "
            "that broke any constraint as 0.",
            _table(rows, headers),
        ),
    )


def thinking_section(report: Report) -> Section | None:
    if not report.thinking:
        return None
    rows = [
        [
            model_label(r.model, r.think),
            "default" if r.think is None else str(r.think).lower(),
            r.samples,
            f"{r.wall_s_median:.1f} s" if r.wall_s_median is not None else "-",
            f"{r.wall_s_total:.0f} s",
            f"{r.response_bytes_median:.0f}",
            f"{r.thinking_bytes_median:.0f} / {r.thinking_bytes_max}",
            f"{r.traps}/{r.samples}",
            f"{r.out_of_budget}/{r.samples}",
        ]
        for r in report.thinking
    ]
    headers = ["Model", "think", "Samples", "Median wall", "Total wall", "Response bytes"]
    headers += ["Thinking bytes (median / max)", "Thinking trap", "Out of budget"]
    advice = [f"{r.model}: {r.advice}" for r in report.thinking if r.advice]
    return Section(
        "Thinking",
        (
            "A thinking trap is an answer whose `response` is empty while its `thinking` is "
            "filled. Bytes are medians per sample.",
            _table(rows, headers),
            *_notes(advice),
        ),
    )


def _pass_curve(values: Sequence[float]) -> str:
    return " ".join(f"{v:.2f}" for v in values)


def _best_row(r: BestOfRow) -> list[Any]:
    return [
        model_label(r.model, r.think),
        r.spec,
        ", ".join(str(p) for p in r.scores),
        f"**{r.best_points}/{r.max_points}**",
        f"{r.hits}/{r.n} ({r.hit_rate:.0%}) >= {r.hit_points}/{r.max_points}",
        r.distinct_responses,
        f"{r.wall_s_total:.0f} s",
        gigabytes(r.size_bytes),
    ]


def best_of_section(report: Report) -> Section | None:
    if not report.best_of:
        return None
    first = report.best_of[0]
    headers = ["Model", "Spec", "Run scores (best to worst)", f"Best-of-{first.n}"]
    headers += ["Hit rate", "Distinct", "Wall time", "Size"]
    curves = [
        [r.model, r.spec, _pass_curve(r.pass_at_k), _pass_curve(r.pass_hat_k)]
        for r in report.best_of
    ]
    return Section(
        "Best-of-N with the verifier",
        (
            f"{first.n} samples per model and spec at temperature {first.temperature}; the "
            f"verifier keeps the best. {HIT_RULE.format(hit_at=report.hit_at)}",
            _table([_best_row(r) for r in report.best_of], headers),
            _table(curves, ["Model", "Spec", "pass@k, k = 1..N", "pass^k, k = 1..N"]),
        ),
    )


def routing_items(rule: RoutingRow) -> list[tuple[int, str]]:
    """One family's routing rule as (depth, text) bullets."""
    where = ", ".join(rule.specs)
    if rule.recommended is None:
        items = [(0, f"**{rule.family}** ({where}): no model to recommend: {rule.reason}")]
    else:
        items = [(0, f"**{rule.family}** ({where}): use `{rule.recommended}`: {rule.reason}")]
    if rule.runner_up:
        items.append((1, f"runner-up `{rule.runner_up}`: {rule.runner_up_reason}"))
    items += [(1, f"skip `{skip.model}`: {skip.why}") for skip in rule.skip]
    if rule.mini:
        items.append((1, f"mini tier `{rule.mini.model}`: {rule.mini.reason}"))
    items += [(1, f"note: {note}") for note in rule.notes]
    return items


def routing_section(report: Report) -> Section | None:
    if not report.routing:
        return None
    items = [item for rule in report.routing for item in routing_items(rule)]
    return Section("Routing rules", (Bullets(tuple(items)), f"The rule: {ROUTING_RULE}"))


def summary(report: Report) -> str:
    """The paragraph under the title: what the run was."""
    manifest = report.manifest
    phases = ", ".join(
        f"{name} ({phase.get('runs')} per model and spec at temperature {phase.get('temperature')})"
        for name, phase in sorted(manifest.get("phases", {}).items(), key=lambda p: p[0] != "runs")
    )
    image = manifest.get("grader_image", {})
    return (
        f"{len(report.models)} model(s), {len(report.specs)} spec(s), {len(report.samples)} "
        f"sample(s), {report.not_counted} not counted (server or sandbox failures). Phases: "
        f"{phases or 'none recorded'}. Started {manifest.get('started_at')}, status "
        f"{manifest.get('status')}. Grader image `{image.get('id')}` under "
        f"{image.get('runtime')}."
    )


def sections(report: Report) -> list[Section]:
    """Every section the run has data for, in the report's order."""
    built = [
        ranking_section(report),
        variance_section(report),
        compliance_section(report),
        thinking_section(report),
        best_of_section(report),
        routing_section(report),
        Section("How the labels are decided", (stats.STABILITY_RULE,)),
    ]
    return [section for section in built if section is not None]
