"""Runs the host-side fuzzer (tests/fuzz_host.py) in a child process with a CPU limit.

The child's ``RLIMIT_CPU`` turns a hang into a failure, also one in C code where no Python
handler can run: the kernel kills the child at the hard limit. Inside, each example has its
own smaller budget (``fuzz_host.cpu_budget``). CPU time, not wall time: a loaded machine
slows the run down without failing it.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOTAL_CPU_S = 150  # the whole fuzz run; it uses about 10 s of CPU here


def _limit_cpu() -> None:
    resource.setrlimit(resource.RLIMIT_CPU, (TOTAL_CPU_S, TOTAL_CPU_S))


def test_the_host_side_fuzzer_passes_within_its_cpu_budget() -> None:
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/fuzz_host.py"]
    result = subprocess.run(
        command,
        cwd=ROOT,
        env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"),
        preexec_fn=_limit_cpu,
        capture_output=True,
        text=True,
        check=False,
    )
    output = (result.stdout + result.stderr)[-4000:]
    assert result.returncode == 0, (
        f"exit {result.returncode} (-9/-24: over the CPU limit)\n{output}"
    )
