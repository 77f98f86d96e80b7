"""`make bench` end to end: a loopback Ollama server with scripted models, the real sandbox.

The models behave as the write-up's did: one byte-stable and perfect, one bimodal, one
stably wrong, one correct but fenced, one caught in the thinking trap. The test asserts the
figures and the routing decisions, not only that tables were printed.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from fakes import BUGGY_ISO, GB, WRONG_ISO, FakeModel, FakeOllama, Reply

from runner.cli import main

ROOT = Path(__file__).resolve().parent.parent
NOBODY = "http://127.0.0.1:9"  # the discard port: nothing listens there


def _models(reference: str) -> list[FakeModel]:
    fenced = f"Sure! Here it is:\n\n```python\n{reference}```\n\nHope this helps."
    # runs 1-3 at 0.2 (two identical broken answers, one right), then 5 best-of samples
    bimodal = [
        BUGGY_ISO,
        BUGGY_ISO,
        reference,
        BUGGY_ISO + "\n",
        reference,
        BUGGY_ISO + "\n\n",
        WRONG_ISO,
        BUGGY_ISO,
    ]
    return [
        FakeModel("perfect:9b", [Reply(response=reference)], size=int(9.6 * GB)),
        FakeModel("bimodal:4b", [Reply(response=r) for r in bimodal], size=int(3.4 * GB)),
        FakeModel("wrong:16b", [Reply(response=WRONG_ISO)], size=int(8.9 * GB)),
        FakeModel("fenced:14b", [Reply(response=fenced)], size=int(9.0 * GB)),
        FakeModel(
            "thinker:8b",
            [Reply(response="\n", thinking="* Wait, I need to check if I can use `src`.\n" * 300)],
            capabilities=("completion", "thinking"),
            size=int(6.6 * GB),
        ),
    ]


@pytest.mark.docker
@pytest.mark.usefixtures("sandbox")  # fails or skips with the engine's reason, like the others
def test_make_bench_against_a_scripted_server(tmp_path, iso_spec):
    config = tmp_path / "bench.json"
    config.write_text(
        json.dumps(
            {
                "models": ["perfect:9b", "bimodal:4b", "wrong:16b", "fenced:14b", "thinker:8b"],
                "specs": [str(ROOT / "specs" / "iso_duration.json")],
                "runs": 3,
                "temperature": 0.2,
                "best_of": {"n": 5, "models": ["bimodal:4b", "perfect:9b"]},
            }
        )
    )
    out = tmp_path / "run"
    with FakeOllama(_models(iso_spec.reference)) as server:
        env = {**os.environ, "OLLAMA_HOST": server.url}
        done = subprocess.run(
            ["make", "-s", "-C", str(ROOT), "bench", f"BENCH={config}", f"OUT={out}"],
            capture_output=True,
            text=True,
            env=env,
            check=False,
            timeout=1200,
        )
        requests = server.generate_requests("bimodal:4b")
    assert done.returncode == 0, done.stderr[-3000:]
    assert "## Routing rules" in done.stdout and "| perfect:9b" in done.stdout
    for name in ("report.md", "report.json", "report.html"):
        assert (out / name).stat().st_size > 0
    assert [r["options"]["temperature"] for r in requests] == [0.2] * 3 + [0.7] * 5

    report = json.loads((out / "report.json").read_text())
    variance = {row["model"]: row for row in report["variance"]}
    assert {m: row["stability"] for m, row in variance.items()} == {
        "perfect:9b": "perfect",
        "fenced:14b": "perfect",
        "bimodal:4b": "bimodal",
        "wrong:16b": "stably wrong",
        "thinker:8b": "stably wrong",
    }
    assert variance["perfect:9b"]["byte_stable"] and variance["perfect:9b"]["points"] == [22] * 3
    assert variance["bimodal:4b"]["points"] == [17, 17, 22]
    assert variance["bimodal:4b"]["distinct_responses"] == 2

    compliance = {row["model"]: row for row in report["compliance"]}
    assert compliance["fenced:14b"]["fences"] == 3 and compliance["fenced:14b"]["prose"] == 3
    assert compliance["fenced:14b"]["lenient"] == 1.0 and compliance["fenced:14b"]["strict"] == 0

    thinking = {row["model"]: row for row in report["thinking"]}
    assert thinking["thinker:8b"]["traps"] == 3
    # a bench run: the advice names the config entry, not run's flag
    assert '`{"name": "thinker:8b", "think": false}`' in thinking["thinker:8b"]["advice"]
    assert thinking["perfect:9b"]["traps"] == 0

    best = {row["model"]: row for row in report["best_of"]}
    assert best["bimodal:4b"]["scores"] == [22, 17, 17, 17, 1]  # "return 0" is right on PT0S
    assert best["bimodal:4b"]["hits"] == 1 and best["bimodal:4b"]["pass_at_k"][0] == pytest.approx(
        0.2
    )
    assert best["perfect:9b"]["hits"] == 5 and best["perfect:9b"]["pass_hat_k"][-1] == 1.0

    (rule,) = report["routing"]
    assert rule["family"] == "parsers"
    # equal on every score, the compliant model wins over the fenced one
    assert (rule["recommended"], rule["runner_up"]) == ("perfect:9b", "fenced:14b")
    skipped = {skip["model"]: skip["why"] for skip in rule["skip"]}
    assert set(skipped) == {"bimodal:4b", "wrong:16b", "thinker:8b"}
    assert skipped["wrong:16b"].startswith("stably wrong") and "same bytes" in skipped["wrong:16b"]
    assert "thinking trap" in skipped["thinker:8b"] and "thinking" not in skipped["wrong:16b"]
    assert rule["mini"]["model"] == "bimodal:4b"  # 3.4 GB reaches 22/22 with best-of-5

    manifest = json.loads((out / "manifest.json").read_text())
    assert set(manifest["phases"]) == {"runs", "best_of"}
    assert manifest["phases"]["best_of"]["hit_at"] == 0.82
    samples = (out / "samples.jsonl").read_text().splitlines()
    assert len(samples) == 5 * 3 + 2 * 5


def test_bench_without_a_server_stops_at_once_with_exit_1(tmp_path):
    url = NOBODY
    result = CliRunner().invoke(
        main, ["bench", "--config", str(ROOT / "bench.json"), "--host", url, "--out", str(tmp_path)]
    )
    assert result.exit_code == 1
    assert f"no Ollama server answers at {url}" in result.stderr
    assert list(tmp_path.iterdir()) == []  # nothing was started, nothing written


def test_bench_with_a_bad_config_names_the_field(tmp_path):
    config = tmp_path / "bench.json"
    config.write_text(json.dumps({"runs": "three", "best_of": {"n": 5, "specs": ["nope"]}}))
    result = CliRunner().invoke(main, ["bench", "--config", str(config)])
    assert result.exit_code == 2
    assert f"{config}: /runs: 'three' is not of type 'integer'" in result.stderr


def test_best_of_spec_must_be_one_of_the_runs_specs(tmp_path):
    config = tmp_path / "bench.json"
    config.write_text(json.dumps({"best_of": {"n": 5, "specs": ["nope"]}}))
    result = CliRunner().invoke(main, ["bench", "--config", str(config), "--host", NOBODY])
    assert result.exit_code == 2
    assert f"{config}: /best_of/specs/0: spec 'nope' is not among the specs" in result.stderr


def test_shipped_bench_json_is_the_write_ups_design():
    from runner.run import load_config, make_plans
    from runner.settings import Settings
    from runner.spec import load_specs

    config = load_config(ROOT / "bench.json")
    specs = tuple(load_specs(list(config.specs)))
    runs, best = make_plans({}, config, Settings(), specs, ())
    assert len(runs.models) == 6 and (runs.runs, runs.temperature) == (3, 0.2)
    assert {m for m, o in runs.per_model.items() if o.think is False} == {
        "qwen3:14b",
        "qwen3.5:9b",
        "qwen3.5:4b",
    }
    assert (best.phase, best.runs, best.temperature) == ("best_of", 5, 0.7)
    assert best.models == ("qwen3.5:9b", "qwen3.5:4b") and best.hit_at == 0.82
