"""The Docker sandbox: one fresh, hardened, throwaway container per execution of a candidate.

What it gives, for every execution:
- no network (``network_mode=none``), a read-only root, a 16 MiB ``noexec`` tmpfs at /tmp,
  every capability dropped, ``no-new-privileges``, the default seccomp profile, uid 65534;
- limits on memory (no swap), pids (under gVisor, where pids_limit counts the Sentry's host
  threads and not the candidate's, ``nproc`` caps the candidate and a roomier pids limit the
  Sentry), one CPU, open files, file size, core dumps; no IPC namespace sharing (and a
  16 MiB /dev/shm under gVisor, which always has one);
- a host wall-clock deadline after which the container is killed, and a cap on its output;
- no host environment, no mounts, no logs written on the host (``log_driver=none``), a label on
  every container naming its runner, and removal in ``finally`` (also on Ctrl-C); a failed
  start's runtime leftovers are removed too, and every start removes what dead runners left
  (``runner.prune``).

Code goes in on the attach stream's stdin, observations come out on its stdout: the root is
read-only, so there is no file channel to race. Expected values never enter the container.

What it does not give: protection from kernel or runtime exploits under runc (use
``--runtime runsc``), or from whoever else can talk to the Docker socket.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import docker
import requests
from docker.types import LogConfig, Ulimit

from runner.attach import Live, read_frames
from runner.errors import SandboxError
from runner.image import GraderImage, ensure_image
from runner.records import ContainerRun, Limits
from runner.settings import Settings
from runner.warm import WarmPool

LABEL = "chorebench"
OWNER = f"{LABEL}.owner"  # <host>:<pid>:<start time> of the runner (runner.prune)
API_VERSION = "1.41"
HARNESS = ["python3", "-I", "-B", "/opt/chorebench/harness.py"]
TMPFS = "rw,noexec,nosuid,nodev,size=16m,mode=1777"
SHM_SIZE = "16m"
UID = "65534:65534"
STARTUP_MARGIN_S = 10.0  # container start, interpreter start-up, a loaded machine
PER_CASE_MARGIN_S = 0.5  # the harness kills a hung case itself; the host only backs it up
EXIT_WAIT_S = 10.0  # from the end of the output to the engine recording the exit


@dataclass(frozen=True)
class Warm:
    """What a container is started for, ahead of its job: the warm pool's key.

    A pytest-kind container imports pytest and its plugins while it waits (the harness's
    ``CHOREBENCH_PRELOAD``), so a function job never pays for that and a pytest job never
    waits for it.
    """

    limits: Limits
    kind: str = "function"


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


def execution_deadline(limits: Limits, cases: int) -> float:
    """Seconds the host allows one container, from start to its last byte of output."""
    return STARTUP_MARGIN_S + cases * (limits.case_timeout_s + PER_CASE_MARGIN_S)


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


class DockerSandbox:
    """Runs jobs in fresh grader containers on one Docker engine."""

    def __init__(self, settings: Settings, log: Any = lambda _: None) -> None:
        """Connect, make sure the grader image and runtime are there, prune dead runners' leftovers.

        ``pruned`` records what the start removed (``runner.prune.prune_leftovers``).

        Raises:
            SandboxError: no engine answers, the runtime is not registered, or the image
                cannot be built. The message says what to do.
        """
        from runner.prune import owner_id, prune_leftovers

        self.runtime = settings.runtime
        self.local = is_local(settings)
        self.client = connect(settings)
        try:
            self._prepare(settings, log)
        except BaseException:
            self.client.close()
            raise
        self.owner = owner_id()
        self.pruned = prune_leftovers(self.client, local=self.local)
        self._remover = ThreadPoolExecutor(max_workers=1, thread_name_prefix="chorebench-rm")
        self._removals: list[Future[None]] = []
        self._removals_lock = threading.Lock()
        self._pool: WarmPool[Warm, Live] = WarmPool(
            settings.pool or 0, self._launch, Live.usable, self._dispose
        )

    def _prepare(self, settings: Settings, log: Any) -> None:
        where = settings.docker_host or "the local Docker socket"
        try:
            runtimes = self.client.info().get("Runtimes", {})
        except (docker.errors.DockerException, requests.exceptions.RequestException) as exc:
            raise SandboxError(f"the engine at {where} failed answering info: {exc}") from exc
        if self.runtime not in runtimes:
            raise SandboxError(
                f"the engine at {where} has no runtime {self.runtime!r} (it has "
                f"{', '.join(sorted(runtimes))}); `scripts/provision-docker.sh` registers runsc"
            )
        if settings.image:
            try:
                self.image = GraderImage(settings.image, self.client.images.get(settings.image).id)
            except docker.errors.DockerException as exc:
                raise SandboxError(f"grader image {settings.image!r} not found: {exc}") from exc
        else:
            self.image = ensure_image(self.client, settings.grader_dir, log)

    def close(self) -> None:
        """Remove the warm containers, wait for pending removals, release the engine."""
        try:
            self._pool.close()
            self._remover.shutdown(wait=True)
        finally:
            self.client.close()

    def settle(self) -> None:
        """Wait until every container used so far is removed (removal runs in the background)."""
        with self._removals_lock:
            pending = list(self._removals)
        for future in pending:
            future.result()

    def warm_ids(self) -> set[str]:
        """Ids of the containers waiting in the warm pool (started, never given a job)."""
        return {live.id for live in self._pool.snapshot()}

    def prestart(self, limits: Limits, wait_s: float = 0.0, kind: str = "function") -> bool:
        """Fill the warm pool for ``kind`` jobs under ``limits``; with ``wait_s``, wait for it."""
        warm = Warm(limits, kind)
        self._pool.refill(warm)
        return bool(wait_s) and self._pool.wait_ready(warm, self._pool.size, wait_s)

    def run(self, job: bytes, limits: Limits, cases: int, kind: str = "function") -> ContainerRun:
        """Run the harness on ``job`` (one JSON line) in a container of its own, then remove it.

        The container is a warm one (started ahead, its harness blocked on stdin, never used)
        when the pool has one for these limits, else it is started now. Either way it runs this
        job only: when this returns, nothing of the candidate runs any more, and the stopped
        container is removed in the background (``settle`` waits for that).

        Args:
            job: the job line; it must not contain anything the candidate may not see.
            limits: the spec's resource limits.
            cases: how many case records to expect; sizes the host deadline.
            kind: the job's kind (``function`` or ``pytest``): a container started ahead for
                that kind (``Warm``) takes it.

        Raises:
            SandboxError: the engine failed to create, start or attach the container.
        """
        started = time.monotonic()
        warm = Warm(limits, kind)
        live = self._pool.take(warm)
        try:
            if live is None:
                live = self._launch(warm)
            return self._execute(live, job, limits, cases, started)
        except (
            docker.errors.DockerException,
            requests.exceptions.RequestException,
            OSError,
        ) as exc:
            raise SandboxError(f"the Docker engine failed running a candidate: {exc}") from exc
        finally:
            if live is not None:
                self._dispose(live)
            # After the job, not beside it: a start competes with the job for the CPU.
            self._pool.refill(warm)

    def _launch(self, warm: Warm) -> Live:
        """Create, attach and start a container; its harness then waits for a job on stdin."""
        api = self.client.api
        limits = warm.limits
        environment = {"HOME": "/tmp", "LANG": "C.UTF-8"}
        if warm.kind != "function":
            environment["CHOREBENCH_PRELOAD"] = warm.kind
        container = api.create_container(
            self.image.id,
            command=HARNESS,
            user=UID,
            stdin_open=True,
            tty=False,
            environment=environment,
            network_disabled=True,
            hostname="sandbox",
            working_dir="/tmp",
            labels={
                LABEL: "1",
                OWNER: self.owner,
                f"{LABEL}.created": str(int(time.time())),
            },
            name=f"chorebench-{uuid.uuid4().hex[:16]}",
            host_config=api.create_host_config(**container_options(limits, self.runtime)),
            use_config_proxy=False,
        )
        live = Live(container["Id"])
        try:
            live.stream = api.attach_socket(
                container, params={"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1}
            )
            live.raw = getattr(live.stream, "_sock", live.stream)
            api.start(container)
        except BaseException:
            self._remove(live)
            if self.local:
                # A failed gVisor start keeps its shim (and containerd task) after the
                # removal: nothing else would ever remove them.
                remove_runtime_leftovers(live.id)
            raise
        return live

    def _execute(
        self, live: Live, job: bytes, limits: Limits, cases: int, started: float
    ) -> ContainerRun:
        api = self.client.api
        try:
            live.raw.sendall(job)
            out = read_frames(live.raw, started + execution_deadline(limits, cases), limits)
        finally:
            live.close()
        if not (out.timed_out or out.capped):
            # The stream ends as the harness exits; the engine may record the exit a moment
            # later, and the exit status decides whether the report counts.
            _wait_for_exit(api, live.id)
        state = api.inspect_container(live.id)["State"]
        if out.timed_out or out.capped or state.get("Running"):
            # Nothing of a candidate may run once its grade is known.
            _ignore_missing(lambda: api.kill(live.id))
        return ContainerRun(
            stdout=out.stdout,
            stderr=out.stderr,
            timed_out=out.timed_out,
            output_capped=out.capped,
            exit_code=None if state.get("Running") else state.get("ExitCode"),
            oom_killed=bool(state.get("OOMKilled")),
            elapsed_s=time.monotonic() - started,
            image=self.image.tag,
            image_id=self.image.id,
            runtime=self.runtime,
        )

    def _dispose(self, live: Live) -> None:
        """Remove a used or unwanted container off the caller's path."""
        live.close()
        future = self._remover.submit(self._remove, live)
        with self._removals_lock:
            self._removals = [f for f in self._removals if not f.done()] + [future]

    def _remove(self, live: Live) -> None:
        live.close()
        # When the engine fails here, the next start's prune removes the container by label.
        with contextlib.suppress(
            docker.errors.DockerException, requests.exceptions.RequestException
        ):
            _ignore_missing(lambda: self.client.api.remove_container(live.id, force=True))


def remove_runtime_leftovers(container_id: str) -> None:
    """Best effort: remove host processes of one of our own containers after its removal."""
    from runner import orphans

    try:
        left = orphans.by_container(orphans.scan()).get(container_id, [])
        if left:
            orphans.remove(container_id, left)
    except OSError:
        pass


def _wait_for_exit(api: Any, container: Any, timeout_s: float = EXIT_WAIT_S) -> None:
    """Wait until the container has exited; kill it if it has not within ``timeout_s``."""
    try:
        api.wait(container, timeout=timeout_s)
    except requests.exceptions.RequestException:
        _ignore_missing(lambda: api.kill(container))


def _ignore_missing(call: Any) -> None:
    """Run a cleanup call; a container that is already gone or stopped is fine."""

    try:
        call()
    except docker.errors.NotFound:
        pass
    except docker.errors.APIError as exc:
        if exc.status_code not in (304, 409):
            raise
