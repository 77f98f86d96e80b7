"""Routing rules: which model for which task family, by a documented, deterministic rule.

Pure: it reads the variance and best-of rows, nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from runner.report import stats
from runner.report.tables import BestOfRow, VarianceRow

ROUTING_RULE = (
    "Per task family, over the specs of that family: a model is trusted when its stability is "
    "perfect or tight on every spec (at least two runs each). Trusted models are ordered by "
    "mean score (mean over the family's specs of the mean over runs), then by their lowest run "
    "score, then by their strict score (format compliance), then by size on disk (smaller "
    "first), then by name: the first is recommended, the "
    "second is the runner-up. With no trusted model, the same order over the models that are "
    "not stably wrong gives a recommendation marked as unproven. Models are skipped when "
    "stably wrong, stably mediocre or unstable (bimodal, wild) on a spec of the family. The mini "
    "tier is the smallest model whose best-of-N (with the verifier keeping the best) reaches "
    "the hit threshold on every spec of the family."
)

_UNSTABLE = ("bimodal", "wild")


@dataclass(frozen=True)
class Standing:
    """One model's figures on one family, from its variance rows."""

    model: str
    mean: float
    min: float
    strict: float
    stability: str  # the worst label over the family's specs
    runs: int  # runs counted on each spec (the fewest)
    size_bytes: int | None
    ci_low: float | None
    ci_high: float | None
    rows: tuple[VarianceRow, ...]

    def figures(self) -> str:
        """The reason, in figures, as the report prints it."""
        interval = (
            f", 95% CI {self.ci_low:.2f}-{self.ci_high:.2f}" if self.ci_low is not None else ""
        )
        return (
            f"mean {self.mean:.3f}, lowest run {self.min:.3f}{interval}, strict "
            f"{self.strict:.3f}, {self.stability}, "
            f"{self.runs} run(s) per spec, {gigabytes(self.size_bytes)}"
        )


@dataclass(frozen=True)
class Skip:
    model: str
    why: str


@dataclass(frozen=True)
class MiniTier:
    model: str
    n: int
    temperature: float | None
    size_bytes: int | None
    hit_rate: float
    reason: str


@dataclass(frozen=True)
class RoutingRow:
    family: str
    specs: tuple[str, ...]
    recommended: str | None
    reason: str
    runner_up: str | None
    runner_up_reason: str
    skip: tuple[Skip, ...]
    mini: MiniTier | None
    notes: tuple[str, ...]
    tied: bool = False  # the recommended and the runner-up are equal on every figure but size


def gigabytes(size: int | None) -> str:
    return f"{size / 1e9:.1f} GB" if size else "size unknown"


def routing(
    families: dict[str, Sequence[str]],
    variance_rows: Sequence[VarianceRow],
    best_rows: Sequence[BestOfRow],
    sizes: dict[str, int | None],
    trapped: Sequence[str] = (),
) -> list[RoutingRow]:
    """One routing rule per family (``families`` maps a family to its spec ids, in order).

    ``trapped`` are the models caught in the thinking trap: their skip says to retry them.
    """
    return [
        _family(family, tuple(specs), variance_rows, best_rows, sizes, trapped)
        for family, specs in families.items()
    ]


def _standings(
    specs: tuple[str, ...], rows: Sequence[VarianceRow], sizes: dict[str, int | None]
) -> tuple[list[Standing], list[str]]:
    by_model: dict[str, dict[str, VarianceRow]] = {}
    for row in rows:
        if row.spec in specs:
            by_model.setdefault(row.model, {})[row.spec] = row
    standings, notes = [], []
    for model, own in by_model.items():
        absent = [spec for spec in specs if spec not in own]
        if absent:
            notes.append(f"{model} is not ranked: no counted run on {', '.join(absent)}")
            continue
        family_rows = tuple(own[spec] for spec in specs)
        runs = min(len(row.points) for row in family_rows)
        # A family score per run: the mean over specs of that run's score.
        per_run = [
            stats.mean([row.points[i] / row.max_points for row in family_rows]) for i in range(runs)
        ]
        interval = stats.confidence_interval(per_run)
        standings.append(
            Standing(
                model=model,
                mean=stats.mean([row.mean for row in family_rows]),
                min=min(row.min_points / row.max_points for row in family_rows),
                strict=stats.mean([row.strict_mean for row in family_rows]),
                stability=max((row.stability for row in family_rows), key=stats.severity),
                runs=runs,
                size_bytes=sizes.get(model),
                ci_low=interval.low if interval else None,
                ci_high=interval.high if interval else None,
                rows=family_rows,
            )
        )
    standings.sort(
        key=lambda s: (-s.mean, -s.min, -s.strict, s.size_bytes or float("inf"), s.model)
    )
    return standings, notes


