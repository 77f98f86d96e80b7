"""The run directory: the source of truth of a run, written as the run goes.

    manifest.json   settings, specs (ids, paths, hashes), models (digests, sizes), servers,
                    grader image, chorebench version, start/end time, status
    samples.jsonl   one ``SampleRecord`` per finished sample, appended in one write

A sample is written and read by the same code (``SampleRecord.to_json``/``from_json``), so a
record read back is the record written; keys this version does not know are kept. A killed
run loses at most the samples in flight: a torn last line is dropped on resume.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from runner.errors import BadInputError
from runner.records import Grade, Scored

MANIFEST = "manifest.json"
SAMPLES = "samples.jsonl"


def _replace_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename: never half-written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(fd, 0o644)  # mkstemp's 0600 would keep a shared report from its readers
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON to ``path`` atomically (indented, sorted keys)."""
    _replace_atomically(path, (json.dumps(data, indent=2, sort_keys=True) + "\n").encode())


def write_text_atomic(path: Path, text: str) -> None:
    """Write UTF-8 text to ``path`` atomically."""
    _replace_atomically(path, text.encode("utf-8"))


def _line(record: SampleRecord) -> bytes:
    """One samples.jsonl line (ASCII JSON: lone surrogates from a model survive)."""
    return (json.dumps(record.to_json(), sort_keys=True) + "\n").encode("ascii")


@dataclass(frozen=True)
class SampleRecord(Scored):
    """One sample of a run: what was asked, what came back, and its grade; one line on disk.

    ``run`` is the sample's index in its ``phase`` (``runs`` or ``best_of``). ``error`` is
    set when no answer came (the server failed); the grade then is None. A grade whose sandbox
    failed is kept but not ``counted``: an infrastructure failure is never the candidate's.
    ``graded_spec_sha256`` is written by regrade only.
    """

    key: str
    model: str
    spec: str
    family: str
    phase: str
    run: int
    spec_sha256: str | None = None
    temperature: float | None = None
    seed: int | None = None
    num_predict: int | None = None
    think: bool | str | None = None
    host: str | None = None
    backend: str | None = None
    response: str = ""
    thinking: str = ""
    response_sha256: str = ""
    done_reason: str | None = None
    eval_count: int | None = None
    prompt_eval_count: int | None = None
    total_duration_ns: int | None = None
    load_duration_ns: int | None = None
    eval_duration_ns: int | None = None
    wall_s: float | None = None
    attempts: int | None = None
    thinking_trap: bool = False
    out_of_budget: bool = False
    error: str | None = None
    grade: Grade | None = None
    recorded_at: str | None = None
    graded_spec_sha256: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # keys of another version, kept

    def to_json(self) -> dict[str, Any]:
        """The samples.jsonl object (``graded_spec_sha256`` only once regraded)."""
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "extra"}
        data["grade"] = self.grade.to_json() if self.grade else None
        if self.graded_spec_sha256 is None:
            del data["graded_spec_sha256"]
        return {**self.extra, **data}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SampleRecord:
        """The record ``to_json`` wrote, or one of an older chorebench (absent keys default).

        Raises:
            KeyError, TypeError, ValueError: ``data`` is not a sample record.
        """
        known = {f.name for f in fields(cls)} - {"extra"}
        values = {k: v for k, v in data.items() if k in known}
        grade = data.get("grade")
        values.update(
            key=str(data["key"]),
            model=str(data["model"]),
            spec=str(data["spec"]),
            family=data.get("family") or str(data["spec"]),
            phase=data.get("phase") or "runs",
            run=int(data["run"]),
            response=data.get("response") or "",
            thinking=data.get("thinking") or "",
            response_sha256=data.get("response_sha256") or "",
            thinking_trap=bool(data.get("thinking_trap")),
            out_of_budget=bool(data.get("out_of_budget")),
            grade=Grade.from_json(grade) if grade else None,
        )
        return cls(**values, extra={k: v for k, v in data.items() if k not in known})

    @property
    def counted(self) -> bool:
        """There is a grade, and the sandbox did not fail making it."""
        return self.grade is not None and not self.grade.infra_failed

    @property
    def points(self) -> int:  # type: ignore[override]
        return self.grade.points if self.grade else 0

    @property
    def max_points(self) -> int:  # type: ignore[override]
        return self.grade.max_points if self.grade else 0

    @property
    def compliant(self) -> bool:  # type: ignore[override]
        return self.grade.compliant if self.grade else False

    @property
    def violation_rules(self) -> tuple[str, ...]:
        """The rules the response broke (``fences``, ``prose``, ...)."""
        return tuple(v.rule for v in self.grade.violations) if self.grade else ()

    @property
    def response_bytes(self) -> int:
        return len(self.response.encode("utf-8", "surrogatepass"))

    @property
    def thinking_bytes(self) -> int:
        return len(self.thinking.encode("utf-8", "surrogatepass"))


