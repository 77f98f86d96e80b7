"""The host side of the harness protocol: build a job line, read the transcript back, judge it.

``Sandbox`` is what executes a job: one fresh container per job (``runner.sandbox``'s
``DockerSandbox`` is one, structurally). What comes back is the harness's transcript on the
container's stdout, untrusted text. It is accepted only as: a ``hello`` line, then exactly
one ``case`` record per known case id, in job order, then ``done``. Anything else (an unknown
or repeated id, a line that is not a JSON object, a nesting bomb) makes the whole transcript a
protocol error, never a crash and never a pass. Even a well-formed transcript counts only from
an execution that ended on its own (``why_untrusted``).
Within a record, a field outside the caps (``runner.caps``: a number that is NaN, infinite,
huge or negative where a time is due, a value too large) makes that case a ``protocol_error``
or ``too_large``, and the other cases stand. A job line over ``JOB_BYTES`` is never sent
(``oversized_job``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Protocol

from runner.caps import (
    BAD_NUMBER,
    ELAPSED_MAX_S,
    JOB_BYTES,
    REPORT_INT_DIGITS,
    VALUE_DEPTH,
    Refused,
    load_json,
)
from runner.records import Case, Execution, Limits, Observation, Spec
from runner.values import TooLarge, Undecodable, decode

# A record's JSON nesting: the record, its value field, and two levels per level of value.
REPORT_DEPTH = 2 * VALUE_DEPTH + 4

# Batch mode (suites) limits the CPU time of calls; the wall clock only backs that up, at
# WALL_SLACK times the limit plus REPORT_ALLOWANCE_S: a loaded machine must not time out an
# honest candidate (EvalPlus's wall-clock limits do, on its own gold).
WALL_SLACK = 8.0
REPORT_ALLOWANCE_S = 10.0


class Sandbox(Protocol):
    """Executes one job in a fresh container (``runner.sandbox.DockerSandbox``)."""

    def execute(
        self, job: bytes, limits: Limits, cases: int, kind: str = "function"
    ) -> Execution: ...


@dataclass(frozen=True)
class Transcript:
    """The observations a container's harness reported, keyed by case id, and what went wrong."""

    observations: dict[str, Observation] = field(default_factory=dict)
    python: str = ""
    complete: bool = False
    error: str | None = None


def function_job(spec: Spec, code: str) -> bytes:
    """The job line for a function candidate: code and every case's inputs, never expected values.

    A suite spec (``per_group`` scoring) runs in batch mode, its groups in turn, with its
    cases' own limits and the group cap, and stops at the first raise, timeout or crash when
    the spec says so (and no case expects a raise: the harness must not learn which do).
    """
    job: dict[str, Any] = {
        "mode": "function",
        "code": code,
        "entry_point": spec.entry_point,
        "timeout": spec.limits.case_timeout_s,
        "cases": [_case_job(case) for case in spec.cases],
    }
    if spec.scoring == "per_group":
        job["batch"] = True
        job["group_timeout"] = spec.limits.group_timeout_s
        job["wall_slack"] = WALL_SLACK
        job["report_allowance"] = REPORT_ALLOWANCE_S
        job["stop_on_failure"] = spec.stop_at_first_failure and not any(
            case.raises for case in spec.cases
        )
    return json.dumps(job, ensure_ascii=True).encode("ascii") + b"\n"


def _case_job(case: Case) -> dict[str, Any]:
    job: dict[str, Any] = {"id": case.id, "args": list(case.args), "kwargs": dict(case.kwargs)}
    if case.group:
        job["group"] = case.group
    if case.timeout_s is not None:
        job["timeout"] = case.timeout_s
    return job


def pytest_job(
    spec: Spec, files: dict[str, str], test_file: str, compiled: tuple[str, ...] = ()
) -> bytes:
    """The job line for one pytest run: the files to lay out and the test file to run.

    Files named in ``compiled`` are laid out as bytecode only (a sourceless ``.pyc``), so a
    test cannot tell the variants of a module apart by reading or hashing its source text.
    """
    job = {
        "mode": "pytest",
        "timeout": spec.limits.case_timeout_s,
        "files": files,
        "compiled": list(compiled),
        "test_file": test_file,
    }
    return json.dumps(job, ensure_ascii=True).encode("ascii") + b"\n"


def oversized_job(job: bytes) -> str | None:
    """Why a job line may not be sent (the harness reads at most ``JOB_BYTES``), or None.

    Checked on the bytes actually sent, before any container starts: JSON escaping can make a
    job several times the answer's size (a control character costs 6 bytes).
    """
    if len(job) > JOB_BYTES:
        return f"the job is {len(job)} bytes once escaped, over the harness's {JOB_BYTES}"
    return None


