"""The run directory: the source of truth of a run, written as the run goes.

    manifest.json   settings, specs (ids, paths, hashes), models (digests, sizes), servers,
                    grader image, chorebench version, start/end time, status, the runner's
                    pid and host
    samples.jsonl   one ``SampleRecord`` per finished sample, appended in one write
    floors.json     each spec's floor (the best trivial answer's points), by spec hash
    ../latest       runs/latest: a link to the run directory written last

A sample is written and read by the same code (``SampleRecord.to_json``/``from_json``), so a
record read back is the record written; keys this version does not know are kept. A killed
run loses at most the samples in flight: a torn last line is dropped on resume.
Both files are read as untrusted (a person may have edited or damaged them): standard JSON
within ``runner.caps``, every field chorebench reads of the type it wrote, else a
BadInputError naming the file, the line and the field.
"""

from __future__ import annotations

import json
import os
import socket
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from runner.caps import BadNumber, Refused, load_json
from runner.errors import BadInputError
from runner.records import Floor, Grade, Scored

MANIFEST = "manifest.json"
SAMPLES = "samples.jsonl"
FLOORS = "floors.json"
LATEST = "latest"  # runs/latest: a symlink to the run directory written last


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


def check_out(out: Path, source: str = "--out") -> None:
    """Refuse, before anything starts, a run directory that cannot be made at ``out``.

    Raises:
        BadInputError: a part of the path is a file, or the nearest existing folder cannot be
            written; one line naming ``source`` and what to do.
    """
    existing = next(path for path in (out, *out.parents) if path.exists() or path == path.parent)
    if not existing.is_dir():
        problem = "is not a folder" if existing == out else f"is under {existing}, a file"
        raise BadInputError(f"{source} {out}: {problem}; choose another {source}")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise BadInputError(
            f"{source} {out}: {existing} is not writable by this user; choose another {source}"
        )


def make_run_dir(out: Path, source: str = "--out") -> None:
    """Create the run directory (and its parents) when missing.

    Raises:
        BadInputError: it cannot be created (a file in the way, a read-only or special file
            system such as /proc); one line naming ``source``.
    """
    check_out(out, source)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BadInputError(
            f"{source} {out}: cannot create it ({exc.strerror}); choose another {source}"
        ) from None


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
    def graded_version(self) -> str:
        """The content hash of the spec the grade was made against: ``graded_spec_sha256``
        once regraded, else the one it was sampled with."""
        return self.graded_spec_sha256 or self.spec_sha256 or ""

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
# ``run`` may be text in a record of an older chorebench ("1"): ``SampleRecord`` reads it.
_SAMPLE_REQUIRED = {"key": (str,), "model": (str,), "spec": (str,), "run": (int, str)}
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
    for name, types in (("models", _MANIFEST_MODEL), ("phases", _MANIFEST_PHASE)):
        for key, value in data.get(name, {}).items() if not problem else ():
            if value is not None or name != "models":  # a model may be null (no metadata)
                problem = problem or _fields_problem(value, types, f"/{name}/{key}")
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
    for name, types, required in (
        ("checks", _CHECK_FIELDS, ("case", "passed", "points")),
        ("violations", _VIOLATION_FIELDS, ("rule",)),
    ):
        for index, item in enumerate(grade[name] if not problem else ()):
            problem = problem or _fields_problem(item, types, f"/grade/{name}/{index}", required)
    return problem


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
            data = load_json(line)
        except Refused as exc:
            if good_length + len(line) >= len(raw):  # the torn tail of a killed run
                break
            raise BadInputError(f"{path}: line {number}: {exc}; the file was damaged") from None
        problem = sample_problem(data)
        if problem:
            raise BadInputError(f"{path}: line {number}: {problem}; the file was damaged or edited")
        try:
            records.append(SampleRecord.from_json(data))
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:
            raise BadInputError(
                f"{path}: line {number}: not a chorebench sample ({exc!r})"
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


def read_floors(run_dir: Path) -> dict[str, Floor]:
    """The floors recorded in ``run_dir`` by spec id; empty when none were.

    Raises:
        BadInputError: ``floors.json`` is there but damaged.
    """
    path = run_dir / FLOORS
    if not path.exists():
        return {}
    data = read_json(path, "missing")
    try:
        floors = [Floor(**entry) for entry in data]
    except TypeError as exc:
        raise BadInputError(
            f"{path}: damaged ({exc}); delete it and rerun the same command to measure again"
        ) from exc
    return {floor.spec: floor for floor in floors}


def write_floors(run_dir: Path, floors: Iterable[Floor]) -> None:
    """Replace ``floors.json`` with ``floors``."""
    write_json_atomic(run_dir / FLOORS, [asdict(floor) for floor in floors])


def mark_latest(run_dir: Path, runs_dir: Path) -> Path | None:
    """Point ``runs_dir/latest`` at ``run_dir`` when it lies directly in ``runs_dir``.

    Returns the link, or None when ``run_dir`` is elsewhere (``--out /tmp/x`` makes no
    link in /tmp) or a real ``latest`` directory is in the way.
    """
    target = run_dir.resolve()
    if run_dir.name == LATEST or target.parent != runs_dir.resolve():
        return None
    link = runs_dir / LATEST
    staged = runs_dir / f".{LATEST}.{os.getpid()}.{threading.get_ident()}"
    try:
        staged.unlink(missing_ok=True)
        staged.symlink_to(target.name, target_is_directory=True)
        os.replace(staged, link)  # atomic: a reader sees the old run or the new one
    except OSError:
        staged.unlink(missing_ok=True)
        return None
    return link


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def sample_state(record: SampleRecord | None, spec_sha256: str) -> str:
    """Where a sample stands, from its latest record and its spec's current content hash.

    ``done``: graded (or regraded) against the current content. ``ungraded``: a response to
    the current content, stored by a run that stopped before grading it. ``todo``: no record,
    a failure, or a sample of an older version of the spec (sampled again on resume).
    """
    if record is None or record.error is not None:
        return "todo"
    if record.grade is not None and record.graded_version == spec_sha256:
        return "done"
    if record.grade is None and record.spec_sha256 == spec_sha256:
        return "ungraded"
    return "todo"


def status_of(manifest: dict[str, Any]) -> str:
    """The manifest's status, saying so when a ``running`` run's process is gone.

    The runner's pid is checked only on the machine that ran it (the same host name).
    """
    status = str(manifest.get("status"))
    runner = manifest.get("runner") or {}
    pid = runner.get("pid")
    here = runner.get("host") == socket.gethostname()
    if status != "running" or not isinstance(pid, int) or not here:
        return status
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return "running (no such process: killed?)"
    except PermissionError:
        pass  # another user's process: alive
    return status
