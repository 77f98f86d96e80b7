"""Spreading executions over several Docker engines, each kept at its own ``jobs``.

``EnginePool`` is a ``Sandbox`` (``runner.grade``): ``execute`` takes the engine with the most
room (fewest containers in flight for its ``jobs``), runs the job there with that engine's
own sandbox (warm pool included), and gives the slot back. An engine that fails a job and
then does not answer a ping is lost: it gets no more jobs, and the job runs again on another
engine, so a lost engine is never a candidate's failure. A job whose container ended
abnormally is checked the same way (an engine shutting down kills its containers). When no
engine is left, ``execute`` raises ``NoEngineLeft`` (not a ``SandboxError``: no grade absorbs it).

``EnginePool`` itself is free of Docker: its members are anything with ``execute``, ``jobs``,
``facts``, ``image``, ``answers``, ``settle`` and ``close`` (``runner.sandbox.DockerSandbox``;
fakes in the tests and the scheduler benchmark). ``open_engines`` opens the real ones.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from runner.errors import NoEngineLeft, SandboxError
from runner.records import Execution, Limits
from runner.sandbox.docker_sandbox import DockerSandbox
from runner.sandbox.engine import display
from runner.settings import Settings


@contextmanager
def open_engines(
    settings: Settings, log: Callable[[str], None] = lambda _: None
) -> Iterator[EnginePool]:
    """Every configured engine (``settings.engines()``), connected and pooled; closed on exit.

    The first engine that answers builds the grader image (or has it); every other one gets
    it shipped from there (``ship``). An engine that does not answer at the start is
    left out and named in the log and the manifest, as long as one answers.

    Raises:
        SandboxError: no engine answers (each named, with why), or the image cannot be had.
    """
    members: list[DockerSandbox] = []
    unreachable: dict[str, str] = {}
    try:
        for engine in settings.engines():
            donor = members[0] if members else None
            try:
                members.append(DockerSandbox(settings, log, engine, donor))
            except SandboxError as exc:
                if len(settings.engines()) == 1:
                    raise
                unreachable[engine.url] = str(exc)
                log(f"engine {display(engine, settings)} left out: {exc}")
    except BaseException:
        for member in members:
            member.close()
        raise
    if not members:
        raise SandboxError(
            "no Docker engine answers: "
            + "; ".join(f"{name}: {why}" for name, why in unreachable.items())
        )
    pool = EnginePool(members, unreachable, log)
    try:
        yield pool
    finally:
        pool.close()


class Member(Protocol):
    """One engine's sandbox, as the pool uses it."""

    jobs: int
    facts: Any  # runner.sandbox.engine.EngineFacts
    image: Any  # runner.sandbox.image.GraderImage

    def execute(
        self, job: bytes, limits: Limits, cases: int, kind: str = "function"
    ) -> Execution: ...
    def answers(self) -> str | None: ...
    def settle(self) -> None: ...
    def close(self) -> None: ...


@dataclass
class _Slot:
    """A member and its bookkeeping (guarded by the pool's lock)."""

    member: Member
    name: str
    busy: int = 0
    lost: str | None = None
    ran: int = 0
    requeued: int = 0  # jobs this engine failed by being lost, run again elsewhere


class EnginePool:
    """A Sandbox over several engines.

    Args:
        members: the engines' sandboxes, in the order configured.
        unreachable: engines that did not answer at the start, as ``name: why``.
        log: where a lost engine is announced.
    """

    def __init__(
        self,
        members: Sequence[Member],
        unreachable: dict[str, str] | None = None,
        log: Callable[[str], None] = lambda _: None,
    ) -> None:
        if not members:
            raise ValueError("an engine pool needs at least one engine")
        self._slots = [_Slot(m, str(m.facts.name)) for m in members]
        self.unreachable = dict(unreachable or {})
        self._log = log
        self._cond = threading.Condition()

    @property
    def capacity(self) -> int:
        """Containers run at once over every engine: the sum of their ``jobs``."""
        return sum(slot.member.jobs for slot in self._slots)

    @property
    def members(self) -> list[Member]:
        return [slot.member for slot in self._slots]

    @property
    def image(self) -> Any:
        """The grader image, the same (by id) on every engine."""
        return self._slots[0].member.image

    @property
    def runtime(self) -> str:
        """The first engine's runtime (each grade records its own)."""
        return str(self._slots[0].member.facts.runtime)

    def execute(self, job: bytes, limits: Limits, cases: int, kind: str = "function") -> Execution:
        """Run ``job`` on the engine with the most room; on another one if that engine is lost.

        Raises:
            SandboxError: an engine that still answers failed the job (an ``infra_error``).
            NoEngineLeft: every engine is lost.
        """
        while True:
            slot = self._acquire()
            try:
                result = slot.member.execute(job, limits, cases, kind)
            except SandboxError as exc:
                self._release(slot)
                why = slot.member.answers()
                if why is None:
                    raise
                self._lose(slot, f"{exc} (then no answer: {why})")
                continue
            self._release(slot)
            if _abnormal(result):
                why = slot.member.answers()
                if why is not None:
                    self._lose(slot, f"a container ended abnormally and then no answer: {why}")
                    continue
            return result

    def engines(self) -> list[dict[str, Any]]:
        """What the manifest records: each engine's facts, jobs run, and why it was lost."""
        with self._cond:
            described = [
                {**asdict(slot.member.facts), "ran": slot.ran, "requeued": slot.requeued}
                | ({"lost": slot.lost} if slot.lost else {})
                for slot in self._slots
            ]
        return described + [{"name": n, "error": why} for n, why in self.unreachable.items()]

    def lost(self) -> dict[str, str]:
        """The engines lost so far, with why."""
        with self._cond:
            return {slot.name: slot.lost for slot in self._slots if slot.lost}

    def settle(self) -> None:
        """Wait for every engine's pending removals (of those that still answer)."""
        for slot in self._slots:
            if slot.lost is None:
                slot.member.settle()

    def close(self) -> None:
        """Close every engine's sandbox; the first failure is raised after all are closed."""
        failure: BaseException | None = None
        for slot in self._slots:
            try:
                slot.member.close()
            except Exception as exc:
                failure = failure or exc
        if failure is not None:
            raise failure

    def _acquire(self) -> _Slot:
        with self._cond:
            while True:
                live = [slot for slot in self._slots if slot.lost is None]
                if not live:
                    raise NoEngineLeft(self._nothing_left())
                free = [slot for slot in live if slot.busy < slot.member.jobs]
                if free:
                    slot = min(free, key=lambda s: s.busy / s.member.jobs)
                    slot.busy += 1
                    return slot
                self._cond.wait()

    def _release(self, slot: _Slot) -> None:
        with self._cond:
            slot.busy -= 1
            slot.ran += 1
            self._cond.notify()

    def _lose(self, slot: _Slot, why: str) -> None:
        """Take ``slot`` out of the rotation; the job that found out is run again elsewhere."""
        with self._cond:
            slot.requeued += 1
            first = slot.lost is None
            slot.lost = slot.lost or why
            self._cond.notify_all()
        if first:
            self._log(f"engine {slot.name} lost: {why}; its jobs go to the others")

    def _nothing_left(self) -> str:
        lost = {slot.name: slot.lost for slot in self._slots} | self.unreachable
        return (
            "no Docker engine is left to grade on: "
            + "; ".join(f"{name}: {why}" for name, why in lost.items())
            + ". Bring an engine back and rerun the same command to resume"
        )


def _abnormal(execution: Execution) -> bool:
    """An execution that may have been cut short by its engine rather than by the candidate."""
    return execution.exit_code != 0 and not execution.output_capped
