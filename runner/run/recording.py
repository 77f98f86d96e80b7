"""What a run writes into its directory: the manifest of a phase, the record of a sample,
the specs' floors.

``runner.rundir`` stores them (atomically, line by line); this module decides what they say.
"""

from __future__ import annotations

import hashlib
import os
import platform
import socket
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from runner import __version__
from runner.backends import Completion, backend_of
from runner.grade import Sandbox, measure_floors
from runner.records import Grade, Spec
from runner.run.planning import RunPlan, WorkItem
from runner.rundir import SampleRecord, now, read_floors, write_floors


def sample_record(
    item: WorkItem,
    host: str | None,
    completion: Completion | None,
    error: str | None,
    grade: Grade | None,
) -> SampleRecord:
    """The record of one sample (the thinking is logged, always)."""
    response = completion.response if completion else ""
    thinking = completion.thinking if completion else ""
    answered = completion is not None
    return SampleRecord(
        key=item.key,
        model=item.model,
        spec=item.spec.id,
        spec_sha256=item.spec.sha256,
        family=item.spec.family,
        phase=item.phase,
        run=item.run,
        temperature=item.options.get("temperature"),
        seed=item.options.get("seed"),
        num_predict=item.options.get("num_predict"),
        think=item.think,
        host=host,
        backend=backend_of(host),
        response=response,
        thinking=thinking,
        response_sha256=hashlib.sha256(response.encode("utf-8", "surrogatepass")).hexdigest(),
        done_reason=completion.done_reason if completion else None,
        eval_count=completion.eval_count if completion else None,
        prompt_eval_count=completion.prompt_eval_count if completion else None,
        total_duration_ns=completion.total_duration_ns if completion else None,
        load_duration_ns=completion.load_duration_ns if completion else None,
        eval_duration_ns=completion.eval_duration_ns if completion else None,
        wall_s=round(completion.wall_s, 4) if completion else None,
        attempts=completion.attempts if completion else None,
        thinking_trap=answered and not response.strip() and bool(thinking.strip()),
        out_of_budget=answered and completion.done_reason == "length",  # type: ignore[union-attr]
        error=error,
        grade=grade,
        recorded_at=now(),
    )


def run_manifest(
    plan: RunPlan,
    servers: dict[str, Any],
    image: dict[str, str],
    started_at: str,
    previous: dict[str, Any] | None = None,
    engines: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The manifest of a run about to collect ``plan``.

    A run directory can hold several phases (the repeated runs, best-of-N) and be resumed:
    ``previous`` (the manifest already there) keeps its first start time, its other phases,
    its specs and its models; this phase's options replace its own earlier entry.
    """
    previous = previous or {}
    phase = {
        "runs": plan.runs,
        "temperature": plan.temperature,
        "think": plan.think,
        "seed": plan.seed,
        "num_predict": plan.num_predict,
        "timeout_s": plan.timeout_s,
        "concurrency": plan.concurrency,
        "per_model": {m: asdict(o) for m, o in plan.per_model.items()},
        "command": list(plan.command),
    }
    if plan.hit_at is not None:
        phase["hit_at"] = plan.hit_at
    specs = {s["id"]: s for s in previous.get("specs", [])}
    for spec in plan.specs:
        specs[spec.id] = {
            "id": spec.id,
            "path": spec.path,
            "sha256": spec.sha256,
            "family": spec.family,
        }
    starts = [*previous.get("starts", []), started_at]
    return {
        "chorebench_version": __version__,
        "phases": {**previous.get("phases", {}), plan.phase: phase},
        "specs": list(specs.values()),
        "models": dict(previous.get("models", {})),
        "servers": {**previous.get("servers", {}), **servers},
        "grader_image": image,
        "engines": engines or [],
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "started_at": previous.get("started_at", started_at),
        "starts": starts,
        "ended_at": None,
        "status": "running",
        "runner": {"pid": os.getpid(), "host": socket.gethostname()},
    }


def record_floors(run_dir: Path, specs: Sequence[Spec], sandbox: Sandbox, jobs: int) -> None:
    """Measure the floors ``run_dir`` lacks (a spec new, or changed) and write them all."""
    known = read_floors(run_dir)
    todo = [s for s in specs if s.id not in known or known[s.id].sha256 != s.sha256]
    if not todo:
        return
    known.update({floor.spec: floor for floor in measure_floors(todo, sandbox, jobs)})
    write_floors(run_dir, known.values())
