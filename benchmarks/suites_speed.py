"""Whole suites against EvalPlus: each gold pass graded by chorebench and by EvalPlus 0.3.1.

For each dataset, every task's gold solution (its prompt plus its canonical solution) goes
into one samples file. EvalPlus's expected outputs are computed first, untimed, as its users
have them (cached in ``~/.cache/evalplus``): an untimed first pass. Then each round times, on the
same file and at the same parallelism, EvalPlus's evaluator (``--parallel N``, offline through
``HUMANEVAL_OVERRIDE_PATH`` / ``MBPP_OVERRIDE_PATH``, the imported specs' time rule) and
chorebench's ``grade --samples`` (``--jobs N``, the imported suite in ``specs/``, every
candidate in its own hardened container), alternating which goes first. Both are timed end to
end: loading the data and the specs, starting workers or containers, grading every input.
The figure is chorebench's wall time over EvalPlus's, the median over rounds (goal: at most
1.0). Each side's pass counts (base, base + plus) are printed with it, so a fast wrong
verdict cannot pass for speed.

With ``--write`` the table goes into docs/PERFORMANCE.md between its own markers.

Usage (needs the ``suites`` extra: EvalPlus 0.3.1; imports a suite missing from specs/)::

    python benchmarks/suites_speed.py [--dataset humaneval|mbpp ...] [--rounds 1] [--jobs 2]
        [--runtime runc|runsc] [--out DIR] [--json FILE] [--write]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bare import bare_lifecycle, throughput
from perf_report import DOC, describe_machine, write_doc
from suites_agreement import make_samples, run_evalplus, write_jsonl
from suites_gold import DATA_FILES, SPEC_FOLDERS, data_dir, ensure_imported
from tabulate import tabulate

from runner.commands import grade_samples_file
from runner.records import Limits
from runner.sandbox import open_sandbox
from runner.settings import Settings
from runner.spec import load_specs
from runner.values import parse_literal


def evalplus_pass(dataset: str, data: Path, work: Path, samples: Path, jobs: int) -> dict:
    started = time.monotonic()
    verdicts = run_evalplus(dataset, data, work, samples, jobs, reuse=False)
    return {
        "wall_s": time.monotonic() - started,
        "base": sum(v["base"] for v in verdicts),
        "base+plus": sum(v["base+plus"] for v in verdicts),
    }


def chorebench_pass(dataset: str, samples: Path, settings: Settings) -> dict:
    started = time.monotonic()
    result = grade_samples_file(SPEC_FOLDERS[dataset], samples, settings)
    return {
        "wall_s": time.monotonic() - started,
        "base": sum(g.passed("base") for g in result.grades),
        "base+plus": sum(g.passed("base", "plus") for g in result.grades),
    }


def gold_compute_s(folder: Path, samples: list[dict[str, Any]]) -> float:
    """CPU seconds the gold solutions take on every input, called in one plain process.

    What any grader must spend on the suite whatever its isolation: each task's gold is run
    once on each of its inputs (parsed beforehand, untimed), in a child process of this
    script (trusted code: the suite's own solutions, from the specs in ``folder``), and only
    the calls are timed.
    """
    context = multiprocessing.get_context("spawn")  # this process may have threads: no fork
    with ProcessPoolExecutor(1, mp_context=context) as pool:
        return pool.submit(_gold_compute, folder, samples).result()


def _gold_compute(folder: Path, samples: list[dict[str, Any]]) -> float:
    sys.set_int_max_str_digits(0)
    specs = {spec.suite.task_id: spec for spec in load_specs([folder])
             if spec.suite is not None}  # fmt: skip
    spent = 0.0
    for sample in samples:
        spec = specs[sample["task_id"]]
        namespace: dict[str, Any] = {"__name__": "gold"}
        exec(sample["solution"], namespace)
        function = namespace[spec.entry_point]
        calls = [[parse_literal(a) for a in case.args] for case in spec.cases]
        started = time.process_time()
        for args in calls:
            try:
                function(*args)
            except Exception:
                continue
        spent += time.process_time() - started
    return spent


def platform_floor(tasks: int, jobs: int, runtime: str, compute_s: float) -> dict[str, float]:
    """About the least wall time a grader with one hardened container per candidate can take.

    ``tasks`` bare hardened lifecycles (``bare.bare_lifecycle``: create, start, ``python3 -c
    pass``, remove) at ``jobs`` at once, timed now, plus the gold's own compute spread over
    ``jobs`` cores. An estimate, not a proof: the two add up when each keeps the cores busy,
    and bare lifecycles at jobs=2 leave little idle; the compute could fill what they leave.
    chorebench adds the job, the report, its per-input work and the host's comparison on top.
    """
    limits = Limits()
    with open_sandbox(Settings(runtime=runtime, pool=0)) as box:
        client, image = box.client, box.image.id
        lifecycles = tasks / throughput(
            lambda: bare_lifecycle(client, image, limits, runtime), tasks, jobs
        )
    return {"lifecycles_s": lifecycles, "compute_s": compute_s,
            "wall_s": lifecycles + compute_s / jobs}  # fmt: skip


def one_dataset(dataset: str, args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    data = data_dir(args.data)
    gold = make_samples(dataset, data, 0)
    work = args.out / dataset
    samples = work / "gold" / "samples.jsonl"
    write_jsonl(samples, gold)
    # EvalPlus takes only a samples file with every task: an untimed pass on the same file.
    took = evalplus_pass(dataset, data, work, samples, args.jobs)["wall_s"]
    print(f"{dataset}: EvalPlus's expected outputs ready ({took:.0f} s)", flush=True)
    compute = gold_compute_s(SPEC_FOLDERS[dataset], gold)
    print(f"{dataset}: the gold's own compute: {compute:.1f} s of CPU", flush=True)
    rounds = []
    for number in range(args.rounds):
        figures: dict[str, dict] = {}
        order = ("evalplus", "chorebench", "floor")
        for side in order[number % 3 :] + order[: number % 3]:
            if side == "evalplus":
                figures[side] = evalplus_pass(dataset, data, work, samples, args.jobs)
            elif side == "chorebench":
                figures[side] = chorebench_pass(dataset, samples, settings)
            else:
                figures[side] = platform_floor(len(gold), args.jobs, settings.runtime, compute)
            print(f"{dataset}: round {number + 1}: {side}: {json.dumps(figures[side])}", flush=True)
        theirs = figures["evalplus"]["wall_s"]
        figures["ratio"] = figures["chorebench"]["wall_s"] / theirs
        figures["floor_ratio"] = figures["floor"]["wall_s"] / theirs
        rounds.append(figures)
    ratio = statistics.median(r["ratio"] for r in rounds)
    floor = statistics.median(r["floor_ratio"] for r in rounds)
    print(f"{dataset}: {len(gold)} gold solutions; chorebench / EvalPlus wall time {ratio:.2f}"
          f" (the platform's floor: {floor:.2f})")  # fmt: skip
    return {"tasks": len(gold), "jobs": args.jobs, "ratio": ratio, "floor_ratio": floor,
            "rounds": rounds}  # fmt: skip


BEGIN = "<!-- suites:begin (generated by `make perf-suites`; edit outside the markers) -->"
END = "<!-- suites:end -->"
NAMES = {"humaneval": "HumanEval+", "mbpp": "MBPP+"}
GOAL = 1.0  # chorebench's wall time over EvalPlus's, at the same parallelism


def render(summary: dict[str, dict[str, Any]], runtime: str, machine: list) -> str:
    """The generated section: every round of every dataset, then the goal per dataset."""
    rows, goals = [], []
    for dataset, result in summary.items():
        for number, figures in enumerate(result["rounds"], 1):
            ours, theirs, floor = figures["chorebench"], figures["evalplus"], figures["floor"]
            rows.append([
                NAMES[dataset], number,
                f"{theirs['wall_s']:.0f}", f"{theirs['base']}, {theirs['base+plus']}",
                f"{ours['wall_s']:.0f}", f"{ours['base']}, {ours['base+plus']}",
                f"{figures['ratio']:.2f}",
                f"{floor['wall_s']:.0f} ({floor['lifecycles_s']:.0f} + "
                f"{floor['compute_s']:.0f}/{result['jobs']})",
                f"{figures['floor_ratio']:.2f}",
            ])  # fmt: skip
        verdict = "pass" if result["ratio"] <= GOAL else "FAIL"
        goals.append([f"{NAMES[dataset]} gold pass: chorebench / EvalPlus 0.3.1, wall time",
                      f"<= {GOAL}", f"{result['ratio']:.2f} {verdict}",
                      f"{result['floor_ratio']:.2f}"])  # fmt: skip
    jobs = next(iter(summary.values()))["jobs"]
    headers = ["suite", "round", "EvalPlus, s", "EvalPlus passes (base, base+plus)",
               "chorebench, s", "chorebench passes (base, base+plus)", "ratio",
               "floor, s (lifecycles + compute/jobs)", "floor / EvalPlus"]  # fmt: skip
    return "\n".join([
        f"Every gold solution, at the same parallelism (EvalPlus `--parallel {jobs}`, chorebench "
        f"`--jobs {jobs}` under {runtime}), EvalPlus's expected outputs cached first. The floor "
        "estimates what any grader with one hardened container per candidate must spend, in "
        "the same round: that many bare hardened container lifecycles at the same parallelism, "
        "plus the gold solutions' own CPU time on every input (called in one plain process) "
        "spread over the same number of cores.",
        "",
        tabulate(rows, headers, tablefmt="github", disable_numparse=True),
        "",
        tabulate(goals, ["goal", "target", runtime, "floor"], tablefmt="github",
                 disable_numparse=True),
        "",
        tabulate(machine, ["machine", ""], tablefmt="github"),
    ])  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", action="append", choices=list(DATA_FILES))
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--runtime", default="runc")
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=Path("/tmp/chorebench-suite-speed"))
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument("--write", action="store_true", help=f"rewrite the table in {DOC}")
    args = parser.parse_args()
    load = os.getloadavg()
    ensure_imported(args.data, False, Settings.from_env().with_flags(jobs=args.jobs))
    settings = Settings.from_env().with_flags(runtime=args.runtime, jobs=args.jobs)
    summary = {
        dataset: one_dataset(dataset, args, settings)
        for dataset in args.dataset or list(DATA_FILES)
    }
    if args.json:
        args.json.write_text(json.dumps({"runtime": args.runtime, **summary}, indent=2) + "\n")
    text = render(summary, args.runtime, describe_machine([], (load, os.getloadavg())))
    print(text)
    if args.write:
        write_doc(DOC, text, BEGIN, END)
        print(f"wrote {DOC}", file=sys.stderr)


if __name__ == "__main__":
    main()
