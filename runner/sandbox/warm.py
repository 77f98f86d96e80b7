"""A pool of things started ahead of need, each handed out once: the sandbox's warm containers.

Generic and free of Docker, so its bookkeeping is unit-tested with plain objects. The pool
never reuses an item: ``take`` removes it, and the caller disposes of it after one use.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")


class WarmPool(Generic[K, T]):
    """Up to ``size`` items kept started, per key, by background workers.

    Args:
        size: how many items may wait at once, over all keys (0: the pool is off).
        launch: starts one item for a key; may raise (the failure is dropped: the caller's
            own cold start will meet it and report it).
        usable: whether a waiting item can still be used (e.g. its process has not died).
        discard: disposes of an item that will not be used.
    """

    def __init__(
        self,
        size: int,
        launch: Callable[[K], T],
        usable: Callable[[T], bool],
        discard: Callable[[T], None],
    ) -> None:
        self.size = size
        self._launch, self._usable, self._discard = launch, usable, discard
        self._ready: dict[K, deque[T]] = {}
        self._pending: dict[K, int] = {}
        self._lock = threading.Condition()
        self._closed = False
        self._workers = ThreadPoolExecutor(
            max_workers=max(1, size), thread_name_prefix="chorebench-warm"
        )

    def take(self, key: K) -> T | None:
        """A started item for ``key``, or None when none is ready (start one yourself)."""
        while True:
            with self._lock:
                queue = self._ready.get(key)
                if not queue:
                    return None
                item = queue.popleft()
            if self._usable(item):
                return item
            self._discard(item)

    def refill(self, key: K) -> None:
        """Start items for ``key`` in the background until ``size`` are ready or starting."""
        with self._lock:
            if self._closed or self.size == 0:
                return
            missing = self.size - len(self._ready.get(key, ())) - self._pending.get(key, 0)
            self._pending[key] = self._pending.get(key, 0) + max(0, missing)
        for _ in range(missing):
            self._workers.submit(self._start, key)

    def wait_ready(self, key: K, count: int, timeout_s: float) -> bool:
        """Block until ``count`` items for ``key`` are ready; False on timeout or close."""
        with self._lock:
            return (
                self._lock.wait_for(
                    lambda: self._closed or len(self._ready.get(key, ())) >= count, timeout_s
                )
                and not self._closed
            )

    def snapshot(self) -> list[T]:
        """The items waiting now (for inspection; they stay in the pool)."""
        with self._lock:
            return [item for queue in self._ready.values() for item in queue]

    def waiting(self) -> int:
        """How many items are ready now, over all keys."""
        with self._lock:
            return self._count()

    def _count(self) -> int:
        return sum(len(queue) for queue in self._ready.values())

    def close(self) -> None:
        """Stop starting, wait for the starts in flight, and discard every waiting item."""
        with self._lock:
            self._closed = True
            self._lock.notify_all()
        self._workers.shutdown(wait=True)
        with self._lock:
            leftovers = [item for queue in self._ready.values() for item in queue]
            self._ready.clear()
        for item in leftovers:
            self._discard(item)

    def _start(self, key: K) -> None:
        try:
            item = self._launch(key)
        except Exception:
            with self._lock:
                self._pending[key] -= 1
            return
        evicted: list[T] = []
        with self._lock:
            self._pending[key] -= 1
            if self._closed:
                evicted.append(item)
            else:
                self._ready.setdefault(key, deque()).append(item)
                evicted = self._over_size(key)
                self._lock.notify_all()
        for old in evicted:
            self._discard(old)

    def _over_size(self, key: K) -> list[T]:
        """Items of other keys to drop so the pool holds at most ``size`` (caller has the lock)."""
        evicted = []
        for other, queue in self._ready.items():
            while other != key and queue and self._count() > self.size:
                evicted.append(queue.popleft())
        return evicted