def _family(
    family: str,
    specs: tuple[str, ...],
    variance_rows: Sequence[VarianceRow],
    best_rows: Sequence[BestOfRow],
    sizes: dict[str, int | None],
    trapped: Sequence[str],
) -> RoutingRow:
    standings, notes = _standings(specs, variance_rows, sizes)
    trusted = [s for s in standings if s.stability in stats.TRUSTED]
    picks = trusted[:2]
    unproven = ""
    if not picks:
        picks = [s for s in standings if s.stability != "stably wrong"][:2]
        if picks:
            unproven = "unproven: no model is perfect or tight on this family; "
            if any(s.stability == "single run" for s in picks):
                notes.append("single runs cannot show stability: rerun with --runs 3 or more")
    recommended = picks[0] if picks else None
    runner_up = picks[1] if len(picks) > 1 else None
    if recommended and runner_up and stats.intervals_overlap(recommended, runner_up):
        notes.append(
            f"the data do not separate {recommended.model} from {runner_up.model} "
            "(their 95% intervals overlap): either is a defensible pick"
        )
    tied = False
    if recommended and runner_up and _figures(recommended) == _figures(runner_up):
        tied = True
        notes.append(
            f"{recommended.model} and {runner_up.model} are tied on mean, lowest run and "
            "strict score: the smaller (then the first by name) is listed first"
        )
    chosen = {s.model for s in picks}
    return RoutingRow(
        family=family,
        specs=specs,
        recommended=recommended.model if recommended else None,
        reason=(
            unproven + recommended.figures()
            if recommended
            else "every model is stably wrong here"
            if standings
            else "no model has counted runs on every spec"
        ),
        runner_up=runner_up.model if runner_up else None,
        runner_up_reason=runner_up.figures() if runner_up else "",
        skip=tuple(skip for s in standings if s.model not in chosen for skip in _skip(s, trapped)),
        mini=_mini(specs, best_rows),
        notes=tuple(notes),
        tied=tied,
    )


def _figures(standing: Standing) -> tuple[float, float, float]:
    """What orders two models before size and name: equal figures are a tie."""
    return (standing.mean, standing.min, standing.strict)


def _skip(standing: Standing, trapped: Sequence[str]) -> list[Skip]:
    """Why a model is skipped: its worst spec says it, in figures; nothing when it is fine."""
    worst = max(standing.rows, key=lambda row: stats.severity(row.stability))
    runs = ", ".join(f"{p}/{worst.max_points}" for p in worst.points)
    if worst.stability == "stably wrong":
        same = " with the same bytes every run" if worst.byte_stable else ""
        why = f"stably wrong on {worst.spec} ({runs}{same}): rerunning will not save it"
    elif worst.stability == "stably mediocre":
        why = f"stably mediocre on {worst.spec} ({runs}, mean {worst.mean:.2f})"
    elif worst.stability in _UNSTABLE:
        why = (
            f"unstable ({worst.stability}) on {worst.spec} ({runs}): use only behind "
            "best-of-N with the verifier"
        )
    else:
        return []
    if standing.model in trapped:
        why += "; its answers were empty while it thought (thinking trap): judge it again with "
        why += "think false"
    return [Skip(standing.model, why)]


def _mini(specs: tuple[str, ...], best_rows: Sequence[BestOfRow]) -> MiniTier | None:
    by_model: dict[str, dict[str, BestOfRow]] = {}
    for row in best_rows:
        if row.spec in specs:
            by_model.setdefault(row.model, {})[row.spec] = row
    reaching = [
        (model, own)
        for model, own in by_model.items()
        if len(own) == len(specs) and all(r.best_points >= r.hit_points for r in own.values())
    ]
    if not reaching:
        return None

    def order(entry: tuple[str, dict[str, BestOfRow]]) -> tuple[float, float, str]:
        model, own = entry
        size = next(iter(own.values())).size_bytes
        return (size or float("inf"), -stats.mean([r.hit_rate for r in own.values()]), model)

    model, own = min(reaching, key=order)
    rows = [own[spec] for spec in specs]
    first = rows[0]
    detail = "; ".join(
        f"{r.spec}: best {r.best_points}/{r.max_points}, hits {r.hits}/{r.n} "
        f"(>= {r.hit_points}/{r.max_points}), pass@{r.n} {r.pass_at_k[-1]:.2f}"
        for r in rows
    )
    wall = sum(r.wall_s_total for r in rows)
    return MiniTier(
        model=model,
        n=first.n,
        temperature=first.temperature,
        size_bytes=first.size_bytes,
        hit_rate=stats.mean([r.hit_rate for r in rows]),
        reason=(
            f"sample {first.n}x at temperature {first.temperature}, run the verifier, keep the "
            f"best: {detail}; {wall:.0f} s of generation in all, {gigabytes(first.size_bytes)}"
        ),
    )
