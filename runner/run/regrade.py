"""``chorebench regrade DIR``: grade stored responses again, without asking any model.

Used after a spec or grader change. The specs are read from the paths in the manifest as they
are now; each record keeps the hash of the spec it was sampled with (``spec_sha256``) and gets
the hash it was graded with (``graded_spec_sha256``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from runner.grade import Sandbox, grade_all
from runner.rundir import SampleLog, read_manifest, read_samples
from runner.spec import load_specs


@dataclass(frozen=True)
class RegradeSummary:
    """How many samples were regraded and how many grades changed."""

    regraded: int
    changed: int
    skipped: int


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
        (index, specs[record.spec])
        for index, record in enumerate(records)
        if record.spec in specs and record.error is None
    ]
    grades = grade_all([(spec, records[i].response) for i, spec in todo], sandbox, jobs)
    changed = 0
    for (index, spec), grade in zip(todo, grades, strict=True):
        old = records[index].grade
        changed += old is None or grade.verdict() != old.verdict()
        records[index] = replace(records[index], grade=grade, graded_spec_sha256=spec.sha256)
    SampleLog(run_dir).rewrite(records)
    return RegradeSummary(len(todo), changed, len(records) - len(todo))
