"""Grading across two real Docker engines on this machine: the main one and a second dockerd.

The second engine (tests/second_engine.py) is reached over its unix socket, over TCP with TLS
and over ssh. Grades must be what one engine gives; the grader image reaches it by save and
load, verified by id; losing it mid-run loses nothing.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from adversarial.catalogue import BY_ID, CANDIDATES
from adversarial.play import narrowed
from fakes import EVALPLUS, FakeModel, FakeOllama, Reply

from runner.commands import import_suite
from runner.errors import BadInputError, SandboxError
from runner.grade import grade_all, grade_response
from runner.rundir import read_manifest, read_samples
from runner.sandbox import connect, open_engines, prune_leftovers
from runner.settings import Settings, parse_engine
from runner.spec import load_specs

pytestmark = [pytest.mark.docker]

ROOT = Path(__file__).resolve().parent.parent
# Hostile candidates with one possible outcome per check on a given runtime: a fair test of
# "identical". (Not fork_bomb: under gVisor it ends at its case's timeout or takes the whole
# sandbox out of memory first, whichever comes first on the day; both are 0 points.)
HOSTILE = ("host_files", "env_canary", "write_outside_tmp", "always_equal_object",
           "crash_the_interpreter", "close_the_channel", "signals_ignored")  # fmt: skip


def on(settings: Settings, *engines: str) -> Settings:
    return settings.with_flags(sandboxes=engines)


def engine_client(url: str, settings: Settings):
    return connect(parse_engine(url, "test"), settings)


def work(iso_spec, flatten_spec, cache_spec) -> list[tuple]:
    """The seed specs' references and constant candidates, and a sample of hostile ones."""
    from adversarial.catalogue import BASELINES

    specs = {s.id: s for s in (iso_spec, flatten_spec, cache_spec)}
    pairs = [(s, s.reference) for s in specs.values()]
    pairs += [(s, BASELINES[s.id]) for s in specs.values()]
    for name in HOSTILE:
        if name not in BY_ID:
            continue
        hostile = BY_ID[name]
        code = (CANDIDATES / f"{name}.py").read_text(encoding="utf-8")
        pairs.append((narrowed(hostile, specs[hostile.spec]), code))
    return pairs


def test_each_transport_reaches_the_second_engine_and_grades(
    second_engine, settings, iso_spec, monkeypatch
):
    monkeypatch.setenv("HOME", str(second_engine.home))  # ~/.ssh: key, config, known hosts
    for url in (second_engine.unix, second_engine.tcp, second_engine.ssh):
        with open_engines(on(settings, url)) as pool:
            grade = grade_response(iso_spec, iso_spec.reference, pool)
            facts = pool.engines()[0]
            pool.settle()
        assert grade.points == grade.max_points, (url, grade.error)
        assert grade.sandbox["engine"] == url.partition("?")[0]
        assert grade.sandbox["engine_version"] == facts["version"] != ""
        assert grade.sandbox["image_id"] == facts["image_id"]


def test_tls_is_required_and_checked(second_engine, settings):
    plain = f"tcp://127.0.0.1:{second_engine.tcp_port}"
    with pytest.raises(SandboxError, match="HTTPS"):
        engine_client(plain, settings)
    wrong = f"{plain}?tls_verify=1&cert_path={second_engine.dir}/tls-server"  # no client cert
    with pytest.raises(BadInputError, match=r"cert\.pem"):
        engine_client(wrong, settings)


def test_the_image_is_shipped_verified_by_id_and_a_stale_one_replaced(second_engine, settings):
    target = engine_client(second_engine.unix, settings)
    try:
        with open_engines(on(settings, "local")) as pool:
            image = pool.image
        for container in target.api.containers(all=True, filters={"ancestor": image.tag}):
            pytest.fail(f"a container still uses the image on the second engine: {container}")
        # A different image under the grader's tag: it must never be used.
        target.api.tag(second_base(target), *image.tag.split(":"), force=True)
        assert target.images.get(image.tag).id != image.id
        with open_engines(on(settings, "local", second_engine.unix)) as pool:
            assert [e["image_id"] for e in pool.engines()] == [image.id, image.id]
        assert target.images.get(image.tag).id == image.id
    finally:
        target.close()


