"""Standard suites at scale: pass@1 per model and suite, as EvalPlus reports it.

A sample of a suite spec (HumanEval+, MBPP+) passes a group when every case of the group
passed. Per model and task, pass@1 is the fraction of the model's counted samples (the
``runs`` phase) that passed the base group, and base + plus; per model and suite, the mean
over its tasks, with a 95% interval across tasks (``SUITE_CI``). Per-task figures go to
``report.json`` and a collapsible part of ``report.html``; the markdown keeps the summary.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from runner.report import stats
from runner.rundir import SampleRecord

SUITE_CI = (
    "pass@1 per task is the fraction of a model's samples passing every case of the groups "
    "(base; base and plus, EvalPlus's 'base + extra'); per suite the mean over tasks, with a "
    "95% interval across tasks (Student's t on the per-task figures, clipped to [0, 1])."
)


@dataclass(frozen=True)
class SuiteTaskRow:
    """One model on one suite task: samples counted, and how many passed each figure."""

    model: str
    think: bool | str | None
    family: str
    spec: str
    samples: int
    base: int
    base_plus: int


@dataclass(frozen=True)
class SuiteRow:
    """One model on one suite: pass@1 on base and base + plus, with intervals across tasks."""

    model: str
    think: bool | str | None
    family: str
    tasks: int
    base: float
    base_low: float | None
    base_high: float | None
    base_plus: float
    base_plus_low: float | None
    base_plus_high: float | None


def suite_tasks(samples: Sequence[SampleRecord]) -> list[SuiteTaskRow]:
    """Per model and suite task, in sample order; only counted samples of the runs phase."""
    found: dict[tuple[str, str], list[SampleRecord]] = {}
    for sample in samples:
        if sample.grade and sample.grade.groups and sample.counted and sample.phase == "runs":
            found.setdefault((sample.model, sample.spec), []).append(sample)
    rows = []
    for (model, spec), group in found.items():
        grades = [s.grade for s in group if s.grade]
        rows.append(
            SuiteTaskRow(
                model=model,
                think=group[0].think,
                family=group[0].family,
                spec=spec,
                samples=len(group),
                base=sum(grade.groups_passed("base") for grade in grades),
                base_plus=sum(grade.groups_passed("base", "plus") for grade in grades),
            )
        )
    return rows


def suite_summary(tasks: Sequence[SuiteTaskRow]) -> list[SuiteRow]:
    """Per model and suite (family): the mean of the per-task pass@1, with its interval."""
    grouped: dict[tuple[str, str], list[SuiteTaskRow]] = {}
    for row in tasks:
        grouped.setdefault((row.model, row.family), []).append(row)
    rows = []
    for (model, family), group in grouped.items():
        base = [row.base / row.samples for row in group]
        both = [row.base_plus / row.samples for row in group]
        base_ci, both_ci = stats.confidence_interval(base), stats.confidence_interval(both)
        rows.append(
            SuiteRow(
                model=model,
                think=group[0].think,
                family=family,
                tasks=len(group),
                base=stats.mean(base),
                base_low=base_ci.low if base_ci else None,
                base_high=base_ci.high if base_ci else None,
                base_plus=stats.mean(both),
                base_plus_low=both_ci.low if both_ci else None,
                base_plus_high=both_ci.high if both_ci else None,
            )
        )
    return sorted(rows, key=lambda r: (r.family, -r.base_plus, r.model))
