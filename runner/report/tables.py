"""The report's tables, computed from a run's samples. Pure: rows in, rows out.

Only counted samples (graded, sandbox healthy) enter a score; the others are reported as not
counted. Scores are fractions of the spec's maximum; points are shown as the write-up did.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from runner.report import stats
from runner.rundir import SampleRecord

FORBIDDEN_RULES = ("forbidden_import", "forbidden_call", "forbidden_name")


@dataclass(frozen=True)
class Cell:
    """One model's first-run result on one spec."""

    points: int
    max_points: int
    score: float


@dataclass(frozen=True)
class RankingRow:
    rank: int  # tied rows (same score and mean over runs) share a rank
    model: str
    think: bool | str | None
    size_bytes: int | None
    cells: dict[str, Cell]
    score: float  # mean over specs of the first run's score: the single-shot figure
    mean_all_runs: float  # mean over specs of the mean over runs
    specs_missing: tuple[str, ...] = ()


@dataclass(frozen=True)
class VarianceRow:
    spec: str
    model: str
    think: bool | str | None
    points: tuple[int, ...]  # in run order
    max_points: int
    mean_points: float
    min_points: int
    max_points_seen: int
    sd_points: float
    mean: float
    strict_mean: float  # the mean when a run that broke a constraint scores 0
    ci_low: float | None
    ci_high: float | None
    distinct_responses: int
    stability: str
    byte_stable: bool
    not_counted: int
    keys: tuple[str, ...]


@dataclass(frozen=True)
class ComplianceRow:
    model: str
    spec: str
    runs: int
    fences: int
    prose: int
    module_import: int
    forbidden: int
    empty: int  # "No code": nothing but whitespace (or fences around nothing)
    syntax_error: int  # "No code": the code does not parse
    entry_point_missing: int  # "No code": it parses but defines no such function
    compliant_runs: int
    lenient: float
    strict: float


@dataclass(frozen=True)
class ThinkingRow:
    model: str
    think: bool | str | None
    samples: int
    wall_s_median: float | None
    wall_s_total: float
    response_bytes_median: float
    thinking_bytes_median: float
    thinking_bytes_max: int
    traps: int
    out_of_budget: int
    advice: str


@dataclass(frozen=True)
class BestOfRow:
    model: str
    spec: str
    think: bool | str | None
    n: int
    temperature: float | None
    scores: tuple[int, ...]  # points, best to worst
    max_points: int
    best_points: int
    hit_at: float
    hit_points: int
    hits: int
    hit_rate: float
    distinct_responses: int
    wall_s_total: float
    size_bytes: int | None
    pass_at_k: tuple[float, ...]  # k = 1..n
    pass_hat_k: tuple[float, ...]
    keys: tuple[str, ...] = field(default=())


def by_model_and_spec(
    samples: Iterable[SampleRecord], phase: str
) -> dict[tuple[str, str], list[SampleRecord]]:
    """The phase's samples grouped by (model, spec), each group in run order."""
    groups: dict[tuple[str, str], list[SampleRecord]] = {}
    for sample in samples:
        if sample.phase == phase:
            groups.setdefault((sample.model, sample.spec), []).append(sample)
    return {key: sorted(group, key=lambda s: s.run) for key, group in groups.items()}


def _counted(group: Sequence[SampleRecord]) -> list[SampleRecord]:
    return [s for s in group if s.counted]


def _think(group: Sequence[SampleRecord]) -> bool | str | None:
    return group[0].think if group else None


