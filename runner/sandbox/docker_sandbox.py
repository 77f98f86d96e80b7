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
  (``prune``).

Code goes in on the attach stream's stdin, observations come out on its stdout: the root is
read-only, so there is no file channel to race. Expected values never enter the container.

What it does not give: protection from kernel or runtime exploits under runc (use
``--runtime runsc``), or from whoever else can talk to the Docker socket.
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import docker
import requests

from runner.errors import SandboxError
from runner.records import Execution, Limits
from runner.sandbox import orphans
from runner.sandbox.attach import LiveContainer, read_frames, send_job
from runner.sandbox.engine import (
    HARNESS,
    LABEL,
    OWNER,
    TRANSPORT_ERRORS,
    UID,
    EngineFacts,
    answers,
    connect,
    container_options,
    describe,
    display,
    is_local,
    owner_id,
)
from runner.sandbox.image import GraderImage, ensure_image
from runner.sandbox.prune import prune_leftovers
from runner.sandbox.ship import ensure_shipped
from runner.sandbox.warm import WarmPool
from runner.settings import LOCAL, EngineSpec, Settings

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


def execution_deadline(limits: Limits, cases: int) -> float:
    """Seconds the host allows one container, from start to its last byte of output."""
    return STARTUP_MARGIN_S + cases * (limits.case_timeout_s + PER_CASE_MARGIN_S)


class DockerSandbox:
    """Runs jobs in fresh grader containers on one Docker engine."""

    def __init__(
        self,
        settings: Settings,
        log: Any = lambda _: None,
        engine: EngineSpec | None = None,
        donor: DockerSandbox | None = None,
    ) -> None:
        """Connect, make sure the grader image and runtime are there, prune dead runners' leftovers.

        ``engine`` is the engine to use (default: the local one); with a ``donor`` (the
        sandbox of another engine), the grader image is shipped from there instead of built.
        ``pruned`` records what the start removed (``prune.prune_leftovers``); ``facts``
        what grades record of this engine; ``jobs`` how many containers it runs at once.

        Raises:
            SandboxError: no engine answers, the runtime is not registered, or the image
                cannot be built or shipped. The message says what to do.
        """
        engine = engine or EngineSpec(LOCAL)
        self._engine, self._settings = engine, settings
        self.where = display(engine, settings)
        self.runtime = engine.runtime or settings.runtime
        self.local = is_local(engine, settings)
        self.client = connect(engine, settings)
        try:
            info = self._prepare(settings, log, donor)
        except BaseException:
            self.client.close()
            raise
        local_jobs = settings.jobs if engine.url == LOCAL else int(info.get("NCPU") or 1)
        self.jobs = engine.jobs or local_jobs
        self.facts = EngineFacts(
            name=engine.url,
            version=str(info.get("ServerVersion", "")),
            runtime=self.runtime,
            image_id=self.image.id,
            jobs=self.jobs,
            os=str(info.get("OperatingSystem", "")),
            arch=str(info.get("Architecture", "")),
        )
        self.owner = owner_id()
        self.pruned = prune_leftovers(self.client, local=self.local)
        self._remover = ThreadPoolExecutor(max_workers=1, thread_name_prefix="chorebench-rm")
        self._removals: list[Future[None]] = []
        self._removals_lock = threading.Lock()
        self._pool: WarmPool[Warm, LiveContainer] = WarmPool(
            settings.pool or 0, self._launch, LiveContainer.usable, self._dispose
        )

    def _prepare(self, settings: Settings, log: Any, donor: DockerSandbox | None) -> dict[str, Any]:
        """Check the runtime; build, ship or find the grader image. Returns the engine's info."""
        where = self.where
        info = describe(self.client, where)
        runtimes = info.get("Runtimes", {})
        if self.runtime not in runtimes:
            raise SandboxError(
                f"the engine at {where} has no runtime {self.runtime!r} (it has "
                f"{', '.join(sorted(runtimes))}); `scripts/provision-docker.sh` registers runsc"
            )
        if donor is not None:
            self.image = ensure_shipped(donor.client, donor.image, self.client, where, log)
        elif settings.image:
            try:
                self.image = GraderImage(settings.image, self.client.images.get(settings.image).id)
            except docker.errors.DockerException as exc:
                raise SandboxError(f"grader image {settings.image!r} not found: {exc}") from exc
        else:
            self.image = ensure_image(self.client, settings.grader_dir, log)
        return info

    def close(self) -> None:
        """Remove the warm containers, wait for pending removals, release the engine."""
        try:
            self._pool.close()
            self._remover.shutdown(wait=True)
        finally:
            self.client.close()

    def answers(self) -> str | None:
        """None when the engine still answers a ping on a new connection; else why not."""
        return answers(self._engine, self._settings)

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

    def execute(self, job: bytes, limits: Limits, cases: int, kind: str = "function") -> Execution:
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
        except TRANSPORT_ERRORS as exc:
            raise SandboxError(
                f"the Docker engine failed running a candidate on {self.where}: {exc}"
            ) from exc
        finally:
            if live is not None:
                self._dispose(live)
            # After the job, not beside it: a start competes with the job for the CPU.
            self._pool.refill(warm)

    def _launch(self, warm: Warm) -> LiveContainer:
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
        live = LiveContainer(container["Id"])
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
        self, live: LiveContainer, job: bytes, limits: Limits, cases: int, started: float
    ) -> Execution:
        api = self.client.api
        deadline = started + execution_deadline(limits, cases)
        try:
            send_job(live.raw, job, deadline)
            out = read_frames(live.raw, deadline, limits)
        finally:
            live.close()
        status = None
        if not (out.timed_out or out.capped):
            # The stream ends as the harness exits; the engine may record the exit a moment
            # later, and the exit status decides whether the report counts.
            status = _wait_for_exit(api, live.id)
        # A harness that exited 0 finished its report: nothing more to look up (an API call
        # on every grade's path). Otherwise the engine says how it ended (out of memory?).
        state = {"ExitCode": 0} if status == 0 else api.inspect_container(live.id)["State"]
        if out.timed_out or out.capped or state.get("Running"):
            # Nothing of a candidate may run once its grade is known.
            _ignore_missing(lambda: api.kill(live.id))
        return Execution(
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
            engine=self.facts.name,
            engine_version=self.facts.version,
        )

    def _dispose(self, live: LiveContainer) -> None:
        """Remove a used or unwanted container off the caller's path."""
        live.close()
        future = self._remover.submit(self._remove, live)
        with self._removals_lock:
            self._removals = [f for f in self._removals if not f.done()] + [future]

    def _remove(self, live: LiveContainer) -> None:
        live.close()
        # When the engine fails here, the next start's prune removes the container by label.
        with contextlib.suppress(*TRANSPORT_ERRORS):
            _ignore_missing(lambda: self.client.api.remove_container(live.id, force=True))


