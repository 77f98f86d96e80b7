"""Run directories written by hand, for report tests that need no server and no engine.

The records have the shape ``rundir.sample_record`` writes; only the fields the report reads
are filled in with care.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

GB = 1_000_000_000


def sample(
    model: str,
    spec: str,
    run: int,
    points: int,
    max_points: int,
    *,
    family: str = "",
    phase: str = "runs",
    response: str | None = None,
    thinking: str = "",
    wall_s: float | None = 10.0,
    think: Any = None,
    temperature: float = 0.2,
    violations: tuple[str, ...] = (),
    error: str | None = None,
    infra: bool = False,
) -> dict[str, Any]:
    """One samples.jsonl record. Unless ``response`` is given every sample's bytes differ."""
    text = f"def f():  # {model} {spec} {phase} {run}\n" if response is None else response
    outcome = "infra_error" if infra else "passed"
    grade = {
        "spec": spec,
        "points": points,
        "max_points": max_points,
        "compliant": not violations,
        "violations": [{"rule": rule, "detail": rule} for rule in violations],
        "checks": [{"case": "c", "passed": not infra, "points": points, "outcome": outcome}],
        "error": None,
    }
    return {
        "key": hashlib.sha256(f"{model}|{spec}|{phase}|{run}".encode()).hexdigest()[:24],
        "model": model,
        "spec": spec,
        "family": family or spec,
        "phase": phase,
        "run": run,
        "temperature": temperature,
        "think": think,
        "response": text,
        "thinking": thinking,
        "response_sha256": hashlib.sha256(text.encode()).hexdigest(),
        "wall_s": wall_s,
        "thinking_trap": not text.strip() and bool(thinking.strip()),
        "out_of_budget": False,
        "error": error,
        "grade": None if error else grade,
    }


def write_run(
    path: Path,
    sizes: dict[str, int],
    specs: list[tuple[str, str]],
    records: list[dict[str, Any]],
    phases: dict[str, dict[str, Any]] | None = None,
) -> Path:
    """Write ``manifest.json`` (models with sizes, specs with families) and ``samples.jsonl``."""
    path.mkdir(parents=True, exist_ok=True)
    manifest = {
        "phases": phases or {"runs": {"runs": 3, "temperature": 0.2}},
        "specs": [{"id": s, "family": f, "path": f"specs/{s}.json"} for s, f in specs],
        "models": {name: {"size": size, "digest": name} for name, size in sizes.items()},
        "grader_image": {"id": "sha256:test", "runtime": "runc"},
        "started_at": "2026-11-26T00:00:00Z",
        "status": "complete",
    }
    (path / "manifest.json").write_text(json.dumps(manifest))
    (path / "samples.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    return path
