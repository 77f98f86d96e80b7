"""A fake engine for the engine pool (``runner.sandbox.EnginePool``): no Docker, scripted.

Each execution sleeps ``delay_s`` and returns a clean ``Execution`` naming the engine; the
engine can be told to fail (``SandboxError``) while still answering, to be lost (its executions
fail and its ping does not answer), or to end executions abnormally. It counts what it ran
and the most executions it ever had in flight at once.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from runner.errors import SandboxError
from runner.records import Execution, Limits


@dataclass(frozen=True)
class FakeFacts:
    name: str
    version: str = "fake-1.0"
    runtime: str = "runc"
    image_id: str = "sha256:fake"
    jobs: int = 1


@dataclass(frozen=True)
class FakeImage:
    tag: str = "chorebench-grader:fake"
    id: str = "sha256:fake"


class FakeEngine:
    def __init__(self, name: str, jobs: int = 1, delay_s: float = 0.0) -> None:
        self.facts = FakeFacts(name, jobs=jobs)
        self.jobs = jobs
        self.image = FakeImage()
        self.delay_s = delay_s
        self.lost = False
        self.failing = False  # fails executions but still answers a ping
        self.abnormal = False  # executions end with exit status 137
        self.lose_after: int | None = None  # be lost once this many executions have started
        self.lost_after_run = False  # be lost as an execution ends (an engine shutting down)
        self.ran = 0
        self.kinds: list[str] = []  # the kind of every job executed, in order
        self.in_flight = 0
        self.most_in_flight = 0
        self.closed = False
        self._lock = threading.Lock()

    def execute(self, job: bytes, limits: Limits, cases: int, kind: str = "function") -> Execution:
        with self._lock:
            self.kinds.append(kind)
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            started = self.ran
            self.ran += 1
            if self.lose_after is not None and started >= self.lose_after:
                self.lost = True
        try:
            if self.delay_s:
                time.sleep(self.delay_s)
            if self.lost or self.failing:
                raise SandboxError(f"{self.facts.name}: the engine failed running a candidate")
            self.lost = self.lost or self.lost_after_run
            return Execution(
                stdout=job,
                stderr=b"",
                timed_out=False,
                output_capped=False,
                exit_code=137 if self.abnormal else 0,
                oom_killed=False,
                elapsed_s=self.delay_s,
                image=self.image.tag,
                image_id=self.image.id,
                runtime="runc",
                engine=self.facts.name,
                engine_version=self.facts.version,
            )
        finally:
            with self._lock:
                self.in_flight -= 1

    def answers(self) -> str | None:
        return "ConnectionRefusedError: gone" if self.lost else None

    def settle(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True
