"""The run/bench configuration file (``schemas/bench.schema.json``), validated and read."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runner.errors import BadInputError
from runner.ollama import model_key
from runner.plan import ModelOptions, RunPlan, parse_think, timestamp_dir
from runner.records import Spec
from runner.rundir import read_json
from runner.settings import PROJECT_ROOT, Settings
from runner.spec import json_pointer

SCHEMA_PATH = PROJECT_ROOT / "schemas" / "bench.schema.json"


@dataclass(frozen=True)
class BenchConfig:
    """A validated configuration file; paths already resolved against its folder."""

    path: Path
    models: tuple[str, ...] = ()
    per_model: dict[str, ModelOptions] = field(default_factory=dict)
    specs: tuple[Path, ...] = ()
    values: dict[str, Any] = field(default_factory=dict)  # runs, temperature, think, ...
    best_of: dict[str, Any] | None = None


def load_config(path: Path) -> BenchConfig:
    """Read and validate ``path``.

    Raises:
        BadInputError: unreadable, not JSON, or invalid (``FILE: /pointer: reason`` each).
    """
    from jsonschema import Draft202012Validator

    data = read_json(path, "/: no such config file")
    validator = Draft202012Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        raise BadInputError(
            "\n".join(f"{path}: {json_pointer(e.absolute_path)}: {e.message}" for e in errors)
        )
    models: list[str] = []
    per_model: dict[str, ModelOptions] = {}
    for entry in data.get("models", []):
        if isinstance(entry, str):
            models.append(entry)
            continue
        models.append(entry["name"])
        options = {k: v for k, v in entry.items() if k != "name"}
        per_model[model_key(entry["name"])] = ModelOptions(**options)
    keys = (
        "runs",
        "temperature",
        "think",
        "seed",
        "num_predict",
        "timeout_s",
        "hosts",
        "concurrency",
    )
    return BenchConfig(
        path=path,
        models=tuple(models),
        per_model=per_model,
        specs=tuple(path.parent / spec for spec in data.get("specs", [])),
        values={key: data[key] for key in keys if key in data},
        best_of=data.get("best_of"),
    )


def make_plan(
    flags: dict[str, Any],
    config: BenchConfig | None,
    settings: Settings,
    specs: tuple[Spec, ...],
    command: tuple[str, ...],
) -> RunPlan:
    """Merge flags (first), the config file, the environment and defaults into a RunPlan."""
    values = dict(config.values) if config else {}
    values.update({k: v for k, v in flags.items() if v is not None and v != ()})
    think = values.get("think")
    if isinstance(think, str):
        think = parse_think(think)
    hosts = tuple(values.get("hosts") or (settings.ollama_host,))
    return RunPlan(
        models=tuple(flags.get("models") or (config.models if config else ())),
        specs=specs,
        out=values.get("out") or timestamp_dir(settings.runs_dir),
        hosts=hosts,
        runs=values.get("runs", 1),
        temperature=values.get("temperature", 0.2),
        think=think,
        seed=values.get("seed"),
        num_predict=values.get("num_predict"),
        timeout_s=values.get("timeout_s", 1800.0),
        concurrency=values.get("concurrency", 1),
        per_model=dict(config.per_model) if config else {},
        command=command,
    )
