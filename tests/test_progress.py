"""The live progress display: its lines, its bar, its waiting notices (no timing involved)."""

from __future__ import annotations

import io
from dataclasses import replace

from fakes import sample

from runner.cli import Display, clock
from runner.records import ModelStarted, StageStarted, UnitDone, UnitStarted
from runner.run import sample_done
from runner.rundir import SampleRecord


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def display(mode: str) -> tuple[Display, io.StringIO, Clock]:
    stream, now = io.StringIO(), Clock()
    # A ticker that never ticks on its own: the test calls tick().
    return Display(mode, stream, now=now, tick_s=3600), stream, now


def record(run: int, points: int | None = 0) -> SampleRecord:
    done = sample("smollm2-135m", "iso_duration", run, points or 0, 22, wall_s=36.61)
    done = replace(done, eval_count=55, host="http://h")
    return done if points is not None else replace(done, grade=None, error="server said 500")


def test_a_sample_line_counts_and_says_time_tokens_and_eta() -> None:
    shown, stream, now = display("lines")
    shown(StageStarted("runs", 12, already=2))
    shown(ModelStarted("runs", "smollm2-135m", "openai+http://h", 12))
    now.t += 30
    shown(sample_done(record(1)))
    shown.close()
    lines = stream.getvalue().splitlines()
    assert lines[0] == "== runs: 12 sample(s) to do (2 already done)"
    assert lines[1] == "-- runs: smollm2-135m on openai+http://h, 12 to do"
    assert lines[2] == (
        "[runs 1/12] smollm2-135m iso_duration run 1: 0/22 (36.6 s, 55 tokens); "
        "30s elapsed, about 5m30s left"
    )
    assert "\x1b" not in stream.getvalue()  # piped: nothing redrawn


def test_errors_and_flags_are_on_the_line() -> None:
    event = sample_done(replace(record(2, points=None), phase="best_of", thinking_trap=True))
    assert event.stage == "best_of"
    assert event.verdict == "error: server said 500"
    assert event.flags == ("THINKING TRAP",)
    assert event.label == "smollm2-135m iso_duration run 2"


def test_a_request_waiting_long_gets_a_line_then_one_every_30_s() -> None:
    shown, stream, now = display("lines")
    shown(StageStarted("runs", 1))
    shown(UnitStarted("runs", "m spec run 1"))
    now.t += 9
    shown.tick()
    assert "still waiting" not in stream.getvalue()
    now.t += 2
    shown.tick()
    shown.tick()
    assert stream.getvalue().count("still waiting for m spec run 1: 11s") == 1
    now.t += 30
    shown.tick()
    assert "still waiting for m spec run 1: 41s" in stream.getvalue()
    shown(UnitDone("runs", "m spec run 1", "1/1"))
    now.t += 100
    shown.tick()
    shown.close()
    assert stream.getvalue().count("still waiting") == 2


def test_the_bar_is_redrawn_under_the_lines_and_cleared_at_the_end() -> None:
    shown, stream, now = display("bar")
    shown(StageStarted("runs", 4))
    now.t += 10
    shown(UnitDone("runs", "m s run 1", "1/1", 10.0))
    out = stream.getvalue()
    assert "runs [######------------------] 1/4 10s elapsed, about 30s left" in out
    shown.close()
    assert stream.getvalue().endswith("\r\x1b[K")


def test_quiet_shows_only_the_stage_headers_and_silent_nothing() -> None:
    for mode, expected in (("quiet", "== regrade: 2 stored response(s) to do\n"), ("silent", "")):
        shown, stream, _ = display(mode)
        shown(StageStarted("regrade", 2, unit="stored response"))
        shown(UnitStarted("regrade", "x"))
        shown(UnitDone("regrade", "x", "1/1"))
        shown.tick()
        shown.close()
        assert stream.getvalue() == expected


def test_clock() -> None:
    assert [clock(s) for s in (0.4, 59, 61, 3599, 3720)] == [
        "0s",
        "59s",
        "1m01s",
        "59m59s",
        "1h02m",
    ]


def test_a_log_line_goes_above_the_bar_even_when_silent() -> None:
    shown, stream, _ = display("bar")
    shown(StageStarted("runs", 2))
    shown(UnitDone("runs", "m s run 1", "1/1"))
    shown.say("chorebench: something happened")
    out = stream.getvalue()
    assert "\r\x1b[Kchorebench: something happened\nruns [" in out
    shown.close()
    quiet, stream, _ = display("silent")
    quiet.say("chorebench: said anyway")
    quiet.close()
    assert stream.getvalue() == "chorebench: said anyway\n"
