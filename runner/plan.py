"""What a run is asked to do: the plan, its per-model options, and each sample's identity.

Pure: nothing here talks to a server or a container.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from collections.abc import Mapping, Sequence
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
    model_source: str = "--model"  # where ``models`` came from, for messages


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
    """What a run did: counts, for the CLI to print."""

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
    """The identity of a sample: which model, spec, options, phase and run it is.

    The spec's content is not part of it: it is the sample's version (``spec_sha256``, and
    ``graded_spec_sha256`` once regraded). A sample of an older version of the spec is the
    same sample, out of date: resuming samples it again, and the newer record replaces it.
    """
    identity = {"digest": digest, "spec": spec.id, "options": options, "think": think}
    identity.update(phase=phase, run=run)
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:24]


def timestamp_dir(root: Path) -> Path:
    """``runs/<UTC timestamp>``, the default --out."""
    return root / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


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
