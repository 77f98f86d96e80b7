"""`chorebench run` and `regrade` as processes: a real loopback Ollama server, the real sandbox.

The orchestration itself (order, resume, failover, failures) is tested without an engine in
tests/test_collect.py.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fakes import FakeModel, FakeOllama, Reply

from runner.run import regrade
from runner.rundir import read_manifest, read_samples

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("no_leftovers")]

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def code(iso_spec) -> str:
    return iso_spec.reference


def test_resume_after_a_kill_and_regrade(tmp_path, sandbox, iso_spec, code):
    out = tmp_path / "run"
    models = [FakeModel("m:1b", [Reply(response=code, delay_s=0.2)])]
    with FakeOllama(models) as server:
        command = [
            sys.executable, "-m", "runner", "run", "--host", server.url, "--model", "m:1b",
            "--spec", iso_spec.path, "--runs", "6", "--out", str(out), "--quiet",
        ]  # fmt: skip
        child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while not (out / "samples.jsonl").exists() or len(read_samples(out)) < 2:
            assert time.monotonic() < deadline and child.poll() is None
            time.sleep(0.05)
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        partial = len(read_samples(out))
        assert 2 <= partial < 6
        assert read_manifest(out)["status"] == "running"  # died without a word
        resumed = subprocess.run(command, capture_output=True, text=True, check=False)
    assert resumed.returncode == 0, resumed.stderr
    assert "already there" in resumed.stdout
    samples = read_samples(out)
    assert sorted(r.run for r in samples) == [1, 2, 3, 4, 5, 6]
    assert len(server.generate_requests()) >= 6
    before = {r.key: r.grade.verdict() for r in samples}
    summary = regrade(out, sandbox)
    assert (summary.regraded, summary.changed) == (6, 0)
    assert {r.key: r.grade.verdict() for r in read_samples(out)} == before


def test_cli_run_without_a_server_names_the_url(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "runner", "run", "--host", "http://127.0.0.1:9", "--model", "a",
         "--spec", str(ROOT / "specs" / "iso_duration.json"), "--out", str(tmp_path / "r")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 1
    assert "no Ollama server answers at http://127.0.0.1:9" in result.stderr
