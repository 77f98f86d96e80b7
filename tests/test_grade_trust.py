"""Which transcripts may earn points: only one from a harness that finished on its own.

Under gVisor a case's process can write to the report channel and kill the harness, so a
transcript cut short may end in forged records. No Docker needed: transcripts are built here.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from fakes import execution, line

from runner.grade import execution_error, read_transcript, score_function, why_untrusted
from runner.records import Execution, Outcome, Spec
from runner.spec import load_spec

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def spec() -> Spec:
    iso = load_spec(ROOT / "specs" / "iso_duration.json")
    return replace(iso, cases=iso.cases[:2])  # minutes_only 300, seconds_only 30


def report_bytes(*values: int, done: bool = True) -> bytes:
    out = line({"kind": "hello", "python": "3.11.2"})
    for case_id, value in zip(["minutes_only", "seconds_only"], values, strict=False):
        record = {"kind": "case", "case": case_id, "status": "returned", "elapsed_s": 0.1}
        out += line(record | {"value": ["int", format(value, "x")]})
    return out + (line({"kind": "done"}) if done else b"")


def grade(spec: Spec, run: Execution) -> list[tuple[str, bool, Outcome]]:
    transcript = read_transcript(run, [case.id for case in spec.cases])
    return [(c.case, c.passed, c.outcome) for c in score_function(spec, transcript, run)]


def test_a_complete_report_of_a_clean_exit_counts(spec: Spec) -> None:
    run = execution(report_bytes(300, 30))
    assert grade(spec, run) == [
        ("minutes_only", True, Outcome.PASSED),
        ("seconds_only", True, Outcome.PASSED),
    ]
    assert why_untrusted(read_transcript(run, ["minutes_only", "seconds_only"]), run) is None


@pytest.mark.parametrize(
    ("changes", "done", "outcome", "reason"),
    [
        pytest.param(
            {"output_capped": True, "exit_code": 137},
            True,
            Outcome.CRASHED,
            "killed: the candidate wrote more output than the limit",
            id="output-cap",
        ),
        pytest.param(
            {"timed_out": True, "exit_code": None},
            True,
            Outcome.TIMEOUT,
            "killed at the host's deadline",
            id="host-deadline",
        ),
        pytest.param(
            {"exit_code": 137},
            False,
            Outcome.CRASHED,
            "the harness stopped before reporting every case",
            id="harness-killed-before-done",
        ),
        pytest.param(
            {"exit_code": 137, "oom_killed": True},
            False,
            Outcome.CRASHED,
            "killed: out of memory",
            id="out-of-memory",
        ),
        pytest.param(
            {"exit_code": 137},
            True,
            Outcome.CRASHED,
            "the harness did not finish normally (exit status 137)",
            id="forged-done-then-harness-killed",
        ),
    ],
)
def test_records_of_a_run_that_did_not_end_normally_earn_nothing(
    spec: Spec, changes: dict[str, Any], done: bool, outcome: Outcome, reason: str
) -> None:
    # The records carry the right values: forged or not, they must not count.
    run = execution(report_bytes(300, 30, done=done), **changes)
    assert grade(spec, run) == [
        ("minutes_only", False, outcome),
        ("seconds_only", False, outcome),
    ]
    transcript = read_transcript(run, ["minutes_only", "seconds_only"])
    assert execution_error(transcript, run) == reason


def test_a_report_cut_after_one_record_earns_nothing(spec: Spec) -> None:
    run = execution(report_bytes(300, done=False), exit_code=137)
    assert [passed for _, passed, _ in grade(spec, run)] == [False, False]


def test_a_protocol_error_wins_over_an_abnormal_end(spec: Spec) -> None:
    run = execution(report_bytes(300, 30) + line({"kind": "done"}), exit_code=137)
    assert {outcome for _, _, outcome in grade(spec, run)} == {Outcome.PROTOCOL_ERROR}
