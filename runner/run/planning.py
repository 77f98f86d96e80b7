"""What a run is asked to do: the plan of each phase, from flags over the config file.

The configuration file (``schemas/bench.schema.json``) is validated and read here; flags win
over it, it wins over the environment (``Settings``), which wins over the defaults below. Each
sample's identity (``sample_key``) is decided here too.

Pure but for reading the config file: nothing here talks to a server or a container.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from runner.backends import BACKOFF_S, REQUEST_TIMEOUT_S, RETRIES, model_key, parse_host
from runner.caps import BAD_NUMBER
from runner.errors import BadInputError
from runner.records import Spec
from runner.rundir import check_out, read_json
from runner.settings import (
    DEFAULT_HIT_AT,
    PROJECT_ROOT,
    EngineSpec,
    Settings,
    engine_from,
    parse_engine,
)
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
    model_source: str = "--model"  # where ``models`` came from, for messages


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
    legacy_key: str = ""  # its key in run directories written before the spec left the key


@dataclass(frozen=True)
class RunSummary:
    """What one phase of a run did: counts, for the CLI to print."""

    phase: str
    out: Path
    collected: int
    skipped: int
    failed: int
    hosts_down: tuple[str, ...]
    left: int = 0  # samples a stop left undone (or ungraded): a resume does them


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
    """The identity of a sample: which model, spec, options, phase and run it is.

    The spec's content is not part of it: it is the sample's version (``spec_sha256``, and
    ``graded_spec_sha256`` once regraded). A sample of an older version of the spec is the
    same sample, out of date: resuming samples it again, and the newer record replaces it.
    """
    return _identity_hash(digest, spec.id, options, think, phase, run)


def legacy_sample_key(
    digest: str, spec: Spec, options: dict[str, Any], think: Any, phase: str, run: int
) -> str:
    """The same sample's key in run directories of older chorebench, which hashed the spec's
    content (``spec.sha256``) where ``sample_key`` now has its id.

    Resuming such a directory finds its samples of the spec's current content by this key, so
    they are neither sampled again nor counted twice; samples of an older content do not match
    it, and are sampled again as any out-of-date sample is.
    """
    return _identity_hash(digest, spec.sha256, options, think, phase, run)


def _identity_hash(
    digest: str, spec: str, options: dict[str, Any], think: Any, phase: str, run: int
) -> str:
    identity = {"digest": digest, "spec": spec, "options": options, "think": think}
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
    sandboxes: tuple[EngineSpec, ...] = ()


def load_config(path: Path) -> BenchConfig:
    """Read and validate ``path``.

    Raises:
        BadInputError: unreadable, not JSON, or invalid (``FILE: /pointer: reason`` each).
    """
    # A number out of range (NaN, 1e400) stays in place, so the schema names its field.
    data = read_json(path, "/: no such config file", bad_number=BAD_NUMBER)
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
        sandboxes=_sandboxes(path, data.get("sandboxes", [])),
    )


def _sandboxes(path: Path, entries: list[Any]) -> tuple[EngineSpec, ...]:
    """The config's engines; a ``cert_path`` is relative to the config file."""
    engines = []
    for index, entry in enumerate(entries):
        where = f"{path}: /sandboxes/{index}"
        if isinstance(entry, str):
            engines.append(parse_engine(entry, where))
            continue
        options = {k: v for k, v in entry.items() if k != "url"}
        if "cert_path" in options:
            options["cert_path"] = str(path.parent / str(options["cert_path"]))
        engines.append(engine_from(entry["url"], options, where))
    names = [engine.url for engine in engines]
    for index, name in enumerate(names):
        if name in names[:index]:
            raise BadInputError(f"{path}: /sandboxes/{index}: engine {name} is named twice")
    return tuple(engines)


def with_config_engines(settings: Settings, config: BenchConfig | None) -> Settings:
    """``settings`` with the config's engines, unless --sandbox or the environment named some."""
    if settings.sandboxes or config is None or not config.sandboxes:
        return settings
    return replace(settings, sandboxes=config.sandboxes)


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
    specs = tuple(load_specs(paths or [settings.specs_dir], settings.specs_dir))
    return make_plans(flags, config, settings, specs, command)


def missing_models(
    plans: Sequence[RunPlan], listings: Mapping[str, Mapping[str, Any]]
) -> dict[str, str]:
    """Each model the plans name that no host lists, with one line saying so.

    ``listings`` maps each host that answered to its models (keyed by ``model_key``, each
    with a ``name``). The line names where the model was asked for (``model_source``), what
    the hosts serve and the closest name served (a typo is the usual cause).
    """
    served = sorted({info.name for listed in listings.values() for info in listed.values()})
    shown = ", ".join(served[:12]) + (f" and {len(served) - 12} more" if len(served) > 12 else "")
    messages: dict[str, str] = {}
    for plan in plans:
        for model in plan.models:
            if model in messages or any(model_key(model) in listed for listed in listings.values()):
                continue
            close = difflib.get_close_matches(model, served, n=1, cutoff=0.5)
            advice = (
                f"did you mean {close[0]!r}?"
                if close
                else f"`ollama pull {model}` on an Ollama host, load it in an OpenAI-compatible "
                "one, or fix the name"
            )
            messages[model] = (
                f"{plan.model_source} {model!r}: no host serves it "
                f"({', '.join(listings)} serve{'s' if len(listings) == 1 else ''}: "
                f"{shown or 'nothing'}); {advice}"
            )
    return messages
