"""The physical limit: a bare hardened container lifecycle, and how to time things.

"Bare" means what chorebench cannot avoid for one execution: create a container with the
sandbox's own hardening (``runner.sandbox.container_options``, the same user, no network),
start it, let ``python3 -c pass`` run to its end, remove it. No attach, no job, no report.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from docker.types import LogConfig

from runner.records import Limits
from runner.sandbox import API_VERSION, LABEL, UID, container_options

BARE_COMMAND = ["python3", "-c", "pass"]
WAIT_S = 60


def bare_lifecycle(
    client: Any, image_id: str, limits: Limits, runtime: str, command: list[str] = BARE_COMMAND
) -> float:
    """One hardened create, start, wait, remove of ``python3 -c pass``; its seconds.

    Raises:
        RuntimeError: the command did not exit 0 (the measurement would be meaningless).
    """
    api = client.api
    started = time.perf_counter()
    container = create_hardened(api, image_id, limits, runtime, command, "bare")
    try:
        api.start(container)
        status = api.wait(container, timeout=WAIT_S)["StatusCode"]
    finally:
        api.remove_container(container, force=True)
    if status != 0:
        raise RuntimeError(f"the bare container exited {status}")
    return time.perf_counter() - started


def create_hardened(
    api: Any,
    image_id: str,
    limits: Limits,
    runtime: str,
    command: list[str],
    purpose: str,
    keep_output: bool = False,
) -> Any:
    """Create (not start) a container of ``command`` with the sandbox's hardening; its id.

    It carries the chorebench labels (owner: this process, ``chorebench.perf``: ``purpose``),
    so a benchmark killed mid-run leaves nothing that the next chorebench process will not
    prune. With ``keep_output``, its output is logged for ``api.logs`` (the sandbox logs none).
    """
    options = container_options(limits, runtime)
    if keep_output:
        options["log_config"] = LogConfig(type="json-file")
    return api.create_container(
        image_id,
        command=command,
        user=UID,
        network_disabled=True,
        labels={
            LABEL: "1",
            f"{LABEL}.owner": f"{socket.gethostname()}:{os.getpid()}",
            f"{LABEL}.perf": purpose,
        },
        host_config=api.create_host_config(**options),
        use_config_proxy=False,
    )


def fork_command(forks: int) -> list[str]:
    """A Python that forks ``forks`` children one after another, each exiting at once.

    The smallest thing a case can cost: the grader's Python forking, the child exiting, the
    parent reaping it. Two lifecycles of it (1 and 1 + K forks) give the fork floor as a slope.
    """
    loop = "import os\nfor _ in range(%d):\n    os.fork() or os._exit(0)\n    os.wait()\n"
    return ["python3", "-I", "-c", loop % forks]


def case_command(cases: int) -> list[str]:
    """A Python that runs ``cases`` cases the least way a case can run in a process of its own.

    Each: a pipe, a fork; the child takes a session of its own, executes a one-line module
    (compiled once, before the forks), calls its function and writes one JSON line; the parent
    reads the line and reaps the child. No isolation of stdio or descriptors, no time limit, no
    encoding of the value beyond ``json``: the floor under the per-case cost of any grader that
    forks a Python process per case. Two lifecycles (1 and 1 + K cases) give it as a slope.
    """
    program = (
        "import json, os\n"
        "code = compile('def f(x):\\n    return x\\n', 'candidate.py', 'exec')\n"
        "for n in range(%d):\n"
        "    r, w = os.pipe()\n"
        "    if os.fork() == 0:\n"
        "        os.setsid()\n"
        "        namespace = {}\n"
        "        exec(code, namespace)\n"
        "        value = ['int', str(namespace['f'](n))]\n"
        "        line = json.dumps({'status': 'returned', 'value': value})\n"
        "        os.write(w, line.encode() + b'\\n')\n"
        "        os._exit(0)\n"
        "    os.close(w)\n"
        "    assert os.read(r, 4096).endswith(b'\\n')\n"
        "    os.close(r)\n"
        "    os.wait()\n"
    )
    return ["python3", "-I", "-c", program % cases]


def timed(task: Callable[[], object]) -> float:
    """Seconds one call of ``task`` takes."""
    started = time.perf_counter()
    task()
    return time.perf_counter() - started


def throughput(task: Callable[[], object], count: int, jobs: int) -> float:
    """Calls per second: ``count`` calls of ``task``, ``jobs`` at once (a fresh pool)."""
    started = time.perf_counter()
    if jobs <= 1:
        for _ in range(count):
            task()
    else:
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            for future in [pool.submit(task) for _ in range(count)]:
                future.result()
    return count / (time.perf_counter() - started)


def bare_client(docker_host: str | None) -> Any:
    """A docker SDK client like the sandbox's (fixed API version, explicit timeout)."""
    import docker

    return docker.DockerClient(base_url=docker_host, version=API_VERSION, timeout=WAIT_S)