def read_json(path: Path, missing: str) -> Any:
    """A JSON file's content; BadInputError naming the file (``missing`` when it is absent)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise BadInputError(f"{path}: {missing}") from exc
    except (OSError, ValueError) as exc:
        raise BadInputError(f"{path}: /: not valid JSON: {exc}") from exc


def read_manifest(run_dir: Path) -> dict[str, Any]:
    """The manifest of ``run_dir``; BadInputError when it is not a run directory."""
    path = run_dir / MANIFEST
    data = read_json(path, f"not a chorebench run directory (no {MANIFEST})")
    if not isinstance(data, dict):
        raise BadInputError(f"{path}: /: the manifest is not a JSON object")
    return data


def read_samples(run_dir: Path, repair: bool = False) -> list[SampleRecord]:
    """Every complete sample record; a torn last line is ignored (and cut off with ``repair``).

    Raises:
        BadInputError: a line other than the last does not parse (the file was edited), or a
            record lacks the fields a sample must have.
    """
    path = run_dir / SAMPLES
    if not path.exists():
        return []
    raw = path.read_bytes()
    records: list[SampleRecord] = []
    good_length = 0
    for number, line in enumerate(raw.split(b"\n"), 1):
        if not line.strip():
            good_length += len(line) + 1
            continue
        try:
            data = json.loads(line)
        except ValueError:
            if good_length + len(line) >= len(raw):  # the torn tail of a killed run
                break
            raise BadInputError(f"{path}: line {number}: not JSON; the file was damaged") from None
        try:
            records.append(SampleRecord.from_json(data))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise BadInputError(
                f"{path}: record {len(records) + 1}: not a chorebench sample ({exc!r})"
            ) from None
        good_length += len(line) + 1
    if repair and good_length < len(raw):
        with path.open("r+b") as handle:
            handle.truncate(min(good_length, len(raw)))
    return records


def load_samples(run_dir: Path) -> list[SampleRecord]:
    """The run's samples, the last record of each key (a retried sample replaces its failure).

    Raises:
        BadInputError: as ``read_samples``.
    """
    return list({record.key: record for record in read_samples(run_dir)}.values())


class SampleLog:
    """Appends sample records to ``samples.jsonl`` from any thread, one write() per line.

    A completed write() survives the process being killed (it is in the page cache), which is
    the failure a run must survive; no fsync per sample, which would cost milliseconds.
    """

    def __init__(self, run_dir: Path) -> None:
        run_dir.mkdir(parents=True, exist_ok=True)
        self._path = run_dir / SAMPLES
        self._lock = threading.Lock()

    def append(self, record: SampleRecord) -> None:
        with self._lock, self._path.open("ab", buffering=0) as handle:
            handle.write(_line(record))

    def rewrite(self, records: Iterable[SampleRecord]) -> None:
        """Replace the whole file atomically (regrade)."""
        with self._lock:
            _replace_atomically(self._path, b"".join(_line(record) for record in records))


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")
