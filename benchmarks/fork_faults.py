"""What bounds the per-case cost: page faults after fork, counted and priced in the image.

A case runs in a process forked from the harness; every page either process writes after the
fork is a copy-on-write fault, and CPython writes reference counts into most pages it touches.
This runs one hardened container (``container_options``, the grader image) with a program that
measures, under the runtime:

- the CPU a fault costs: children that each write 300 and 1000 pages of their parent's
  memory (the slope between them, per page);
- the harness's cost per case: the harness itself (``python3 -I -B harness.pyc``) given a job
  of a trivial function with 10 and with 510 cases; the slope of the minor faults and CPU
  time of the harness and every case's process, per case;
- the same for the case floor (``bare.case_command``): the least a case in a Python process
  of its own does.

gVisor counts no minor faults (``getrusage`` reports none), so under runsc only the CPU
figures mean anything. Usage::

    python benchmarks/fork_faults.py [--runtime runc] [--smoke]
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace

from bare import WAIT_S, case_command, create_hardened

from runner.records import Limits
from runner.sandbox import HARNESS, open_sandbox
from runner.settings import RUNTIMES, Settings

SIZES, SIZES_SMOKE = (10, 510), (5, 25)  # the jobs' case counts; the slope is per case
PROGRAM = """
import json, os, resource, subprocess, sys
HARNESS, SIZES = json.loads(sys.argv[1]), (int(sys.argv[2]), int(sys.argv[3]))
WRITERS, FLOORS = int(sys.argv[4]), {int(n): c for n, c in json.loads(sys.argv[5]).items()}

def children():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime, usage.ru_minflt

def writers(pages, count=WRITERS):
    before = children()
    for _ in range(count):
        if os.fork() == 0:
            for at in range(0, pages * 4096, 4096):
                memory[at] = 2
            os._exit(0)
        os.wait()
    after = children()
    return (after[0] - before[0]) / count, (after[1] - before[1]) / count

def job(cases):
    return json.dumps({"mode": "function", "code": "def f(x):\\n    return x\\n",
        "entry_point": "f", "timeout": 5.0,
        "cases": [{"id": "c%d" % n, "args": [str(n)], "kwargs": {}} for n in range(cases)]})

def slope(run):
    spent = []
    for size in SIZES:
        before = children()
        run(size)
        after = children()
        spent.append((after[0] - before[0], after[1] - before[1]))
    cases = SIZES[1] - SIZES[0]
    return {"cpu_ms": (spent[1][0] - spent[0][0]) / cases * 1000,
            "faults": (spent[1][1] - spent[0][1]) / cases}

def harness(size):
    done = subprocess.run(HARNESS, input=job(size) + "\\n",
                          capture_output=True, text=True, check=True)
    assert done.stdout.count('"returned"') == size, done.stdout[-500:]

def floor(size):
    subprocess.run(FLOORS[size], check=True)

memory = bytearray(4096 * 1100)
for at in range(0, len(memory), 4096):
    memory[at] = 1
priced = {pages: writers(pages) for pages in (300, 1000)}
print(json.dumps({
    "fault_us": (priced[1000][0] - priced[300][0]) / 700 * 1e6,
    "harness": slope(harness),
    "case_floor": slope(floor),
}))
"""


def measure(runtime: str, smoke: bool = False) -> dict:
    """Run the program in one hardened container under ``runtime``; its figures."""
    sizes, writers = (SIZES_SMOKE, 10) if smoke else (SIZES, 100)
    limits = Limits()
    with open_sandbox(replace(Settings(), runtime=runtime, pool=0)) as box:
        api = box.client.api
        command = ["python3", "-I", "-c", PROGRAM, json.dumps(HARNESS), *map(str, sizes)]
        command += [str(writers), json.dumps({size: case_command(size) for size in sizes})]
        container = create_hardened(api, box.image.id, limits, runtime, command, "faults", True)
        try:
            api.start(container)
            status = api.wait(container, timeout=WAIT_S * 10)["StatusCode"]
            output = api.logs(container, stdout=True, stderr=True).decode(errors="replace")
        finally:
            api.remove_container(container, force=True)
    if status != 0:
        raise RuntimeError(f"the measuring container exited {status}: {output[-2000:]}")
    return json.loads(output.strip().splitlines()[-1])


def render(figures: dict[str, dict]) -> str:
    """The table, markdown: one column per runtime."""
    rows = [
        ("CPU per page fault (children writing 300 and 1000 pages), us", "fault_us", None),
        ("a case in the harness: minor faults", "harness", "faults"),
        ("a case in the harness: CPU, ms", "harness", "cpu_ms"),
        ("a case of the case floor: minor faults", "case_floor", "faults"),
        ("a case of the case floor: CPU, ms", "case_floor", "cpu_ms"),
    ]
    lines = ["| figure | " + " | ".join(figures) + " |", "|---|" + "---:|" * len(figures)]
    for label, key, field in rows:
        cells = []
        for result in figures.values():
            value = result[key] if field is None else result[key][field]
            if field == "faults" and value == 0:
                cells.append("not counted")  # gVisor's getrusage has no minor faults
            else:
                cells.append(f"{value:.1f}" if field != "cpu_ms" else f"{value:.2f}")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> int:
    """Measure under each runtime asked for (default runc) and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runtime", action="append", choices=RUNTIMES, help="default: runc")
    parser.add_argument("--smoke", action="store_true", help="few cases: it runs, no figure")
    args = parser.parse_args()
    figures = {runtime: measure(runtime, args.smoke) for runtime in args.runtime or ["runc"]}
    print(render(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
