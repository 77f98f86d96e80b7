"""The benchmark runs end to end (``perf.py --smoke``): a smoke test, no timing asserted."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.docker

PERF = Path(__file__).resolve().parent.parent / "benchmarks" / "perf.py"


def test_perf_smoke_grades_everything_and_prints_the_tables(sandbox, settings):
    # One round at jobs=N under the session's runtime: every candidate graded and checked
    # against its expected points, every available peer's output checked against exec's.
    done = subprocess.run(
        [sys.executable, str(PERF), "--smoke", "--runtime", settings.runtime],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
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
