"""The commands that look inside, as library functions returning records: ``show`` (one
sample, whole), ``models`` (what each server serves), ``diff`` (two runs side by side).

Nothing here runs a candidate or asks a model to generate: ``show`` reads the run directory
(and extracts the code again, a pure step), ``models`` only lists, ``diff`` builds both
reports. May import: records, rundir, spec, extract, stats, backends, report.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runner import stats
from runner.backends import make_client
from runner.errors import BackendError, BadInputError
from runner.extract import extract_code
from runner.httpbase import ModelInfo
from runner.records import Extraction, Grade
from runner.report import build_report
from runner.rundir import read_manifest, read_samples
from runner.tables import VarianceRow

LIST_TIMEOUT_S = 10.0  # listing models is quick; a server that takes longer is reported


@dataclass(frozen=True)
class SampleView:
    """One sample as stored, with its code extracted again and its grade read back."""

    run_dir: Path
    record: dict[str, Any]
    extraction: Extraction
    grade: Grade | None


def find_sample(
    run_dir: Path,
    key: str | None = None,
    model: str | None = None,
    spec: str | None = None,
    run: int | None = None,
    phase: str | None = None,
) -> SampleView:
    """The sample of ``run_dir`` named by its key (or a unique prefix of it), or by model,
    spec, run and phase (those given must single one out).

    Raises:
        BadInputError: not a run directory, or no sample or several match (the message lists
            them with their keys).
    """
    read_manifest(run_dir)
    latest: dict[str, dict[str, Any]] = {}
    for record in read_samples(run_dir):
        latest[str(record.get("key"))] = record  # a retried sample: the last record counts
    records = list(latest.values())
    if key:
        found = [r for r in records if str(r.get("key", "")).startswith(key)]
    else:
        found = [
            r
            for r in records
            if (model is None or r.get("model") == model)
            and (spec is None or r.get("spec") == spec)
            and (run is None or r.get("run") == run)
            and (phase is None or (r.get("phase") or "runs") == phase)
        ]
    if len(found) != 1:
        asked = key or " ".join(
            f"--{name} {value}"
            for name, value in (("model", model), ("spec", spec), ("run", run), ("phase", phase))
            if value is not None
        )
        if not found:
            raise BadInputError(f"{run_dir}: no sample matches {asked or 'nothing'}")
        listed = "\n".join(
            f"  {r.get('key')}  {r.get('model')} {r.get('spec')} {r.get('phase') or 'runs'} "
            f"run {r.get('run')}"
            for r in found[:12]
        )
        more = f"\n  ... and {len(found) - 12} more" if len(found) > 12 else ""
        raise BadInputError(
            f"{run_dir}: {len(found)} samples match {asked or 'nothing'}; name one by its key "
            f"or add --model, --spec, --run, --phase:\n{listed}{more}"
        )
    record = found[0]
    grade = Grade.from_json(record["grade"]) if record.get("grade") else None
    return SampleView(run_dir, record, extract_code(record.get("response") or ""), grade)


@dataclass(frozen=True)
class HostModels:
    """What one server lists, or why it could not be asked."""

    host: str
    backend: str
    version: str | None
    models: tuple[ModelInfo, ...]
    error: str | None = None


def list_models(hosts: Sequence[str], api_key: str | None = None) -> list[HostModels]:
    """Ask each host for its version and models (nothing is loaded or generated).

    A host that does not answer is reported in its ``error``, not raised.

    Raises:
        BadInputError: a host string is malformed.
    """
    found = []
    for host in hosts:
        client = make_client(host, LIST_TIMEOUT_S, 0, 0.0, api_key)
        try:
            version = client.version()
            models = tuple(sorted(client.models().values(), key=lambda m: m.name))
            found.append(HostModels(host, client.backend, version, models))
        except BackendError as exc:
            found.append(HostModels(host, client.backend, None, (), str(exc)))
        finally:
            client.close()
    return found


@dataclass(frozen=True)
class DiffRow:
    """One model on one spec in two runs: each run's variance row and what the data say."""

    model: str
    spec: str
    a: VarianceRow | None
    b: VarianceRow | None
    verdict: str
    spec_changed: bool = False


def diff_runs(run_a: Path, run_b: Path) -> list[DiffRow]:
    """Per model and spec of the repeated runs: both means with their intervals, and whether
    the intervals support a difference (they do not overlap) or not.

    Raises:
        BadInputError: either directory is not a run directory, or is damaged.
    """
    report_a, report_b = build_report(run_a), build_report(run_b)
    rows_a = {(r.model, r.spec): r for r in report_a.variance}
    rows_b = {(r.model, r.spec): r for r in report_b.variance}
    hashes_a = {s["id"]: s.get("sha256") for s in report_a.manifest.get("specs", [])}
    hashes_b = {s["id"]: s.get("sha256") for s in report_b.manifest.get("specs", [])}
    keys = list(dict.fromkeys([*rows_a, *rows_b]))
    diffs = []
    for model, spec in keys:
        a, b = rows_a.get((model, spec)), rows_b.get((model, spec))
        changed = spec in hashes_a and spec in hashes_b and hashes_a[spec] != hashes_b[spec]
        diffs.append(DiffRow(model, spec, a, b, _verdict(a, b), changed))
    return diffs


def _verdict(a: VarianceRow | None, b: VarianceRow | None) -> str:
    if a is None:
        return "only in B"
    if b is None:
        return "only in A"
    if a.ci_low is None or b.ci_low is None:
        return "single run: no interval, no verdict"
    if a.mean == b.mean:
        return "same mean"
    if not stats.intervals_overlap(a, b):
        higher = "B" if b.mean > a.mean else "A"
        return f"{higher} higher: the intervals do not overlap"
    return "the intervals overlap: no difference shown"
