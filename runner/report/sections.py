"""The report's sections as format-free blocks: paragraphs, tables and bullet lists.

``render`` only lays these out, in markdown and in HTML, so both formats say the same thing.
Text may use markdown's inline `code`, **bold** and [links](#anchor); nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from runner.report import stats
from runner.report.build import HIT_RULE, LEFT_OUT_RULE, Report
from runner.report.routing import ROUTING_RULE, RoutingRow, gigabytes
from runner.report.suites import SUITE_CI
from runner.report.tables import BestOfRow, VarianceRow
from runner.values import printable


def model_label(model: str, think: Any) -> str:
    """The model as the write-up wrote it: the think setting beside the name when one was sent."""
    if think is None:
        return model
    return f"{model} (`think:{str(think).lower()}`)"


def points(value: float, maximum: int, digits: int = 0) -> str:
    """Points as the report writes them everywhere: ``k/max`` (``0/1``, never ``no``)."""
    return f"{value:.{digits}f}/{maximum}"


def anchor(title: str) -> str:
    """The heading's anchor, as GitHub makes it: lower case, punctuation dropped, spaces to -."""
    kept = "".join(c for c in title.lower() if c.isalnum() or c in " -_")
    return kept.replace(" ", "-")


def size_text(report: Report, model: str, size: int | None) -> str:
    """The model's size on disk; its parameter count when the server gave no file size."""
    if size:
        return gigabytes(size)
    parameters = (report.manifest.get("models", {}).get(model) or {}).get("parameter_size")
    return f"{parameters} parameters" if parameters else gigabytes(size)


def sample_anchor(key: str) -> str:
    """The anchor of a sample's row in ``report.html`` (the charts' dots link there).

    The key comes from the run directory: ``printable`` here, escaped where it is written.
    """
    return f"sample-{printable(key)}"


def _floor_text(report: Report, spec: str) -> str | None:
    floor = report.floors.get(spec)
    if floor is None:
        return None
    text = (
        f"Floor {points(floor.points, floor.max_points)} ({floor.score:.2f}), earned by a "
        f"trivial answer ({floor.candidate})"
    )
    return text + (": a score near it says nothing about the model." if floor.high else ".")


@dataclass(frozen=True)
class Table:
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Bullets:
    items: tuple[tuple[int, str], ...]  # (depth, text)


@dataclass(frozen=True)
class Details:
    """A long table only the HTML shows, folded under its summary (the markdown omits it)."""

    summary: str
    table: Table


Block = str | Table | Bullets | Details


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
    shared = [row.rank for row in report.ranking]
    rows = [
        [
            f"{row.rank}=" if shared.count(row.rank) > 1 else row.rank,
            model_label(row.model, row.think),
            size_text(report, row.model, row.size_bytes),
            *[
                points(row.cells[s].points, row.cells[s].max_points) if s in row.cells else "-"
                for s in report.detail_specs
            ],
            f"{row.score:.3f}",
            f"{row.mean_all_runs:.3f}",
        ]
        for row in report.ranking
    ]
    if report.floors:
        floors = [report.floors.get(spec) for spec in report.detail_specs]
        cells = [points(f.points, f.max_points) if f else "-" for f in floors]
        rows.append(["", "(floor: best trivial answer)", "", *cells, "", ""])
    headers = ["#", "Model", "Size", *report.detail_specs, "Score (run 1)", "Mean over runs"]
    return Section(
        "Single-shot ranking",
        (
            (
                "Spec columns are run 1's points out of the spec's maximum (k/max). "
                if report.detail_specs
                else "Every spec is a suite task: per-task figures are under Standard suites. "
            )
            + "The two score columns are fractions from 0 to 1: each spec's points over its "
            "maximum, averaged over specs, from run 1 only (as a single-shot benchmark would), "
            "then over every run. Equal figures share a rank (`1=`)."
            + (
                " The floor row is what a trivial answer earns on each spec."
                if report.floors
                else ""
            ),
            _table(rows, headers),
            *_notes(report.ranking_notes),
        ),
    )


def _interval(row: VarianceRow) -> str:
    if row.ci_low is None or row.ci_high is None:
        return "-"
    return f"{row.ci_low * row.max_points:.1f}-{row.ci_high * row.max_points:.1f}/{row.max_points}"


def _stability(row: VarianceRow) -> str:
    label = f"{row.stability} x {len(row.points)}" if row.stability == "perfect" else row.stability
    return f"{label}, byte-stable" if row.byte_stable else label


