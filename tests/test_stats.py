"""runner.report.stats against values worked out by hand (or from a t table)."""

from __future__ import annotations

import math

import pytest

from runner.report import stats


@pytest.mark.parametrize(
    ("df", "exact"),
    # Student's t, two-sided 95% (scipy.stats.t.ppf(0.975, df)), past the table's 30 rows.
    [(31, 2.039513), (40, 2.021075), (60, 2.000298), (120, 1.979930), (1000, 1.962339)],
)
def test_t_quantile_past_30_degrees_of_freedom_is_within_a_thousandth(df, exact):
    assert stats.t975(df) == pytest.approx(exact, abs=1e-3)


def test_t_quantile_joins_the_table_without_a_step_and_falls_toward_z():
    assert stats.t975(1) == 12.706 and stats.t975(30) == 2.042
    past = [stats.t975(df) for df in (30, 31, 32, 50, 100, 10_000)]
    assert past == sorted(past, reverse=True)
    assert stats.t975(30) - stats.t975(31) < 0.005
    assert stats.t975(10_000) == pytest.approx(1.96, abs=1e-3)


def test_confidence_interval_by_hand():
    # mean 0.6, s = 0.1, half-width 4.303 * 0.1 / sqrt(3) = 0.248434
    interval = stats.confidence_interval([0.5, 0.7, 0.6])
    assert interval is not None
    assert (interval.low, interval.high) == pytest.approx((0.351566, 0.848434), abs=1e-6)
    wide = stats.confidence_interval([0.0, 1.0])  # half-width 6.35: clipped to [0, 1]
    assert wide is not None and (wide.low, wide.high) == (0.0, 1.0)
    assert stats.confidence_interval([0.4]) is None
    flat = stats.confidence_interval([0.5, 0.5, 0.5])
    assert flat is not None and (flat.low, flat.high) == (0.5, 0.5)


@pytest.mark.parametrize(
    ("scores", "label"),
    [
        ([0.3], "single run"),
        ([1.0, 1.0, 1.0], "perfect"),
        ([0.8, 1.0], "tight"),  # spread 0.20 exactly: still stable; mean 0.90: tight
        ([0.7, 0.9], "stably mediocre"),  # spread 0.20 (0.2000...07 in floats), mean 0.80
        ([0.5, 0.7], "stably wrong"),  # spread 0.20, mean 0.60
        ([0.0, 0.0, 0.0], "stably wrong"),
        ([0.0, 0.21], "bimodal"),  # just past the stable spread: two one-run clusters
        ([0.0, 0.1, 1.0], "bimodal"),  # the low cluster is exactly 0.10 wide
        ([0.0, 0.11, 1.0], "wild"),  # one point wider: no longer a cluster
        ([0.0, 0.5, 1.0], "wild"),  # equal gaps: split at the first, 0.5-1.0 is no cluster
        ([0.77, 0.77, 1.0], "bimodal"),  # the write-up's 17/22, 17/22, 22/22
    ],
)
def test_stability_labels_at_their_edges(scores, label):
    assert stats.stability(scores) == label


@pytest.mark.parametrize(
    ("hit_at", "max_points", "points"),
    [
        (0.82, 22, 18),  # 18.04 -> 18: the write-up's 18/22
        (0.80, 22, 18),  # 17.6 -> 18
        (0.75, 22, 17),  # 16.5 -> 17: a half rounds up
        (0.5, 3, 2),  # 1.5 -> 2
        (0.82, 1, 1),  # a yes/no spec: 0.82 -> 1
        (0.4, 1, 0),  # 0.4 -> 0: every sample is a hit
        (1.0, 22, 22),
        (0.0, 22, 0),
    ],
)
def test_hit_threshold_rounds_to_the_nearest_point(hit_at, max_points, points):
    assert stats.hit_points(hit_at, max_points) == points


@pytest.mark.parametrize(
    ("n", "c", "k", "value"),
    [
        (5, 1, 1, 0.2),  # c / n
        (5, 1, 2, 1 - 6 / 10),  # 1 - C(4,2)/C(5,2)
        (5, 1, 4, 1 - 1 / 5),  # 1 - C(4,4)/C(5,4)
        (5, 1, 5, 1.0),  # n - c < k: one of all five is a hit
        (3, 1, 2, 1 - 1 / 3),  # 1 - C(2,2)/C(3,2)
        (10, 3, 3, 1 - 35 / 120),  # 1 - C(7,3)/C(10,3)
        (5, 0, 5, 0.0),
        (5, 5, 1, 1.0),
    ],
)
def test_pass_at_k_by_hand(n, c, k, value):
    assert stats.pass_at_k(n, c, k) == pytest.approx(value)


@pytest.mark.parametrize(
    ("n", "c", "k", "value"),
    [
        (5, 3, 1, 0.6),  # c / n
        (5, 3, 2, 3 / 10),  # C(3,2)/C(5,2)
        (5, 3, 3, 1 / 10),  # C(3,3)/C(5,3)
        (5, 3, 4, 0.0),  # more tries than hits: C(3,4) = 0
        (10, 3, 3, 1 / 120),  # C(3,3)/C(10,3)
        (5, 5, 5, 1.0),
        (5, 0, 1, 0.0),
    ],
)
def test_pass_hat_k_by_hand(n, c, k, value):
    assert stats.pass_hat_k(n, c, k) == pytest.approx(value)


def test_pass_at_k_and_pass_hat_k_agree_at_k_1_and_bound_each_other():
    for n in range(1, 8):
        for c in range(n + 1):
            assert stats.pass_at_k(n, c, 1) == pytest.approx(c / n)
            assert stats.pass_hat_k(n, c, 1) == pytest.approx(c / n)
            for k in range(1, n + 1):
                assert stats.pass_hat_k(n, c, k) - 1e-9 <= c / n <= stats.pass_at_k(n, c, k) + 1e-9


def test_stdev_and_mean_small_cases():
    assert stats.mean([]) == 0.0 and stats.stdev([0.5]) == 0.0
    assert stats.stdev([0.0, 1.0]) == pytest.approx(math.sqrt(0.5))
