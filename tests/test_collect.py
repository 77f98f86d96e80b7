"""Collection (``runner.run.collect``) against a real loopback HTTP server speaking Ollama's
API and the scripted FakeSandbox: order, resume, failover, failures, regrade. No engine needed;
tests/test_sandbox_contract.py holds the FakeSandbox to the real sandbox's contract, and
tests/test_run.py runs the command itself against the real one.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from fakes import BUGGY_ISO, FakeModel, FakeOllama, FakeSandbox, Reply, mirror, references

from runner.errors import ModelNotFound, ServerUnreachable
from runner.records import Outcome, UnitDone
from runner.run import ModelOptions, RunPlan, collect, regrade
from runner.rundir import SAMPLES, SampleRecord, read_manifest, read_samples


@pytest.fixture(scope="module")
def code(iso_spec) -> str:
    return iso_spec.reference


@pytest.fixture
def sandbox(iso_spec) -> FakeSandbox:
    """Answers the iso_duration reference (and so every response whose code is the reference)."""
    return FakeSandbox(**references(iso_spec))


def plan_for(tmp_path: Path, spec, hosts: list[str], models: list[str], **extra) -> RunPlan:
    values = dict(runs=2, backoff_s=0.01, timeout_s=30.0)
    values.update(extra)
    return RunPlan(
        models=tuple(models), specs=(spec,), out=tmp_path / "run", hosts=tuple(hosts), **values
    )


def run(plan: RunPlan, sandbox, progress=lambda _: None):
    image = {"tag": sandbox.image.tag, "id": sandbox.image.id, "runtime": sandbox.runtime}
    return collect(plan, sandbox, image, progress)


def by_model(out: Path) -> dict[str, list[SampleRecord]]:
    found: dict[str, list[SampleRecord]] = {}
    for record in read_samples(out):
        found.setdefault(record.model, []).append(record)
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
    assert [r.grade.points for r in samples["plain"]] == [22, 22]
    assert [r.run for r in samples["plain"]] == [1, 2]
    fenced = samples["fenced:7b"][0]
    assert fenced.grade.points == 22
    assert [v.rule for v in fenced.grade.violations] == ["fences", "prose"]
    trap = samples["thinker:4b"][0]
    assert trap.thinking_trap is True and trap.thinking.startswith("Wait")
    assert trap.grade.points == 0
    assert samples["rambler:1b"][0].out_of_budget is True
    record = samples["plain"][0]
    for key in (
        "model", "spec", "run", "temperature", "think", "seed", "response", "thinking",
        "done_reason", "eval_count", "prompt_eval_count", "total_duration_ns", "load_duration_ns",
        "wall_s", "response_sha256", "host", "error", "grade", "key", "spec_sha256",
    ):  # fmt: skip
        assert key in record.to_json(), key
    assert record.host == server.url and record.error is None
    assert record.eval_count == 42 and record.total_duration_ns > 0
    assert len({r.key for r in read_samples(plan.out)}) == 8
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
    assert plain["digest"] and plain["size"] == 5_000_000_000
    assert plain["quantization"] == "Q4_K_M" and plain["loaded"]["size_vram"] > 0
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
    assert samples["flaky:1b"][0].attempts == 2 and samples["flaky:1b"][0].grade.points == 22
    assert "not JSON" in samples["garbled:1b"][0].error
    assert samples["slow:1b"][0].wall_s >= 0.3
    # A model no host lists is named in the manifest, with no error sample of its own.
    assert "missing:1b" not in samples
    missing = read_manifest(plan.out)["phases"]["runs"]["missing_models"]
    assert list(missing) == ["missing:1b"] and "no host serves it" in missing["missing:1b"]
    # think=True to a model without the thinking capability: named, recorded, not a crash.
    assert "does not support thinking" in samples["plain:1b"][0].error
    # A dropped connection is retried (1 + 3 tries), then recorded; the host still answers.
    assert "connection failed" in samples["dropper:1b"][0].error
    assert len(server.generate_requests("dropper:1b")) == 4
    assert (summary.collected, summary.failed, summary.hosts_down) == (2, 3, ())


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

        def progress(event: object) -> None:
            if isinstance(event, UnitDone) and event.host and not went_down:
                went_down.append(event.host)
                servers[event.host].set_down(True)

        plan = plan_for(tmp_path, iso_spec, [first.url, second.url], ["m:1b"], runs=6)
        summary = run(plan, sandbox, progress)
    samples = read_samples(plan.out)
    assert summary.hosts_down == tuple(went_down)
    assert len(samples) == 6 and all(r.error is None for r in samples)
    assert {r.host for r in samples} == {first.url, second.url}


def test_a_changed_spec_is_sampled_afresh(tmp_path, sandbox, iso_spec, code):
    with FakeOllama([FakeModel("m:1b", [Reply(response=code)])]) as server:
        plan = plan_for(tmp_path, iso_spec, [server.url], ["m:1b"], runs=1)
        run(plan, sandbox)
        changed = replace(iso_spec, sha256="0" * 64)
        summary = run(replace(plan, specs=(changed,)), sandbox)
    assert (summary.collected, summary.skipped) == (1, 0)
    assert len(read_samples(plan.out)) == 2


def test_a_resumed_run_asks_only_for_what_is_missing(tmp_path, sandbox, iso_spec, code):
    with FakeOllama([FakeModel("m:1b", [Reply(response=code)])]) as server:
        plan = plan_for(tmp_path, iso_spec, [server.url], ["m:1b"], runs=3)
        first = run(plan, sandbox)
        more = run(replace(plan, runs=5), sandbox)
        asked = len(server.generate_requests("m:1b"))
    assert (first.collected, more.collected, more.skipped) == (3, 2, 3)
    assert asked == 5
    assert sorted(r.run for r in read_samples(plan.out)) == [1, 2, 3, 4, 5]
    assert read_manifest(plan.out)["starts"][0] == read_manifest(plan.out)["started_at"]


def test_a_torn_last_line_is_cut_off_and_its_sample_collected_again(
    tmp_path, sandbox, iso_spec, code
):
    with FakeOllama([FakeModel("m:1b", [Reply(response=code)])]) as server:
        plan = plan_for(tmp_path, iso_spec, [server.url], ["m:1b"], runs=2)
        run(plan, sandbox)
        path = plan.out / SAMPLES
        lines = path.read_bytes().splitlines(keepends=True)
        path.write_bytes(lines[0] + lines[1][: len(lines[1]) // 2])  # killed mid-write
        summary = run(plan, sandbox)
    assert (summary.collected, summary.skipped) == (1, 1)
    records = read_samples(plan.out)
    assert sorted(r.run for r in records) == [1, 2] and all(r.grade for r in records)
    assert path.read_bytes().count(b"\n") == 2  # the torn half is gone


def test_a_failed_sample_is_tried_again_on_resume_and_replaces_its_failure(
    tmp_path, sandbox, iso_spec, code
):
    replies = [Reply(status=500), Reply(response=code)]
    with FakeOllama([FakeModel("m:1b", replies)]) as server:
        plan = plan_for(tmp_path, iso_spec, [server.url], ["m:1b"], runs=1, retries=0)
        failed = run(plan, sandbox)
        again = run(plan, sandbox)
    assert (failed.failed, again.collected, again.skipped) == (1, 1, 0)
    first, second = read_samples(plan.out)
    assert first.error and "HTTP 500" in first.error and first.grade is None
    assert second.error is None and second.grade is not None and second.grade.points == 22


def test_an_engine_lost_mid_run_is_recorded_as_such_never_as_the_model_failing(
    tmp_path, sandbox, iso_spec, code
):
    sandbox.break_engine()
    with FakeOllama([FakeModel("m:1b", [Reply(response=code)])]) as server:
        plan = plan_for(tmp_path, iso_spec, [server.url], ["m:1b"], runs=2)
        summary = run(plan, sandbox)
    assert summary.collected == 2
    for record in read_samples(plan.out):
        assert record.grade is not None and record.grade.infra_failed and not record.counted
        assert {c.outcome for c in record.grade.checks} == {Outcome.INFRA_ERROR}


def test_regrade_finds_no_change_then_the_change_a_grader_fix_makes(
    tmp_path, sandbox, iso_spec, code
):
    models = [FakeModel("good:1b", [Reply(response=code)]), FakeModel("bug:1b", [Reply(BUGGY_ISO)])]
    sandbox.script(BUGGY_ISO, mirror(BUGGY_ISO, iso_spec.entry_point))
    with FakeOllama(models) as server:
        plan = plan_for(tmp_path, iso_spec, [server.url], ["good:1b", "bug:1b"], runs=2)
        run(plan, sandbox)
    before = {r.key: r.grade.verdict() for r in read_samples(plan.out)}
    assert (regrade(plan.out, sandbox).regraded, regrade(plan.out, sandbox).changed) == (4, 0)
    assert {r.key: r.grade.verdict() for r in read_samples(plan.out)} == before
    # the same stored answers, graded by a sandbox that now sees the bug as right
    sandbox.script(BUGGY_ISO, mirror(code, iso_spec.entry_point))
    summary = regrade(plan.out, sandbox, jobs=2)
    assert (summary.regraded, summary.changed, summary.skipped) == (4, 2, 0)
    records = read_samples(plan.out)
    assert {r.grade.points for r in records} == {22}
    assert all(r.graded_spec_sha256 == iso_spec.sha256 for r in records)
