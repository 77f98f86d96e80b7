"""Ctrl-C and SIGTERM on a real ``chorebench run`` process, against a loopback fake Ollama.

The first signal stops new requests and grades, records what is in flight and exits 128 +
the signal; a second abandons the requests in flight. Each scenario makes the model slow on
the sample after the first, so the signal lands while that request is in flight.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from subprocess import Popen

import pytest
from fakes import FakeModel, FakeOllama, Reply

from runner.rundir import read_manifest, read_samples

pytestmark = pytest.mark.docker

ROOT = Path(__file__).resolve().parent.parent
HANG_GUARD_S = 120  # only against a hang: never a measurement


def command(server: FakeOllama, out: Path, spec: str, runs: int) -> list[str]:
    return [
        sys.executable, "-m", "runner", "run", "--host", server.url, "--model", "m:1b",
        "--spec", spec, "--runs", str(runs), "--out", str(out), "--quiet",
    ]  # fmt: skip


def start(argv: list[str], tmp_path: Path) -> tuple[subprocess.Popen[bytes], Path]:
    err = tmp_path / "stderr.txt"
    with err.open("wb") as handle:
        child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=handle)
    return child, err


def wait_for(condition, child: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + HANG_GUARD_S
    while not condition():
        assert child.poll() is None, f"the run exited before {what}"
        assert time.monotonic() < deadline, f"no {what} after {HANG_GUARD_S} s"
        time.sleep(0.05)


def recorded(out: Path) -> int:
    return len(read_samples(out)) if (out / "samples.jsonl").exists() else 0


def finish(child: subprocess.Popen[bytes]) -> int:
    try:
        return child.wait(timeout=HANG_GUARD_S)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
        raise AssertionError("the run did not exit after the signal") from None


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_one_signal_stops_new_requests_and_records_the_one_in_flight(tmp_path, iso_spec, signum):
    out = tmp_path / "run"
    # Sample 1 answers at once, each later one takes 5 s: a request is in flight at the signal.
    replies = [Reply(response=iso_spec.reference), Reply(response=iso_spec.reference, delay_s=5)]
    with FakeOllama([FakeModel("m:1b", replies)]) as server:
        argv = command(server, out, iso_spec.path, runs=6)
        child, err = start(argv, tmp_path)
        wait_for(lambda: recorded(out) >= 1, child, "first sample")
        asked = len(server.generate_requests("m:1b"))
        os.kill(child.pid, signum)
        code = finish(child)
        stderr = err.read_text()
        assert code == 128 + signum, stderr
        assert "stopping: 1 request(s) in flight (Ctrl-C again to abandon them)" in stderr
        assert "rerun the same command to resume" in stderr
        assert len(server.generate_requests("m:1b")) == asked < 6, "a request after the signal"
        manifest = read_manifest(out)
        assert manifest["status"] == "interrupted"
        assert manifest["runner"]["pid"] == child.pid
        samples = sorted(read_samples(out), key=lambda r: r.run)
        assert [r.run for r in samples] == list(range(1, asked + 1))  # every answer kept
        # The answer in flight is kept, ungraded: no grade starts after the signal.
        ungraded = [r for r in samples if r.grade is None]
        assert ungraded and samples[0].grade.points == 22
        assert all(r.response == iso_spec.reference and not r.error for r in ungraded)

        # Resuming grades the stored answers without asking for them again.
        resumed = subprocess.run(argv, capture_output=True, text=True, check=False)
        assert resumed.returncode == 0, resumed.stderr
        assert len(server.generate_requests("m:1b")) == 6
    latest = {r.key: r for r in read_samples(out)}
    assert sorted(r.run for r in latest.values()) == [1, 2, 3, 4, 5, 6]
    assert all(r.grade.points == 22 for r in latest.values())
    assert read_manifest(out)["status"] == "complete"


@contextmanager
def stuck_after_the_first_sample(tmp_path: Path, spec) -> Iterator[tuple[FakeOllama, Popen]]:
    """A run whose first sample is recorded and whose second request would take 10 minutes."""
    replies = [Reply(response=spec.reference), Reply(response="", delay_s=600)]
    with FakeOllama([FakeModel("m:1b", replies)]) as server:
        child, _ = start(command(server, tmp_path / "run", spec.path, runs=3), tmp_path)
        wait_for(lambda: recorded(tmp_path / "run") >= 1, child, "first sample")
        try:
            yield server, child
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()


def test_a_second_ctrl_c_abandons_the_request_in_flight(tmp_path, iso_spec):
    out, err = tmp_path / "run", tmp_path / "stderr.txt"
    with stuck_after_the_first_sample(tmp_path, iso_spec) as (server, child):
        os.kill(child.pid, signal.SIGINT)
        wait_for(lambda: "stopping:" in err.read_text(), child, "stopping message")
        os.kill(child.pid, signal.SIGINT)
        code = finish(child)
        assert len(server.generate_requests("m:1b")) == 2
    assert code == 130, err.read_text()
    assert read_manifest(out)["status"] == "interrupted"
    assert [r.run for r in read_samples(out)] == [1]


def test_report_says_when_a_running_run_was_killed(tmp_path, iso_spec):
    out = tmp_path / "run"
    with stuck_after_the_first_sample(tmp_path, iso_spec) as (_, child):
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    assert read_manifest(out)["status"] == "running"  # died without a word
    report = subprocess.run(
        [sys.executable, "-m", "runner", "report", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert report.returncode == 0, report.stderr
    assert "status running (no such process: killed?)." in report.stdout
