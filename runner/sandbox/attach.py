"""The attach stream of one grader container: the socket a job goes in and output comes out.

Docker multiplexes stdout and stderr on it in frames with 8-byte headers; ``read_frames``
takes them apart under a deadline and a byte cap.
"""

from __future__ import annotations

import contextlib
import socket
import time
from dataclasses import dataclass
from typing import Any

from runner.records import Limits


@dataclass
class LiveContainer:
    """A started container whose harness waits for its one job, with its attach socket."""

    id: str
    stream: Any = None
    raw: Any = None

    def usable(self) -> bool:
        """Still waiting: the attach stream has neither ended nor said anything yet."""
        if self.raw is None:
            return False
        try:
            self.raw.setblocking(False)
            try:
                self.raw.recv(1, socket.MSG_PEEK)
            finally:
                self.raw.setblocking(True)
        except BlockingIOError:
            return True
        except OSError:
            return False
        return False  # EOF (the container died) or output before any job: not clean

    def close(self) -> None:
        for handle in (self.raw, self.stream):
            if handle is not None:
                with contextlib.suppress(OSError):
                    handle.close()


class AttachOutput:
    """What came out of the attach stream: stdout, stderr, and whether the host cut it off."""

    def __init__(self) -> None:
        self.stdout = b""
        self.stderr = b""
        self.timed_out = False
        self.capped = False


def read_frames(sock: Any, deadline: float, limits: Limits) -> AttachOutput:
    """Demultiplex Docker's attach stream (8-byte headers) until EOF, the deadline or the cap."""
    out = AttachOutput()
    buffer = b""
    chunks: dict[int, list[bytes]] = {1: [], 2: []}
    total = 0
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            out.timed_out = True
            break
        sock.settimeout(left)
        try:
            data = sock.recv(65536)
        except TimeoutError:
            out.timed_out = True
            break
        if not data:
            break
        buffer += data
        while len(buffer) >= 8:
            size = int.from_bytes(buffer[4:8], "big")
            if len(buffer) < 8 + size:
                break
            stream_id, payload, buffer = buffer[0], buffer[8 : 8 + size], buffer[8 + size :]
            chunks.setdefault(stream_id, []).append(payload)
            total += size
        if total > limits.output_bytes:
            out.capped = True
            break
    out.stdout = b"".join(chunks[1])[: limits.output_bytes]
    out.stderr = b"".join(chunks[2])[: limits.output_bytes]
    return out
