"""The sandbox room: everything that talks to the Docker engine. Only this room imports ``docker``.

Owns the engine's vocabulary (labels, owner id, the hardened container options, ``connect``,
``is_local``, TLS and ssh, what an engine is: ``engine``), the container lifecycle on one
engine (``DockerSandbox``, ``open_sandbox``: ``docker_sandbox``), the pool of several engines
that keeps each at its ``jobs`` and survives losing one (``EnginePool``, ``open_engines``:
``scheduler``), the attach stream (``attach``), the warm pool (``warm``), the grader image
builder (``image``) and its shipping to other engines (``ship``), and the removal of dead
runners' leftovers (``prune``) and of runtime-level orphans (``orphans``).

May import: ``runner.errors``, ``runner.records``, ``runner.settings``. No other room:
``DockerSandbox`` satisfies ``runner.grade.Sandbox`` structurally, without importing it.
"""

from runner.sandbox import orphans
from runner.sandbox.attach import send_job
from runner.sandbox.docker_sandbox import DockerSandbox, execution_deadline, open_sandbox
from runner.sandbox.engine import (
    API_VERSION,
    HARNESS,
    LABEL,
    OWNER,
    UID,
    EngineFacts,
    answers,
    connect,
    container_options,
    display,
    is_local,
    owner_id,
    owner_state,
    tls_config,
)
from runner.sandbox.image import GraderImage, ensure_image
from runner.sandbox.prune import PruneResult, RemovedContainer, prune, prune_leftovers
from runner.sandbox.scheduler import EnginePool, open_engines
from runner.sandbox.ship import ensure_shipped
from runner.sandbox.warm import WarmPool

__all__ = [
    "API_VERSION",
    "HARNESS",
    "LABEL",
    "OWNER",
    "UID",
    "DockerSandbox",
    "EngineFacts",
    "EnginePool",
    "GraderImage",
    "PruneResult",
    "RemovedContainer",
    "WarmPool",
    "answers",
    "connect",
    "container_options",
    "display",
    "ensure_image",
    "ensure_shipped",
    "execution_deadline",
    "is_local",
    "open_engines",
    "open_sandbox",
    "orphans",
    "owner_id",
    "owner_state",
    "prune",
    "prune_leftovers",
    "send_job",
    "tls_config",
]