def second_base(client) -> str:
    """An image on the second engine that is not the grader image: its base layer."""
    images = [i for i in client.images.list() if not any("grader" in t for t in i.tags)]
    if images:
        return str(images[0].id)
    client.api.import_image_from_data(b"", repository="chorebench-empty", tag="test")
    return "chorebench-empty:test"


def test_two_engines_grade_exactly_as_one(second_engine, settings, iso_spec, flatten_spec,
                                          cache_spec):  # fmt: skip
    pairs = work(iso_spec, flatten_spec, cache_spec)
    with open_engines(on(settings, "local").for_many()) as one:
        alone = grade_all(pairs, one, one.capacity)
        one.settle()
    with open_engines(on(settings, "local", f"{second_engine.unix}?jobs=2").for_many()) as two:
        spread = grade_all(pairs, two, two.capacity)
        ran = {e["name"]: e["ran"] for e in two.engines()}
        two.settle()
    assert [g.verdict() for g in spread] == [g.verdict() for g in alone]
    assert not any(g.infra_failed for g in spread)
    assert all(count > 0 for count in ran.values()), ran
    assert {g.sandbox.get("engine") for g in spread if g.sandbox} == set(ran)


def test_two_engines_grade_a_suite_sample_exactly_as_one(second_engine, settings, tmp_path):
    """A HumanEval+ and an MBPP+ task, imported and filled here: gold and a mutant of each."""
    suites = {"HumanEvalPlus-v0.1.10.jsonl.gz": "HumanEval/0", "MbppPlus-v0.2.0.jsonl.gz": "Mbpp/2"}
    for name, task_id in suites.items():
        result = import_suite(EVALPLUS / name, tmp_path / name, (task_id,), settings)
        assert result.skipped == [] and len(result.written) == 1
    specs = {s.suite.task_id: s for s in load_specs([tmp_path / name for name in suites])}
    mutants = {"HumanEval/0": ("< threshold:", "<= threshold:"), "Mbpp/2": (" & ", " | ")}
    pairs = []
    for task_id, (before, after) in mutants.items():
        gold = specs[task_id].reference
        assert before in gold, task_id
        pairs += [(specs[task_id], gold), (specs[task_id], gold.replace(before, after))]
    with open_engines(on(settings, "local").for_many()) as one:
        alone = grade_all(pairs, one, one.capacity)
        one.settle()
    with open_engines(on(settings, f"{second_engine.unix}?jobs=2").for_many()) as other:
        there = grade_all(pairs, other, other.capacity)
        other.settle()
    assert [g.verdict() for g in there] == [g.verdict() for g in alone]
    assert [g.points for g in alone[::2]] == [2, 2] and all(g.points < 2 for g in alone[1::2])
    assert not any(g.infra_failed for g in there)


def slow_reference(iso_spec) -> str:
    """The reference, taking about 0.12 s per case: grades long enough to be cut short."""
    head, newline, body = iso_spec.reference.partition("\n")
    assert head.startswith("def parse_iso_duration(")
    return head + newline + "    import time\n\n    time.sleep(0.12)\n" + body


def run_command(server, out: Path, runs: int, *engines: str) -> list[str]:
    flags = [f"--sandbox={engine}" for engine in engines]
    return [sys.executable, "-m", "runner", "run", "--host", server.url, "--model", "m:1b",
            "--spec", str(ROOT / "specs" / "iso_duration.json"), "--runs", str(runs),
            "--out", str(out), "--quiet", *flags]  # fmt: skip


def stop_when_recorded(child, out: Path, count: int, second_engine) -> None:
    """Stop the second engine once `count` samples are recorded, one of them graded there.

    Waiting for a grade from the second engine (not just any `count` grades) is what makes the
    test deterministic: under gVisor the second engine's first container starts slower, and
    the local engine alone could record `count` samples first.
    """
    deadline = time.monotonic() + 120
    while not recorded(out, count, second_engine.unix):
        assert time.monotonic() < deadline and child.poll() is None, "the run ended too early"
        time.sleep(0.05)
    second_engine.stop_dockerd()


def recorded(out: Path, count: int, engine: str) -> bool:
    if not (out / "samples.jsonl").exists():
        return False
    records = read_samples(out)
    there = [r for r in records if r.grade is not None and r.grade.sandbox.get("engine") == engine]
    return len(records) >= count and len(there) >= 1


