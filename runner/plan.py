"""What a run is asked to do: the plan, its per-model options, and each sample's identity.

Pure: nothing here talks to a server or a container.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from runner.errors import BadInputError
from runner.ollama import model_key
from runner.records import Spec

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
    temperature: float = 0.2
    think: bool | str | None = None
    seed: int | None = None
    num_predict: int | None = None
    timeout_s: float = 1800.0
    concurrency: int = 1
    per_model: dict[str, ModelOptions] = field(default_factory=dict)
    phase: str = "runs"  # "best_of" for the best-of-N phase
    hit_at: float | None = None  # best-of: the score fraction that counts as a hit
    command: tuple[str, ...] = ()
    retries: int = 3
    backoff_s: float = 1.0


@dataclass(frozen=True)
class WorkItem:
    """One sample to collect."""

    model: str
    spec: Spec
    run: int
    options: dict[str, Any]
    think: bool | str | None
    key: str


@dataclass(frozen=True)
class RunSummary:
    """What one phase of a run did: counts, for the CLI to print."""

    phase: str
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


def effective(plan: RunPlan, model: str) -> tuple[dict[str, Any], bool | str | None]:
    """The ``options`` object and ``think`` value sent for ``model``."""
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
    return options, own.think if own.think is not None else plan.think


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
