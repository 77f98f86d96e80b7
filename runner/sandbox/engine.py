"""The engine's vocabulary: how chorebench names, labels, configures and reaches containers.

Everything here is shared by the container lifecycle (``docker_sandbox``), the prune of dead
runners' leftovers (``prune``) and the tests that check both: the label and owner id every
container carries, the hardened host config of a candidate container, and the connection to
the engine (``connect``, ``is_local``).
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any

import docker
import requests
from docker.types import LogConfig, Ulimit

from runner.errors import SandboxError
from runner.records import Limits
from runner.settings import Settings

LABEL = "chorebench"
OWNER = f"{LABEL}.owner"  # <host>:<pid>:<start time> of the runner (``owner_id``)
API_VERSION = "1.41"
HARNESS = ["python3", "-I", "-B", "/opt/chorebench/harness.py"]
TMPFS = "rw,noexec,nosuid,nodev,size=16m,mode=1777"
SHM_SIZE = "16m"
UID = "65534:65534"


def container_options(limits: Limits, runtime: str) -> dict[str, Any]:
    """The host config for a candidate container (docker-py ``create_host_config`` kwargs)."""
    memory = f"{limits.memory_mb}m"
    ulimits = [
        Ulimit(name="nofile", soft=256, hard=256),
        Ulimit(name="fsize", soft=8 << 20, hard=8 << 20),
        Ulimit(name="core", soft=0, hard=0),
    ]
    if runtime == "runsc":
        # nproc counts per uid across the host under runc, so it would couple parallel
        # containers there; gVisor counts it per sandbox and needs it to cap threads.
        ulimits.append(Ulimit(name="nproc", soft=limits.pids, hard=limits.pids))
    return {
        "network_mode": "none",
        "read_only": True,
        "tmpfs": {"/tmp": TMPFS},
        "cap_drop": ["ALL"],
        "security_opt": ["no-new-privileges"],
        "pids_limit": limits.pids if runtime == "runc" else sandbox_pids(limits),
        "mem_limit": memory,
        "memswap_limit": memory,
        "nano_cpus": 1_000_000_000,
        "ulimits": ulimits,
        "ipc_mode": "none" if runtime == "runc" else "private",
        # runc with ipc none has no /dev/shm; gVisor always has one (64 MiB by default): cap
        # it like /tmp.
        "shm_size": SHM_SIZE,
        # No init: the harness is PID 1 and reaps. tini would keep the report channel open on a
        # descriptor that the candidate (same uid) could write to through /proc/1/fd/1.
        "init": False,
        "log_config": LogConfig(type="none"),
        "runtime": runtime,
    }


def sandbox_pids(limits: Limits) -> int:
    """The host pids limit of a gVisor sandbox: room for the Sentry's own threads.

    Under gVisor the pids cgroup counts the Sentry's and gofer's host threads, not the
    candidate's processes (``nproc`` caps those). The Sentry needs more threads as the guest
    gets busier, and a Go runtime that cannot create one dies (exit status 2): with the same
    limit as under runc, a candidate leaving one sleeping process behind killed the harness.
    """
    return max(256, 4 * limits.pids)


def connect(settings: Settings) -> docker.DockerClient:
    """A client of the engine at ``settings.docker_host`` that has answered ``info``.

    Raises:
        SandboxError: no engine answers; the message says what to do.
    """
    where = settings.docker_host or "the local Docker socket"
    socket_path = (settings.docker_host or "unix:///var/run/docker.sock").removeprefix("unix://")
    if "://" not in socket_path and not os.path.exists(socket_path):
        raise SandboxError(
            f"no Docker engine answers at {where}: {socket_path} does not exist. Start one "
            "(`sudo bash scripts/provision-docker.sh` sets one up on Debian) or set DOCKER_HOST"
        )
    # A fixed API version: "auto" would connect inside the constructor, where a failure
    # leaks the socket. 1.41 is Debian 12's engine (20.10); newer engines still speak it.
    client = docker.DockerClient(base_url=settings.docker_host, version=API_VERSION, timeout=60)
    try:
        client.ping()
    except (docker.errors.DockerException, requests.exceptions.RequestException) as exc:
        client.close()
        raise SandboxError(
            f"no Docker engine answers at {where} ({exc.__class__.__name__}): start one "
            "(`sudo bash scripts/provision-docker.sh` sets one up on Debian) or set DOCKER_HOST"
        ) from exc
    return client


def is_local(settings: Settings) -> bool:
    """Whether the engine runs on this machine (a unix socket), so its processes are ours to see."""
    return settings.docker_host is None or settings.docker_host.startswith("unix://")


def owner_id(pid: int | None = None) -> str:
    """``<host>:<pid>:<start time>`` of a process (default: this one), as the owner label."""
    pid = os.getpid() if pid is None else pid
    return f"{socket.gethostname()}:{pid}:{_start_time(pid) or 0}"


def owner_state(owner: str) -> str:
    """``alive``, ``dead``, ``elsewhere`` (another host) or ``unknown`` (unreadable label)."""
    host, _, rest = owner.partition(":")
    pid, _, start = rest.partition(":")
    if not host or not pid.isdigit():
        return "unknown"
    if host != socket.gethostname():
        return "elsewhere"
    if not _alive(int(pid)):
        return "dead"
    if start.isdigit() and int(start) and _start_time(int(pid)) not in (None, int(start)):
        return "dead"  # the pid was reused by a process started later
    return "alive"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _start_time(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (``/proc/<pid>/stat`` field 22)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text("ascii", "replace")
        return int(stat.rpartition(")")[2].split()[19])
    except (OSError, ValueError, IndexError):
        return None