def remove_runtime_leftovers(container_id: str) -> None:
    """Best effort: remove host processes of one of our own containers after its removal."""
    try:
        left = orphans.by_container(orphans.scan()).get(container_id, [])
        if left:
            orphans.remove(container_id, left)
    except OSError:
        pass


def _wait_for_exit(api: Any, container: Any, timeout_s: float = EXIT_WAIT_S) -> int | None:
    """Wait until the container has exited; its exit status, or None when the engine did not
    say (it is killed if it has not exited within ``timeout_s``)."""
    try:
        status = api.wait(container, timeout=timeout_s).get("StatusCode")
    except requests.exceptions.RequestException:
        _ignore_missing(lambda: api.kill(container))
        return None
    return status if type(status) is int else None


def _ignore_missing(call: Any) -> None:
    """Run a cleanup call; a container that is already gone or stopped is fine."""

    try:
        call()
    except docker.errors.NotFound:
        pass
    except docker.errors.APIError as exc:
        if exc.status_code not in (304, 409):
            raise


@contextmanager
def open_sandbox(
    settings: Settings, log: Callable[[str], None] = lambda _: None
) -> Iterator[DockerSandbox]:
    """A connected DockerSandbox, closed on exit. Raises SandboxError when none can be had."""
    sandbox = DockerSandbox(settings, log)
    try:
        yield sandbox
    finally:
        sandbox.close()
