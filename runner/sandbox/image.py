"""The grader image: built from ``grader_image/``, tagged by a hash of that folder.

A changed harness or Dockerfile gives a new tag, so a stale image is rebuilt, never reused.
No registry is needed: the base is ``python:3.12-slim`` when the engine has it or can pull it,
else a Debian 12 root file system made from the host's own apt sources with ``mmdebstrap``.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker

from runner.errors import SandboxError

REPOSITORY = "chorebench-grader"
SLIM_BASE = "python:3.12-slim"
DEBIAN_BASE = "chorebench-base:bookworm"


@dataclass(frozen=True)
class GraderImage:
    """A grader image present in the engine."""

    tag: str
    id: str


def grader_tag(grader_dir: Path) -> str:
    """``chorebench-grader:<12 hex>``, the hash covering every file's path and bytes."""
    if not grader_dir.is_dir():
        raise SandboxError(f"{grader_dir}: the grader image folder is missing")
    digest = hashlib.sha256()
    for path in sorted(p for p in grader_dir.rglob("*") if p.is_file()):
        if "__pycache__" in path.parts:
            continue
        digest.update(path.relative_to(grader_dir).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return f"{REPOSITORY}:{digest.hexdigest()[:12]}"


def ensure_image(
    client: Any, grader_dir: Path, log: Callable[[str], None] = lambda _: None
) -> GraderImage:
    """Return the grader image for ``grader_dir``, building it (and its base) when missing.

    Raises:
        SandboxError: the image cannot be built; the message says what to install or run.
    """
    tag = grader_tag(grader_dir)
    try:
        return GraderImage(tag, client.images.get(tag).id)
    except docker.errors.ImageNotFound:
        pass
    except docker.errors.APIError as exc:
        raise SandboxError(f"the Docker engine failed looking up {tag}: {exc}") from exc
    base = _base_image(client, log)
    log(f"building {tag} from {grader_dir} on {base}")
    try:
        # No network: the base has everything, and an engine without a working default
        # bridge (docker0) still builds.
        image, _ = client.images.build(
            path=str(grader_dir),
            tag=tag,
            buildargs={"BASE": base},
            rm=True,
            forcerm=True,
            network_mode="none",
        )
    except (docker.errors.BuildError, docker.errors.APIError) as exc:
        raise SandboxError(f"building the grader image {tag} failed: {exc}") from exc
    return GraderImage(tag, image.id)


def _base_image(client: Any, log: Callable[[str], None]) -> str:
    for name in (SLIM_BASE, DEBIAN_BASE):
        try:
            client.images.get(name)
            return name
        except docker.errors.ImageNotFound:
            continue
    try:
        log(f"trying to pull {SLIM_BASE}")
        client.images.pull(SLIM_BASE)
        return SLIM_BASE
    except docker.errors.APIError:
        log(f"{SLIM_BASE} cannot be pulled here; making {DEBIAN_BASE} with mmdebstrap")
    _build_debian_base(client, log)
    return DEBIAN_BASE


def _build_debian_base(client: Any, log: Callable[[str], None]) -> None:
    if shutil.which("mmdebstrap") is None:
        raise SandboxError(
            f"no registry answers and mmdebstrap is missing, so the base image {DEBIAN_BASE} "
            "cannot be made: run `apt-get install mmdebstrap` (as root), or load "
            f"{SLIM_BASE} into the engine, then retry"
        )
    with tempfile.TemporaryDirectory(prefix="chorebench-base-") as tmp:
        tarball = Path(tmp) / "rootfs.tar"
        # No mirror argument: mmdebstrap then uses the host's own apt sources.
        command = [
            "mmdebstrap",
            "--quiet",
            "--variant=essential",
            "--include=python3,python3-pytest",
            "bookworm",
            str(tarball),
        ]
        log("running " + " ".join(command))
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise SandboxError(
                f"mmdebstrap failed (exit {done.returncode}); it needs root and apt sources:\n"
                + done.stderr[-2000:]
            )
        repository, tag = DEBIAN_BASE.split(":")
        client.api.import_image_from_file(str(tarball), repository=repository, tag=tag)
