"""Remove what dead runners left behind: labelled containers, and runtime-level orphans.

Every container chorebench creates carries the label ``chorebench.owner=<host>:<pid>:<start>``
(the runner's host name, process id and process start time). A runner killed with SIGKILL
cannot remove its containers; the next runner does, at its start (``DockerSandbox``), and
``chorebench sandbox prune`` does on demand. A container is removed when its owner is on this
host and that process is gone (or the pid now belongs to a process started at another
time). Containers of live runners are never touched; containers owned on other hosts (or
without a readable owner) are removed only with ``everyone``.

Beyond the engine's containers, when the engine runs on this machine, the runtime-level sweep
(``orphans``) removes processes of chorebench containers the engine no longer knows.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import docker

from runner.sandbox.engine import HARNESS, LABEL, OWNER, connect, is_local, owner_state
from runner.sandbox.orphans import RuntimeOrphan, sweep
from runner.settings import Settings


@dataclass(frozen=True)
class RemovedContainer:
    """A labelled container that was removed, with its owner and state at removal."""

    name: str
    owner: str
    status: str


@dataclass(frozen=True)
class PruneResult:
    """What one prune removed, and what it found and left.

    Attributes:
        containers: labelled containers removed (their owner was dead).
        runtime: runtime-level orphans found, each removed or left with the reason.
        kept: labelled containers left alone because their owner is alive (or elsewhere).
    """

    containers: tuple[RemovedContainer, ...] = ()
    runtime: tuple[RuntimeOrphan, ...] = ()
    kept: int = 0
    engine: str = "local"


def prune_leftovers(
    client: Any, everyone: bool = False, local: bool = True, grace_s: float = 1.0
) -> PruneResult:
    """Remove labelled containers of dead owners, then (``local``) runtime-level orphans.

    Args:
        client: a ``docker.DockerClient``.
        everyone: also remove containers owned on other hosts or with no readable owner
            (when no runner elsewhere shares this engine).
        local: the engine runs on this machine, so its processes can be swept.
        grace_s: how long a runtime orphan must persist before it counts as one.
    """
    removed, kept = [], 0
    # One listing call with labels and state: no per-container inspect, which would fail on a
    # container that another runner removes in between.
    for summary in client.api.containers(all=True, filters={"label": LABEL}):
        owner = (summary.get("Labels") or {}).get(OWNER, "")
        state = owner_state(owner)
        if state == "alive" or (state in ("elsewhere", "unknown") and not everyone):
            kept += 1
            continue
        name = (summary.get("Names") or ["/" + summary["Id"][:12]])[0].lstrip("/")
        try:
            client.api.remove_container(summary["Id"], force=True)
            removed.append(RemovedContainer(name, owner, str(summary.get("State", ""))))
        except docker.errors.NotFound:
            pass
        except docker.errors.APIError as exc:
            # 409: another runner's start is removing it right now (runners share an engine).
            if exc.status_code != 409:
                raise
    runtime: list[RuntimeOrphan] = []
    if local:
        data_root = client.info().get("DockerRootDir", "/var/lib/docker")

        def known_ids() -> set[str]:
            return {entry["Id"] for entry in client.api.containers(all=True)}

        try:
            runtime = sweep(known_ids, HARNESS, data_root, grace_s)
        except OSError:
            runtime = []  # no /proc to read (not Linux): nothing to sweep
    return PruneResult(tuple(removed), tuple(runtime), kept)


def prune(settings: Settings, everyone: bool = False) -> list[PruneResult]:
    """Prune every configured engine (``chorebench sandbox prune``), one result each.

    Raises:
        SandboxError: an engine does not answer (the ones before it are pruned).
    """
    results = []
    for engine in settings.engines():
        client = connect(engine, settings)
        try:
            local = is_local(engine, settings)
            result = prune_leftovers(client, everyone=everyone, local=local)
        finally:
            client.close()
        results.append(replace(result, engine=engine.url))
    return results