def variance(
    groups: dict[tuple[str, str], list[SampleRecord]], models: Sequence[str], specs: Sequence[str]
) -> list[VarianceRow]:
    """Per spec, every model with a counted run: its runs, spread, interval and label.

    Rows are grouped by spec (in ``specs`` order) and sorted by mean score, best first.
    """
    rows: list[VarianceRow] = []
    for spec in specs:
        block = []
        for model in models:
            group = groups.get((model, spec), [])
            counted = _counted(group)
            if not counted:
                continue
            scores = [s.score for s in counted]
            points = tuple(s.points for s in counted)
            interval = stats.confidence_interval(scores)
            distinct = len({s.response_sha256 for s in counted})
            block.append(
                VarianceRow(
                    spec=spec,
                    model=model,
                    think=_think(group),
                    points=points,
                    max_points=counted[0].max_points,
                    mean_points=stats.mean(points),
                    min_points=min(points),
                    max_points_seen=max(points),
                    sd_points=stats.stdev(points),
                    mean=stats.mean(scores),
                    strict_mean=stats.mean([s.strict_score for s in counted]),
                    ci_low=interval.low if interval else None,
                    ci_high=interval.high if interval else None,
                    distinct_responses=distinct,
                    stability=stats.stability(scores),
                    byte_stable=len(counted) > 1 and distinct == 1,
                    not_counted=len(group) - len(counted),
                    keys=tuple(s.key for s in counted),
                )
            )
        rows += sorted(block, key=lambda r: (-r.mean, -r.min_points, r.model))
    return rows


def ranking(
    groups: dict[tuple[str, str], list[SampleRecord]],
    models: Sequence[str],
    specs: Sequence[str],
    sizes: dict[str, int | None],
) -> list[RankingRow]:
    """Single-shot ranking: each model's first counted run per spec, averaged over specs.

    ``mean_all_runs`` is the same average over every run, so the two orders can be compared.
    Specs a model has no counted run on are listed in ``specs_missing`` and left out of its
    averages.
    """
    rows = []
    for model in models:
        cells: dict[str, Cell] = {}
        means: list[float] = []
        think = None
        for spec in specs:
            counted = _counted(groups.get((model, spec), []))
            if counted:
                think = counted[0].think
                first = counted[0]
                cells[spec] = Cell(first.points, first.max_points, first.score)
                means.append(stats.mean([s.score for s in counted]))
        if not cells:
            continue
        rows.append(
            RankingRow(
                rank=0,
                model=model,
                think=think,
                size_bytes=sizes.get(model),
                cells=cells,
                score=stats.mean([c.score for c in cells.values()]),
                mean_all_runs=stats.mean(means),
                specs_missing=tuple(s for s in specs if s not in cells),
            )
        )
    rows.sort(key=lambda r: (-r.score, -r.mean_all_runs, r.model))
    ranked: list[RankingRow] = []
    for position, row in enumerate(rows, 1):
        before = ranked[-1] if ranked else None
        tied = before is not None and (before.score, before.mean_all_runs) == (
            row.score,
            row.mean_all_runs,
        )
        ranked.append(replace(row, rank=before.rank if before and tied else position))
    return ranked


def compliance(
    groups: dict[tuple[str, str], list[SampleRecord]], models: Sequence[str], specs: Sequence[str]
) -> list[ComplianceRow]:
    """Per model and spec: how many counted runs broke each kind of constraint."""
    rows = []
    for model in models:
        for spec in specs:
            counted = _counted(groups.get((model, spec), []))
            if not counted:
                continue

            def runs_with(rules: Sequence[str], among: list[SampleRecord] = counted) -> int:
                return sum(any(rule in s.violation_rules for rule in rules) for s in among)

            rows.append(
                ComplianceRow(
                    model=model,
                    spec=spec,
                    runs=len(counted),
                    fences=runs_with(("fences",)),
                    prose=runs_with(("prose",)),
                    module_import=runs_with(("module_import",)),
                    forbidden=runs_with(FORBIDDEN_RULES),
                    empty=runs_with(("empty_response",)),
                    syntax_error=runs_with(("syntax_error",)),
                    entry_point_missing=runs_with(("entry_point_missing",)),
                    compliant_runs=sum(s.compliant for s in counted),
                    lenient=stats.mean([s.score for s in counted]),
                    strict=stats.mean([s.strict_score for s in counted]),
                )
            )
    return rows


