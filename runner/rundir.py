"""The run directory: the source of truth of a run, written as the run goes.

    manifest.json   settings, specs (ids, paths, hashes), models (digests, sizes), servers,
                    grader image, chorebench version, start/end time, status
    samples.jsonl   one JSON object per finished sample, appended in one write

A killed run loses at most the samples in flight: a torn last line is dropped on resume.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

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
            record = json.loads(line)
        except ValueError:
            if good_length + len(line) >= len(raw):  # the torn tail of a killed run
                break
            raise BadInputError(f"{path}: line {number}: not JSON; the file was damaged") from None
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
