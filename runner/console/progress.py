"""Live progress on a terminal: the progress events of ``runner.records`` as lines and a bar.

Library code reports progress through a callback; ``Display`` is that callback for stderr, and
``log`` writes the command's own lines above its bar. Every line goes through ``printable``.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

import click

from runner.records import ModelStarted, ProgressEvent, StageStarted, UnitDone, UnitStarted
from runner.values import printable

WAIT_NOTICE_S = 10.0  # a request waiting this long gets a line, then every WAIT_REPEAT_S more
WAIT_REPEAT_S = 30.0


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

    def __call__(self, event: ProgressEvent) -> None:
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

    def say(self, text: str) -> None:
        """Write a line of the command's own (a log line) above the bar, whatever the mode."""
        with self.lock:
            self._clear_status()
            self.stream.write(printable(text) + "\n")
            self._draw_status()
            self.stream.flush()

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
        self.stream.write(printable(text) + "\n")  # model names, hosts, labels: untrusted
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


# Looking inside a run


_shown: list[Display] = []  # the live progress display of this command, if any


def log(message: str) -> None:
    """A line of the command's own on stderr (above the progress bar when one is shown)."""
    if _shown:  # a progress bar is on the screen: the line goes above it
        _shown[-1].say(f"chorebench: {message}")
        return
    click.echo(f"chorebench: {printable(message)}", err=True)


@contextmanager
def display(quiet: bool = False, verbose: bool = False, silent: bool = False) -> Iterator[Display]:
    """Live progress on stderr for the length of a command (the events of ``runner.records``)."""
    shown = Display("silent", sys.stderr) if silent else Display.for_stderr(quiet, verbose)
    _shown.append(shown)
    try:
        yield shown
    finally:
        _shown.remove(shown)
        shown.close()
