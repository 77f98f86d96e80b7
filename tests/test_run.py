"""`chorebench run` and `regrade` against a real loopback HTTP server speaking Ollama's API."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
from fake_ollama import FakeModel, FakeOllama, Reply

from runner.errors import ModelNotFound, ServerUnreachable
from runner.run import ModelOptions, RunPlan, collect, grade_signature, regrade
from runner.rundir import read_manifest, read_samples

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("no_leftovers")]

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def code(iso_spec) -> str:
    return iso_spec.reference


def plan_for(tmp_path: Path, spec, hosts: list[str], models: list[str], **extra) -> RunPlan:
    values = dict(runs=2, backoff_s=0.01, timeout_s=30.0)
    values.update(extra)
    return RunPlan(
        models=tuple(models), specs=(spec,), out=tmp_path / "run", hosts=tuple(hosts), **values
    )


def run(plan: RunPlan, sandbox, progress=lambda _: None):
    image = {"tag": sandbox.image.tag, "id": sandbox.image.id, "runtime": sandbox.runtime}
    return collect(plan, sandbox, image, progress)


def by_model(out: Path) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for record in read_samples(out):
        found.setdefault(record["model"], []).append(record)
    return found


def test_a_run_writes_a_complete_directory(tmp_path, sandbox, iso_spec, code):
    models = [
        FakeModel("plain:latest", [Reply(response=code)]),
        FakeModel("fenced:7b", [Reply(response=f"Here you go:\n```python\n{code}```\n")]),
        FakeModel(
            "thinker:4b",
            [Reply(response="", thinking="Wait, I need to check. " * 100)],
            capabilities=("completion", "thinking"),
        ),
        FakeModel("rambler:1b", [Reply(response=code[:40], done_reason="length")]),
    ]
    with FakeOllama(models) as server:
        plan = plan_for(
            tmp_path, iso_spec, [server.url], ["plain", "fenced:7b", "thinker:4b", "rambler:1b"]
        )
        summary = run(plan, sandbox)
    assert (summary.collected, summary.skipped, summary.failed) == (8, 0, 0)
    samples = by_model(plan.out)
    assert [r["grade"]["points"] for r in samples["plain"]] == [22, 22]
    assert [r["run"] for r in samples["plain"]] == [1, 2]
    fenced = samples["fenced:7b"][0]
    assert fenced["grade"]["points"] == 22
    assert [v["rule"] for v in fenced["grade"]["violations"]] == ["fences", "prose"]
    trap = samples["thinker:4b"][0]
    assert trap["thinking_trap"] is True and trap["thinking"].startswith("Wait")
    assert trap["grade"]["points"] == 0
    assert samples["rambler:1b"][0]["out_of_budget"] is True
    record = samples["plain"][0]
    for key in (
        "model", "spec", "run", "temperature", "think", "seed", "response", "thinking",
        "done_reason", "eval_count", "prompt_eval_count", "total_duration_ns", "load_duration_ns",
        "wall_s", "response_sha256", "host", "error", "grade", "key", "spec_sha256",
    ):  # fmt: skip
        assert key in record, key
    assert record["host"] == server.url and record["error"] is None
    assert record["eval_count"] == 42 and record["total_duration_ns"] > 0
    assert len({r["key"] for r in read_samples(plan.out)}) == 8
    manifest = read_manifest(plan.out)
    assert manifest["status"] == "complete" and manifest["ended_at"]
    assert manifest["servers"][server.url]["version"] == "0.33.0"
    assert manifest["specs"] == [
        {
            "id": "iso_duration",
            "path": iso_spec.path,
            "sha256": iso_spec.sha256,
            "family": "parsers",
        }
    ]
    plain = manifest["models"]["plain"]
    assert plain["digest"] and plain["size"] == 5_000_000_000 and plain["quantization"] == "Q4_K_M"
    assert plain["loaded"]["size_vram"] > 0
    assert manifest["grader_image"]["id"] == sandbox.image.id


def test_think_is_forwarded_exactly_and_omitted_by_default(tmp_path, sandbox, iso_spec, code):
    thinking = ("completion", "thinking")
    models = [
        FakeModel("a:1b", [Reply(response=code)], capabilities=thinking),
        FakeModel("b:1b", [Reply(response=code)], capabilities=thinking),
        FakeModel("c:1b", [Reply(response=code)], capabilities=thinking),
    ]
    with FakeOllama(models) as server:
        per_model = {"b:1b": ModelOptions(think=False), "c:1b": ModelOptions(think="low")}
        plan = plan_for(
            tmp_path, iso_spec, [server.url], ["a:1b", "b:1b", "c:1b"], runs=1, per_model=per_model
        )
        run(plan, sandbox)
        bodies = {m: server.generate_requests(m)[0] for m in ("a:1b", "b:1b", "c:1b")}
    assert "think" not in bodies["a:1b"]
    assert bodies["b:1b"]["think"] is False
    assert bodies["c:1b"]["think"] == "low"
    assert bodies["a:1b"]["stream"] is False
    assert bodies["a:1b"]["options"] == {"temperature": 0.2}
    assert bodies["a:1b"]["keep_alive"]


def test_failures_are_recorded_and_the_run_goes_on(tmp_path, sandbox, iso_spec, code):
    models = [
        FakeModel("flaky:1b", [Reply(status=500), Reply(response=code)]),
        FakeModel("garbled:1b", [Reply(malformed=True)]),
        FakeModel("slow:1b", [Reply(response=code, delay_s=0.3)]),
        FakeModel("plain:1b", [Reply(response=code)]),
        FakeModel("dropper:1b", [Reply(drop=True)]),
    ]
    with FakeOllama(models) as server:
        names = ["flaky:1b", "garbled:1b", "slow:1b", "plain:1b", "missing:1b", "dropper:1b"]
        per_model = {"plain:1b": ModelOptions(think=True)}
        plan = plan_for(tmp_path, iso_spec, [server.url], names, runs=1, per_model=per_model)
        summary = run(plan, sandbox)
    samples = by_model(plan.out)
    assert (
        samples["flaky:1b"][0]["attempts"] == 2 and samples["flaky:1b"][0]["grade"]["points"] == 22
    )
    assert "not JSON" in samples["garbled:1b"][0]["error"]
    assert samples["slow:1b"][0]["wall_s"] >= 0.3
    assert "ollama pull missing:1b" in samples["missing:1b"][0]["error"]
    # think=True to a model without the thinking capability: named, recorded, not a crash.
    assert "does not support thinking" in samples["plain:1b"][0]["error"]
    # A dropped connection is retried (1 + 3 tries), then recorded; the host still answers.
    assert "connection failed" in samples["dropper:1b"][0]["error"]
    assert len(server.generate_requests("dropper:1b")) == 4
    assert (summary.collected, summary.failed, summary.hosts_down) == (2, 4, ())


def test_no_server_and_no_model_are_errors_that_name_what_to_do(tmp_path, sandbox, iso_spec):
    with pytest.raises(ServerUnreachable, match=r"127\.0\.0\.1:9"):
        run(plan_for(tmp_path, iso_spec, ["http://127.0.0.1:9"], ["a"]), sandbox)
    server = FakeOllama([FakeModel("a:1b", [Reply(response="x")])])
    with server, pytest.raises(ModelNotFound, match="ollama pull nothere"):
        run(plan_for(tmp_path, iso_spec, [server.url], ["nothere"]), sandbox)


def test_a_host_going_away_hands_its_work_to_another(tmp_path, sandbox, iso_spec, code):
    # The first answer is instant; later ones take long enough that the host is taken down
    # (when the first sample is recorded) while work is still left on it.
    def models() -> list[FakeModel]:
        return [FakeModel("m:1b", [Reply(response=code), Reply(response=code, delay_s=0.5)])]

    with FakeOllama(models()) as first, FakeOllama(models()) as second:
        servers = {first.url: first, second.url: second}
        went_down: list[str] = []

        def progress(record: dict) -> None:
            if not went_down:
                went_down.append(record["host"])
                servers[record["host"]].set_down(True)

        plan = plan_for(tmp_path, iso_spec, [first.url, second.url], ["m:1b"], runs=6)
        summary = run(plan, sandbox, progress)
    samples = read_samples(plan.out)
    assert summary.hosts_down == tuple(went_down)
    assert len(samples) == 6 and all(r["error"] is None for r in samples)
    assert {r["host"] for r in samples} == {first.url, second.url}


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
    assert sorted(r["run"] for r in samples) == [1, 2, 3, 4, 5, 6]
    assert len(server.generate_requests()) >= 6
    before = {r["key"]: grade_signature(r["grade"]) for r in samples}
    summary = regrade(out, sandbox)
    assert (summary.regraded, summary.changed) == (6, 0)
    assert {r["key"]: grade_signature(r["grade"]) for r in read_samples(out)} == before


def test_a_changed_spec_is_sampled_afresh(tmp_path, sandbox, iso_spec, code):
    with FakeOllama([FakeModel("m:1b", [Reply(response=code)])]) as server:
        plan = plan_for(tmp_path, iso_spec, [server.url], ["m:1b"], runs=1)
        run(plan, sandbox)
        changed = replace(iso_spec, sha256="0" * 64)
        summary = run(replace(plan, specs=(changed,)), sandbox)
    assert (summary.collected, summary.skipped) == (1, 0)
    assert len(read_samples(plan.out)) == 2


def test_cli_run_without_a_server_names_the_url(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "runner", "run", "--host", "http://127.0.0.1:9", "--model", "a",
         "--spec", str(ROOT / "specs" / "iso_duration.json"), "--out", str(tmp_path / "r")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 1
    assert "no Ollama server answers at http://127.0.0.1:9" in result.stderr
