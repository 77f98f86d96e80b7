"""The attach stream of one grader container: the socket a job goes in and output comes out.

``send_job`` writes the job under a deadline. Docker multiplexes stdout and stderr on the
stream in frames with 8-byte headers; ``read_frames`` takes them apart under a deadline and a
byte cap. Nothing waits on the container without a deadline.
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
        if hasattr(self.raw, "recv_ready"):  # an ssh channel (paramiko), not a socket
            return not (self.raw.closed or self.raw.eof_received or self.raw.recv_ready())
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
        # Over TLS the SDK hands out the TLS socket itself, and the HTTP response it came from
        # (kept on it as ``_response``) still holds a reference: close that first, or the
        # socket stays open until garbage collection.
        response = getattr(self.stream, "_response", None)
        for handle in (response, self.raw, self.stream):
            if handle is not None:
                with contextlib.suppress(OSError, ValueError):
                    handle.close()


class AttachOutput:
    """What came out of the attach stream: stdout, stderr, and whether the host cut it off."""

    def __init__(self) -> None:
        self.stdout = b""
        self.stderr = b""
        self.timed_out = False
        self.capped = False


def send_job(sock: Any, job: bytes, deadline: float) -> None:
    """Write the whole job line by ``deadline`` (a ``time.monotonic`` instant).

    Raises:
        TimeoutError: the container did not take the job in time (an ``OSError``, like a
            broken pipe: the harness reads the job before any candidate code exists, so
            either is the engine's failure, never the candidate's).
    """
    sock.settimeout(max(0.001, deadline - time.monotonic()))
    sock.sendall(job)


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
