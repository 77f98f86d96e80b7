"""The engine pool with fake engines: spreading, each engine's jobs, losing engines, settings."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fakes import FakeEngine

from runner.errors import BadInputError, NoEngineLeft, SandboxError
from runner.records import Limits
from runner.run import load_config, with_config_engines
from runner.sandbox import EnginePool, display, is_local, tls_config
from runner.settings import EngineSpec, Settings, parse_engine, parse_engines

LIMITS = Limits()


def execute_many(pool: EnginePool, count: int, threads: int) -> list:
    with ThreadPoolExecutor(max_workers=threads) as workers:
        return list(workers.map(lambda i: pool.execute(b"%d" % i, LIMITS, 1), range(count)))


def test_each_engine_is_kept_at_its_jobs_and_all_are_used():
    a, b = FakeEngine("a", jobs=1, delay_s=0.01), FakeEngine("b", jobs=3, delay_s=0.01)
    pool = EnginePool([a, b])
    assert pool.capacity == 4
    results = execute_many(pool, 40, threads=8)  # more threads than slots: some wait
    assert [r.stdout for r in results] == [b"%d" % i for i in range(40)]
    assert a.most_in_flight == 1 and b.most_in_flight <= 3
    assert a.ran > 0 and b.ran > a.ran
    assert {e["name"]: e["ran"] for e in pool.engines()} == {"a": a.ran, "b": b.ran}


def test_a_lost_engines_jobs_run_elsewhere_and_it_gets_no_more():
    a, b = FakeEngine("a", jobs=2, delay_s=0.005), FakeEngine("b", jobs=2, delay_s=0.005)
    b.lose_after = 3
    said: list[str] = []
    pool = EnginePool([a, b], log=said.append)
    results = execute_many(pool, 30, threads=4)
    assert all(r.exit_code == 0 and r.engine == "a" for r in results[10:])
    assert len(results) == 30
    lost = pool.lost()
    assert list(lost) == ["b"] and "then no answer" in lost["b"]
    described = {e["name"]: e for e in pool.engines()}
    assert described["b"]["requeued"] >= 1 and described["b"]["lost"]
    assert said and said[0].startswith("engine b lost")
    assert b.ran <= 3 + 2  # at most the jobs in flight when it went


def test_the_pool_hands_each_job_to_its_engine_with_its_kind():
    # The kind picks a container started for it (a pytest one has pytest imported already).
    engine = FakeEngine("a")
    pool = EnginePool([engine])
    pool.execute(b"job", LIMITS, 1, kind="pytest")
    pool.execute(b"job", LIMITS, 1)
    assert engine.kinds == ["pytest", "function"]


def test_an_abnormal_end_on_a_lost_engine_is_not_the_candidates():
    a, b = FakeEngine("a"), FakeEngine("b")
    b.abnormal = b.lost_after_run = True  # its engine killed the container as it went down
    pool = EnginePool([b, a])
    result = pool.execute(b"job", LIMITS, 1)
    assert result.engine == "a" and result.exit_code == 0
    assert b.ran == 1 and "ended abnormally" in pool.lost()["b"]


def test_an_abnormal_end_on_an_engine_that_answers_is_the_candidates():
    a = FakeEngine("a")
    a.abnormal = True
    assert EnginePool([a]).execute(b"job", LIMITS, 1).exit_code == 137


def test_a_failure_on_an_engine_that_still_answers_is_an_infra_error_not_a_loss():
    a, b = FakeEngine("a"), FakeEngine("b")
    a.failing = True
    pool = EnginePool([a, b])
    with pytest.raises(SandboxError):
        pool.execute(b"job", LIMITS, 1)
    assert pool.lost() == {}


def test_no_engine_left_names_every_engine_and_why():
    a, b = FakeEngine("a"), FakeEngine("b")
    a.lose_after = b.lose_after = 0
    pool = EnginePool([a, b], unreachable={"ssh://c": "no answer at start"})
    with pytest.raises(NoEngineLeft) as caught:
        pool.execute(b"job", LIMITS, 1)
    message = str(caught.value)
    for name in ("a:", "b:", "ssh://c: no answer at start", "rerun the same command"):
        assert name in message
    assert not isinstance(caught.value, SandboxError)  # no grade may absorb it
    pool.close()
    assert a.closed and b.closed


def test_engine_specs_parse_and_bad_ones_name_the_source_and_the_fix():
    spec = parse_engine("tcp://box3:2376?jobs=4&runtime=runsc&tls_verify=1", "--sandbox")
    assert spec == EngineSpec("tcp://box3:2376", jobs=4, runtime="runsc", tls_verify=True)
    assert parse_engines("local, ssh://me@box2", "CHOREBENCH_SANDBOXES") == (
        EngineSpec("local"),
        EngineSpec("ssh://me@box2"),
    )
    for bad, said in [
        ("http://box", "is not one chorebench can reach"),
        ("tcp://box?jobs=0", "jobs '0'"),
        ("tcp://box?jobs=x", "jobs 'x'"),
        ("ssh://box?runtime=kata", "runtime 'kata'"),
        ("ssh://box?tls_verify=1", "TLS options apply to tcp:// engines only"),
        ("unix:///s?color=red", "unknown engine option 'color'"),
    ]:
        with pytest.raises(BadInputError, match=r"^--sandbox: ") as caught:
            parse_engine(bad, "--sandbox")
        assert said in str(caught.value)
    with pytest.raises(BadInputError, match="named twice"):
        parse_engines(("local", "local"), "--sandbox")


def test_settings_read_engines_and_tls_from_the_environment_and_flags_win():
    env = {
        "CHOREBENCH_SANDBOXES": "local,tcp://b:2376",
        "DOCKER_TLS_VERIFY": "1",
        "DOCKER_CERT_PATH": "/certs",
    }
    settings = Settings.from_env(env)
    assert [e.url for e in settings.engines()] == ["local", "tcp://b:2376"]
    assert settings.docker_tls_verify and settings.docker_cert_path == Path("/certs")
    flagged = settings.with_flags(sandboxes=("ssh://c",))
    assert [e.url for e in flagged.engines()] == ["ssh://c"]
    assert [e.url for e in Settings().engines()] == ["local"]
    with pytest.raises(BadInputError, match=r"^CHOREBENCH_SANDBOXES: "):
        Settings.from_env({"CHOREBENCH_SANDBOXES": "ftp://x"})


def test_tls_is_read_as_the_docker_cli_reads_it(tmp_path):
    for name in ("ca", "cert", "key"):
        (tmp_path / f"{name}.pem").write_text("x")
    tcp = EngineSpec("tcp://b:2376")
    assert tls_config(tcp, Settings()) is None  # no DOCKER_TLS_VERIFY: plain TCP
    verified = Settings(docker_tls_verify=True, docker_cert_path=tmp_path)
    config = tls_config(tcp, verified)
    assert config is not None and config.verify and config.ca_cert == str(tmp_path / "ca.pem")
    assert config.cert == (str(tmp_path / "cert.pem"), str(tmp_path / "key.pem"))
    assert tls_config(EngineSpec("tcp://b:2376", tls_verify=False), verified) is None
    own = EngineSpec("tcp://b:2376", tls_verify=True, cert_path=str(tmp_path / "none"))
    with pytest.raises(BadInputError, match=r"none/ca\.pem"):
        tls_config(own, Settings())
    assert tls_config(EngineSpec("ssh://b"), verified) is None


def test_which_engines_are_local():
    assert is_local(EngineSpec("local"), Settings())
    assert not is_local(EngineSpec("local"), Settings(docker_host="tcp://b:2375"))
    assert is_local(EngineSpec("unix:///run/d.sock"), Settings())
    assert not is_local(EngineSpec("ssh://b"), Settings())
    assert display(EngineSpec("local"), Settings()) == "local (the local Docker socket)"


def test_the_config_file_names_engines_under_the_flag_and_the_environment(tmp_path):
    path = tmp_path / "bench.json"
    path.write_text(
        json.dumps(
            {
                "sandboxes": [
                    "local",
                    {"url": "tcp://b:2376", "jobs": 8, "tls_verify": True, "cert_path": "certs"},
                ]
            }
        )
    )
    config = load_config(path)
    assert config.sandboxes[1] == EngineSpec(
        "tcp://b:2376", jobs=8, tls_verify=True, cert_path=str(tmp_path / "certs")
    )
    assert with_config_engines(Settings(), config).sandboxes == config.sandboxes
    flagged = Settings(sandboxes=(EngineSpec("ssh://c"),))
    assert with_config_engines(flagged, config) is flagged
    path.write_text(json.dumps({"sandboxes": [{"url": "tcp://b", "jobs": 0}]}))
    with pytest.raises(BadInputError, match=r"/sandboxes/0/jobs"):
        load_config(path)
    path.write_text(json.dumps({"sandboxes": ["gopher://b"]}))
    with pytest.raises(BadInputError, match=r"bench\.json: /sandboxes/0: engine 'gopher://b'"):
        load_config(path)
