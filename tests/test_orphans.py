"""runner.sandbox's orphans and owner logic on a fake /proc: no Docker, no root needed.

The real sweep is tested on the engine in tests/adversarial/test_hygiene.py.
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest

from runner.sandbox import HARNESS, orphans, owner_id, owner_state

A = "a" * 64
B = "b" * 64
C = "c" * 64
ROOT_DIR = "/var/lib/docker"


def fake_process(
    proc: Path, pid: int, argv: list[str], cgroup: str = "", cwd: Path | None = None
) -> None:
    entry = proc / str(pid)
    entry.mkdir(parents=True)
    (entry / "cmdline").write_bytes(b"\0".join(a.encode() for a in argv) + b"\0")
    (entry / "cgroup").write_text(cgroup)
    (entry / "stat").write_text(f"{pid} ({os.path.basename(argv[0])}) S 1 2 3")
    (entry / "mountinfo").write_text(f"1 0 0:1 / / ro - overlay overlay upperdir={ROOT_DIR}/o/x\n")
    if cwd is not None:
        (entry / "cwd").symlink_to(cwd)


def bundle(folder: Path, args: list[str], root: str = f"{ROOT_DIR}/overlay2/x/merged") -> Path:
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(
        json.dumps({"process": {"args": args}, "root": {"path": root}})
    )
    return folder


@pytest.fixture
def proc(tmp_path: Path) -> Path:
    proc = tmp_path / "proc"
    ours = bundle(tmp_path / "bundles" / A, HARNESS)
    theirs = bundle(tmp_path / "bundles" / C, ["nginx"])
    shim = [
        "/usr/bin/containerd-shim-runc-v2",
        "-namespace",
        "moby",
        "-id",
        A,
        "-address",
        "/x.sock",
    ]
    fake_process(proc, 100, shim, cwd=ours)
    fake_process(proc, 101, ["runsc-sandbox", "--root=/r", "boot", f"--bundle={ours}", A])
    fake_process(proc, 102, ["runsc-gofer", "gofer", "--bundle", str(ours)])
    fake_process(proc, 200, HARNESS, cgroup=f"12:pids:/docker/{B}\n")
    fake_process(proc, 300, ["containerd-shim-runc-v2", "-id", C], cwd=theirs)
    fake_process(proc, 400, ["bash"], cgroup="12:pids:/user.slice\n")
    fake_process(proc, 500, ["python3", "x.py"], cgroup=f"0::/system.slice/docker-{B}.scope\n")
    return proc


def test_scan_ties_shims_runsc_and_cgroup_members_to_their_container(proc: Path) -> None:
    found = {p.pid: (p.container, p.role) for p in orphans.scan(proc)}
    assert found == {
        100: (A, "shim"),
        101: (A, "runsc"),
        102: (A, "runsc"),
        200: (B, "member"),
        300: (C, "shim"),
        500: (B, "member"),
    }
    shim = next(p for p in orphans.scan(proc) if p.pid == 100)
    assert (shim.address, shim.namespace, shim.name) == (
        "/x.sock",
        "moby",
        "containerd-shim-runc-v2",
    )


def test_a_zombie_belongs_to_nothing(proc: Path) -> None:
    (proc / "100" / "stat").write_text("100 (containerd-shim) Z 1 2 3")
    assert 100 not in {p.pid for p in orphans.scan(proc)}


def test_orphans_are_ids_the_engine_does_not_know_in_two_looks(proc: Path) -> None:
    found = orphans.find_orphans(lambda: {B}, grace_s=0, proc=proc)
    assert sorted(found) == [A, C]
    looks = iter([set(), {A, B, C}])  # created between the looks: not an orphan
    assert orphans.find_orphans(lambda: next(looks), grace_s=0, proc=proc) == {}


def test_ours_means_the_harness_on_this_engines_data_root(proc: Path) -> None:
    groups = orphans.by_container(orphans.scan(proc))
    assert orphans.is_ours(groups[A], HARNESS, ROOT_DIR, proc) is True
    assert orphans.is_ours(groups[C], HARNESS, ROOT_DIR, proc) is False
    assert orphans.is_ours(groups[B], HARNESS, ROOT_DIR, proc) is True  # runc: the harness itself
    assert orphans.is_ours(groups[A], HARNESS, "/srv/other-engine", proc) is False


def test_sweep_leaves_what_is_not_ours_and_says_why(proc: Path) -> None:
    swept = orphans.sweep(lambda: {A, B}, HARNESS, ROOT_DIR, grace_s=0, proc=proc)
    assert [(o.container, o.chorebench, o.removed, o.detail) for o in swept] == [
        (C, False, False, "left: not a chorebench container")
    ]


def test_owner_labels_name_host_pid_and_start_time() -> None:
    host, pid, start = owner_id().split(":")
    assert (host, int(pid)) == (socket.gethostname(), os.getpid())
    assert int(start) > 0
    assert owner_state(owner_id()) == "alive"
    assert owner_state(f"{host}:{pid}") == "alive"  # labels of older runners
    assert owner_state(f"{host}:{pid}:1") == "dead"  # the pid now belongs to a later process
    assert owner_state(f"{host}:{2**22 + 1}:5") == "dead"  # beyond any pid_max: gone
    assert owner_state("elsewhere:1:1") == "elsewhere"
    assert owner_state("") == owner_state("nonsense") == "unknown"
