"""chorebench's speed against the container runtime, its peers and no isolation, in one run.

Per runtime (runc, then runsc when the engine has it), every measurement below is taken once
per round, the rounds interleaving all of them (each round starts one further along the
list), so drift on a shared machine hits every figure alike; the figures are medians over the
rounds, and what is compared is compared as ratios of figures from the same run:

- bare: a hardened create/start/``python3 -c pass``/remove (``bare.py``), alone (latency) and
  as a batch at jobs=1 and jobs=N (containers/s); and one lifecycle of ``import pytest``;
- chorebench latency: ``grade_response`` of one function candidate, cold (``pool=0``) and warm
  (a pool of pre-started containers, filled before the sample, untimed);
- chorebench rate: ``grade_all`` of the function candidates and of the pytest candidates
  (counted in container runs: one per variant) at jobs=1 and jobs=N, through a sandbox with a
  warm pool of N (what ``run``, ``regrade`` and ``bench`` use); the pool is full at the start
  and full again at the end of the timed batch, and every used container is removed, so the
  batch holds exactly one whole container lifecycle per run, like the bare batch;
- the peers (``peers.py``) and the in-process ``exec`` floor, per function candidate, serially;
- per-case cost (``per_case.py``): one warm grade of a trivial function with 10 cases and one
  with 1000 (50 in a smoke run); the slope between them is what one more case costs;
- the fork floor: bare lifecycles of a Python that forks (and reaps) 1 child and 201 (21 in a
  smoke run); the slope is what the smallest process per case costs under the runtime;
- the case floor: the same, each child also executing a one-line module, calling it and
  writing a JSON line to its parent (``bare.case_command``): the least a case run in a Python
  process of its own costs.

Every grade is checked against the workload's expected points, and every peer's output against
the floor's, in every round: a measurement that gets one wrong is void (no figure; the error
is printed in the notes, and the exit code is 1). Usage::

    python benchmarks/perf.py [--rounds N] [--jobs N] [--runtime runc] [--write] [--smoke]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from bare import bare_lifecycle, case_command, fork_command, throughput, timed
from peers import Peer, expected_outputs, make_peers, program, run_in_process, same_output
from per_case import grade_sample, trivial_spec
from perf_report import DOC, describe_machine, render, write_doc
from workload import Candidate, Workload, check_grades, load_workload, variants

from runner.errors import SandboxError
from runner.grade import grade_all, grade_response
from runner.records import Limits
from runner.sandbox import DockerSandbox
from runner.settings import RUNTIMES, Settings

WARM_WAIT_S = 120.0
PER_CASE = (10, 1000)  # the trivial spec's sizes; the slope between them is the per-case cost
PER_CASE_SMOKE = (10, 50)
# What a fresh container per pytest run cannot avoid: the bound under the pytest-kind rate.
PYTEST_IMPORT = ["python3", "-I", "-c", "import pytest"]
FORKS, FORKS_SMOKE = 201, 21  # the fork floor: a lifecycle of 1 fork against one of FORKS


@dataclass
class Measured:
    """One runtime's samples per measurement, or the reason it was skipped."""

    runtime: str
    skipped: str | None = None
    samples: dict[str, list[float]] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    """Per measurement: why it has no figure, or what was adapted."""
    void: dict[str, str] = field(default_factory=dict)
    """Measurements dropped because a grade or an output was wrong, with the first error."""
    image: str = ""

    def median(self, name: str) -> float | None:
        """The median of a measurement's samples, None when it has none."""
        values = self.samples.get(name)
        return statistics.median(values) if values else None


def has_pool() -> bool:
    """Whether this chorebench has the warm pool (``Settings.pool``)."""
    return any(f.name == "pool" for f in fields(Settings))


def measure(
    runtime: str, work: Workload, rounds: int, jobs: int, repeat: int, smoke: bool
) -> Measured:
    """Every measurement for one runtime, interleaved over ``rounds`` rounds.

    ``repeat`` multiplies the function candidates in a rate batch (the pytest ones run once:
    they already hold one container per variant). A smoke run has no warm-up round and
    measures rates at jobs=N only.
    """
    from runner.sandbox import open_sandbox

    result = Measured(runtime)
    base = Settings(runtime=runtime)
    with contextlib.ExitStack() as stack:
        try:
            cold = stack.enter_context(open_sandbox(replace(base, pool=0) if has_pool() else base))
        except SandboxError as exc:
            result.skipped = f"skipped: {exc}"
            return result
        warm = stack.enter_context(open_sandbox(replace(base, pool=jobs))) if has_pool() else None
        result.image = f"{cold.image.tag} ({cold.image.id[7:19]})"
        tasks = _tasks(result, cold, warm, work, jobs, repeat, smoke)
        if not smoke:
            for name, task in tasks.items():
                try:
                    task()
                except AssertionError as exc:
                    result.void[name] = str(exc)
        for number in range(rounds):
            names = [name for name in tasks if name not in result.void]
            start = number % max(1, len(names))
            for name in names[start:] + names[:start]:
                try:
                    result.samples.setdefault(name, []).append(tasks[name]())
                except AssertionError as exc:  # a wrong grade or output: no figure at all
                    result.void[name] = str(exc)
                    result.samples.pop(name, None)
    return result


def _ready(box: DockerSandbox, limits: Limits, kind: str = "function") -> None:
    """Untimed: the warm pool full for ``kind`` jobs under ``limits``, used containers removed."""
    box.prestart(limits, WARM_WAIT_S, kind)
    box.settle()


