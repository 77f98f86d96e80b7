"""Gold consistency: every canonical solution of HumanEval+ and MBPP+, graded round after round.

Each round grades every imported spec's reference (the task's prompt plus its canonical
solution, exactly EvalPlus's gold) as a response, and counts how many earn full marks (base
and plus groups both passed). The figure must be 164/164 and 378/378 in every round, under
runc and under gVisor. Failures are printed with their first failing case.

Usage::

    python benchmarks/suites_gold.py [--rounds 5] [--runsc-rounds 1] [--jobs 2]
        [--import] [--data DIR] [--json FILE]

The suites are read from specs/humanevalplus and specs/mbppplus; ``--import`` (or a
missing folder) imports them first from the EvalPlus files in ``--data`` (default
../shared/data/evalplus beside the repository).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from runner.commands import import_suite
from runner.grade import grade_all
from runner.sandbox import open_sandbox
from runner.settings import PROJECT_ROOT, Settings
from runner.spec import load_specs

DATA_FILES = {"humaneval": "HumanEvalPlus-v0.1.10.jsonl.gz", "mbpp": "MbppPlus-v0.2.0.jsonl.gz"}
SPEC_FOLDERS = {
    "humaneval": PROJECT_ROOT / "specs" / "humanevalplus",
    "mbpp": PROJECT_ROOT / "specs" / "mbppplus",
}
DATA_CANDIDATES = (
    PROJECT_ROOT.parent / "shared" / "data" / "evalplus",
    Path("/work/shared/data/evalplus"),
)


def data_dir(given: Path | None) -> Path:
    """The folder with EvalPlus's files: ``given``, else the first default that has them."""
    for folder in [given] if given else DATA_CANDIDATES:
        if all((folder / name).exists() for name in DATA_FILES.values()):
            return folder
    raise SystemExit(f"EvalPlus files not found in {given or DATA_CANDIDATES}: pass --data DIR")


def ensure_imported(data: Path | None, again: bool, settings: Settings) -> None:
    """Import each suite into specs/ when its folder is missing (or always, with ``again``)."""
    for dataset, folder in SPEC_FOLDERS.items():
        if again or not folder.is_dir():
            started = time.monotonic()
            imported = import_suite(data_dir(data) / DATA_FILES[dataset], folder, (), settings)
            print(
                f"imported {dataset}: {len(imported.written)} specs, {len(imported.skipped)} "
                f"skipped {imported.skipped}, {time.monotonic() - started:.0f} s",
                flush=True,
            )


def one_round(runtime: str, jobs: int, specs: dict[str, list[Any]]) -> dict[str, Any]:
    """Grade every gold solution once under ``runtime``; full-mark counts and failures."""
    settings = Settings.from_env().with_flags(runtime=runtime, jobs=jobs).for_many()
    result: dict[str, Any] = {"runtime": runtime}
    with open_sandbox(settings) as sandbox:
        for dataset, suite in specs.items():
            started = time.monotonic()
            grades = grade_all([(spec, spec.reference) for spec in suite], sandbox, jobs)
            failures = []
            for spec, grade in zip(suite, grades, strict=True):
                if grade.points == grade.max_points and not grade.infra_failed:
                    continue
                failed = [c for c in grade.checks if not c.passed]
                first = f"{failed[0].case}: {failed[0].outcome.value} {failed[0].detail}"
                failures.append(f"{spec.id}: {first if failed else grade.error}")
            result[dataset] = {
                "full_marks": len(suite) - len(failures),
                "tasks": len(suite),
                "seconds": round(time.monotonic() - started, 1),
                "failures": failures,
            }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="rounds under runc (default 5)")
    parser.add_argument("--runsc-rounds", type=int, default=1, help="rounds under gVisor")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--import", dest="reimport", action="store_true")
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--json", type=Path, default=None, help="also write the rounds here")
    args = parser.parse_args()
    ensure_imported(args.data, args.reimport, Settings.from_env().with_flags(jobs=args.jobs))
    specs = {dataset: load_specs([folder]) for dataset, folder in SPEC_FOLDERS.items()}
    rounds = []
    plan = ["runc"] * args.rounds + ["runsc"] * args.runsc_rounds
    for number, runtime in enumerate(plan, 1):
        result = one_round(runtime, args.jobs, specs)
        rounds.append(result)
        figures = ", ".join(
            f"{dataset} {result[dataset]['full_marks']}/{result[dataset]['tasks']} "
            f"in {result[dataset]['seconds']:.0f} s"
            for dataset in specs
        )
        print(f"round {number} ({runtime}): {figures}", flush=True)
        for dataset in specs:
            for failure in result[dataset]["failures"]:
                print(f"  FAIL {failure}", flush=True)
        if args.json:
            args.json.write_text(json.dumps(rounds, indent=2) + "\n")
    perfect = all(r[d]["full_marks"] == r[d]["tasks"] for r in rounds for d in specs)
    raise SystemExit(0 if perfect else 1)


if __name__ == "__main__":
    main()
