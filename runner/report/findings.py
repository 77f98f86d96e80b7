"""The words under the tables: where the data contradict a single-shot reading. Pure."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import TypeVar

from runner.report.stats import intervals_overlap
from runner.report.tables import RankingRow, VarianceRow

T = TypeVar("T")


def ranking_notes(rows: Sequence[RankingRow]) -> list[str]:
    """Pairs of models whose single-shot order is reversed over every run."""
    return [
        f"{low.model} ranks above {high.model} single-shot ({low.score:.3f} vs "
        f"{high.score:.3f}) but below it over every run ({low.mean_all_runs:.3f} vs "
        f"{high.mean_all_runs:.3f})."
        for high, low in _reversed(rows, lambda r: r.mean_all_runs, lambda r: r.score)
    ]


def _reversed(
    rows: Sequence[T], overall: Callable[[T], float], once: Callable[[T], float]
) -> list[tuple[T, T]]:
    """Pairs (a, b) where ``a`` is strictly ahead overall but strictly behind on ``once``."""
    return [(a, b) for a in rows for b in rows if overall(a) > overall(b) and once(a) < once(b)]


def variance_notes(rows: Sequence[VarianceRow]) -> list[str]:
    """For one spec's rows (best mean first): flipped orders, overlaps, repeated bytes, gaps."""
    repeated = [r for r in rows if len(r.points) > 1]
    notes: list[str] = []
    leader_once = _single_leader(repeated)
    if repeated and leader_once and leader_once.model != repeated[0].model:
        best = repeated[0]
        notes.append(
            f"Post-variance ranking disagrees with the single-shot one: run 1 puts "
            f"{leader_once.model} first ({_pts(leader_once, 0)}) but over "
            f"{len(leader_once.points)} runs its mean is {leader_once.mean_points:.1f}, and "
            f"{best.model} leads with {best.mean_points:.1f}."
        )
    for upper, lower in _reversed(repeated, lambda r: r.mean, lambda r: r.points[0]):
        notes.append(
            f"{lower.model} beat {upper.model} on run 1 ({_pts(lower, 0)} vs "
            f"{_pts(upper, 0)}) but trails it over the runs "
            f"({lower.mean_points:.1f} vs {upper.mean_points:.1f})."
        )
    unsupported = [
        f"{upper.model} above {lower.model} ({_ci(upper)} vs {_ci(lower)})"
        for upper, lower in itertools.pairwise(repeated)
        if upper.mean > lower.mean and intervals_overlap(upper, lower)
    ]
    if unsupported:
        notes.append(
            "Orders the data do not support (95% intervals overlap): "
            + "; ".join(unsupported)
            + "."
        )
    for row in repeated:
        if row.byte_stable and row.stability != "perfect":
            notes.append(
                f"{row.model} returned byte-identical responses in all {len(row.points)} runs "
                f"and scored {_pts(row, 0)} each time: a stable decoding path, not luck."
            )
    for row in rows:
        if row.not_counted:
            notes.append(
                f"{row.model}: {row.not_counted} sample(s) not counted (the server or the "
                "sandbox failed, not the model); rerun the same command to retry them."
            )
    return notes


def _single_leader(rows: Sequence[VarianceRow]) -> VarianceRow | None:
    """The model that run 1 alone would crown, when that is unambiguous."""
    if not rows:
        return None
    top = max(row.points[0] for row in rows)
    leaders = [row for row in rows if row.points[0] == top]
    return leaders[0] if len(leaders) == 1 else None


def _pts(row: VarianceRow, run: int) -> str:
    return f"{row.points[run]}/{row.max_points}"


def _ci(row: VarianceRow) -> str:
    return f"{row.ci_low:.2f}-{row.ci_high:.2f}"