def variance_section(report: Report) -> Section | None:
    if not report.variance:
        return None
    children = []
    for spec in report.detail_specs:
        rows = [r for r in report.variance if r.spec == spec]
        if not rows:
            continue
        width = max(len(r.points) for r in rows)
        table = [
            [
                model_label(r.model, r.think),
                *[points(p, r.max_points) for p in r.points],
                *[""] * (width - len(r.points)),
                points(r.mean_points, r.max_points, 1),
                points(r.min_points, r.max_points),
                points(r.max_points_seen, r.max_points),
                f"{r.sd_points:.2f}",
                _interval(r),
                r.distinct_responses,
                _stability(r),
            ]
            for r in rows
        ]
        headers = ["Model", *[f"Run {i}" for i in range(1, width + 1)]]
        headers += ["Mean", "Min", "Max", "SD (points)", "95% CI", "Distinct", "Stability"]
        floor = _floor_text(report, spec)
        blocks = (
            *([floor] if floor else []),
            _table(table, headers),
            *_notes(report.variance_notes[spec]),
        )
        children.append(Section(spec, blocks, spec=spec, level=3))
    if not children:  # only suite tasks: their detail is in the suites section
        return None
    return Section(
        "Variance per spec",
        (
            "Every figure is in points out of the spec's maximum (k/max): each run, the mean, "
            "the lowest and highest run, the standard deviation, and the 95% interval (computed "
            f"on the score fraction, shown here in points). {stats.CI_METHOD} Distinct counts "
            "different responses (by hash).",
        ),
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
                for count in (
                    r.fences,
                    r.prose,
                    r.module_import,
                    r.forbidden,
                    r.empty,
                    r.syntax_error,
                    r.entry_point_missing,
                )
            ],
            f"{r.compliant_runs}/{r.runs}",
            f"{r.lenient:.3f}",
            f"{r.strict:.3f}",
        ]
        for r in report.compliance
        if r.spec not in report.suite_specs
    ]
    if not rows:  # only suite tasks: their rows are in report.json (compliance)
        return None
    headers = ["Model", "Spec", "Runs", "Fences", "Prose", "Module imports", "Forbidden"]
    headers += ["Empty", "Syntax error", "No entry point", "Compliant", "Lenient", "Strict"]
    return Section(
        "Compliance",
        (
            "Runs that broke each constraint of the prompt, out of the runs counted. Three "
            "columns are runs with no code to run: the answer was empty, its code did not "
            "parse, or it defined no function of the entry point's name. Lenient and strict "
            "are fractions from 0 to 1: lenient scores the code after fences and prose are "
            "stripped (as the write-up's verifier did); strict scores a run that broke any "
            "constraint as 0.",
            _table(rows, headers),
        ),
    )


def thinking_section(report: Report) -> Section | None:
    """Only when some model thought (or ran out of its token budget): else it says nothing."""
    if not any(r.thinking_bytes_max or r.traps or r.out_of_budget for r in report.thinking):
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
            "filled. Bytes are medians per sample; trap and budget columns count samples.",
            _table(rows, headers),
            *_notes(advice),
        ),
    )


def _pass_curve(values: Sequence[float]) -> str:
    return " ".join(f"{v:.2f}" for v in values)


def _best_row(report: Report, r: BestOfRow) -> list[Any]:
    return [
        model_label(r.model, r.think),
        r.spec,
        ", ".join(points(p, r.max_points) for p in r.scores),
        f"**{points(r.best_points, r.max_points)}**",
        f"{r.hits}/{r.n} ({r.hit_rate:.2f}) at >= {points(r.hit_points, r.max_points)}",
        r.distinct_responses,
        f"{r.wall_s_total:.0f} s",
        size_text(report, r.model, r.size_bytes),
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
            "verifier keeps the best. Scores are points (k/max); the hit rate, pass@k and "
            f"pass^k are fractions from 0 to 1. {HIT_RULE.format(hit_at=report.hit_at)}",
            _table([_best_row(report, r) for r in report.best_of], headers),
            _table(curves, ["Model", "Spec", "pass@k, k = 1..N", "pass^k, k = 1..N"]),
        ),
    )


def routing_items(rule: RoutingRow) -> list[tuple[int, str]]:
    """One family's routing rule as (depth, text) bullets."""
    where = spec_list(rule.specs)
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


def _pass(value: float, low: float | None, high: float | None) -> str:
    interval = f" [{low:.3f}, {high:.3f}]" if low is not None and high is not None else ""
    return f"{value:.3f}{interval}"


