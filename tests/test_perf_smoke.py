"""The benchmark runs end to end (``perf.py --smoke``): a smoke test, no timing asserted."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.docker

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
PERF, FAULTS = BENCHMARKS / "perf.py", BENCHMARKS / "fork_faults.py"


def smoke(script: Path, runtime: str) -> subprocess.CompletedProcess[str]:
    """``script --smoke`` under ``runtime``, which must exit 0; what it printed."""
    done = subprocess.run(
        [sys.executable, str(script), "--smoke", "--runtime", runtime],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def test_perf_smoke_grades_everything_and_prints_the_tables(sandbox, settings):
    # One round at jobs=N under the session's runtime: every candidate graded and checked
    # against its expected points, every available peer's output checked against exec's.
    done = smoke(PERF, settings.runtime)
    assert "| figure" in done.stdout
    assert "| goal" in done.stdout
    assert "| machine" in done.stdout
    assert "bare lifecycle latency" in done.stdout
    # the floors under the per-case cost were measured (a lifecycle that failed leaves n/a)
    for floor in ("fork floor", "case floor"):
        row = next(line for line in done.stdout.splitlines() if line.startswith(f"| {floor}"))
        assert "n/a" not in row, row
    left = sandbox.client.containers.list(all=True, filters={"label": "chorebench.perf"})
    assert left == [], [c.name for c in left]


def test_fork_faults_smoke_prices_faults_and_counts_them_per_case(sandbox, settings):
    # A few cases under the session's runtime: the program ran in the image and every figure
    # is a number (minor faults are "not counted" under gVisor, whose getrusage has none); a
    # smoke run's figures are not asserted.
    done = smoke(FAULTS, settings.runtime)
    rows = [line for line in done.stdout.splitlines() if line.startswith(("| CPU", "| a case"))]
    assert len(rows) == 5, done.stdout
    for row in rows:
        value = row.rstrip(" |").rsplit("|", 1)[1].strip()
        if value != "not counted":
            float(value)  # a number, not n/a
    left = sandbox.client.containers.list(all=True, filters={"label": "chorebench.perf"})
    assert left == [], [c.name for c in left]
