"""Shipping the grader image from one engine to another, without a registry.

The image is built once (``runner.image``) on the first engine; every other engine that lacks
it, or holds a different image under the same tag, gets it by ``docker save`` streamed into
``docker load`` through the two engines' APIs (no file, no registry), and is then checked by
id: an image id is the digest of the image's configuration, which save and load keep, so the
same id means the same image, and a stale or tampered one is never used.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import docker

from runner.errors import SandboxError
from runner.sandbox.engine import TRANSPORT_ERRORS
from runner.sandbox.image import GraderImage

CHUNK_BYTES = 1 << 20


def image_id(client: Any, name: str) -> str | None:
    """The id of image ``name`` on the engine of ``client``, or None when it has none."""
    try:
        return str(client.images.get(name).id)
    except docker.errors.ImageNotFound:
        return None
    except TRANSPORT_ERRORS as exc:
        raise SandboxError(f"the Docker engine failed looking up {name}: {exc}") from exc


def ensure_shipped(
    source: Any,
    image: GraderImage,
    target: Any,
    where: str,
    log: Callable[[str], None] = lambda _: None,
) -> GraderImage:
    """The grader ``image`` of the engine of ``source`` on the engine of ``target``.

    Nothing moves when the target already holds the same id under the tag.

    Raises:
        SandboxError: the transfer failed, or what arrived is not the same image.
    """
    if image_id(target, image.tag) == image.id:
        return image
    log(f"shipping {image.tag} ({image.id[:19]}) to {where}")
    try:
        archive = source.api.get_image(image.tag, chunk_size=CHUNK_BYTES)
        for message in target.api.load_image(archive):
            problem = message.get("error") or (message.get("errorDetail") or {}).get("message")
            if problem:
                raise SandboxError(f"{where} refused the grader image {image.tag}: {problem}")
    except TRANSPORT_ERRORS as exc:
        message = f"shipping the grader image {image.tag} to {where} failed: {exc}"
        raise SandboxError(message) from exc
    arrived = image_id(target, image.tag)
    if arrived != image.id:
        raise SandboxError(
            f"shipping the grader image to {where}: {image.tag} there is {arrived}, not "
            f"{image.id}; remove that image there and retry"
        )
    return image
