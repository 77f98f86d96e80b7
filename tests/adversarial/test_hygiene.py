"""Hygiene: nothing outlives a grade, also when the runner dies, and runners do not collide.

On the real engine, under this session's runtime (the runtime-orphan test always uses
gVisor, whose failed starts are what leaves them). Runners are real ``chorebench`` processes
(``RUNNER``) so that one can be killed with SIGKILL mid-grade.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import socket
import subprocess
import sys
import tarfile
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import docker
import pytest
from click.testing import CliRunner

from runner.cli import main
from runner.grade import grade_response
from runner.records import Outcome
from runner.sandbox import HARNESS, LABEL, OWNER, orphans, owner_id, prune_leftovers

pytestmark = [pytest.mark.adversarial, pytest.mark.docker, pytest.mark.usefixtures("no_leftovers")]

ROOT = Path(__file__).resolve().parents[2]
ISO = ROOT / "specs" / "iso_duration.json"
SPIN = "def parse_iso_duration(s):\n    while True:\n        pass\n"
RUNNER = """
import json, sys
from dataclasses import replace
from pathlib import Path
from runner.grade import grade_response
from runner.sandbox import DockerSandbox
from runner.settings import Settings
from runner.spec import load_spec
box = DockerSandbox(Settings.from_env())
print(json.dumps({"owner": box.owner}), flush=True)
spec = load_spec(Path(sys.argv[1]))
limits = replace(spec.limits, case_timeout_s=float(sys.argv[2]))
spec = replace(spec, cases=spec.cases[: int(sys.argv[3])], limits=limits)
for code in json.loads(sys.argv[4]):
    grade = grade_response(spec, code, box)
    print(json.dumps({"points": grade.points, "max": grade.max_points}), flush=True)
