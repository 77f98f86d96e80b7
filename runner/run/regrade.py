"""``chorebench regrade DIR``: grade stored responses again, without asking any model.

Used after a spec or grader change. The specs are read from the paths in the manifest as they
are now; each record keeps the hash of the spec it was sampled with (``spec_sha256``) and gets
the hash it was graded with (``graded_spec_sha256``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runner.grade import Sandbox, grade_all
from runner.rundir import SampleLog, read_manifest, read_samples
from runner.spec import load_specs


@dataclass(frozen=True)
class RegradeSummary:
    """How many samples were regraded and how many grades changed."""

    regraded: int
    changed: int
    skipped: int


def grade_signature(grade: dict[str, Any] | None) -> Any:
    """What must be equal for two grades to be the same verdict (timings excluded)."""
    if grade is None:
        return None
    checks = [(c["case"], c["passed"], c["points"], c.get("outcome")) for c in grade["checks"]]
    violations = [(v["rule"], v.get("line")) for v in grade["violations"]]
    return (grade["points"], grade["max_points"], grade["compliant"], violations, checks)


def regrade(run_dir: Path, sandbox: Sandbox, jobs: int = 1) -> RegradeSummary:
    """Grade every stored response again (``jobs`` at once); rewrite ``samples.jsonl`` atomically.

    Raises:
        BadInputError: not a run directory, or its samples file is damaged.
        SpecError: a spec named in the manifest is now invalid.
    """
    manifest = read_manifest(run_dir)
    specs = {spec.id: spec for spec in load_specs([Path(s["path"]) for s in manifest["specs"]])}
    records = read_samples(run_dir)
    todo = [
        (record, specs[record["spec"]])
        for record in records
        if record.get("spec") in specs and record.get("error") is None
    ]

    grades = grade_all([(spec, r.get("response", "")) for r, spec in todo], sandbox, jobs)
    changed = 0
    for (record, spec), grade in zip(todo, grades, strict=True):
        new = grade.to_json()
        changed += grade_signature(new) != grade_signature(record.get("grade"))
        record["grade"] = new
        record["graded_spec_sha256"] = spec.sha256
    SampleLog(run_dir).rewrite(records)
    return RegradeSummary(len(todo), changed, len(records) - len(todo))
