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
from runner.records import Spec
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


@dataclass(frozen=True)
class Stored:
    """A run directory's sample records, read and checked, and those to grade again."""

    run_dir: Path
    records: list[dict[str, Any]]
    todo: list[tuple[dict[str, Any], Spec]]


def read_stored(run_dir: Path) -> Stored:
    """Read what ``regrade`` needs, before any engine is asked for.

    Raises:
        BadInputError: not a run directory, or its manifest or samples file is damaged.
        SpecError: a spec named in the manifest is now invalid.
    """
    manifest = read_manifest(run_dir)
    paths = [Path(s["path"]) for s in manifest.get("specs", [])]
    specs = {spec.id: spec for spec in load_specs(paths)}
    records = read_samples(run_dir)
    todo = [
        (record, specs[record["spec"]])
        for record in records
        if record["spec"] in specs and record.get("error") is None
    ]
    return Stored(run_dir, records, todo)


def regrade(run_dir: Path | Stored, sandbox: Sandbox, jobs: int = 1) -> RegradeSummary:
    """Grade every stored response again (``jobs`` at once); rewrite ``samples.jsonl`` atomically.

    Raises:
        BadInputError, SpecError: as ``read_stored``.
    """
    stored = run_dir if isinstance(run_dir, Stored) else read_stored(run_dir)
    todo = stored.todo
    grades = grade_all([(spec, r.get("response") or "") for r, spec in todo], sandbox, jobs)
    changed = 0
    for (record, spec), grade in zip(todo, grades, strict=True):
        new = grade.to_json()
        changed += grade_signature(new) != grade_signature(record.get("grade"))
        record["grade"] = new
        record["graded_spec_sha256"] = spec.sha256
    SampleLog(stored.run_dir).rewrite(stored.records)
    return RegradeSummary(len(todo), changed, len(stored.records) - len(todo))
