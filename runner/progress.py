"""Progress of long commands: the events library code reports, and the display that shows them.

Library code (collection, regrading, grading many responses, checking specs) never prints: it
calls a ``Progress`` callable with the frozen events below, from any thread. The CLI hands in a
``Display``, which writes to stderr: a redrawn bar under the lines on a terminal, plain lines
when stderr is piped (or ``--verbose``), only the stage headers with ``--quiet``.

A *stage* is one counted stretch of a command: a run's phase (``runs``, ``best_of``),
``regrade``, ``check-specs``, ``grade``. Imports: the standard library only.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TextIO

WAIT_NOTICE_S = 10.0  # a request waiting this long gets a line, then every WAIT_REPEAT_S more
WAIT_REPEAT_S = 30.0


@dataclass(frozen=True)
class StageStarted:
    """A stage begins: ``total`` units to do now, ``already`` found done (a resumed run)."""

    stage: str
    total: int
    already: int = 0
    unit: str = "sample"


@dataclass(frozen=True)
class ModelStarted:
    """A model's samples of a stage begin on one host."""

    stage: str
    model: str
    host: str
    count: int


@dataclass(frozen=True)
class UnitStarted:
    """A request was sent (a model asked); a unit still open after 10 s gets a waiting line."""

    stage: str
    label: str


@dataclass(frozen=True)
class UnitDone:
    """One unit finished: its verdict (``3/22`` or ``error: ...``), time, tokens, flags."""

    stage: str
    label: str
    verdict: str
    seconds: float | None = None
    tokens: int | None = None
    flags: tuple[str, ...] = ()
    host: str | None = None


Event = StageStarted | ModelStarted | UnitStarted | UnitDone
Progress = Callable[[Event], None]


def no_progress(_: Event) -> None:
    """The default ``Progress``: report nothing."""


def sample_label(model: str, spec: str, run: int) -> str:
    """How a sample is named in progress lines: ``smollm2-135m iso_duration run 1``."""
    return f"{model} {spec} run {run}"


def sample_done(stage: str, record: dict[str, Any]) -> UnitDone:
    """The event for one ``samples.jsonl`` record just written."""
    grade = record.get("grade")
    verdict = f"{grade['points']}/{grade['max_points']}" if grade else f"error: {record['error']}"
    flags = ("THINKING TRAP",) if record.get("thinking_trap") else ()
    flags += ("OUT OF BUDGET",) if record.get("out_of_budget") else ()
    return UnitDone(
        stage=stage,
        label=sample_label(record["model"], record["spec"], record["run"]),
        verdict=verdict,
        seconds=record.get("wall_s"),
        tokens=record.get("eval_count"),
        flags=flags,
        host=record.get("host"),
    )


def clock(seconds: float) -> str:
    """``42s``, ``3m05s``, ``1h02m``: short enough for a progress line."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


class Display:
    """Shows progress events on a stream; call ``close`` when the command ends.

    ``mode`` is ``bar`` (a status line redrawn under the sample lines, for a terminal),
    ``lines`` (every line, nothing redrawn: for a pipe or a log file), ``quiet`` (stage
    headers only) or ``silent`` (nothing). A ticker thread (bar and lines modes) redraws the
    bar and notices requests waiting longer than ``WAIT_NOTICE_S``.
    """

    def __init__(
        self,
        mode: str,
        stream: TextIO,
        now: Callable[[], float] = time.monotonic,
        tick_s: float = 1.0,
    ) -> None:
        if mode not in ("bar", "lines", "quiet", "silent"):
            raise ValueError(f"unknown progress mode {mode!r}")
        self.mode = mode
        self.stream = stream
        self.now = now
        self.lock = threading.Lock()
        self.stage = ""
        self.total = 0
        self.done = 0
        self.started = now()
        self.waiting: dict[str, tuple[float, float]] = {}  # label -> (sent at, next notice at)
        self.status_shown = False
        self.stopped = threading.Event()
        self.ticker: threading.Thread | None = None
        if mode in ("bar", "lines"):
            self.ticker = threading.Thread(
                target=self._tick, args=(tick_s,), name="chorebench-progress", daemon=True
            )
            self.ticker.start()

    @classmethod
    def for_stderr(cls, quiet: bool = False, verbose: bool = False) -> Display:
        """The display the CLI uses: a bar on a terminal, plain lines when piped."""
        stream = sys.stderr
        if quiet:
            return cls("quiet", stream)
        return cls("bar" if stream.isatty() and not verbose else "lines", stream)

    def __call__(self, event: Event) -> None:
        with self.lock:
            if isinstance(event, StageStarted):
                self.stage, self.total, self.done = event.stage, event.total, 0
                self.started = self.now()
                self.waiting.clear()
                already = f" ({event.already} already done)" if event.already else ""
                self._line(f"== {event.stage}: {event.total} {event.unit}(s) to do{already}")
            elif isinstance(event, ModelStarted):
                self._line(f"-- {event.stage}: {event.model} on {event.host}, {event.count} to do")
            elif isinstance(event, UnitStarted):
                sent = self.now()
                self.waiting[event.label] = (sent, sent + WAIT_NOTICE_S)
            elif isinstance(event, UnitDone):
                self.waiting.pop(event.label, None)
                self.done += 1
                if self.mode in ("bar", "lines"):
                    self._line(self._done_line(event))

    def close(self) -> None:
        """Stop the ticker and clear the bar."""
        self.stopped.set()
        if self.ticker is not None:
            self.ticker.join()
        with self.lock:
            self._clear_status()

    def _done_line(self, event: UnitDone) -> str:
        measured = [f"{event.seconds:.1f} s"] if event.seconds is not None else []
        measured += [f"{event.tokens} tokens"] if event.tokens is not None else []
        head = f"[{event.stage} {self.done}/{self.total}] {event.label}: {event.verdict}"
        head += f" ({', '.join(measured)})" if measured else ""
        head += "".join(f" {flag}" for flag in event.flags)
        return f"{head}; {self._timing()}"

    def _timing(self) -> str:
        elapsed = self.now() - self.started
        if not self.done:
            return f"{clock(elapsed)} elapsed"
        left = elapsed / self.done * max(0, self.total - self.done)
        return f"{clock(elapsed)} elapsed, about {clock(left)} left"

    def _line(self, text: str) -> None:
        if self.mode == "silent":
            return
        self._clear_status()
        self.stream.write(text + "\n")
        self._draw_status()
        self.stream.flush()

    def _clear_status(self) -> None:
        if self.status_shown:
            self.stream.write("\r\x1b[K")
            self.status_shown = False

    def _draw_status(self) -> None:
        if self.mode != "bar" or not self.total:
            return
        width = 24
        filled = min(width, width * self.done // self.total)
        bar = "#" * filled + "-" * (width - filled)
        self.stream.write(f"{self.stage} [{bar}] {self.done}/{self.total} {self._timing()}")
        self.status_shown = True

    def tick(self) -> None:
        """Say which requests have waited long; redraw the bar (the ticker calls this)."""
        with self.lock:
            now = self.now()
            for label, (sent, notice_at) in list(self.waiting.items()):
                if now >= notice_at:
                    self.waiting[label] = (sent, notice_at + WAIT_REPEAT_S)
                    self._line(f"   still waiting for {label}: {clock(now - sent)}")
            if self.mode == "bar":
                self._clear_status()
                self._draw_status()
                self.stream.flush()

    def _tick(self, every_s: float) -> None:
        while not self.stopped.wait(every_s):
            self.tick()
