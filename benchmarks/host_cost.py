"""Host CPU per grade: each host-side attack and the fuzzer's worst inputs, beside an honest one.

Each input of the host-side corpus (tests/adversarial/hostside.py: the findings of issue 18
and the costliest inputs the fuzzer met) is graded ``--rounds`` times on the real engine; the
figure is the median of this process's CPU time (user + system, all threads) for one grade.
The container's own CPU is not in it (it runs in the engine's processes), so the figure is
what the input costs the host beyond its container. Goal: no input costs more than 1 s of
host CPU beyond the honest answer. Exit 1 when one does, or when an input broke a promise.

    python benchmarks/host_cost.py [--rounds 3] [--runtime runc|runsc]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from adversarial.hostside import HOST_CORPUS, HostCost, host_cost  # noqa: E402

from runner.commands import open_sandbox  # noqa: E402
from runner.settings import Settings  # noqa: E402

GOAL_S = 1.0
HONEST = "honest_answer"


def measure(runtime: str, rounds: int) -> dict[str, list[HostCost]]:
    """Every corpus input graded ``rounds`` times under ``runtime``, interleaved."""
    costs: dict[str, list[HostCost]] = {entry.id: [] for entry in HOST_CORPUS}
    with open_sandbox(replace(Settings.from_env(), runtime=runtime)) as sandbox:
        host_cost(HOST_CORPUS[0], sandbox)  # warm the engine's caches
        for _ in range(rounds):  # interleaved, so drift on the machine hits every input alike
            for entry in HOST_CORPUS:
                costs[entry.id].append(host_cost(entry, sandbox))
    return costs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--runtime", choices=["runc", "runsc"], default="runc")
    args = parser.parse_args()
    costs = measure(args.runtime, args.rounds)
    cpu = {name: statistics.median(c.cpu_s for c in runs) for name, runs in costs.items()}
    honest = cpu[HONEST]
    print(f"runtime {args.runtime}, {args.rounds} rounds, median host CPU per grade:")
    print("| input | outcomes | host CPU (ms) | beyond honest (ms) | container (s) |")
    print("|---|---|---|---|---|")
    for name, runs in costs.items():
        container = statistics.median(c.container_s for c in runs)
        print(
            f"| `{name}` | {', '.join(runs[0].outcomes)} | {cpu[name] * 1000:.1f} | "
            f"{(cpu[name] - honest) * 1000:+.1f} | {container:.2f} |"
        )
    worst = max(cpu, key=lambda name: cpu[name])
    excess = cpu[worst] - honest
    print(
        f"worst: {worst}, {cpu[worst] * 1000:.1f} ms of host CPU, {excess * 1000:+.1f} ms beyond "
        f"the honest answer's {honest * 1000:.1f} ms (goal: at most {GOAL_S * 1000:.0f} ms beyond)"
    )
    broken = [(c.id, c.problems) for runs in costs.values() for c in runs if c.problems]
    for name, problems in broken[:5]:
        print(f"broken promise: {name}: {problems}", file=sys.stderr)
    return 1 if broken or excess > GOAL_S else 0


if __name__ == "__main__":
    sys.exit(main())
