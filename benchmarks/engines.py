"""Several engines: the engine pool's own cost per grade, and one engine against two.

1. **Scheduler cost** (no Docker): ``EnginePool.execute`` over fake engines that answer at
   once (tests/fakes/engine.py), against calling one fake engine directly, from as many
   threads as the pool has slots. The difference is what the pool adds to every execution;
   its inverse bounds the grades per second the pool could ever hand out.
2. **One engine against two** (real engines on this machine): the same grades (each seed
   spec's reference, repeated) on the local engine alone with ``jobs=J``, then split over
   the local engine and a second dockerd with ``jobs=J/2`` each: the same CPUs and the same
   number of containers at once, so the ratio is the cost of spreading (two clients, the
   pool, a second daemon), not a speed-up. Rounds alternate (A B A B...) so a drift of the
   shared machine's load hits both. The goal is at most 10% overhead. On a machine whose
   main engine is busy with others' containers, ``--first`` names another private engine
   (a third dockerd) so both sides compete with the same neighbours.

Usage (root, for the second dockerd it starts unless ``--second`` names one)::

    python benchmarks/engines.py [--rounds 3] [--grades 24] [--jobs 2] [--second URL]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from runner.grade import grade_all
from runner.records import Limits
from runner.sandbox import EnginePool, open_engines
from runner.settings import Settings
from runner.spec import load_spec

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from fakes import FakeEngine  # noqa: E402
from second_engine import SecondEngine  # noqa: E402

SPECS = ("iso_duration", "flatten_dict", "cache_reset_test")


def scheduler_cost(executions: int, engines: int, jobs: int) -> dict[str, float]:
    """Microseconds the pool adds per execution, from ``engines * jobs`` threads."""
    limits = Limits()
    threads = engines * jobs

    def timed(call) -> float:
        barrier = threading.Barrier(threads)
        per_thread = executions // threads

        def worker(_: int) -> None:
            barrier.wait()
            for _ in range(per_thread):
                call(b"{}", limits, 1)

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=threads) as pool:
            list(pool.map(worker, range(threads)))
        return (time.perf_counter() - started) / (per_thread * threads)

    direct = FakeEngine("direct", jobs=threads)
    pooled = EnginePool([FakeEngine(f"e{i}", jobs=jobs) for i in range(engines)])
    timed(direct.execute), timed(pooled.execute)  # warm-up
    bare = min(timed(direct.execute) for _ in range(3))
    through = min(timed(pooled.execute) for _ in range(3))
    added = max(0.0, through - bare)
    return {"direct_us": bare * 1e6, "pool_us": through * 1e6, "added_us": added * 1e6}


def one_against_two(
    settings: Settings, first: str, second: str, grades: int, jobs: int, rounds: int
) -> dict[str, object]:
    """Seconds per round for the same grades on one engine and on two (same total jobs)."""
    specs = [load_spec(ROOT / "specs" / f"{name}.json") for name in SPECS]
    work = [(specs[i % len(specs)], specs[i % len(specs)].reference) for i in range(grades)]
    half = max(1, jobs // 2)
    setups = {
        "one engine": settings.with_flags(sandboxes=(f"{first}?jobs={jobs}",), pool=jobs),
        "two engines": settings.with_flags(
            sandboxes=(f"{first}?jobs={half}", f"{second}?jobs={half}"), pool=half
        ),
    }
    times: dict[str, list[float]] = {name: [] for name in setups}
    signatures: dict[str, list] = {}
    spread: dict[str, int] = {}
    for _ in range(rounds):
        for name, configured in setups.items():
            with open_engines(configured) as pool:
                grade_all(work[: pool.capacity], pool, pool.capacity)  # warm pools, untimed
                pool.settle()
                started = time.perf_counter()
                graded = grade_all(work, pool, pool.capacity)
                times[name].append(time.perf_counter() - started)
                pool.settle()
                if name == "two engines":
                    spread = {e["name"]: e["ran"] for e in pool.engines()}
            signatures[name] = [g.verdict() for g in graded]
            assert not any(g.infra_failed for g in graded), name
    assert signatures["one engine"] == signatures["two engines"], "grades differ"
    one, two = (statistics.median(times[name]) for name in setups)
    return {"one": one, "two": two, "overhead": two / one - 1, "times": times, "spread": spread}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--grades", type=int, default=24)
    parser.add_argument("--jobs", type=int, default=2, help="containers at once in all")
    parser.add_argument("--executions", type=int, default=20000)
    parser.add_argument(
        "--first", default="local", help="the engine alone, and the first of the two"
    )
    parser.add_argument("--second", help="the second engine (default: start one here)")
    parser.add_argument("--skip-engines", action="store_true", help="the scheduler cost only")
    args = parser.parse_args()

    for engines, jobs in ((1, 2), (2, 2), (4, 8)):
        cost = scheduler_cost(args.executions, engines, jobs)
        print(
            f"scheduler, {engines} engine(s) x {jobs} jobs: {cost['direct_us']:.1f} us per "
            f"execution direct, {cost['pool_us']:.1f} us through the pool: "
            f"+{cost['added_us']:.1f} us, a ceiling of {1e6 / max(cost['pool_us'], 1e-3):,.0f} "
            "executions/s"
        )
    if args.skip_engines:
        return
    settings = Settings.from_env()
    started = None
    if args.second is None:
        started = SecondEngine.make()
        started.start()
        args.second = started.unix
    try:
        result = one_against_two(
            settings, args.first, args.second, args.grades, args.jobs, args.rounds
        )
    finally:
        if started is not None:
            started.stop()
    one, two = result["one"], result["two"]
    print(
        f"{args.grades} grades (seed references), {args.jobs} containers at once, first "
        f"{args.first}, second {args.second}, "
        f"median of {args.rounds} rounds: one engine {one:.2f} s "
        f"({args.grades / one:.1f} grades/s), two engines {two:.2f} s "
        f"({args.grades / two:.1f} grades/s): overhead {result['overhead']:+.1%} (goal <= +10%)"
    )
    print(f"  rounds: {result['times']}; split over the two: {result['spread']}")
    print("  grades identical on one engine and on two")


if __name__ == "__main__":
    main()
