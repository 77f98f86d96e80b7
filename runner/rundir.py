"""The run directory: the source of truth of a run, written as the run goes.

    manifest.json   settings, specs (ids, paths, hashes), models (digests, sizes), servers,
                    grader image, chorebench version, start/end time, status
    samples.jsonl   one JSON object per finished sample, appended in one write

A killed run loses at most the samples in flight: a torn last line is dropped on resume.
Both files are read as untrusted (a person may have edited or damaged them): standard JSON
within ``runner.caps``, every field chorebench reads of the type it wrote, else a
BadInputError naming the file, the line and the field.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from runner.caps import BadNumber, Refused, load_json
from runner.errors import BadInputError
from runner.records import Sample

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


def _line(record: dict[str, Any]) -> bytes:
    """One samples.jsonl line (ASCII JSON: lone surrogates from a model survive)."""
    return (json.dumps(record, sort_keys=True) + "\n").encode("ascii")


def read_json(path: Path, missing: str, bad_number: BadNumber | None = None) -> Any:
    """A JSON file's content, read as untrusted (``runner.caps.load_json``, ``bad_number``).

    Raises:
        BadInputError: naming the file (``missing`` when it is absent) and what is wrong.
    """
    try:
        return load_json(path.read_bytes(), bad_number=bad_number)
    except FileNotFoundError as exc:
        raise BadInputError(f"{path}: {missing}") from exc
    except OSError as exc:
        raise BadInputError(f"{path}: cannot be read: {exc}") from exc
    except Refused as exc:
        raise BadInputError(f"{path}: /: {exc}") from None


def read_manifest(run_dir: Path) -> dict[str, Any]:
    """The manifest of ``run_dir``; BadInputError when it is not a run directory or damaged."""
    path = run_dir / MANIFEST
    data = read_json(path, f"not a chorebench run directory (no {MANIFEST})")
    problem = _manifest_problem(data)
    if problem:
        raise BadInputError(f"{path}: {problem}; the manifest was damaged or edited")
    return data


# The types of the fields chorebench reads back (None: the field may be null; absent is fine).
_NONE = type(None)
_NUMBER = (int, float)
_MANIFEST_FIELDS = {
    "specs": (list,),
    "models": (dict,),
    "phases": (dict,),
    "servers": (dict,),
    "grader_image": (dict,),
    "starts": (list,),
}
_MANIFEST_SPEC = {"id": (str,), "path": (str,), "family": (str, _NONE)}
_MANIFEST_MODEL = {"size": (*_NUMBER, _NONE)}
_MANIFEST_PHASE = {"hit_at": (*_NUMBER, _NONE)}
_SAMPLE_REQUIRED = {"key": (str,), "model": (str,), "spec": (str,), "run": (int,)}
_SAMPLE_FIELDS = {
    **_SAMPLE_REQUIRED,
    "family": (str, _NONE),
    "phase": (str, _NONE),
    "think": (bool, str, _NONE),
    "temperature": (*_NUMBER, _NONE),
    "response": (str, _NONE),
    "thinking": (str, _NONE),
    "response_sha256": (str, _NONE),
    "wall_s": (*_NUMBER, _NONE),
    "error": (str, _NONE),
    "grade": (dict, _NONE),
}
_GRADE_REQUIRED = {
    "points": (int,),
    "max_points": (int,),
    "compliant": (bool,),
    "checks": (list,),
    "violations": (list,),
}
_GRADE_FIELDS = {**_GRADE_REQUIRED, "error": (str, _NONE)}
_CHECK_FIELDS = {"case": (str,), "passed": (bool,), "points": (int,), "outcome": (str,)}
_VIOLATION_FIELDS = {"rule": (str,), "line": (int, _NONE)}


def _fields_problem(
    data: Any, types: dict[str, tuple[type, ...]], where: str, required: Iterable[str] = ()
) -> str | None:
    """``where/field: reason`` for the first field of ``data`` not of its type, else None."""
    if type(data) is not dict:
        return f"{where or '/'}: not a JSON object"
    for name in required:
        if name not in data:
            return f"{where}/{name}: missing"
    for name, allowed in types.items():
        if name in data and type(data[name]) not in allowed:
            kinds = " or ".join("null" if t is _NONE else t.__name__ for t in allowed)
            return f"{where}/{name}: not {kinds}"
    return None


def _manifest_problem(data: Any) -> str | None:
    problem = _fields_problem(data, _MANIFEST_FIELDS, "")
    for index, spec in enumerate(data.get("specs", []) if not problem else ()):
        where = f"/specs/{index}"
        problem = problem or _fields_problem(spec, _MANIFEST_SPEC, where, ("id", "path"))
    for name, fields in (("models", _MANIFEST_MODEL), ("phases", _MANIFEST_PHASE)):
        for key, value in data.get(name, {}).items() if not problem else ():
            if value is not None or name != "models":  # a model may be null (no metadata)
                problem = problem or _fields_problem(value, fields, f"/{name}/{key}")
    return problem


def sample_problem(record: Any) -> str | None:
    """``/pointer: reason`` for the first field of a record chorebench cannot read back, or None.

    The shape checked is what ``runner.run.recording.sample_record`` and ``Grade.to_json``
    write, as far as chorebench reads it again (reports, resume, regrade).
    """
    problem = _fields_problem(record, _SAMPLE_FIELDS, "", _SAMPLE_REQUIRED)
    grade = None if problem else record.get("grade")
    if grade is None:
        return problem
    problem = _fields_problem(grade, _GRADE_FIELDS, "/grade", _GRADE_REQUIRED)
    for name, fields, required in (
        ("checks", _CHECK_FIELDS, ("case", "passed", "points")),
        ("violations", _VIOLATION_FIELDS, ("rule",)),
    ):
        for index, item in enumerate(grade[name] if not problem else ()):
            problem = problem or _fields_problem(item, fields, f"/grade/{name}/{index}", required)
    return problem


def read_samples(run_dir: Path, repair: bool = False) -> list[dict[str, Any]]:
    """Every complete sample record; a torn last line is ignored (and cut off with ``repair``).

    Raises:
        BadInputError: a line other than the last does not parse (the file was edited).
    """
    path = run_dir / SAMPLES
    if not path.exists():
        return []
    raw = path.read_bytes()
    records: list[dict[str, Any]] = []
    good_length = 0
    for number, line in enumerate(raw.split(b"\n"), 1):
        if not line.strip():
            good_length += len(line) + 1
            continue
        try:
            record = load_json(line)
        except Refused as exc:
            if good_length + len(line) >= len(raw):  # the torn tail of a killed run
                break
            raise BadInputError(f"{path}: line {number}: {exc}; the file was damaged") from None
        problem = sample_problem(record)
        if problem:
            raise BadInputError(f"{path}: line {number}: {problem}; the file was damaged or edited")
        records.append(record)
        good_length += len(line) + 1
    if repair and good_length < len(raw):
        with path.open("r+b") as handle:
            handle.truncate(min(good_length, len(raw)))
    return records


def load_samples(run_dir: Path) -> list[Sample]:
    """The run's samples, the last record of each key (a retried sample replaces its failure).

    Raises:
        BadInputError: as ``read_samples``, or a record lacks the fields a sample must have.
    """
    latest: dict[str, Sample] = {}
    for number, record in enumerate(read_samples(run_dir), 1):
        try:
            latest[record["key"]] = Sample.from_record(record)
        except (KeyError, TypeError, ValueError) as exc:
            raise BadInputError(
                f"{run_dir / SAMPLES}: record {number}: not a chorebench sample ({exc!r})"
            ) from None
    return list(latest.values())


class SampleLog:
    """Appends sample records to ``samples.jsonl`` from any thread, one write() per line.

    A completed write() survives the process being killed (it is in the page cache), which is
    the failure a run must survive; no fsync per sample, which would cost milliseconds.
    """

    def __init__(self, run_dir: Path) -> None:
        run_dir.mkdir(parents=True, exist_ok=True)
        self._path = run_dir / SAMPLES
        self._lock = threading.Lock()

    def append(self, record: dict[str, Any]) -> None:
        with self._lock, self._path.open("ab", buffering=0) as handle:
            handle.write(_line(record))

    def rewrite(self, records: Iterator[dict[str, Any]] | list[dict[str, Any]]) -> None:
        """Replace the whole file atomically (regrade)."""
        with self._lock:
            _replace_atomically(self._path, b"".join(_line(record) for record in records))


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")
