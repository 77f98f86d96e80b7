"""Agreement with EvalPlus: the same samples graded by EvalPlus 0.3.1 and by chorebench.

The samples are every task's gold solution (its prompt plus its canonical solution) and
wrong ones made by mutating canonical solutions (``benchmarks/mutants.py``). EvalPlus runs
twice, offline (``HUMANEVAL_OVERRIDE_PATH`` / ``MBPP_OVERRIDE_PATH`` on uncompressed copies),
with the same time rule as the imported specs (a 4 s floor, 4 x the reference's time);
chorebench grades the same samples files against the imported suites (``grade --samples``).
Each sample's verdicts are compared on the base tests and on base + plus tests (what
EvalPlus reports as "base" and "base + extra"). A difference where EvalPlus's two runs
disagree with each other is EvalPlus's flakiness; every other one is listed for docs/SUITES.md.

Usage (needs the ``suites`` extra: EvalPlus 0.3.1)::

    python benchmarks/suites_agreement.py [--dataset humaneval|mbpp ...] [--mutants N]
        [--out DIR] [--jobs N] [--runtime runc|runsc]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from mutants import OPERATORS, mutants
from suites_gold import DATA_FILES, SPEC_FOLDERS, data_dir

from runner.commands import grade_samples_file
from runner.settings import Settings
from runner.suites import read_tasks, spec_id

EVALPLUS_RUN = (
    "import sys; from evalplus.evaluate import evaluate; "
    "evaluate(sys.argv[1], samples=sys.argv[2], parallel=int(sys.argv[3]), "
    "i_just_wanna_run=True, min_time_limit=4.0, gt_time_limit_factor=4.0)"
)
OVERRIDE = {"humaneval": "HUMANEVAL_OVERRIDE_PATH", "mbpp": "MBPP_OVERRIDE_PATH"}


def make_samples(dataset: str, data: Path, count: int) -> list[dict[str, Any]]:
    """Gold for every task, then up to ``count`` mutants (one per task, operators in turn)."""
    tasks = read_tasks(data / DATA_FILES[dataset])
    samples = [
        {"task_id": t["task_id"], "solution": t["prompt"] + t["canonical_solution"], "kind": "gold"}
        for t in tasks
    ]
    names = list(OPERATORS)
    made = 0
    for index, task in enumerate(tasks):
        if made >= count:
            break
        gold = task["prompt"] + task["canonical_solution"]
        options = dict(mutants(gold, task["entry_point"], seed=index))
        for name in names[index % len(names) :] + names[: index % len(names)]:
            if name in options:
                mutant = {"task_id": task["task_id"], "solution": options[name], "kind": name}
                samples.append(mutant)
                made += 1
                break
    return samples


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps({"task_id": row["task_id"], "solution": row["solution"]}))
            handle.write("\n")


def run_evalplus(
    dataset: str, data: Path, work: Path, samples: Path, parallel: int, reuse: bool
) -> list[dict]:
    """One EvalPlus run on ``samples`` (or, with ``reuse``, its results from an earlier
    run on the same file); its verdicts in the samples' order."""
    plain = work / DATA_FILES[dataset].removesuffix(".gz")
    if not plain.exists():
        with gzip.open(data / DATA_FILES[dataset], "rb") as src, plain.open("wb") as dst:
            shutil.copyfileobj(src, dst)
    env = dict(os.environ, **{OVERRIDE[dataset]: str(plain)})
    command = [sys.executable, "-c", EVALPLUS_RUN, dataset, str(samples), str(parallel)]
    quiet = {"stdout": subprocess.DEVNULL, "stdin": subprocess.DEVNULL}
    output = samples.with_name(samples.stem + "_eval_results.json")
    if not (reuse and output.exists()):
        output.unlink(missing_ok=True)  # EvalPlus asks on stdin before it overwrites one
        subprocess.run(command, env=env, check=True, **quiet)
    results = json.loads(output.read_text())
    verdicts: dict[str, list[dict]] = {
        task_id: list(rows) for task_id, rows in results["eval"].items()
    }
    ordered = []
    seen: dict[str, int] = {}
    for line in samples.read_text().splitlines():
        task_id = json.loads(line)["task_id"]
        row = verdicts[task_id][seen.get(task_id, 0)]
        seen[task_id] = seen.get(task_id, 0) + 1
        base = row["base_status"] == "pass"
        ordered.append({"base": base, "base+plus": base and row["plus_status"] == "pass"})
    return ordered


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", action="append", choices=list(DATA_FILES))
    parser.add_argument("--mutants", type=int, default=200, help="per dataset (default 200)")
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=Path("/tmp/chorebench-agreement"))
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--runtime", default="runc")
    parser.add_argument("--evalplus-runs", type=int, default=2)
    parser.add_argument(
        "--reuse", action="store_true", help="keep EvalPlus results already in --out"
    )
    args = parser.parse_args()
    data = data_dir(args.data)
    settings = Settings.from_env().with_flags(runtime=args.runtime, jobs=args.jobs)
    summary: dict[str, Any] = {}
    for dataset in args.dataset or list(DATA_FILES):
        samples = make_samples(dataset, data, args.mutants)
        work = args.out / dataset
        work.mkdir(parents=True, exist_ok=True)
        runs = []
        for run in range(args.evalplus_runs):
            path = work / f"evalplus{run + 1}" / "samples.jsonl"
            results = path.with_name("samples_eval_results.json")
            if not (args.reuse and results.exists()):
                write_jsonl(path, samples)
            started = time.monotonic()
            runs.append(run_evalplus(dataset, data, work, path, args.jobs, args.reuse))
            took = time.monotonic() - started
            print(f"{dataset}: EvalPlus run {run + 1}: {took:.0f} s", flush=True)
        ours_path = work / "chorebench" / "samples.jsonl"
        imported = {path.stem for path in SPEC_FOLDERS[dataset].glob("*.json")}
        kept = [i for i, sample in enumerate(samples) if spec_id(sample["task_id"]) in imported]
        missing = sorted({s["task_id"] for i, s in enumerate(samples) if i not in set(kept)})
        if missing:
            print(f"{dataset}: not in the imported suite, left out: {missing}", flush=True)
        write_jsonl(ours_path, [samples[i] for i in kept])
        started = time.monotonic()
        result = grade_samples_file(SPEC_FOLDERS[dataset], ours_path, settings)
        print(f"{dataset}: chorebench: {time.monotonic() - started:.0f} s", flush=True)
        runs = [[run[i] for i in kept] for run in runs]
        samples = [samples[i] for i in kept]
        rows = []
        for index, (sample, graded) in enumerate(zip(samples, result.grades, strict=True)):
            ours = {"base": graded.passed("base"), "base+plus": graded.passed("base", "plus")}
            theirs = [run[index] for run in runs]
            for figure in ("base", "base+plus"):
                verdicts = {r[figure] for r in theirs}
                if ours[figure] in verdicts and len(verdicts) == 1:
                    continue
                failed = [c for c in graded.grade.checks if not c.passed]
                rows.append(
                    {
                        "task_id": sample["task_id"],
                        "kind": sample["kind"],
                        "figure": figure,
                        "chorebench": ours[figure],
                        "evalplus": [r[figure] for r in theirs],
                        "evalplus_flaky": len(verdicts) > 1,
                        "first_failure": (
                            f"{failed[0].case}: {failed[0].outcome.value} {failed[0].detail}"
                            if failed
                            else None
                        ),
                    }
                )
        gold = [s["kind"] == "gold" for s in samples]
        summary[dataset] = {
            "samples": len(samples),
            "gold": sum(gold),
            "mutants": len(samples) - sum(gold),
            "evalplus_runs": args.evalplus_runs,
            "differences": len(rows),
            "differences_outside_evalplus_flakiness": sum(not r["evalplus_flaky"] for r in rows),
            "rows": rows,
        }
        print(
            f"{dataset}: {len(samples)} samples ({sum(gold)} gold), {len(rows)} differences, "
            f"{summary[dataset]['differences_outside_evalplus_flakiness']} where EvalPlus "
            "agreed with itself",
            flush=True,
        )
        for row in rows:
            print(f"  {json.dumps(row)}", flush=True)
    (args.out / "agreement.json").write_text(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    main()
