"""The sandbox room: everything that talks to the Docker engine. Only this room imports ``docker``.

Owns the engine's vocabulary (labels, owner id, the hardened container options, ``connect``,
``is_local``: ``engine``), the container lifecycle (``DockerSandbox``, ``open_sandbox``:
``docker_sandbox``), the attach stream (``attach``), the warm pool (``warm``), the grader
image builder (``image``), and the removal of dead runners' leftovers (``prune``) and of
runtime-level orphans (``orphans``).

May import: ``runner.errors``, ``runner.records``, ``runner.settings``. No other room:
``DockerSandbox`` satisfies ``runner.grade.Sandbox`` structurally, without importing it.
"""

from runner.sandbox import orphans
from runner.sandbox.docker_sandbox import DockerSandbox, execution_deadline, open_sandbox
from runner.sandbox.engine import (
    API_VERSION,
    HARNESS,
    LABEL,
    OWNER,
    UID,
    connect,
    container_options,
    is_local,
    owner_id,
    owner_state,
)
from runner.sandbox.image import GraderImage, ensure_image
from runner.sandbox.prune import PruneResult, RemovedContainer, prune, prune_leftovers
from runner.sandbox.warm import WarmPool

__all__ = [
    "API_VERSION",
    "HARNESS",
    "LABEL",
    "OWNER",
    "UID",
    "DockerSandbox",
    "GraderImage",
    "PruneResult",
    "RemovedContainer",
    "WarmPool",
    "connect",
    "container_options",
    "ensure_image",
    "execution_deadline",
    "is_local",
    "open_sandbox",
    "orphans",
    "owner_id",
    "owner_state",
    "prune",
    "prune_leftovers",
]
