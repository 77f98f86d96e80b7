"""The runner's own overhead per sample, against a loopback Ollama that answers instantly.

Grading is excluded: the sandbox is replaced by one that answers at once with an empty
report (every case then counts as crashed), so what is timed is chorebench's work around a
sample: the HTTP round trip, extraction, compliance, scoring, the fsynced record. Usage::

    python benchmarks/runner_overhead.py [--samples N]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from runner.records import Execution, Limits
from runner.run import RunPlan, collect
from runner.spec import load_spec

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from fakes import FakeModel, FakeOllama, Reply  # noqa: E402


class InstantSandbox:
    """Answers every job at once with an empty transcript: grading costs nothing here."""

    def execute(self, job: bytes, limits: Limits, cases: int, kind: str = "function") -> Execution:
        return Execution(b"", b"", False, False, 0, False, 0.0, "none", "none", "none")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=200)
    args = parser.parse_args()
    spec = load_spec(ROOT / "specs" / "iso_duration.json")
    model = FakeModel("instant:1b", [Reply(response=spec.reference)])
    with FakeOllama([model]) as server, tempfile.TemporaryDirectory() as tmp:

        def timed(runs: int, name: str) -> float:
            plan = RunPlan(
                models=("instant:1b",), specs=(spec,), out=Path(tmp) / name,
                hosts=(server.url,), runs=runs,
            )  # fmt: skip
            started = time.perf_counter()
            summary = collect(plan, InstantSandbox(), {"tag": "none", "id": "none"})
            assert summary.collected == runs, summary
            return time.perf_counter() - started

        timed(1, "warm-up")
        fixed = timed(1, "one")
        total = timed(args.samples + 1, "many")
    per_sample = (total - fixed) / args.samples
    print(f"{args.samples} samples against an instant loopback server, grading excluded:")
    print(f"  fixed cost of a run (connect, survey, manifest): {fixed * 1000:.1f} ms")
    print(f"  per sample: {per_sample * 1000:.2f} ms")


if __name__ == "__main__":
    main()
