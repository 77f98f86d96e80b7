"""scripts/provision-docker.sh, which `make test`, `make bench` and `make demo` run first.

The merge of the runsc runtime is exercised on temporary daemon.json files (never on the
running engine's). The paths where no engine answers point DOCKER_HOST at a socket where
nothing listens: the machine's own engine is never stopped, restarted or reconfigured.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "provision-docker.sh"
RUNSC = {"path": "/usr/bin/runsc", "runtimeArgs": ["--network=none"]}
USER_SETTINGS = {
    "registry-mirrors": ["https://mirror.example"],
    "data-root": "/srv/docker",
    "log-driver": "json-file",
    "log-opts": {"max-size": "10m", "max-file": "3"},
    "runtimes": {"kata": {"path": "/usr/bin/kata-runtime"}},
}


def merge(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(SCRIPT), "merge-runsc", str(path)], capture_output=True, text=True, check=False
    )


def test_runsc_is_merged_into_a_daemon_json_keeping_every_other_setting(tmp_path):
    config = tmp_path / "daemon.json"
    config.write_text(json.dumps(USER_SETTINGS, indent=4))
    config.chmod(0o640)
    first = merge(config)
    assert (first.returncode, first.stdout.strip()) == (0, "changed"), first.stderr
    merged = json.loads(config.read_text())
    expected = {**USER_SETTINGS, "runtimes": {**USER_SETTINGS["runtimes"], "runsc": RUNSC}}
    assert merged == expected
    assert config.stat().st_mode & 0o777 == 0o640
    # Nothing to change the second time: the file is not rewritten (and no reload follows).
    written = config.read_bytes(), config.stat().st_mtime_ns
    second = merge(config)
    assert (second.returncode, second.stdout.strip()) == (0, "unchanged")
    assert (config.read_bytes(), config.stat().st_mtime_ns) == written


def test_a_missing_daemon_json_is_created_and_a_broken_one_left_alone(tmp_path):
    fresh = tmp_path / "etc" / "docker" / "daemon.json"
    assert merge(fresh).stdout.strip() == "changed"
    assert json.loads(fresh.read_text()) == {"runtimes": {"runsc": RUNSC}}
    broken = tmp_path / "broken.json"
    broken.write_text('{"data-root": "/srv/docker",')
    result = merge(broken)
    assert result.returncode != 0
    assert f"{broken} is not valid JSON" in result.stderr
    assert broken.read_text() == '{"data-root": "/srv/docker",'


@pytest.fixture
def nobody_listens() -> dict[str, str]:
    """An environment whose DOCKER_HOST is a socket where nothing listens (in /tmp, which any
    user can reach, so that only the engine's absence is seen)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}
    env["DOCKER_HOST"] = f"unix:///tmp/chorebench-nobody-{uuid.uuid4().hex[:8]}.sock"
    return env


def provision(env: dict[str, str], *prefix: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*prefix, "bash", str(SCRIPT)], capture_output=True, text=True, env=env, check=False
    )


def dockerd_pids() -> str:
    return subprocess.run(
        ["pgrep", "-x", "dockerd"], capture_output=True, text=True, check=False
    ).stdout


def test_make_test_says_to_start_docker_desktop_when_none_answers(nobody_listens):
    env = nobody_listens | {"PROVISION_UNAME": "Darwin"}
    result = subprocess.run(
        ["make", "-s", "-C", str(ROOT), "test"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode != 0
    assert "no Docker engine answers: start Docker Desktop" in result.stderr
    assert "passed" not in result.stdout  # stopped at the set-up, before any test


def test_not_root_is_told_to_run_it_as_root(nobody_listens):
    prefix = () if os.geteuid() else ("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups")
    if prefix and not shutil.which("setpriv"):
        pytest.skip("no setpriv to drop root")
    result = provision(nobody_listens | {"HOME": "/tmp"}, *prefix)
    assert result.returncode == 1
    assert "starting one needs root: run sudo bash scripts/provision-docker.sh" in result.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="the root-only paths")
def test_as_root_off_debian_or_at_another_socket_it_says_what_to_do(tmp_path, nobody_listens):
    before = dockerd_pids()
    fedora = tmp_path / "os-release"
    fedora.write_text('ID=fedora\nVERSION_ID="41"\n')
    result = provision(nobody_listens | {"PROVISION_OS_RELEASE": str(fedora)})
    assert result.returncode == 1
    assert "this script installs Debian's packages (this is fedora)" in result.stderr
    result = provision(nobody_listens)
    assert result.returncode == 1
    assert f"no Docker engine answers at DOCKER_HOST={nobody_listens['DOCKER_HOST']}" in (
        result.stderr
    )
    assert dockerd_pids() == before  # no engine started, none signalled