def read_transcript(execution: Execution, case_ids: list[str]) -> Transcript:
    """Read the harness's transcript from a container's stdout.

    Records are matched to ``case_ids`` in order; a missing tail (the container died or was
    killed) is reported by ``complete=False`` with the records received so far.
    """
    lines = execution.stdout.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    records: list[dict[str, Any]] = []
    for number, line in enumerate(lines, 1):
        try:
            record = load_json(
                line, depth=REPORT_DEPTH, int_digits=REPORT_INT_DIGITS, bad_number=BAD_NUMBER
            )
        except Refused:
            if number == len(lines) and not execution.stdout.endswith(b"\n"):
                break  # a line cut by a kill: the records before it still count
            return Transcript(error=f"report line {number} is not JSON")
        if type(record) is not dict or type(record.get("kind")) is not str:
            return Transcript(error=f"report line {number} is not a record")
        records.append(record)
    if not records or records[0]["kind"] != "hello":
        return Transcript(error="the harness did not start (no hello line)")
    python = str(records[0].get("python", ""))[:40]
    observations: dict[str, Observation] = {}
    complete = False
    for record in records[1:]:
        if complete or record["kind"] not in ("case", "done"):
            return Transcript(error="unexpected record in the report", python=python)
        if record["kind"] == "done":
            if len(observations) != len(case_ids):
                return Transcript(error="the report ended before every case", python=python)
            complete = True
            continue
        want = case_ids[len(observations)] if len(observations) < len(case_ids) else None
        if want is None or record.get("case") != want:
            return Transcript(
                error="a case record is unknown, repeated or out of order", python=python
            )
        observations[want] = observation(want, record)
    return Transcript(observations, python, complete)


def observation(case_id: str, record: dict[str, Any]) -> Observation:
    """Turn one case record into an Observation; malformed fields become a protocol error."""
    status = record.get("status")
    # The call's CPU time when it is reported (what a suite's limit is on), else its wall time;
    # every time the record carries must be well-formed.
    elapsed = None
    for key in ("cpu_s", "elapsed_s", "wall_s"):
        if key in record:
            seconds = _seconds(record[key])
            if seconds is None:
                return Observation(case_id, "protocol_error", detail="malformed elapsed_s")
            elapsed = seconds if elapsed is None else elapsed
    elapsed = 0.0 if elapsed is None else elapsed
    if status == "returned":
        try:
            return Observation(
                case_id, "returned", value=decode(record.get("value")), elapsed_s=elapsed
            )
        except TooLarge as exc:
            return Observation(case_id, "too_large", detail=str(exc), elapsed_s=elapsed)
        except Undecodable as exc:
            return Observation(case_id, "returned", value_error=str(exc), elapsed_s=elapsed)
    if status == "raised":
        bases = record.get("exc_builtins")
        message = record.get("exc_message")
        if type(bases) is not list or not all(type(b) is str for b in bases):
            return Observation(case_id, "protocol_error", detail="malformed exception record")
        return Observation(
            case_id,
            "raised",
            exc_type=str(record.get("exc_type"))[:200],
            exc_builtins=tuple(bases),
            exc_message=message[:4000] if type(message) is str else None,
            elapsed_s=elapsed,
        )
    if status == "pytest":
        counts = record.get("counts")
        exit_code = record.get("exit_code")
        if type(counts) is not dict or type(exit_code) is not int:
            return Observation(case_id, "protocol_error", detail="malformed pytest record")
        summary = {str(k)[:20]: v for k, v in counts.items() if type(v) is int}
        summary["exit_code"] = exit_code
        return Observation(case_id, "pytest", elapsed_s=elapsed, pytest=summary)
    if status in ("timeout", "crashed", "no_entry", "compile_error", "protocol_error", "not_run"):
        detail = record.get("detail")
        return Observation(case_id, str(status), elapsed_s=elapsed, detail=str(detail or "")[:300])
    return Observation(case_id, "protocol_error", detail="unknown case status")


def _seconds(value: Any) -> float | None:
    """A reported time: 0.0 when it is no number at all, None when it is out of range."""
    if value is BAD_NUMBER:
        return None
    if type(value) not in (int, float):
        return 0.0
    return float(value) if 0 <= value <= ELAPSED_MAX_S else None


def sandbox_facts(execution: Execution, python: str) -> dict[str, object]:
    """What a grade records about where it ran, for reproducibility."""
    return {
        "image": execution.image,
        "image_id": execution.image_id,
        "runtime": execution.runtime,
        "engine": execution.engine,
        "engine_version": execution.engine_version,
        "python": python,
        "exit_code": execution.exit_code,
        "oom_killed": execution.oom_killed,
        "container_s": round(execution.elapsed_s, 4),
    }


def execution_error(transcript: Transcript, execution: Execution) -> str | None:
    """An explanation for the grade's ``error`` field, or None when all went well."""
    return transcript.error or why_untrusted(transcript, execution)


def why_untrusted(transcript: Transcript, execution: Execution) -> str | None:
    """Why no record of this execution may earn points; None when the transcript can be trusted.

    Records count only from a harness that finished on its own: the host did not kill the
    container (deadline, output cap), the transcript is complete (hello, every case, done) and the
    container exited 0. Under gVisor a case's process can write to the report channel and
    kill the harness, so a transcript that was cut short may end in forged records; refusing every
    record of such a run makes forging worth nothing (docs/SECURITY.md).
    """
    if execution.output_capped:
        return "killed: the candidate wrote more output than the limit"
    if execution.timed_out:
        return "killed at the host's deadline"
    if not transcript.complete:
        if execution.oom_killed:
            return "killed: out of memory"
        return "the harness stopped before reporting every case"
    if execution.exit_code != 0:
        return f"the harness did not finish normally (exit status {execution.exit_code})"
    return None
