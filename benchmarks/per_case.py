"""What one more case costs: the slope between a 10-case and a 1000-case spec of a trivial function.

A case's cost is what the harness pays to run it in a process of its own (fork, isolation,
the call, the record) plus what the host pays to read and compare its record. Container
start-up and removal are the same for both specs, so the slope ``(t_1000 - t_10) / 990``
is the per-case cost alone. Each sample is one ``grade_response`` through a sandbox whose
warm pool was filled before the sample (untimed), so start-up noise stays out of it.

Several harnesses can be measured in one run (``--grader DIR``, each a ``grader_image/``
folder; the image is built from it): e.g. main's harness beside this one, the samples
interleaved round by round. Usage::

    python benchmarks/per_case.py [--rounds N] [--runtime runc] [--grader DIR ...]
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from bare import timed

from runner.grade import grade_response
from runner.records import Case, Spec
from runner.settings import RUNTIMES, Settings
from runner.spec import load_spec

SPECS = Path(__file__).resolve().parent.parent / "specs"
SIZES = (10, 1000)
TRIVIAL = "def identity(x):\n    return x\n"
WARM_WAIT_S = 120.0


def trivial_spec(cases: int) -> Spec:
    """A function spec of ``identity`` with ``cases`` cases (int arguments, echoed back)."""
    base = load_spec(SPECS / "iso_duration.json")
    return replace(
        base,
        id=f"identity_{cases}",
        entry_point="identity",
        reference=TRIVIAL,
        cases=tuple(Case(id=f"c{n}", args=(str(n),), expected=str(n)) for n in range(cases)),
    )


@dataclass(frozen=True)
class Slope:
    """One harness's per-case figures under one runtime (medians over the rounds)."""

    label: str
    runtime: str
    seconds: dict[int, float]
    """Median grade time per spec size."""

    @property
    def per_case_ms(self) -> float:
        """Milliseconds one more case costs."""
        small, large = SIZES
        return 1000 * (self.seconds[large] - self.seconds[small]) / (large - small)


def measure(runtime: str, graders: dict[str, Path], rounds: int) -> list[Slope]:
    """The slope of each harness under ``runtime``, samples interleaved over ``rounds``."""
    from runner.sandbox import open_sandbox

    specs = {size: trivial_spec(size) for size in SIZES}
    samples: dict[tuple[str, int], list[float]] = {}
    with contextlib.ExitStack() as stack:
        boxes = {
            label: stack.enter_context(
                open_sandbox(Settings(runtime=runtime, pool=1, grader_dir=folder))
            )
            for label, folder in graders.items()
        }
        tasks: dict[tuple[str, int], Callable[[], float]] = {
            (label, size): grade_sample(box, specs[size])
            for label, box in boxes.items()
            for size in SIZES
        }
        for task in tasks.values():  # warm-up: images, caches; not counted
            task()
        names = list(tasks)
        for number in range(rounds):
            start = number % len(names)
            for name in names[start:] + names[:start]:
                samples.setdefault(name, []).append(tasks[name]())
    return [
        Slope(label, runtime, {size: statistics.median(samples[label, size]) for size in SIZES})
        for label in graders
    ]


def grade_sample(box, spec: Spec) -> Callable[[], float]:
    """One timed grade of the spec's reference through a full warm pool; checks full marks.

    A grade short of full marks raises AssertionError: the measurement is void.
    """

    def sample() -> float:
        box.prestart(spec.limits, WARM_WAIT_S)
        box.settle()
        grades: list = []
        seconds = timed(lambda: grades.append(grade_response(spec, spec.reference, box)))
        grade = grades[0]
        if grade.points != grade.max_points:
            failed = [c for c in grade.checks if not c.passed][:3]
            raise AssertionError(f"{spec.id} graded {grade.points}/{grade.max_points}: {failed}")
        box.settle()
        return seconds

    return sample


def render(slopes: list[Slope], rounds: int) -> str:
    """The per-case table, markdown."""
    small, large = SIZES
    lines = [
        f"Per-case cost: medians of {rounds} interleaved round(s); one warm-pool grade of a "
        f"trivial function (`identity`) with {small} and with {large} cases.",
        "",
        f"| harness | runtime | {small} cases, s | {large} cases, s | per case, ms |",
        "|---------|---------|------:|------:|------:|",
    ]
    for slope in slopes:
        lines.append(
            f"| {slope.label} | {slope.runtime} | {slope.seconds[small]:.3f} | "
            f"{slope.seconds[large]:.3f} | {slope.per_case_ms:.2f} |"
        )
    return "\n".join(lines)


def main() -> int:
    """Measure and print the per-case table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="samples per figure (default 3)")
    parser.add_argument("--runtime", action="append", choices=RUNTIMES, help="default: both")
    parser.add_argument(
        "--grader",
        action="append",
        metavar="LABEL=DIR",
        help="a harness to measure (default: this checkout's grader_image/)",
    )
    args = parser.parse_args()
    graders = dict(g.split("=", 1) for g in args.grader) if args.grader else {"this": ""}
    folders = {label: Path(d) if d else Settings().grader_dir for label, d in graders.items()}
    slopes = []
    for runtime in args.runtime or RUNTIMES:
        print(f"per-case cost under {runtime}...", file=sys.stderr, flush=True)
        slopes += measure(runtime, folders, args.rounds)
    print(render(slopes, args.rounds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
