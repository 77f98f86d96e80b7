"""Run directories built in the tests, for report tests that need no server and no engine.

Samples are ``SampleRecord``s written by ``SampleLog``, the code a run writes them with; only
the fields the report reads are filled in with care.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from runner.records import Check, Grade, Outcome, Violation
from runner.rundir import MANIFEST, SampleLog, SampleRecord


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
) -> SampleRecord:
    """One sample. Unless ``response`` is given every sample's bytes differ."""
    text = f"def f():  # {model} {spec} {phase} {run}\n" if response is None else response
    outcome = Outcome.INFRA_ERROR if infra else Outcome.PASSED
    grade = Grade(
        spec=spec,
        points=points,
        max_points=max_points,
        compliant=not violations,
        violations=tuple(Violation(rule, rule) for rule in violations),
        checks=(Check("c", not infra, points, max_points, outcome),),
    )
    return SampleRecord(
        key=hashlib.sha256(f"{model}|{spec}|{phase}|{run}".encode()).hexdigest()[:24],
        model=model,
        spec=spec,
        family=family or spec,
        phase=phase,
        run=run,
        temperature=temperature,
        think=think,
        response=text,
        thinking=thinking,
        response_sha256=hashlib.sha256(text.encode()).hexdigest(),
        wall_s=wall_s,
        thinking_trap=not text.strip() and bool(thinking.strip()),
        error=error,
        grade=None if error else grade,
    )


def write_run(
    path: Path,
    sizes: dict[str, int],
    specs: list[tuple[str, str]],
    records: list[SampleRecord],
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
    (path / MANIFEST).write_text(json.dumps(manifest))
    log = SampleLog(path)
    for record in records:
        log.append(record)
    return path
