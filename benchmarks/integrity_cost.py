"""What issue 19's defences cost, each against what it replaced, measured in the same run.

1. Pytest grading: the reference now runs twice (``run_plan``). "Before" is the work main did
   for the same grade: one execution per variant, the reference once; "after" is
   ``grade_response``. Interleaved rounds, so drift on a shared machine hits both alike.
2. The per-case sweep (the harness kills and reaps until /proc lists only itself). Its cost
   is the slope of a container's time over its number of cases: a trivial function spec
   with 10 and with 1000 cases, on the harness before (``--before``, a git revision,
   default ``main``) and after (this checkout), all in one run.

    python benchmarks/integrity_cost.py [--rounds 3] [--runtime runc|runsc] [--before main]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from runner.grade import (
    TEST_FILE,
    function_job,
    grade_response,
    layout,
    module_file,
    pytest_job,
    variant_sources,
)
from runner.records import Case, Spec
from runner.sandbox import DockerSandbox, ensure_image, open_sandbox
from runner.settings import Settings
from runner.spec import load_spec

ROOT = Path(__file__).resolve().parent.parent
TRIVIAL = "def parse_iso_duration(s):\n    return 0\n"


def pytest_before(spec: Spec, sandbox: DockerSandbox) -> float:
    """Seconds main's grading of the reference test took: one execution per variant."""
    assert spec.module is not None
    started = time.perf_counter()
    for _, source in variant_sources(spec):
        files = layout(spec.module.import_path, source, spec.reference)
        job = pytest_job(spec, files, TEST_FILE, (module_file(spec.module.import_path),))
        execution = sandbox.execute(job, spec.limits, 1)
        assert execution.exit_code == 0, execution
    return time.perf_counter() - started


def pytest_after(spec: Spec, sandbox: DockerSandbox) -> float:
    started = time.perf_counter()
    grade = grade_response(spec, spec.reference, sandbox)
    assert grade.points == grade.max_points, grade.to_json()
    return time.perf_counter() - started


def with_cases(spec: Spec, count: int) -> Spec:
    case = Case(id="c0", args=("'PT1S'",), expected="0")
    return replace(spec, cases=tuple(replace(case, id=f"c{i}") for i in range(count)))


def container_s(spec: Spec, sandbox: DockerSandbox) -> float:
    started = time.perf_counter()
    execution = sandbox.execute(function_job(spec, TRIVIAL), spec.limits, len(spec.cases))
    assert execution.exit_code == 0 and not execution.timed_out, execution
    return time.perf_counter() - started


def harness_at(revision: str, folder: Path) -> Path:
    """The grader image's folder as it is at ``revision``, written under ``folder``."""
    for name in ("Dockerfile", "harness.py"):
        text = subprocess.run(
            ["git", "show", f"{revision}:grader_image/{name}"],
            cwd=ROOT, check=True, capture_output=True, text=True,
        ).stdout  # fmt: skip
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--runtime", choices=["runc", "runsc"], default="runc")
    parser.add_argument("--before", default="main", help="git revision of the old harness")
    args = parser.parse_args()
    cache = load_spec(ROOT / "specs" / "cache_reset_test.json")
    iso = load_spec(ROOT / "specs" / "iso_duration.json")
    small, large = with_cases(iso, 10), with_cases(iso, 1000)
    settings = Settings(runtime=args.runtime)
    with (
        tempfile.TemporaryDirectory(prefix="chorebench-bench-") as folder,
        open_sandbox(settings) as after,
    ):
        old = ensure_image(after.client, harness_at(args.before, Path(folder)))
        with open_sandbox(replace(settings, image=old.tag)) as before:
            times: dict[str, list[float]] = {}
            for _ in range(args.rounds + 1):  # the first round warms caches: dropped
                for name, measure in (
                    ("pytest before", lambda: pytest_before(cache, after)),
                    ("pytest after", lambda: pytest_after(cache, after)),
                    ("10 cases before", lambda: container_s(small, before)),
                    ("1000 cases before", lambda: container_s(large, before)),
                    ("10 cases after", lambda: container_s(small, after)),
                    ("1000 cases after", lambda: container_s(large, after)),
                ):
                    times.setdefault(name, []).append(measure())
    median = {name: statistics.median(values[1:]) for name, values in times.items()}
    print(f"runtime {args.runtime}, {args.rounds} rounds, medians (s):")
    for name, value in median.items():
        print(f"  {name}: {value:.3f}")
    ratio = median["pytest after"] / median["pytest before"]
    print(f"pytest grade (cache_reset_test, 4 mutants): after / before = {ratio:.2f}")
    for when in ("before", "after"):
        slope = (median[f"1000 cases {when}"] - median[f"10 cases {when}"]) / 990
        print(f"per-case slope {when}: {slope * 1000:.2f} ms")


if __name__ == "__main__":
    main()