def restart(second_engine, settings) -> None:
    """Bring the engine back; remove what the runs that lost it left there."""
    second_engine.restart_dockerd()
    client = engine_client(second_engine.unix, settings)
    try:
        prune_leftovers(client, local=True, grace_s=0.5)
    finally:
        client.close()


def assert_once_with_real_grades(out: Path, runs: int, max_points: int) -> None:
    records = read_samples(out)
    keys = Counter(r.key for r in records)
    assert sorted(r.run for r in records) == list(range(1, runs + 1))
    assert set(keys.values()) == {1}, "a sample was recorded more than once"
    for record in records:
        assert record.error is None and record.grade is not None
        assert record.grade.points == max_points, record.grade.error
        assert not record.grade.infra_failed


def test_losing_an_engine_mid_run_loses_nothing(second_engine, settings, iso_spec, tmp_path):
    out, runs = tmp_path / "run", 16
    models = [FakeModel("m:1b", [Reply(response=slow_reference(iso_spec))])]
    try:
        with FakeOllama(models) as server:
            command = run_command(server, out, runs, "local", f"{second_engine.unix}?jobs=2")
            child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            stop_when_recorded(child, out, 2, second_engine)
            _, stderr = child.communicate(timeout=300)
        assert child.returncode == 0, stderr.decode()
        assert f"engine {second_engine.unix} lost" in stderr.decode()
    finally:
        restart(second_engine, settings)
    assert_once_with_real_grades(out, runs, iso_spec.max_points)
    engines = {e["name"]: e for e in read_manifest(out)["engines"]}
    assert engines[second_engine.unix]["lost"]
    assert engines[second_engine.unix]["requeued"] >= 1  # jobs in flight there ran elsewhere
    assert engines["local"]["version"] and engines["local"]["image_id"]
    graded_on = Counter(r.grade.sandbox["engine"] for r in read_samples(out) if r.grade)
    assert graded_on["local"] > 0 and graded_on[second_engine.unix] > 0


def test_with_no_engine_left_the_run_stops_and_the_same_command_resumes(
    second_engine, settings, iso_spec, tmp_path
):
    out, runs = tmp_path / "run", 8
    models = [FakeModel("m:1b", [Reply(response=slow_reference(iso_spec))])]
    with FakeOllama(models) as server:
        command = run_command(server, out, runs, f"{second_engine.unix}?jobs=2")
        try:
            child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            stop_when_recorded(child, out, 1, second_engine)
            _, stderr = child.communicate(timeout=300)
            assert child.returncode == 1, stderr.decode()
            message = stderr.decode()
            assert "no Docker engine is left" in message and second_engine.unix in message
            assert "rerun the same command" in message
            partial = read_samples(out)
            graded = [r for r in partial if r.grade is not None]
            assert 1 <= len(graded) < runs
            assert all(r.grade.points == iso_spec.max_points for r in graded)
            # What was in hand when the engine went is stored ungraded, never failed.
            assert all(r.error is None for r in partial)
            assert read_manifest(out)["status"] == "interrupted"
        finally:
            restart(second_engine, settings)
        resumed = subprocess.run(command, capture_output=True, text=True, check=False)
        asked = len(server.generate_requests())
    assert resumed.returncode == 0, resumed.stderr
    latest = {r.key: r for r in read_samples(out)}
    assert sorted(r.run for r in latest.values()) == list(range(1, runs + 1))
    for record in latest.values():
        assert record.error is None and record.grade is not None
        assert record.grade.points == iso_spec.max_points and not record.grade.infra_failed
    assert asked == runs, "a stored response was asked for again"


def test_prune_reaches_every_engine(second_engine, settings):
    client = engine_client(second_engine.unix, settings)
    try:
        image = client.images.list(name="chorebench-grader")[0].id
        dead = f"{socket.gethostname()}:999999999:1"  # a runner of this host that is gone
        client.api.create_container(image, command=["true"], labels={"chorebench": "1",
                                    "chorebench.owner": dead})  # fmt: skip
    finally:
        client.close()
    done = subprocess.run(
        [sys.executable, "-m", "runner", "sandbox", "prune", "--sandbox", "local",
         "--sandbox", second_engine.unix],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"on {second_engine.unix} (created, owner {dead})" in done.stdout