def suites_section(report: Report) -> Section | None:
    """Standard suites: pass@1 per model and suite; the tasks one by one only in the HTML."""
    if not report.suites:
        return None
    rows = [
        [
            model_label(r.model, r.think),
            r.family,
            r.tasks,
            _pass(r.base, r.base_low, r.base_high),
            _pass(r.base_plus, r.base_plus_low, r.base_plus_high),
        ]
        for r in report.suites
    ]
    headers = ["Model", "Suite", "Tasks", "pass@1 base [95% CI]", "pass@1 base + plus [95% CI]"]
    tasks = [
        [model_label(r.model, r.think), r.spec, r.samples, r.base, r.base_plus]
        for r in report.suite_tasks
    ]
    detail = _table(tasks, ["Model", "Task", "Samples", "Base passed", "Base + plus passed"])
    return Section(
        "Standard suites",
        (
            f"{SUITE_CI} Per-task figures: report.json (suite_tasks) and the HTML report.",
            _table(rows, headers),
            Details(f"Per task ({len(tasks)} rows)", detail),
        ),
    )


def summary(report: Report) -> str:
    """The paragraph under the title: what the run was."""
    manifest = report.manifest
    phases = ", ".join(
        f"{name} ({phase.get('runs')} per model and spec at temperature {phase.get('temperature')})"
        for name, phase in sorted(manifest.get("phases", {}).items(), key=lambda p: p[0] != "runs")
    )
    image = manifest.get("grader_image", {})
    left_out = ", ".join(f"{count} of {spec}" for spec, count in sorted(report.left_out.items()))
    return (
        f"{len(report.models)} model(s), {len(report.specs)} spec(s), {len(report.samples)} "
        f"sample(s), {report.not_counted} not counted (server or sandbox failures)."
        + (f" Left out: {left_out} sample(s): {LEFT_OUT_RULE}." if left_out else "")
        + f" Phases: {phases or 'none recorded'}. Started {manifest.get('started_at')}, status "
        f"{report.status or manifest.get('status')}. Grader image `{image.get('id')}` under "
        f"{image.get('runtime')}."
    )


def spec_list(specs: Sequence[str]) -> str:
    """A family's specs, named when few, counted when many (a suite has hundreds)."""
    return ", ".join(specs) if len(specs) <= 8 else f"{len(specs)} specs"


def _cell(models: Sequence[str]) -> str:
    return ", ".join(f"`{m}`" for m in models) or "-"


def answer_section(report: Report) -> Section | None:
    """The answer first: per family, whom to use, the runner-up, the mini tier, whom to skip."""
    if not report.routing:
        return None
    rows = []
    for rule in report.routing:
        if rule.recommended is None:
            use = f"none: {rule.reason}"
        elif rule.tied and rule.runner_up:
            use = f"`{rule.recommended}` or `{rule.runner_up}` (tied)"
        else:
            use = f"`{rule.recommended}`"
        if rule.recommended and rule.reason.startswith("unproven"):
            use += " (unproven)"
        runner_up = "" if rule.tied else _cell([rule.runner_up] if rule.runner_up else [])
        mini = f"`{rule.mini.model}` (best of {rule.mini.n})" if rule.mini else "-"
        specs = spec_list(rule.specs)
        rows.append(
            [rule.family, specs, use, runner_up or "-", mini, _cell([s.model for s in rule.skip])]
        )
    headers = ["Family", "Specs", "Use", "Runner-up", "Mini tier", "Skip"]
    return Section(
        "The answer: which model for which chore",
        (
            _table(rows, headers),
            "Use is the model trusted (perfect or tight on every spec of the family) with the "
            "best mean; unproven means no model was stable enough and the pick is the best of "
            "the rest. The mini tier is the smallest model that reaches the hit threshold when "
            "the verifier keeps the best of N samples. The figures behind each pick are under "
            f"[Routing rules](#{anchor('Routing rules')}).",
        ),
    )


def contents(built: Sequence[Section]) -> Section:
    """The contents list: a link to every section and subsection."""
    items = []
    for section in built:
        items.append((0, f"[{section.title}](#{anchor(section.title)})"))
        items += [(1, f"[{c.title}](#{anchor(c.title)})") for c in section.children]
    return Section("Contents", (Bullets(tuple(items)),))


def sections(report: Report) -> list[Section]:
    """Every section the run has data for, in the report's order: the answer, the contents,
    then the tables behind the answer."""
    answer = answer_section(report)
    built = [
        ranking_section(report),
        suites_section(report),
        variance_section(report),
        compliance_section(report),
        thinking_section(report),
        best_of_section(report),
        routing_section(report),
        Section("How the labels are decided", (stats.STABILITY_RULE,)),
    ]
    body = [section for section in built if section is not None]
    return [*([answer] if answer else []), contents(body), *body]
