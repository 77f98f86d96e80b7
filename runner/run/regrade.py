"""``chorebench regrade DIR``: grade stored responses again, without asking any model.

Used after a spec or grader change. The specs are read from the paths in the manifest as they
are now; each record keeps the hash of the spec it was sampled with (``spec_sha256``) and gets
the hash it was graded with (``graded_spec_sha256``), and the manifest's specs get the hashes
graded against: the report then counts the regraded samples as the current version's, and a
resume finds them done (the sample key does not depend on the spec's content). A record a
stopped run left ungraded is graded here too.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from runner.grade import Sandbox, grade_all
from runner.records import (
    Grade,
    Progress,
    Spec,
    StageStarted,
    UnitDone,
    no_progress,
    sample_label,
)
from runner.rundir import (
    MANIFEST,
    SampleLog,
    SampleRecord,
    read_manifest,
    read_samples,
    write_json_atomic,
)
from runner.spec import load_specs


@dataclass(frozen=True)
class RegradeSummary:
    """How many samples were regraded and how many grades changed."""

    regraded: int
    changed: int
    skipped: int


@dataclass(frozen=True)
class Stored:
    """What ``regrade`` reads of a run directory, checked: the manifest, the specs as they
    are now, the sample records, and which of them to grade again (index, spec)."""

    run_dir: Path
    manifest: dict[str, Any]
    specs: dict[str, Spec]
    records: list[SampleRecord]
    todo: list[tuple[int, Spec]]


def read_stored(run_dir: Path) -> Stored:
    """Read and check what ``regrade`` needs, before any engine is asked for.

    Raises:
        BadInputError: not a run directory, or its manifest or samples file is damaged.
        SpecError: a spec named in the manifest is now invalid.
    """
    manifest = read_manifest(run_dir)
    paths = [Path(s["path"]) for s in manifest.get("specs", [])]
    specs = {spec.id: spec for spec in load_specs(paths)}
    records = read_samples(run_dir)
    todo = [
        (index, specs[record.spec])
        for index, record in enumerate(records)
        if record.spec in specs and record.error is None
    ]
    return Stored(run_dir, manifest, specs, records, todo)


def regrade(
    run_dir: Path | Stored, sandbox: Sandbox, jobs: int = 1, progress: Progress = no_progress
) -> RegradeSummary:
    """Grade every stored response again (``jobs`` at once); rewrite ``samples.jsonl`` atomically.

    ``progress`` hears the ``regrade`` stage start and each grade made.

    Raises:
        BadInputError, SpecError: as ``read_stored`` (given a path).
    """
    stored = run_dir if isinstance(run_dir, Stored) else read_stored(run_dir)
    manifest, specs, todo = stored.manifest, stored.specs, stored.todo
    records = list(stored.records)

    def done(position: int, grade: Grade) -> None:
        record = records[todo[position][0]]
        label = sample_label(record.model, record.spec, record.run)
        progress(UnitDone("regrade", label, f"{grade.points}/{grade.max_points}", grade.elapsed_s))

    progress(StageStarted("regrade", len(todo), unit="stored response"))
    work = [(spec, records[i].response) for i, spec in todo]
    grades = grade_all(work, sandbox, jobs, done)
    changed = 0
    for (index, spec), grade in zip(todo, grades, strict=True):
        old = records[index].grade
        changed += old is None or grade.verdict() != old.verdict()
        records[index] = replace(records[index], grade=grade, graded_spec_sha256=spec.sha256)
    SampleLog(stored.run_dir).rewrite(records)
    for entry in manifest.get("specs", []):
        if entry.get("id") in specs:
            entry["sha256"] = specs[entry["id"]].sha256
    write_json_atomic(stored.run_dir / MANIFEST, manifest)
    return RegradeSummary(len(todo), changed, len(records) - len(todo))
