"""Variant runs learn nothing usable from each other (issue 19), without Docker.

A fake sandbox plays a test module with a perfect memory of the grade's history (the page or
dentry cache under runc, at its best): it knows how many runs came before, but, like any
channel through host state, not which variant each run was. ``run_plan`` runs the reference
twice at secret random positions and both runs must pass, so history alone earns nothing.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from math import comb
from pathlib import Path

import pytest

from runner.grade import REFERENCE_RUNS, grade_response, run_plan, variant_sources
from runner.records import Execution, Limits, Spec
from runner.spec import load_spec

ROOT = Path(__file__).resolve().parent.parent
HONEST = "def test_invalidate_model_cache_resets_all_keys():\n    assert True\n"


@pytest.fixture(scope="module")
def spec() -> Spec:
    return load_spec(ROOT / "specs" / "cache_reset_test.json")


class HistorySandbox:
    """Passes pytest on run ``i`` of ``n`` when ``passes(i, n, job)``; ``n`` is learnt too."""

    def __init__(self, passes: Callable[[int, int, dict[str, object]], bool], runs: int) -> None:
        self.passes, self.runs, self.seen = passes, runs, 0

    def execute(self, job: bytes, limits: Limits, cases: int, kind: str = "function") -> Execution:
        index, self.seen = self.seen, self.seen + 1
        passed = self.passes(index, self.runs, json.loads(job))
        record = {
            "kind": "case",
            "case": "run",
            "status": "pytest",
            "exit_code": 0 if passed else 1,
            "counts": {"collected": 1, "passed" if passed else "failed": 1},
        }
        lines = [{"kind": "hello", "python": "3.11.2"}, record, {"kind": "done"}]
        stdout = b"".join(json.dumps(line).encode() + b"\n" for line in lines)
        return Execution(stdout, b"", False, False, 0, False, 0.1, "img", "sha256:0", "runc")


def grades(spec: Spec, passes: Callable[[int, int, dict[str, object]], bool], count: int):
    runs = len(run_plan(spec))
    return [grade_response(spec, HONEST, HistorySandbox(passes, runs)) for _ in range(count)]


def test_the_plan_runs_the_reference_twice_and_every_mutant_once(spec: Spec) -> None:
    names = sorted(name for name, _ in run_plan(spec))
    mutants = sorted(name for name, _ in variant_sources(spec)[1:])
    assert REFERENCE_RUNS == 2
    assert names == sorted(["reference", "reference", *mutants])


def test_the_order_is_fresh_for_every_grade(spec: Spec) -> None:
    orders = {tuple(name for name, _ in run_plan(spec)) for _ in range(200)}
    assert len(orders) > 10  # 30 distinct orders of 2 references and 4 mutants
    first = {order.index("reference") for order in orders}
    assert first == {0, 1, 2, 3, 4}


def test_a_test_that_passes_only_on_a_fresh_history_earns_nothing(spec: Spec) -> None:
    for grade in grades(spec, lambda index, runs, job: index == 0, 200):
        assert grade.points == 0
        reference = grade.checks[0]
        assert reference.case == "reference" and not reference.passed
        assert re.match(r"run [12] of 2: fails on the reference", reference.detail)


def test_a_test_that_guesses_the_reference_positions_rarely_wins(spec: Spec) -> None:
    # The best a history-only test can do: bet on two positions (here the first and the last,
    # the defence "reference before and after the mutants" would have lost to it every time).
    # 600 grades: about 40 wins expected; the bounds are more than 6 standard deviations away.
    won = sum(g.points for g in grades(spec, lambda i, n, job: i in (0, n - 1), 600))
    chance = 1 / comb(len(run_plan(spec)), REFERENCE_RUNS)  # 1/15 with 4 mutants
    assert 0 < won / 600 < 2 * chance


def test_a_test_whose_outcome_is_chance_rarely_wins(spec: Spec) -> None:
    # A test that passes with probability q whatever the variant and the history (the dentry
    # probe under gVisor reads only noise): it wins when both reference runs pass and every
    # mutant fails, q**2 * (1 - q)**m, at most 2.2% with 4 mutants (q = 1/3). With one
    # reference run, q = 1/3 would win 6.6%, three times that: this bound is the second run's.
    # 1000 grades at the worst q: about 22 wins expected, the upper bound 4.7 deviations away.
    q = 1 / 3
    assert spec.module is not None
    mutants = len(spec.module.mutants)
    bound = max((k / 300) ** 2 * (1 - k / 300) ** mutants for k in range(301))
    rng = random.Random(19)
    won = sum(g.points for g in grades(spec, lambda i, n, job: rng.random() < q, 1000))
    assert 0 < won / 1000 < 2 * bound  # chance, not a wall


def test_a_test_that_tells_the_variants_apart_by_behaviour_earns_the_point(spec: Spec) -> None:
    assert spec.module is not None
    reference = spec.module.reference

    def by_behaviour(index: int, runs: int, job: dict[str, object]) -> bool:
        files = job["files"]
        assert isinstance(files, dict)
        return files["src/main_improved.py"] == reference  # stands in for testing behaviour

    for grade in grades(spec, by_behaviour, 20):
        assert grade.points == 1
        assert grade.checks[0].detail.endswith("(all 2 runs)")
