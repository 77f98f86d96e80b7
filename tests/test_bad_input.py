"""Bad input to ``run`` and ``bench`` is refused up front: exit 2, one line naming the option
and what to do, and no run directory announced or created.

Model servers are real loopback servers (tests/fake_ollama.py, tests/fake_openai.py); every
refusal here comes before the sandbox starts, so no Docker engine is needed, except for the
last test, which runs.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from fakes import ChatModel, ChatReply, FakeModel, FakeOllama, FakeOpenAI, Reply

ROOT = Path(__file__).resolve().parent.parent
SPEC = str(ROOT / "specs" / "iso_duration.json")
NOBODY = "http://127.0.0.1:9"


def chorebench(*args: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "runner", *args]
    return subprocess.run(argv, capture_output=True, text=True, check=False, timeout=300)


def refused(result: subprocess.CompletedProcess[str], out: Path, starts: str) -> str:
    """The one line of a refusal, after checking what a refusal must be."""
    lines = [line for line in result.stderr.splitlines() if "error" in line]
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1, result.stderr  # progress lines ("asking HOST") may come before
    assert lines[0].startswith(f"chorebench: error: {starts}"), lines[0]
    assert "run directory" not in result.stderr and "Traceback" not in result.stderr
    assert not out.exists()
    return lines[0]


@pytest.fixture(scope="module")
def ollama():
    with FakeOllama([FakeModel("smollm2-135m", [Reply(response="x")])]) as server:
        yield server


@pytest.fixture(scope="module")
def openai():
    with FakeOpenAI([ChatModel("smollm2-135m", [ChatReply("x")])]) as server:
        yield server


@pytest.mark.parametrize(
    ("host", "why"),
    [
        ("http://127.0.0.1:99999", "the port is not a number from 1 to 65535"),
        (":::", "the port is not a number from 1 to 65535"),
        ("http://", "no host name"),
        ("openai+ftp://x", "scheme 'ftp' is not http or https"),
        ("tgi+http://x:1", "unknown backend 'tgi'"),
    ],
)
def test_a_malformed_host_is_refused_before_anything(tmp_path, host, why):
    out = tmp_path / "run"
    run = chorebench("run", "--host", host, "--model", "m", "--spec", SPEC, "--out", str(out))
    line = refused(run, out, f"--host: host {host!r}: {why}")
    assert "openai+http://HOST:PORT" in line
    bench = tmp_path / "bench.json"
    bench.write_text(json.dumps({"models": ["m"], "hosts": [NOBODY, host]}))
    refused(
        chorebench("bench", "--config", str(bench), "--out", str(out)), out, f"{bench}: /hosts/1"
    )


def test_out_under_a_file_is_refused(tmp_path):
    afile = tmp_path / "afile"
    afile.write_text("")
    out = afile / "run"
    result = chorebench("run", "--host", NOBODY, "--model", "m", "--spec", SPEC, "--out", str(out))
    assert f"is under {afile}, a file; choose another --out" in refused(result, out, "--out")


def test_out_where_no_folder_can_be_made_is_refused(tmp_path, ollama):
    out = Path("/proc/chorebench-run")
    result = chorebench(
        "run", "--host", ollama.url, "--model", "smollm2-135m", "--spec", SPEC, "--out", str(out)
    )
    assert "choose another --out" in refused(result, out, f"--out {out}")


def test_an_openai_server_given_as_ollama_says_to_write_openai_plus(tmp_path, openai):
    out = tmp_path / "run"
    result = chorebench(
        "run", "--host", openai.url, "--model", "m", "--spec", SPEC, "--out", str(out)
    )
    line = refused(result, out, f"{openai.url} answers 404 on /api/version")
    assert line.endswith(f"give the host as openai+{openai.url}")


def test_openai_plus_host_port_without_a_scheme_is_an_openai_host(tmp_path, openai):
    out = tmp_path / "run"
    host = "openai+" + openai.url.removeprefix("http://")
    result = chorebench(
        "run", "--host", host, "--model", "smollm2", "--spec", SPEC, "--out", str(out)
    )
    line = refused(result, out, "--model 'smollm2': no host serves it")
    assert f"({host} serves: smollm2-135m); did you mean 'smollm2-135m'?" in line


def test_a_model_no_host_serves_lists_what_they_serve(tmp_path, ollama):
    out = tmp_path / "run"
    result = chorebench(
        "run", "--host", ollama.url, "--host", NOBODY, "--model", "smollm2", "--spec", SPEC,
        "--out", str(out),
    )  # fmt: skip
    line = refused(result, out, "--model 'smollm2': no host serves it")
    assert (
        f"({ollama.url} serves: smollm2-135m:latest); did you mean 'smollm2-135m:latest'?" in line
    )
    config = tmp_path / "bench.json"
    config.write_text(json.dumps({"models": ["nothing-like-it"], "hosts": [ollama.url]}))
    line = refused(chorebench("bench", "--config", str(config), "--out", str(out)), out, "")
    assert f"{config}: /models 'nothing-like-it': no host serves it" in line
    assert "`ollama pull nothing-like-it`" in line


@pytest.mark.docker
@pytest.mark.usefixtures("sandbox")
def test_a_missing_model_beside_a_served_one_is_warned_once_and_left_out(tmp_path, iso_spec):
    out = tmp_path / "run"
    config = tmp_path / "bench.json"
    reference = iso_spec.reference
    with FakeOllama([FakeModel("here:1b", [Reply(response=reference)])]) as server:
        config.write_text(
            json.dumps(
                {
                    "models": ["here:1b", "gone:1b"],
                    "hosts": [server.url],
                    "specs": [SPEC],
                    "runs": 2,
                    "best_of": {"n": 2},
                }
            )
        )
        result = chorebench("bench", "--config", str(config), "--out", str(out))
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 1 and "'gone:1b': no host serves it" in warnings[0]
    records = [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]
    assert {r["model"] for r in records} == {"here:1b"} and len(records) == 4
    assert all(r["error"] is None for r in records)
