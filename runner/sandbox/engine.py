"""The engine's vocabulary: how chorebench names, labels, configures and reaches containers.

Everything here is shared by the container lifecycle (``docker_sandbox``), the prune of dead
runners' leftovers (``prune``), the engine pool (``scheduler``) and the tests that check them:
the label and owner id every container carries, the hardened host config of a candidate
container, and the connection to each engine (``connect``, ``is_local``, ``answers``).

An engine is named by an ``EngineSpec`` (``runner.settings``): ``local`` (``DOCKER_HOST``,
else the local socket), ``unix://``, ``tcp://`` (plain, or TLS read the way the Docker CLI
reads it: ``DOCKER_TLS_VERIFY`` and ``DOCKER_CERT_PATH``, default ``~/.docker``, unless the
engine's own ``tls_verify``/``cert_path`` say otherwise) or ``ssh://`` (through ``~/.ssh``:
its config, keys, agent and known hosts, as the Docker CLI does). The process's environment
is never changed: every engine has a client of its own.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import paramiko
import requests
from docker.tls import TLSConfig
from docker.types import LogConfig, Ulimit

from runner.errors import BadInputError, SandboxError
from runner.records import Limits
from runner.settings import LOCAL, EngineSpec, Settings

LABEL = "chorebench"
OWNER = f"{LABEL}.owner"  # <host>:<pid>:<start time> of the runner (``owner_id``)
API_VERSION = "1.41"
HARNESS = ["python3", "-I", "-B", "/opt/chorebench/harness.pyc"]  # compiled in the image
TMPFS = "rw,noexec,nosuid,nodev,size=16m,mode=1777"
SHM_SIZE = "16m"
UID = "65534:65534"
CALL_TIMEOUT_S = 60
PING_TIMEOUT_S = 5.0
# What talking to an engine can raise: the SDK's errors, HTTP's, the socket's, and ssh's.
TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (
    docker.errors.DockerException,
    requests.exceptions.RequestException,
    OSError,
    paramiko.SSHException,
)
START_HINT = "(`sudo bash scripts/provision-docker.sh` sets one up on Debian) or set DOCKER_HOST"


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
    gets busier, and a Go runtime that cannot create one dies (exit status 2), which the grade
    can only report as a harness that stopped. A candidate whose processes keep changing pid
    (the catalogue's ``pid_walker``, 64 guest processes at most) drove the cgroup to a median
    of about 185 and a peak of 248 host pids over 300 grades on a loaded machine (runsc
    20221219, the same whatever the limit above 256); against the 256 this once was, 1 of
    185 grades died (and one CI run failed of it). The limit leaves four times the highest
    peak seen, and it still bounds a runaway Sentry (a fork bomb's guest is bounded by
    ``nproc``).
    """
    return max(1024, 16 * limits.pids)


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


# Reaching engines: one client per configured engine, and what each engine is.


@dataclass(frozen=True)
class EngineFacts:
    """What a grade and the manifest record of the engine that ran it."""

    name: str  # the engine as configured: ``local`` or its URL
    version: str  # the engine's ServerVersion
    runtime: str
    image_id: str
    jobs: int
    os: str = ""
    arch: str = ""


def base_url(engine: EngineSpec, settings: Settings) -> str | None:
    """The URL the client talks to; None: the SDK's default local socket."""
    return settings.docker_host if engine.url == LOCAL else engine.url


def is_local(engine: EngineSpec, settings: Settings) -> bool:
    """Whether the engine runs on this machine (a unix socket), so its processes are ours to see."""
    url = base_url(engine, settings)
    return url is None or url.startswith("unix://")


def display(engine: EngineSpec, settings: Settings) -> str:
    """How messages name the engine."""
    url = base_url(engine, settings)
    if engine.url == LOCAL:
        return f"local ({url or 'the local Docker socket'})"
    return engine.url


def tls_config(engine: EngineSpec, settings: Settings) -> TLSConfig | None:
    """TLS for a tcp engine, or None for plain TCP (and every other scheme).

    Raises:
        BadInputError: TLS is asked for and a certificate file is missing.
    """
    url = base_url(engine, settings) or ""
    verify = settings.docker_tls_verify if engine.tls_verify is None else engine.tls_verify
    if not url.startswith("tcp://") or not verify:
        return None
    if engine.cert_path:
        folder = Path(engine.cert_path).expanduser()
    else:
        folder = settings.docker_cert_path or Path(os.path.expanduser("~/.docker"))
    files = {name: folder / f"{name}.pem" for name in ("ca", "cert", "key")}
    missing = [str(path) for path in files.values() if not path.is_file()]
    if missing:
        raise BadInputError(
            f"engine {engine.url}: TLS is on but {', '.join(missing)} is missing: put ca.pem, "
            "cert.pem and key.pem there (DOCKER_CERT_PATH, or cert_path for this engine)"
        )
    return TLSConfig(
        client_cert=(str(files["cert"]), str(files["key"])), ca_cert=str(files["ca"]), verify=True
    )


def connect(
    engine: EngineSpec, settings: Settings, timeout_s: float = CALL_TIMEOUT_S
) -> docker.DockerClient:
    """A client of ``engine`` that has answered a ping (each call waits up to ``timeout_s``).

    Raises:
        SandboxError: the engine does not answer; the message names it and what to do.
        BadInputError: its TLS settings name missing files.
    """
    where = display(engine, settings)
    url = base_url(engine, settings)
    socket_path = (url or "unix:///var/run/docker.sock").removeprefix("unix://")
    if "://" not in socket_path and not os.path.exists(socket_path):
        raise SandboxError(
            f"no Docker engine answers at {where}: {socket_path} does not exist. Start one "
            + START_HINT
        )
    tls = tls_config(engine, settings)
    try:
        # A fixed API version: "auto" would connect inside the constructor, where a failure
        # leaks the socket.
        client = docker.DockerClient(
            base_url=url, version=API_VERSION, timeout=timeout_s, tls=tls or False
        )
    except docker.errors.DockerException as exc:
        raise SandboxError(f"cannot make a client for the engine at {where}: {exc}") from exc
    # The engine's own CA, not REQUESTS_CA_BUNDLE (which requests lets override it), and no
    # proxy from the environment between us and an engine.
    client.api.trust_env = False
    try:
        client.ping()
    except TRANSPORT_ERRORS as exc:
        client.close()
        raise SandboxError(
            f"no Docker engine answers at {where} ({exc.__class__.__name__}: {exc}): start one "
            + START_HINT
        ) from exc
    return client


def answers(
    engine: EngineSpec, settings: Settings, timeout_s: float = PING_TIMEOUT_S
) -> str | None:
    """None when ``engine`` answers a ping on a new connection within ``timeout_s``; else why not.

    A new connection, not the client's pooled ones: an engine that is shutting down has closed
    its listener but may still serve a connection it had, while it kills its containers.
    """
    try:
        connect(engine, settings, timeout_s).close()
    except (SandboxError, BadInputError) as exc:
        return str(exc)
    return None


def describe(client: docker.DockerClient, where: str) -> dict[str, Any]:
    """The engine's ``info``.

    Raises:
        SandboxError: the engine failed answering.
    """
    try:
        return dict(client.info())
    except TRANSPORT_ERRORS as exc:
        raise SandboxError(f"the engine at {where} failed answering info: {exc}") from exc
