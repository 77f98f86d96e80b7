"""A run's stop request: the first asks collection to stop starting work, the second abandons it.

The CLI's signal handler (SIGINT, SIGTERM) calls ``request``; collection reads ``stopping``
before it starts a request or a grade, and counts here the requests it has in flight (the CLI
says how many when it stops). Nothing here touches signals or exits: the CLI owns those.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class Stop:
    """Shared by the CLI (which asks) and collection (which obeys). Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._in_flight = 0
        self._obeyed = False
        self.signal: int | None = None  # the first signal that asked
        self.requests = 0  # how many times it was asked

    def request(self, signal: int) -> bool:
        """Ask to stop; True when collection is running and will stop gracefully.

        False for a second request (abandon what is in flight), or when no collection runs
        (nothing to wait for): the caller then interrupts the main thread.
        """
        with self._lock:
            self.requests += 1
            self.signal = self.signal or signal
            self._stopping.set()
            return self.requests == 1 and self._obeyed

    @property
    def stopping(self) -> bool:
        """A stop was requested: start no new request or grade."""
        return self._stopping.is_set()

    @property
    def in_flight(self) -> int:
        """Requests to model servers started and not yet answered."""
        with self._lock:
            return self._in_flight

    @contextmanager
    def obeyed(self) -> Iterator[None]:
        """While collection runs: a first request stops it gracefully instead of interrupting."""
        with self._lock:
            self._obeyed = True
        try:
            yield
        finally:
            with self._lock:
                self._obeyed = False

    @contextmanager
    def request_in_flight(self) -> Iterator[None]:
        """Count one request to a model server while it is in flight."""
        with self._lock:
            self._in_flight += 1
        try:
            yield
        finally:
            with self._lock:
                self._in_flight -= 1