def _tasks(
    result: Measured,
    cold: DockerSandbox,
    warm: DockerSandbox | None,
    work: Workload,
    jobs: int,
    repeat: int,
    smoke: bool,
) -> dict[str, Callable[[], float]]:
    """The measurements, by name; each call returns one sample."""
    iso = work.functions[0]
    limits = iso.spec.limits
    functions, tests = list(work.functions) * repeat, list(work.tests)
    runs = sum(variants(c) for c in tests)

    def bare() -> float:
        return bare_lifecycle(cold.client, cold.image.id, limits, result.runtime)

    def grade_one(box: DockerSandbox) -> float:
        if box is warm:
            _ready(box, limits)
        seconds = timed(lambda: check_grades([iso], [grade_response(iso.spec, iso.raw, box)]))
        box.settle()
        return seconds

    def rate(candidates: list[Candidate], at: int, count: int) -> Callable[[], float]:
        box = warm or cold
        needs, kind = candidates[0].spec.limits, candidates[0].spec.kind

        def batch() -> None:
            check_grades(candidates, grade_all([(c.spec, c.raw) for c in candidates], box, at))
            if warm is not None:
                # The pool full again: K whole lifecycles, pytest's preload included.
                warm.prestart(needs, WARM_WAIT_S, kind)
            box.settle()

        def sample() -> float:
            if warm is not None:
                _ready(warm, needs, kind)
            return count / timed(batch)

        return sample

    def bare_pytest() -> float:
        return bare_lifecycle(cold.client, cold.image.id, limits, result.runtime, PYTEST_IMPORT)

    tasks: dict[str, Callable[[], float]] = {
        "bare latency": bare,
        "bare pytest latency": bare_pytest,
        "cold latency": lambda: grade_one(cold),
    }
    if warm is not None:
        tasks["warm latency"] = lambda: grade_one(warm)
    else:
        result.notes["warm latency"] = "not available: Settings has no pool field"
    for at in [jobs] if smoke else sorted({1, jobs}):
        tasks[f"bare rate j{at}"] = lambda at=at: throughput(bare, len(functions), at)
        tasks[f"function rate j{at}"] = rate(functions, at, len(functions))
        tasks[f"pytest rate j{at}"] = rate(tests, at, runs)
    if warm is not None:
        for size in PER_CASE_SMOKE if smoke else PER_CASE:
            tasks[f"grade {size} cases"] = grade_sample(warm, trivial_spec(size))
    for forks in (1, FORKS_SMOKE if smoke else FORKS):
        for name, command in (("fork", fork_command(forks)), ("case", case_command(forks))):
            tasks[f"{name} {forks}"] = lambda command=command: bare_lifecycle(
                cold.client, cold.image.id, limits, result.runtime, command
            )
    unique = list(work.functions)
    outputs = expected_outputs(unique)
    tasks["exec floor"] = _per_candidate(unique, outputs, run_in_process)
    cases = max(len(c.spec.cases) for c in unique)
    for peer in make_peers(cold.image.tag, limits, result.runtime, cases):
        result.notes[peer.name] = peer.unavailable or peer.note
        if peer.unavailable is None:
            tasks[peer.name] = _per_candidate(unique, outputs, peer.run, peer)
    return tasks


def _per_candidate(
    candidates: list[Candidate],
    outputs: dict[str, str],
    run: Callable[[str], str],
    peer: Peer | None = None,
) -> Callable[[], float]:
    """Seconds per candidate, running each one's program once, serially, checking output."""
    sources = {c.name: program(c) for c in candidates}

    def sample() -> float:
        started = time.perf_counter()
        for candidate in candidates:
            got = run(sources[candidate.name])
            if not same_output(got, outputs[candidate.name]):
                who = peer.name if peer else "exec"
                raise AssertionError(f"{who} printed {got!r} for {candidate.name}")
        return (time.perf_counter() - started) / len(candidates)

    return sample


def main() -> int:
    """Measure, print the tables; with --write, put them in docs/PERFORMANCE.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="samples per figure (default 5)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="N (the cores)")
    parser.add_argument(
        "--runtime", action="append", choices=RUNTIMES, help="only these (default: both)"
    )
    parser.add_argument("--write", action="store_true", help=f"rewrite the table in {DOC}")
    parser.add_argument(
        "--smoke", action="store_true", help="one round, no warm-up: checks that all runs"
    )
    args = parser.parse_args()
    rounds = 1 if args.smoke else args.rounds
    work = load_workload()
    results = []
    load = os.getloadavg()
    for runtime in args.runtime or RUNTIMES:
        print(f"measuring under {runtime}: {rounds} round(s)...", file=sys.stderr, flush=True)
        repeat = 1 if args.smoke else 2
        results.append(measure(runtime, work, rounds, args.jobs, repeat, args.smoke))
    machine = describe_machine(results, (load, os.getloadavg()))
    text = render(results, work, rounds, args.jobs, machine)
    print(text)
    nothing = all(result.skipped for result in results)
    if args.write and not args.smoke:
        if nothing:  # a table of nothing would replace the last real one
            print(f"nothing measured: {DOC} left as it was", file=sys.stderr)
        else:
            write_doc(Path(DOC), text)
            print(f"wrote {DOC}", file=sys.stderr)
    return 1 if nothing or any(result.void for result in results) else 0


if __name__ == "__main__":
    sys.exit(main())
