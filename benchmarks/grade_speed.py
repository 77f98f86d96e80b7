"""How long grading one function candidate takes, beside a bare hardened `docker run`.

Both are measured in the same run, on the same image, so the ratio means something on a
shared machine where absolute times are noise. Usage::

    python benchmarks/grade_speed.py [--runs N] [--runtime runc|runsc]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import time
from pathlib import Path

from runner.grade import grade_response
from runner.sandbox import open_sandbox
from runner.settings import Settings
from runner.spec import load_spec

ROOT = Path(__file__).resolve().parent.parent


def bare_run(image: str, runtime: str) -> float:
    """One bare hardened container lifecycle running `python3 -c pass`, in seconds."""
    command = [
        "docker", "run", "--rm", "--runtime", runtime, "--network", "none", "--read-only",
        "--cap-drop", "ALL", "--security-opt", "no-new-privileges", "--pids-limit", "64",
        "--memory", "256m", "--memory-swap", "256m", "--cpus", "1", "--user", "65534:65534",
        "--tmpfs", "/tmp:size=16m", image, "python3", "-c", "pass",
    ]  # fmt: skip
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--runtime", choices=["runc", "runsc"], default="runc")
    args = parser.parse_args()
    spec = load_spec(ROOT / "specs" / "iso_duration.json")
    with open_sandbox(Settings(runtime=args.runtime)) as sandbox:
        image = sandbox.image.tag
        grade_response(spec, spec.reference, sandbox)  # warm the engine's caches for both
        bare_run(image, args.runtime)
        bare, graded = [], []
        for _ in range(args.runs):  # interleaved, so drift on the machine hits both alike
            bare.append(bare_run(image, args.runtime))
            started = time.perf_counter()
            grade = grade_response(spec, spec.reference, sandbox)
            graded.append(time.perf_counter() - started)
            assert grade.points == grade.max_points, grade.to_json()
    bare_median, grade_median = statistics.median(bare), statistics.median(graded)
    print(f"runtime {args.runtime}, image {image}, {args.runs} runs each, medians:")
    print(f"  bare hardened docker run (python3 -c pass): {bare_median:.3f} s")
    print(f"  chorebench grade, iso_duration, {len(spec.cases)} cases:  {grade_median:.3f} s")
    print(f"  ratio grade / bare: {grade_median / bare_median:.2f}")


if __name__ == "__main__":
    main()
