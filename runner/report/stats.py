"""The statistics behind the report, pure and small enough to check by hand.

Scores are fractions of a spec's maximum (``points / max_points``). Every threshold that turns
figures into words lives here, so a label in a report can be traced to one line.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

# Two-sided 95% quantiles of Student's t for 1..30 degrees of freedom.
_T975 = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
)  # fmt: skip

CI_METHOD = (
    "95% confidence interval for the mean score over runs: Student's t on the per-run scores "
    "(mean ± t(0.975, n-1) · s/√n), clipped to [0, 1]; none with a single run. Runs that all "
    "scored the same give a zero-width interval: no variance was observed, which with few runs "
    "is weak evidence that there is none."
)


# Stability labels, from the spread (max - min) and mean of a model's scores on one spec.
STABLE_SPREAD = 0.20  # at most this spread: the runs agree
GOOD_MEAN = 0.90  # stable and at least this mean: "tight"
MEDIOCRE_MEAN = 0.70  # stable and at least this mean: "stably mediocre"; below: "stably wrong"
CLUSTER_SPREAD = 0.10  # an unstable model whose runs form two clusters this tight: "bimodal"

LABELS = ("perfect", "tight", "single run", "stably mediocre", "bimodal", "wild", "stably wrong")
TRUSTED = ("perfect", "tight")

STABILITY_RULE = (
    "Stability, per model and spec, from the run scores as fractions of the maximum: "
    "perfect = every run full marks; with a spread (max - min) of at most "
    f"{STABLE_SPREAD:.2f}: tight when the mean is at least {GOOD_MEAN:.2f}, stably mediocre "
    f"from {MEDIOCRE_MEAN:.2f}, stably wrong below; with a wider spread: bimodal when the runs "
    "split at their largest gap into two groups each no wider than "
    f'{CLUSTER_SPREAD:.2f}, wild otherwise. "byte-stable" is added when every run returned '
    "the very same bytes."
)


@dataclass(frozen=True)
class Interval:
    """A confidence interval on a score fraction."""

    low: float
    high: float


class HasInterval(Protocol):
    """A table row carrying a confidence interval (None for a single run)."""

    @property
    def ci_low(self) -> float | None: ...

    @property
    def ci_high(self) -> float | None: ...


def intervals_overlap(first: HasInterval, second: HasInterval) -> bool:
    """Whether two rows' 95% intervals overlap; False when either has none (a single run)."""
    if None in (first.ci_low, first.ci_high, second.ci_low, second.ci_high):
        return False
    return first.ci_low <= second.ci_high and second.ci_low <= first.ci_high  # type: ignore[operator]


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def stdev(values: Sequence[float]) -> float:
    """Sample standard deviation (n - 1); 0 for fewer than two values."""
    if len(values) < 2:
        return 0.0
    centre = mean(values)
    return math.sqrt(sum((v - centre) ** 2 for v in values) / (len(values) - 1))


def t975(df: int) -> float:
    """The 0.975 quantile of Student's t with ``df`` degrees of freedom (df ≥ 1)."""
    if df <= len(_T975):
        return _T975[df - 1]
    z = 1.959964  # Cornish-Fisher expansion: within 0.001 of the exact value beyond 30 df
    return z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)


def confidence_interval(scores: Sequence[float]) -> Interval | None:
    """The 95% t-interval of the mean of ``scores`` (fractions), clipped; None for n < 2."""
    n = len(scores)
    if n < 2:
        return None
    half = t975(n - 1) * stdev(scores) / math.sqrt(n)
    centre = mean(scores)
    return Interval(max(0.0, centre - half), min(1.0, centre + half))


def stability(scores: Sequence[float]) -> str:
    """The stability label of one model's run scores on one spec (see ``STABILITY_RULE``)."""
    if len(scores) == 1:
        return "single run"
    if min(scores) >= 1.0:
        return "perfect"
    if max(scores) - min(scores) <= STABLE_SPREAD + 1e-9:
        centre = mean(scores)
        if centre >= GOOD_MEAN:
            return "tight"
        return "stably mediocre" if centre >= MEDIOCRE_MEAN else "stably wrong"
    ordered = sorted(scores)
    gap_at = max(range(1, len(ordered)), key=lambda i: ordered[i] - ordered[i - 1])
    low, high = ordered[:gap_at], ordered[gap_at:]
    if all(max(part) - min(part) <= CLUSTER_SPREAD + 1e-9 for part in (low, high)):
        return "bimodal"
    return "wild"


def severity(label: str) -> int:
    """Order of labels from best to worst, for the worst label over a family's specs."""
    return LABELS.index(label)


def hit_points(hit_at: float, max_points: int) -> int:
    """Points a response needs to count as a hit: ``hit_at`` of the maximum, rounded.

    Rounded to the nearest point, so the write-up's 18/22 is a hit at the default 0.82.
    """
    return math.floor(hit_at * max_points + 0.5)


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased estimate of P(at least one of k tries is a hit), from c hits in n samples."""
    if n - c < k:
        return 1.0
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


def pass_hat_k(n: int, c: int, k: int) -> float:
    """Unbiased estimate of P(all k tries are hits) (pass^k), from c hits in n samples."""
    return math.comb(c, k) / math.comb(n, k)