def thinking(
    samples: Sequence[SampleRecord], models: Sequence[str], from_config: bool = False
) -> list[ThinkingRow]:
    """Per model (all phases, every sample that got an answer): time, bytes, thinking traps.

    The advice names what the user has: config keys when the run came from a config file
    (``bench``, ``run --config``), else ``run``'s flags.
    """
    rows = []
    for model in models:
        answered = [s for s in samples if s.model == model and s.wall_s is not None]
        if not answered:
            continue
        traps = sum(s.thinking_trap for s in answered)
        budget = sum(s.out_of_budget for s in answered)
        think = answered[0].think
        rows.append(
            ThinkingRow(
                model=model,
                think=think,
                samples=len(answered),
                wall_s_median=statistics.median(s.wall_s or 0.0 for s in answered),
                wall_s_total=sum(s.wall_s or 0.0 for s in answered),
                response_bytes_median=statistics.median(s.response_bytes for s in answered),
                thinking_bytes_median=statistics.median(s.thinking_bytes for s in answered),
                thinking_bytes_max=max(s.thinking_bytes for s in answered),
                traps=traps,
                out_of_budget=budget,
                advice=_thinking_advice(model, think, traps, budget, len(answered), from_config),
            )
        )
    return rows


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _thinking_advice(
    model: str, think: Any, traps: int, budget: int, samples: int, from_config: bool
) -> str:
    advice = []
    think_off = (
        f'`{{"name": "{model}", "think": false}}` in the config\'s `models`'
        if from_config
        else "`--think false`"
    )
    if traps and think is not False:
        advice.append(
            f"{traps} of {_plural(samples, 'answer')} were empty while the thinking was "
            f"filled: retry with {think_off}"
        )
    elif traps:
        advice.append(
            f"{traps} of {_plural(samples, 'answer')} were empty even with think:false: the "
            "model may not honour it; check its template"
        )
    if budget:
        raise_it = "`num_predict` in the config" if from_config else "`--num-predict`"
        advice.append(f"{_plural(budget, 'answer')} hit the token budget: raise {raise_it}")
    return "; ".join(advice)


def best_of(
    groups: dict[tuple[str, str], list[SampleRecord]],
    models: Sequence[str],
    specs: Sequence[str],
    sizes: dict[str, int | None],
    hit_at: float,
) -> list[BestOfRow]:
    """Per model and spec of the best-of phase: the N scores, the best, hits, pass@k, pass^k.

    A hit is a response with at least ``stats.hit_points(hit_at, max)`` points; pass@k and
    pass^k count hits.
    """
    rows = []
    for model in models:
        for spec in specs:
            group = groups.get((model, spec), [])
            counted = _counted(group)
            if not counted:
                continue
            n = len(counted)
            maximum = counted[0].max_points
            needed = stats.hit_points(hit_at, maximum)
            hits = sum(s.points >= needed for s in counted)
            rows.append(
                BestOfRow(
                    model=model,
                    spec=spec,
                    think=_think(group),
                    n=n,
                    temperature=counted[0].temperature,
                    scores=tuple(sorted((s.points for s in counted), reverse=True)),
                    max_points=maximum,
                    best_points=max(s.points for s in counted),
                    hit_at=hit_at,
                    hit_points=needed,
                    hits=hits,
                    hit_rate=hits / n,
                    distinct_responses=len({s.response_sha256 for s in counted}),
                    wall_s_total=sum(s.wall_s or 0.0 for s in counted),
                    size_bytes=sizes.get(model),
                    pass_at_k=tuple(stats.pass_at_k(n, hits, k) for k in range(1, n + 1)),
                    pass_hat_k=tuple(stats.pass_hat_k(n, hits, k) for k in range(1, n + 1)),
                    keys=tuple(s.key for s in counted),
                )
            )
    return rows
