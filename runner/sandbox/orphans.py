"""Runtime-level leftovers: host processes of containers the Docker engine no longer knows.

Removing a container through the engine normally takes its processes with it. Not always:
under gVisor a container whose start failed keeps its containerd shim (and the containerd
task) alive after ``docker rm``, and an engine or shim crash can leave ``runsc-sandbox``,
``runsc-gofer`` or, under runc, the container's own processes behind. ``docker ps -a`` lists
none of them. This module finds them in ``/proc`` on the engine's machine:

- a containerd shim names its container in ``-id <id>`` (and its containerd in ``-address``
  and ``-namespace``); its working directory is the container's OCI bundle;
- ``runsc-sandbox`` and ``runsc-gofer`` name their bundle in ``--bundle``;
- every process of a container (runc or runsc) sits in a cgroup named after it
  (``/docker/<id>`` with the cgroupfs driver, ``docker-<id>.scope`` with systemd).

A container id is an orphan only when the engine does not know it in two looks taken a
grace period apart (a container that is being created or removed is never one). An orphan
is removed only when it is recognisably chorebench's on this engine: its bundle's
``config.json`` runs the grader harness on a root file system under the engine's
``DockerRootDir``, or (runc) one of its processes is the harness, mounted from there. A
sandbox of a live container is never touched. Removal asks containerd to
delete the task and container (``ctr``, when present) and then kills what is left. Reading
bundles and killing root-owned processes needs root; without it orphans are reported, not
removed.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

_ID = r"[0-9a-f]{64}"
_CGROUP_ID = re.compile(rf"(?:/docker/|docker-)({_ID})(?:\.scope)?(?:/|$)")
_BUNDLE_ID = re.compile(rf"/({_ID})/?$")
PROC = Path("/proc")


@dataclass(frozen=True)
class HostProcess:
    """A host process that belongs to a container, as read from ``/proc``."""

    pid: int
    container: str  # the 64-hex container id
    argv: tuple[str, ...]
    role: str  # "shim", "runsc" (sandbox or gofer) or "member" (in the container's cgroup)
    bundle: str | None = None  # the OCI bundle directory, when the process names it
    address: str | None = None  # the containerd socket (shims)
    namespace: str | None = None  # the containerd namespace (shims)

    @property
    def name(self) -> str:
        """The program's base name (``containerd-shim-runc-v2``, ``runsc-sandbox``...)."""
        return os.path.basename(self.argv[0]) if self.argv else "?"


@dataclass(frozen=True)
class RuntimeOrphan:
    """Processes of one container id the engine does not know, and what was done about them.

    ``chorebench`` is True when the container ran the grader harness, False when it ran
    something else, None when that could not be read (not root). Only chorebench orphans are
    removed; ``detail`` says what happened.
    """

    container: str
    processes: tuple[tuple[int, str], ...]  # (pid, program name)
    chorebench: bool | None
    removed: bool
    detail: str


def scan(proc: Path = PROC) -> list[HostProcess]:
    """Every host process that can be tied to a container id, except this process."""
    found = []
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        process = _read_process(entry)
        if process is not None:
            found.append(process)
    return found


def by_container(processes: Sequence[HostProcess]) -> dict[str, list[HostProcess]]:
    """Group processes by the container id they belong to."""
    groups: dict[str, list[HostProcess]] = {}
    for process in processes:
        groups.setdefault(process.container, []).append(process)
    return groups


def find_orphans(
    known_ids: Callable[[], set[str]], grace_s: float = 1.0, proc: Path = PROC
) -> dict[str, list[HostProcess]]:
    """Container ids with live host processes that the engine does not know, twice in a row.

    ``known_ids`` returns the full ids of every container the engine knows (any state).
    """
    first = by_container(scan(proc))
    suspects = set(first) - known_ids()
    if not suspects:
        return {}
    time.sleep(grace_s)
    second = by_container(scan(proc))
    still = (suspects & set(second)) - known_ids()
    return {container: second[container] for container in sorted(still)}


def is_ours(
    processes: Sequence[HostProcess], command: Sequence[str], data_root: str, proc: Path = PROC
) -> bool | None:
    """Whether the container of ``processes`` ran ``command`` on the engine at ``data_root``.

    Read from the OCI bundle's ``config.json`` (``process.args``, and a root file system
    under the engine's ``DockerRootDir``), or from a member process whose own command line is
    ``command`` and whose root mount lies under ``data_root`` (runc shows container processes
    on the host). None when nothing could be read.
    """
    wanted, under = list(command), data_root.rstrip("/") + "/"
    answer: bool | None = None
    for process in processes:
        if process.role == "member" and list(process.argv) == wanted:
            try:
                mounts = (proc / str(process.pid) / "mountinfo").read_text("utf-8", "replace")
            except OSError:
                continue
            if under in mounts:
                return True
            answer = False
        if process.bundle is None:
            continue
        try:
            config = json.loads((Path(process.bundle) / "config.json").read_text("utf-8"))
            args, root = config["process"]["args"], config["root"]["path"]
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if args == wanted and isinstance(root, str) and root.startswith(under):
            return True
        answer = False
    return answer


