"""The run configuration file: schema errors, per-model options, flag precedence."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runner.errors import BadInputError
from runner.run import (
    ModelOptions,
    RequestOptions,
    load_config,
    make_plan,
    parse_think,
    request_options,
)
from runner.settings import Settings


def write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "bench.json"
    path.write_text(json.dumps(data))
    return path


def test_per_model_options_and_precedence(tmp_path):
    path = write(
        tmp_path,
        {
            "models": ["gemma4", {"name": "qwen3:14b", "think": False, "temperature": 0.1}],
            "specs": ["specs"],
            "runs": 3,
            "temperature": 0.2,
            "hosts": ["http://gpu1:11434"],
        },
    )
    config = load_config(path)
    assert config.models == ("gemma4", "qwen3:14b")
    assert config.per_model == {"qwen3:14b": ModelOptions(think=False, temperature=0.1)}
    assert config.specs == (tmp_path / "specs",)
    settings = Settings(ollama_host="http://envhost:11434")
    plan = make_plan({"runs": 5, "seed": 7, "models": ()}, config, settings, (), ("chorebench",))
    assert (plan.runs, plan.temperature, plan.seed, plan.hosts) == (
        5,
        0.2,
        7,
        ("http://gpu1:11434",),
    )
    assert request_options(plan, "qwen3:14b") == RequestOptions(
        {"temperature": 0.1, "seed": 7}, False
    )
    assert request_options(plan, "gemma4:latest") == RequestOptions(
        {"temperature": 0.2, "seed": 7}, None
    )
    bare = make_plan({}, None, settings, (), ())
    assert bare.hosts == ("http://envhost:11434",) and bare.runs == 1


@pytest.mark.parametrize(
    ("data", "pointer"),
    [
        ({"runs": 0}, "/runs"),
        ({"models": [{"name": "a", "think": "maybe"}]}, "/models/0"),
        ({"models": [{"think": True}]}, "/models/0"),
        ({"unknown": 1}, "/"),
        ({"best_of": {"n": 0}}, "/best_of/n"),
    ],
)
def test_invalid_config_names_file_and_pointer(tmp_path, data, pointer):
    path = write(tmp_path, data)
    with pytest.raises(BadInputError) as info:
        load_config(path)
    assert str(info.value).startswith(f"{path}: {pointer}")


def test_parse_think():
    assert [parse_think(v) for v in ("true", "FALSE", "low", None)] == [True, False, "low", None]
    with pytest.raises(BadInputError, match="--think 'maybe'"):
        parse_think("maybe")


def test_best_of_flag_asks_for_that_phase_alone(tmp_path):
    from runner.run import make_plans
    from runner.spec import load_specs

    specs = tuple(load_specs([Path(__file__).parent.parent / "specs"]))
    config = load_config(
        write(tmp_path, {"models": [{"name": "q:4b", "think": False, "temperature": 0.1}]})
    )
    (plan,) = make_plans({"best_of": 4, "hit_at": 0.5}, config, Settings(), specs, ())
    assert (plan.phase, plan.runs, plan.temperature, plan.hit_at) == ("best_of", 4, 0.7, 0.5)
    # the phase's temperature wins over the per-model one; think is kept
    assert request_options(plan, "q:4b") == RequestOptions({"temperature": 0.7}, False)
    (hot,) = make_plans({"best_of": 2, "temperature": 0.0}, None, Settings(), specs, ())
    assert hot.temperature == 0.0  # an explicit 0 is not "unset"
    runs, best = make_plans(
        {}, load_config(write(tmp_path, {"best_of": {"n": 3}})), Settings(), specs, ()
    )
    assert (runs.phase, best.phase, best.runs, best.hit_at) == ("runs", "best_of", 3, 0.82)
    assert best.specs == runs.specs
