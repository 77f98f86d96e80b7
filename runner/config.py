"""The run/bench configuration file (``schemas/bench.schema.json``), validated and read."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from runner.backends import parse_host
from runner.errors import BadInputError
from runner.ollama import model_key
from runner.plan import ModelOptions, RunPlan, parse_think, timestamp_dir
from runner.records import Spec
from runner.rundir import check_out, read_json
from runner.settings import PROJECT_ROOT, Settings
from runner.spec import json_pointer
from runner.stats import DEFAULT_HIT_AT

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


DEFAULT_BEST_OF_TEMPERATURE = 0.7


def make_plan(
    flags: dict[str, Any],
    config: BenchConfig | None,
    settings: Settings,
    specs: tuple[Spec, ...],
    command: tuple[str, ...],
) -> RunPlan:
    """Merge flags (first), the config file, the environment and defaults into a RunPlan.

    Raises:
        BadInputError: a host string is malformed, or ``--out`` cannot be a run directory;
            one line naming where it was given (flag, config field, OLLAMA_HOST).
    """
    values = dict(config.values) if config else {}
    values.update({k: v for k, v in flags.items() if v is not None and v != ()})
    think = values.get("think")
    if isinstance(think, str):
        think = parse_think(think)
    hosts = tuple(values.get("hosts") or (settings.ollama_host,))
    for index, host in enumerate(hosts):
        try:
            parse_host(host)
        except BadInputError as exc:
            source = (
                "--host"
                if flags.get("hosts")
                else f"{config.path}: /hosts/{index}"
                if config and config.values.get("hosts")
                else "OLLAMA_HOST"
            )
            raise BadInputError(f"{source}: {exc}") from None
    out = values.get("out") or timestamp_dir(settings.runs_dir)
    check_out(out)
    return RunPlan(
        models=tuple(flags.get("models") or (config.models if config else ())),
        model_source="--model" if flags.get("models") or not config else f"{config.path}: /models",
        specs=specs,
        out=out,
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


def make_plans(
    flags: dict[str, Any],
    config: BenchConfig | None,
    settings: Settings,
    specs: tuple[Spec, ...],
    command: tuple[str, ...],
) -> list[RunPlan]:
    """The phases to collect into one run directory, in order.

    ``--best-of N`` (``flags["best_of"]``) asks for the best-of phase alone. Otherwise the
    repeated-runs phase, followed by the config's ``best_of`` block when it has one.

    Raises:
        BadInputError: the config's best-of phase names a spec that is not loaded.
    """
    flags = dict(flags)
    best_n, hit_at = flags.pop("best_of", None), flags.pop("hit_at", None)
    block = dict(config.best_of or {}) if config else {}
    if best_n is not None:
        block = {**block, "n": best_n}
        # --temperature applies to the only phase there is.
        if flags.get("temperature") is not None:
            block["temperature"] = flags["temperature"]
        if flags.get("models"):
            block["models"] = list(flags["models"])
    if hit_at is not None:
        block["hit_at"] = hit_at
    base = make_plan(flags, config, settings, specs, command)
    plans = [] if best_n is not None else [base]
    if block.get("n"):
        plans.append(_best_of_plan(base, block, config))
    return plans


def _best_of_plan(base: RunPlan, block: dict[str, Any], config: BenchConfig | None) -> RunPlan:
    known = {spec.id: spec for spec in base.specs}
    wanted = block.get("specs") or list(known)
    for index, spec_id in enumerate(wanted):
        if spec_id not in known:
            where = f"{config.path}: /best_of/specs/{index}" if config else "--spec"
            raise BadInputError(
                f"{where}: spec {spec_id!r} is not among the specs of this run "
                f"({', '.join(known)}); list its file under specs"
            )
    return replace(
        base,
        phase="best_of",
        models=tuple(block.get("models") or base.models),
        model_source=(
            f"{config.path}: /best_of/models"
            if config and block.get("models") and block["models"] == config.best_of.get("models")
            else base.model_source
        ),
        specs=tuple(known[spec_id] for spec_id in wanted),
        runs=block["n"],
        temperature=_given(block.get("temperature"), DEFAULT_BEST_OF_TEMPERATURE),
        hit_at=_given(block.get("hit_at"), DEFAULT_HIT_AT),
        # The phase's temperature is the point of the phase: it wins over per-model ones.
        per_model={m: replace(o, temperature=None) for m, o in base.per_model.items()},
    )


def _given(value: float | None, default: float) -> float:
    return default if value is None else value