box.close()
"""


def start_runner(codes: list[str], timeout_s: float, cases: int) -> tuple[subprocess.Popen, str]:
    """A chorebench runner process grading ``codes``; returns it and its owner label."""
    command = [
        sys.executable,
        "-c",
        RUNNER,
        str(ISO),
        str(timeout_s),
        str(cases),
        json.dumps(codes),
    ]
    child = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    owner = json.loads(child.stdout.readline())["owner"]
    return child, owner


def finish(child: subprocess.Popen) -> list[dict[str, Any]]:
    """The grades a runner printed, once it has exited (0)."""
    assert child.stdout is not None
    with child.stdout:
        out = child.stdout.read()
    assert child.wait(timeout=120) == 0
    return [json.loads(line) for line in out.splitlines()]


def containers_of(client: Any, owner: str) -> list[dict[str, Any]]:
    return client.api.containers(all=True, filters={"label": f"{OWNER}={owner}"})


def wait_for(condition: Any, timeout_s: float = 60) -> Any:
    deadline = time.monotonic() + timeout_s
    while not (result := condition()):
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)
    return result


def processes_of(container_id: str) -> list[orphans.HostProcess]:
    return [p for p in orphans.scan() if p.container == container_id]


@pytest.fixture(scope="module")
def empty_image(sandbox: Any) -> Iterator[str]:
    """An image with nothing in it: a container of it is created, and its start fails."""
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w") as tar:
        folder = tarfile.TarInfo("tmp")
        folder.type, folder.mode = tarfile.DIRTYPE, 0o1777
        tar.addfile(folder)
    tag = f"chorebench-test-empty:{os.getpid()}"
    repository, _, version = tag.partition(":")
    sandbox.client.api.import_image_from_data(data.getvalue(), repository=repository, tag=version)
    yield tag
    sandbox.client.api.remove_image(tag, force=True)


def test_a_runner_killed_mid_grade_is_cleaned_up_by_the_next_start(sandbox, settings):
    from runner.sandbox import DockerSandbox

    child, owner = start_runner([SPIN], timeout_s=2, cases=14)
    running = wait_for(
        lambda: [c for c in containers_of(sandbox.client, owner) if c["State"] == "running"]
    )
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert child.stdout is not None
    child.stdout.close()
    left = containers_of(sandbox.client, owner)
    assert [c["Id"] for c in left] == [running[0]["Id"]]  # the dead runner could not remove it
    fresh = DockerSandbox(settings)
    try:
        removed = [c.name for c in fresh.pruned.containers]
    finally:
        fresh.close()
    assert running[0]["Names"][0].lstrip("/") in removed
    assert containers_of(sandbox.client, owner) == []
    wait_for(lambda: not processes_of(running[0]["Id"]), timeout_s=10)


def test_two_runners_at_once_do_not_disturb_each_other(sandbox):
    reference = json.loads(ISO.read_text(encoding="utf-8"))["reference"]
    honest = "\n".join(reference) + "\n"
    runners = [start_runner([SPIN, honest], timeout_s=0.5, cases=3) for _ in range(2)]
    owners = [owner for _, owner in runners]
    wait_for(lambda: any(containers_of(sandbox.client, owner) for owner in owners))
    # A third start while both grade: their containers are their own, nothing is pruned.
    report = prune_leftovers(sandbox.client)
    assert not {c.owner for c in report.containers} & set(owners)
    for child, _ in runners:
        assert finish(child) == [{"points": 0, "max": 3}, {"points": 3, "max": 3}]
    for owner in owners:
        assert containers_of(sandbox.client, owner) == []


def test_a_failed_start_leaves_no_runtime_orphan(sandbox, iso_spec, empty_image):
    from runner.sandbox import DockerSandbox

    broken = object.__new__(DockerSandbox)
    broken.__dict__.update(sandbox.__dict__)
    broken.image = replace(sandbox.image, id=sandbox.client.images.get(empty_image).id)
    since = time.time() - 1
    grade = grade_response(iso_spec, iso_spec.reference, broken)
    assert grade.infra_failed
    assert {c.outcome for c in grade.checks} == {Outcome.INFRA_ERROR}
    created = {
        event["id"]
        for event in sandbox.client.api.events(
            since=f"{since:.6f}",
            until=f"{time.time():.6f}",
            filters={"type": "container", "event": "create", "label": f"{OWNER}={sandbox.owner}"},
            decode=True,
        )
    }
    assert len(created) == 1
    (container_id,) = created
    wait_for(lambda: not processes_of(container_id), timeout_s=10)


def test_prune_removes_a_runtime_orphan_that_docker_no_longer_lists(sandbox, empty_image):
    client = sandbox.client
    if "runsc" not in client.info().get("Runtimes", {}):
        pytest.skip("runsc is not registered: no gVisor failed start to leave an orphan")
    if os.geteuid() != 0:
        pytest.skip("removing runtime orphans needs root")
    # What a failed gVisor start leaves once its container is removed: a shim and a task.
    labels = {LABEL: "1", OWNER: f"{socket.gethostname()}:{os.getpid()}:1"}
    host_config = client.api.create_host_config(runtime="runsc", network_mode="none")
    created = client.api.create_container(
        empty_image, command=HARNESS, labels=labels, host_config=host_config
    )
    with pytest.raises(docker.errors.APIError):
        client.api.start(created)
    client.api.remove_container(created, force=True)
    container_id = created["Id"]
    time.sleep(1)
    if not processes_of(container_id):
        pytest.skip("this engine left no runtime orphan behind")
    report = prune_leftovers(client, grace_s=0.5)
    found = [o for o in report.runtime if o.container == container_id]
    assert found and found[0].chorebench is True and found[0].removed, report.runtime
    wait_for(lambda: not processes_of(container_id), timeout_s=10)


def test_cli_sandbox_prune_removes_only_what_dead_runners_left(sandbox):
    client = sandbox.client
    here = socket.gethostname()
    owners = {
        "dead": f"{here}:{os.getpid()}:1",  # this pid, but started at another time: reused
        "alive": owner_id(),
        "elsewhere": "another-host:1:1",
    }
    ids = {
        kind: client.api.create_container(
            sandbox.image.id, command=HARNESS, labels={LABEL: "1", OWNER: owner}
        )["Id"]
        for kind, owner in owners.items()
    }
    try:
        result = CliRunner().invoke(main, ["sandbox", "prune"])
        assert result.exit_code == 0, result.output
        left = {c["Id"] for c in client.api.containers(all=True, filters={"label": LABEL})}
        assert ids["dead"] not in left
        assert ids["alive"] in left and ids["elsewhere"] in left
        assert f"(created, owner {owners['dead']})" in result.output
        result = CliRunner().invoke(main, ["sandbox", "prune", "--all"])
        assert result.exit_code == 0, result.output
        left = {c["Id"] for c in client.api.containers(all=True, filters={"label": LABEL})}
        assert ids["elsewhere"] not in left and ids["alive"] in left
        assert "another-host:1:1" in result.output
    finally:
        for container_id in ids.values():
            with contextlib.suppress(docker.errors.NotFound):
                client.api.remove_container(container_id, force=True)
