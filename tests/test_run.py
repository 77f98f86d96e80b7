"""`chorebench run` and `regrade` as processes: a real loopback Ollama server, the real sandbox.

The orchestration itself (order, resume, failover, failures) is tested without an engine in
tests/test_collect.py.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
from fakes import FakeModel, FakeOllama, Reply

from runner.report import build_report, render_markdown
from runner.run import RunPlan, RunSummary, collect, regrade
from runner.rundir import read_floors, read_manifest, read_samples
from runner.spec import load_spec

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


def collect_into(plan: RunPlan, sandbox) -> RunSummary:
    image = {"tag": sandbox.image.tag, "id": sandbox.image.id, "runtime": sandbox.runtime}
    return collect(plan, sandbox, image)


def test_a_changed_spec_is_never_mixed_with_its_older_version(tmp_path, sandbox, iso_spec, code):
    spec_file = tmp_path / "iso_duration.json"
    data = json.loads(Path(iso_spec.path).read_text())
    spec_file.write_text(json.dumps(data))
    v1 = load_spec(spec_file)
    with FakeOllama([FakeModel("m:1b", [Reply(response=code)])]) as server:
        plan = RunPlan(("m:1b",), (v1,), tmp_path / "run", (server.url,), runs=2, timeout_s=30.0)
        collect_into(plan, sandbox)
        # The spec gains a case between two runs; the second run asks for one run only.
        data["cases"].append({"id": "added", "args": ["'PT2M'"], "expected": "120"})
        spec_file.write_text(json.dumps(data))
        v2 = load_spec(spec_file)
        summary = collect_into(replace(plan, specs=(v2,), runs=1), sandbox)
        assert (summary.collected, summary.skipped) == (1, 0)
        report = build_report(plan.out)
        [row] = report.variance
        assert row.points == (v2.max_points,) and row.max_points == v2.max_points
        assert report.left_out == {"iso_duration": 1}
        assert "Left out: 1 of iso_duration sample(s)" in render_markdown(report)
        # Regrade re-scores the older sample against the current content: it counts again,
        # and a resume finds every sample done (regrade and resume share the identity).
        assert regrade(plan.out, sandbox).regraded == 3
        report = build_report(plan.out)
        [row] = report.variance
        assert row.points == (v2.max_points, v2.max_points) and report.left_out == {}
        again = collect_into(replace(plan, specs=(v2,)), sandbox)
        assert (again.collected, again.skipped) == (0, 2)
        assert len(server.generate_requests()) == 3
    # Edited again, then regraded before any run: the report follows the regrade.
    data["cases"].pop()
    spec_file.write_text(json.dumps(data))
    regrade(plan.out, sandbox)
    [row] = build_report(plan.out).variance
    assert row.points == (v1.max_points, v1.max_points)


def test_cli_run_without_a_server_names_the_url(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "runner", "run", "--host", "http://127.0.0.1:9", "--model", "a",
         "--spec", str(ROOT / "specs" / "iso_duration.json"), "--out", str(tmp_path / "r")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 1
    assert "no Ollama server answers at http://127.0.0.1:9" in result.stderr


def test_run_shows_progress_records_floors_and_names_the_report_command(tmp_path, iso_spec):
    out = tmp_path / "run"
    models = [FakeModel("m:1b", [Reply(response=iso_spec.reference, eval_count=55)])]
    with FakeOllama(models) as server:
        command = [
            sys.executable, "-m", "runner", "run", "--host", server.url, "--model", "m:1b",
            "--spec", iso_spec.path, "--runs", "2", "--out", str(out),
        ]  # fmt: skip
        result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "== runs: 2 sample(s) to do" in result.stderr
    assert f"-- runs: m:1b on {server.url}, 2 to do" in result.stderr
    assert "] m:1b iso_duration run 1: 22/22 (" in result.stderr
    assert "[runs 2/2] m:1b iso_duration run " in result.stderr
    assert "55 tokens" in result.stderr
    assert "\x1b" not in result.stderr  # piped: plain lines, no bar
    assert "runs: 2 collected, 0 already there, 0 failed" in result.stdout
    assert result.stdout.rstrip().endswith(f"next: chorebench report {out}")
    floors = read_floors(out)
    assert floors["iso_duration"].candidate == "always raise ValueError"
    assert (floors["iso_duration"].points, floors["iso_duration"].max_points) == (16, 22)
