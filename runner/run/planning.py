"""What a run is asked to do: the plan of each phase, from flags over the config file.

The configuration file (``schemas/bench.schema.json``) is validated and read here; flags win
over it, it wins over the environment (``Settings``), which wins over the defaults below. Each
sample's identity (``sample_key``) is decided here too.

Pure but for reading the config file: nothing here talks to a server or a container.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from runner.backends import BACKOFF_S, REQUEST_TIMEOUT_S, RETRIES, model_key
from runner.errors import BadInputError
from runner.records import Spec
from runner.rundir import read_json
from runner.settings import DEFAULT_HIT_AT, PROJECT_ROOT, Settings
from runner.spec import json_pointer, load_specs

SCHEMA_PATH = PROJECT_ROOT / "schemas" / "bench.schema.json"
DEFAULT_TEMPERATURE = 0.2  # low, not zero: the write-up's setting, where variance still shows
DEFAULT_BEST_OF_TEMPERATURE = 0.7  # best-of wants diverse samples to choose from

THINK_VALUES = ("true", "false", "low", "medium", "high", "max")


@dataclass(frozen=True)
class ModelOptions:
    """Per-model overrides of the run's options (from the config file)."""

    think: bool | str | None = None
    temperature: float | None = None
    seed: int | None = None
    num_predict: int | None = None


@dataclass(frozen=True)
class RunPlan:
    """Everything a run needs to know; built by the CLI from flags and the config file."""

    models: tuple[str, ...]
    specs: tuple[Spec, ...]
    out: Path
    hosts: tuple[str, ...]
    runs: int = 1
    temperature: float = DEFAULT_TEMPERATURE
    think: bool | str | None = None
    seed: int | None = None
    num_predict: int | None = None
    timeout_s: float = REQUEST_TIMEOUT_S
    concurrency: int = 1
    per_model: dict[str, ModelOptions] = field(default_factory=dict)
    phase: str = "runs"  # "best_of" for the best-of-N phase
    hit_at: float | None = None  # best-of: the score fraction that counts as a hit
    command: tuple[str, ...] = ()
    retries: int = RETRIES
    backoff_s: float = BACKOFF_S


@dataclass(frozen=True)
class RequestOptions:
    """What is sent for a model: the ``options`` object and the ``think`` value."""

    options: dict[str, Any]
    think: bool | str | None


@dataclass(frozen=True)
class WorkItem:
    """One sample to collect: ``run`` is its index in its phase (1..runs)."""

    model: str
    spec: Spec
    phase: str
    run: int
    options: dict[str, Any]  # sent as given
    think: bool | str | None
    key: str


@dataclass(frozen=True)
class RunSummary:
    """What a run did: counts, for the CLI to print."""

    out: Path
    collected: int
    skipped: int
    failed: int
    hosts_down: tuple[str, ...]


def parse_think(value: str | None) -> bool | str | None:
    """``--think`` text as sent to the server: true/false as booleans, levels as strings."""
    if value is None:
        return None
    lowered = value.strip().lower()
    if lowered not in THINK_VALUES:
        raise BadInputError(f"--think {value!r}: use one of {', '.join(THINK_VALUES)}")
    return {"true": True, "false": False}.get(lowered, lowered)


def request_options(plan: RunPlan, model: str) -> RequestOptions:
    """What is sent for ``model``: its own options over the plan's."""
    own = plan.per_model.get(model_key(model), ModelOptions())
    options: dict[str, Any] = {
        "temperature": own.temperature if own.temperature is not None else plan.temperature
    }
    seed = own.seed if own.seed is not None else plan.seed
    num_predict = own.num_predict if own.num_predict is not None else plan.num_predict
    if seed is not None:
        options["seed"] = seed
    if num_predict is not None:
        options["num_predict"] = num_predict
    return RequestOptions(options, own.think if own.think is not None else plan.think)


def sample_key(
    digest: str, spec: Spec, options: dict[str, Any], think: Any, phase: str, run: int
) -> str:
    """The identity of a sample: any change in model, spec or options makes a new one."""
    identity = {"digest": digest, "spec": spec.sha256, "options": options, "think": think}
    identity.update(phase=phase, run=run)
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:24]


def timestamp_dir(root: Path) -> Path:
    """``runs/<UTC timestamp>``, the default --out."""
    return root / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


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
        temperature=values.get("temperature", DEFAULT_TEMPERATURE),
        think=think,
        seed=values.get("seed"),
        num_predict=values.get("num_predict"),
        timeout_s=values.get("timeout_s", REQUEST_TIMEOUT_S),
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
        specs=tuple(known[spec_id] for spec_id in wanted),
        runs=block["n"],
        temperature=_given(block.get("temperature"), DEFAULT_BEST_OF_TEMPERATURE),
        hit_at=_given(block.get("hit_at"), DEFAULT_HIT_AT),
        # The phase's temperature is the point of the phase: it wins over per-model ones.
        per_model={m: replace(o, temperature=None) for m, o in base.per_model.items()},
    )


def _given(value: float | None, default: float) -> float:
    return default if value is None else value


def plans_for(
    config_path: Path | None,
    flags: dict[str, Any],
    settings: Settings,
    command: tuple[str, ...],
) -> list[RunPlan]:
    """The phases a ``run``/``bench`` command asks for: flags over the config file.

    Raises:
        BadInputError: the config or a spec is invalid.
    """
    flags = dict(flags)
    config = load_config(config_path) if config_path else None
    paths = list(flags.pop("spec_paths", ()) or ()) or list(config.specs if config else ())
    specs = tuple(load_specs(paths or [settings.specs_dir]))
    return make_plans(flags, config, settings, specs, command)