def sweep(
    known_ids: Callable[[], set[str]],
    command: Sequence[str],
    data_root: str,
    grace_s: float = 1.0,
    proc: Path = PROC,
) -> list[RuntimeOrphan]:
    """Find runtime-level orphans; remove those that ran ``command`` on this engine.

    ``data_root`` is the engine's ``DockerRootDir``: a container of another engine on the
    same machine is never taken for one of this engine's orphans. Every orphan found is
    reported, removed or not.
    """
    orphans = []
    for container, processes in find_orphans(known_ids, grace_s, proc).items():
        ours = is_ours(processes, command, data_root, proc)
        listed = tuple((p.pid, p.name) for p in processes)
        if ours is not True:
            reason = "not a chorebench container" if ours is False else "cannot tell whose"
            orphans.append(RuntimeOrphan(container, listed, ours, False, f"left: {reason}"))
            continue
        removed, detail = remove(container, processes, proc)
        orphans.append(RuntimeOrphan(container, listed, True, removed, detail))
    return orphans


def remove(container: str, processes: Sequence[HostProcess], proc: Path = PROC) -> tuple[bool, str]:
    """Remove one orphan: containerd's task and container record, then any process left.

    Returns whether no process of ``container`` remains, and what was done.
    """
    steps = []
    shim = next((p for p in processes if p.role == "shim" and p.address), None)
    ctr = shutil.which("ctr")
    if shim is not None and ctr is not None:
        base = [ctr, "--address", str(shim.address), "-n", shim.namespace or "moby"]
        for action in (["tasks", "delete", "--force"], ["containers", "delete"]):
            with contextlib.suppress(OSError, subprocess.SubprocessError):
                done = subprocess.run(
                    [*base, *action, container], capture_output=True, timeout=30, check=False
                )
                steps.append(f"ctr {' '.join(action[:2])} (exit {done.returncode})")
    denied = False
    for process in processes:
        if _still(process, proc):
            try:
                os.kill(process.pid, signal.SIGKILL)
                steps.append(f"killed {process.name} {process.pid}")
            except ProcessLookupError:
                pass
            except PermissionError:
                denied = True
    # containerd may start a short-lived shim of its own to clean up: wait for it too.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        left = [p for p in scan(proc) if p.container == container]
        if not left:
            return True, "removed: " + (", ".join(steps) or "gone by itself")
        time.sleep(0.05)
    hint = " (permission denied: run as root)" if denied else ""
    return False, f"still running: {', '.join(f'{p.name} {p.pid}' for p in left)}{hint}"


def _still(process: HostProcess, proc: Path) -> bool:
    """Whether ``process.pid`` is alive and still belongs to the same container."""
    again = _read_process(proc / str(process.pid))
    return again is not None and again.container == process.container


def _read_process(entry: Path) -> HostProcess | None:
    """The process at ``/proc/<pid>`` if it is alive (not a zombie) and tied to a container."""
    try:
        if (entry / "stat").read_text("ascii", "replace").rpartition(")")[2].split()[0] == "Z":
            return None
        raw = (entry / "cmdline").read_bytes()
    except (OSError, IndexError):
        return None
    argv = tuple(part.decode("utf-8", "replace") for part in raw.split(b"\0") if part)
    pid = int(entry.name)
    name = os.path.basename(argv[0]) if argv else ""
    if name.startswith("containerd-shim") and "-id" in argv:
        container = _option(argv, "-id")
        if container and re.fullmatch(_ID, container):
            bundle = None
            with contextlib.suppress(OSError):
                bundle = os.readlink(entry / "cwd")
            address, namespace = _option(argv, "-address"), _option(argv, "-namespace")
            return HostProcess(pid, container, argv, "shim", bundle, address, namespace)
    if name.startswith("runsc"):
        bundle = _option(argv, "--bundle")
        match = _BUNDLE_ID.search(bundle or "")
        if bundle and match:
            return HostProcess(pid, match.group(1), argv, "runsc", bundle)
    try:
        cgroups = (entry / "cgroup").read_text("utf-8", "replace")
    except OSError:
        return None
    match = _CGROUP_ID.search(cgroups)
    if match is None:
        return None
    return HostProcess(pid, match.group(1), argv, "member")


def _option(argv: Sequence[str], flag: str) -> str | None:
    """The value of ``flag`` given as ``flag value`` or ``flag=value``."""
    for index, arg in enumerate(argv):
        if arg == flag and index + 1 < len(argv):
            return argv[index + 1]
        if arg.startswith(flag + "="):
            return arg[len(flag) + 1 :]
    return None
