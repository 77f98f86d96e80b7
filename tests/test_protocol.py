"""Tests of runner.grade.protocol: the job line, and reading an untrusted transcript back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fakes import DONE, PYTHON, case, execution, hello, line

from runner.grade import Transcript, function_job, observation, pytest_job, read_transcript
from runner.records import Observation, Spec
from runner.spec import load_spec

ROOT = Path(__file__).resolve().parent.parent
ISO_PATH = ROOT / "specs" / "iso_duration.json"
FLATTEN_PATH = ROOT / "specs" / "flatten_dict.json"
CANDIDATE = "def parse_iso_duration(s):\n    return 0\n"
IDS = ["a", "b", "c"]
PY = PYTHON


@pytest.fixture(scope="module")
def iso() -> Spec:
    return load_spec(ISO_PATH)


def returned(case_id: str, value: int = 1) -> Observation:
    return Observation(case_id, "returned", value=value, elapsed_s=0.25)


# --- function_job ----------------------------------------------------------------------------


def test_function_job_is_one_ascii_json_line(iso: Spec) -> None:
    job = function_job(iso, CANDIDATE)
    assert job.endswith(b"\n")
    assert job.count(b"\n") == 1
    assert job.isascii()


def test_function_job_holds_code_entry_point_timeout_and_inputs(iso: Spec) -> None:
    raw = json.loads(ISO_PATH.read_text(encoding="utf-8"))
    job = json.loads(function_job(iso, CANDIDATE))
    assert job == {
        "mode": "function",
        "code": CANDIDATE,
        "entry_point": "parse_iso_duration",
        "timeout": 2,
        "cases": [{"id": c["id"], "args": c["args"], "kwargs": {}} for c in raw["cases"]],
    }
    assert len(job["cases"]) == 14
    assert job["cases"][4] == {"id": "all_three", "args": ["'PT2H3M4S'"], "kwargs": {}}


def test_function_job_carries_kwargs() -> None:
    flatten = load_spec(FLATTEN_PATH)
    job = json.loads(function_job(flatten, "def flatten(d, sep='.'):\n    return d\n"))
    assert job["entry_point"] == "flatten"
    assert job["cases"][1] == {
        "id": "custom_sep_keyword",
        "args": ["{'a': {'b': 1}}"],
        "kwargs": {"sep": "'_'"},
    }
    assert job["cases"][2] == {
        "id": "custom_sep_positional",
        "args": ["{'x': {'y': {'z': 0}}}", "'/'"],
        "kwargs": {},
    }


def test_function_job_escapes_non_ascii_code(iso: Spec) -> None:
    code = "def parse_iso_duration(s):\n    return len('héllo\u2028\ud800')\n"
    job = function_job(iso, code)
    assert job.isascii()
    assert job.count(b"\n") == 1
    assert json.loads(job)["code"] == code


@pytest.mark.parametrize(
    "secret",
    ["invalid ISO duration", "^invalid", "7384", "5400", "3600", "ValueError", "raises", "match"],
)
def test_function_job_never_holds_expected_values_or_regexes(iso: Spec, secret: str) -> None:
    spec_text = ISO_PATH.read_text(encoding="utf-8")
    hidden = [c.expected for c in iso.cases] + [c.raises.match for c in iso.cases if c.raises]
    assert secret in spec_text
    job = function_job(iso, CANDIDATE).decode("ascii")
    assert secret not in job
    assert secret not in json.loads(job)["code"]
    if secret in ("7384", "5400", "3600"):
        assert secret in hidden
    if secret == "invalid ISO duration":
        assert f"^{secret}: " in hidden


def test_pytest_job_names_the_files_laid_out_as_bytecode_only() -> None:
    from runner.grade import TEST_FILE, layout, module_file

    cache = load_spec(ROOT / "specs" / "cache_reset_test.json")
    assert cache.module is not None
    files = layout(cache.module.import_path, cache.module.reference, "def test_x(): pass\n")
    compiled = (module_file(cache.module.import_path),)
    job = json.loads(pytest_job(cache, files, TEST_FILE, compiled))
    assert job == {
        "mode": "pytest",
        "timeout": 20,
        "files": {
            "src/__init__.py": "",
            "src/main_improved.py": cache.module.reference,
            "test_chore.py": "def test_x(): pass\n",
        },
        "compiled": ["src/main_improved.py"],
        "test_file": "test_chore.py",
    }


# --- read_transcript: good transcripts ------------------------------------------------------------


def test_read_transcript_good_transcript(iso: Spec) -> None:
    ids = [c.id for c in iso.cases]
    stdout = hello() + b"".join(case(cid, n) for n, cid in enumerate(ids)) + DONE
    transcript = read_transcript(execution(stdout), ids)
    assert transcript == Transcript(
        observations={cid: returned(cid, n) for n, cid in enumerate(ids)},
        python=PY,
        complete=True,
        error=None,
    )
    assert list(transcript.observations) == ids


def test_read_transcript_keeps_at_most_40_characters_of_python_version() -> None:
    transcript = read_transcript(execution(hello("3" * 100) + DONE), [])
    assert transcript == Transcript(observations={}, python="3" * 40, complete=True)


def test_read_transcript_missing_tail_is_incomplete_with_earlier_observations() -> None:
    transcript = read_transcript(execution(hello() + case("a", 1) + case("b", 2)), IDS)
    assert transcript == Transcript(
        observations={"a": returned("a", 1), "b": returned("b", 2)},
        python=PY,
        complete=False,
        error=None,
    )


def test_read_transcript_hello_only_is_incomplete_and_empty() -> None:
    assert read_transcript(execution(hello()), IDS) == Transcript(python=PY, complete=False)


def test_read_transcript_drops_a_final_line_cut_by_a_kill() -> None:
    cut = case("b", 2)[:30]
    assert not cut.endswith(b"\n")
    transcript = read_transcript(execution(hello() + case("a", 1) + cut), IDS)
    assert transcript == Transcript(
        observations={"a": returned("a", 1)}, python=PY, complete=False, error=None
    )


def test_read_transcript_a_cut_line_followed_by_a_newline_is_an_error() -> None:
    cut = case("b", 2)[:30] + b"\n"
    transcript = read_transcript(execution(hello() + case("a", 1) + cut), IDS)
    assert transcript == Transcript(error="report line 3 is not JSON")


# --- read_transcript: bad transcripts -------------------------------------------------------------

NOT_STARTED = "the harness did not start (no hello line)"
BAD_CASE = "a case record is unknown, repeated or out of order"
UNEXPECTED = "unexpected record in the report"
EARLY_DONE = "the report ended before every case"


@pytest.mark.parametrize(
    ("stdout", "error", "python"),
    [
        pytest.param(b"", NOT_STARTED, "", id="empty"),
        pytest.param(case("a") + case("b") + case("c") + DONE, NOT_STARTED, "", id="no-hello"),
        pytest.param(line({"kind": "done"}), NOT_STARTED, "", id="done-only"),
        pytest.param(
            hello() + case("a") + case("a") + case("b") + case("c") + DONE,
            BAD_CASE,
            PY,
            id="repeated-id",
        ),
        pytest.param(hello() + case("a") + case("z") + DONE, BAD_CASE, PY, id="unknown-id"),
        pytest.param(
            hello() + case("b") + case("a") + case("c") + DONE, BAD_CASE, PY, id="out-of-order"
        ),
        pytest.param(
            hello() + case("a") + case("c") + case("b") + DONE, BAD_CASE, PY, id="swapped-tail"
        ),
        pytest.param(
            hello()
            + line({"kind": "case", "case": "c", "status": "returned", "value": ["int", "1"]})
            + case("a")
            + case("b")
            + case("c")
            + DONE,
            BAD_CASE,
            PY,
            id="fake-record-wrong-order",
        ),
        pytest.param(
            hello() + case("a") + line({"kind": "case", "case": 2}) + DONE,
            BAD_CASE,
            PY,
            id="id-not-a-string",
        ),
        pytest.param(
            hello() + case("a") + b"Traceback (most recent call last):\n" + case("b") + DONE,
            "report line 3 is not JSON",
            "",
            id="non-json-line",
        ),
        pytest.param(
            hello() + b"\n" + case("a") + case("b") + case("c") + DONE,
            "report line 2 is not JSON",
            "",
            id="blank-line",
        ),
        pytest.param(
            hello() + b'{"kind": "case", "case": "a", \xff}\n' + DONE,
            "report line 2 is not JSON",
            "",
            id="invalid-utf8",
        ),
        pytest.param(
            hello() + line([{"kind": "case", "case": "a"}]) + DONE,
            "report line 2 is not a record",
            "",
            id="json-array",
        ),
        pytest.param(
            hello() + line("case") + DONE, "report line 2 is not a record", "", id="json-string"
        ),
        pytest.param(
            hello() + line({"case": "a"}) + DONE,
            "report line 2 is not a record",
            "",
            id="no-kind",
        ),
        pytest.param(
            hello() + line({"kind": 1}) + DONE,
            "report line 2 is not a record",
            "",
            id="kind-not-a-string",
        ),
        pytest.param(
            hello() + b"[" * 100_000 + b"\n" + case("a") + DONE,
            "report line 2 is not JSON",
            "",
            id="nesting-bomb-open",
        ),
        pytest.param(
            hello() + b"[" * 100_000 + b"]" * 100_000 + b"\n" + DONE,
            "report line 2 is not JSON",
            "",
            id="nesting-bomb-balanced",
        ),
        pytest.param(
            hello() + b'{"kind": "case", "x": ' + b"[" * 100_000 + b"\n" + DONE,
            "report line 2 is not JSON",
            "",
            id="nesting-bomb-in-record",
        ),
        pytest.param(
            hello() + case("a") + case("b") + case("c") + DONE + case("a"),
            UNEXPECTED,
            PY,
            id="case-after-done",
        ),
        pytest.param(
            hello() + case("a") + case("b") + case("c") + DONE + hello(),
            UNEXPECTED,
            PY,
            id="hello-after-done",
        ),
        pytest.param(hello() + case("a") + hello() + case("b"), UNEXPECTED, PY, id="second-hello"),
        pytest.param(
            hello() + case("a") + line({"kind": "log", "text": "hi"}) + case("b"),
            UNEXPECTED,
            PY,
            id="unknown-kind",
        ),
        pytest.param(hello() + case("a") + DONE, EARLY_DONE, PY, id="done-before-all-cases"),
        pytest.param(hello() + DONE, EARLY_DONE, PY, id="done-without-cases"),
        pytest.param(
            hello() + case("a") + DONE + case("b") + case("c") + DONE,
            EARLY_DONE,
            PY,
            id="done-in-the-middle",
        ),
    ],
)
def test_read_transcript_rejects_malformed_ones(stdout: bytes, error: str, python: str) -> None:
    transcript = read_transcript(execution(stdout), IDS)
    assert transcript == Transcript(observations={}, python=python, complete=False, error=error)


@pytest.mark.parametrize(
    "extra",
    [
        {"kind": "case", "status": "returned", "value": ["int", "2"]},
        {"kind": "case", "case": None, "status": "returned", "value": ["int", "2"]},
    ],
)
def test_read_transcript_rejects_a_case_record_beyond_the_known_ids(extra: dict[str, Any]) -> None:
    transcript = read_transcript(
        execution(hello() + case("a") + case("b") + case("c") + line(extra)), IDS
    )
    assert transcript == Transcript(observations={}, python=PY, complete=False, error=BAD_CASE)


def test_read_transcript_rejects_a_second_done() -> None:
    transcript = read_transcript(
        execution(hello() + case("a") + case("b") + case("c") + DONE + DONE), IDS
    )
    assert transcript == Transcript(observations={}, python=PY, complete=False, error=UNEXPECTED)


# --- observation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (["int", "-1f"], -31),
        (["none"], None),
        (["tuple", [["int", "1"], ["str", "a"]]], (1, "a")),
        (["dict", [[["str", "k"], ["list", [["bool", True]]]]]], {"k": [True]}),
        (["float", "-0x1.8p+1"], -3.0),
    ],
)
def test_observation_returned_value_is_decoded(value: Any, expected: Any) -> None:
    obs = observation("c1", {"status": "returned", "elapsed_s": 0.5, "value": value})
    assert obs == Observation("c1", "returned", value=expected, elapsed_s=0.5)
    assert type(obs.value) is type(expected)


@pytest.mark.parametrize(
    ("value", "value_error"),
    [
        (
            ["unsupported", "pkg.Widget"],
            "returned an object of type pkg.Widget, not a built-in value",
        ),
        (["int", "zz"], "malformed int value"),
        (None, "malformed value"),
        (["nope"], "unknown tag 'nope'"),
    ],
)
def test_observation_undecodable_value_is_a_value_error(value: Any, value_error: str) -> None:
    record: dict[str, Any] = {"status": "returned", "elapsed_s": 0.5}
    if value is not None:
        record["value"] = value
    assert observation("c1", record) == Observation(
        "c1", "returned", value=None, value_error=value_error, elapsed_s=0.5
    )


def test_observation_of_a_value_the_harness_could_not_carry_is_too_large() -> None:
    record = {"status": "returned", "elapsed_s": 0.5, "value": ["too_large", "int too large"]}
    assert observation("c1", record) == Observation(
        "c1",
        "too_large",
        detail="returned a value too large to carry (int too large)",
        elapsed_s=0.5,
    )


@pytest.mark.parametrize(
    ("record", "elapsed"),
    [
        ({"elapsed_s": 1.5}, 1.5),
        ({"elapsed_s": 2}, 2.0),
        ({"wall_s": 0.75}, 0.75),
        ({"elapsed_s": 0.5, "wall_s": 9.0}, 0.5),
        ({"elapsed_s": "1.5"}, 0.0),
        ({"elapsed_s": True}, 0.0),
        ({"elapsed_s": None}, 0.0),
        ({}, 0.0),
    ],
)
def test_observation_elapsed_is_a_number_or_zero(record: dict[str, Any], elapsed: float) -> None:
    obs = observation("c1", {"status": "returned", "value": ["none"], **record})
    assert obs.elapsed_s == elapsed
    assert type(obs.elapsed_s) is float


def test_observation_raised_with_builtins() -> None:
    record = {
        "status": "raised",
        "elapsed_s": 0.01,
        "exc_type": "candidate.MyError",
        "exc_builtins": ["ValueError", "Exception", "BaseException"],
        "exc_message": "invalid ISO duration: PT",
    }
    assert observation("bare_pt", record) == Observation(
        "bare_pt",
        "raised",
        exc_type="candidate.MyError",
        exc_builtins=("ValueError", "Exception", "BaseException"),
        exc_message="invalid ISO duration: PT",
        elapsed_s=0.01,
    )


def test_observation_raised_with_unobservable_message_and_empty_builtins() -> None:
    record = {"status": "raised", "exc_type": "X", "exc_builtins": [], "exc_message": ["a"]}
    assert observation("c1", record) == Observation(
        "c1", "raised", exc_type="X", exc_builtins=(), exc_message=None
    )


def test_observation_raised_caps_message_and_type_lengths() -> None:
    record = {
        "status": "raised",
        "exc_type": "T" * 500,
        "exc_builtins": ["ValueError"],
        "exc_message": "m" * 5000,
    }
    obs = observation("c1", record)
    assert obs.exc_type == "T" * 200
    assert obs.exc_message == "m" * 4000


@pytest.mark.parametrize(
    "bases",
    [
        pytest.param(None, id="missing"),
        pytest.param("ValueError", id="string"),
        pytest.param({"ValueError": True}, id="object"),
        pytest.param(["ValueError", 1], id="non-string-item"),
        pytest.param([["ValueError"]], id="nested-list"),
    ],
)
def test_observation_malformed_exc_builtins_is_a_protocol_error(bases: Any) -> None:
    record: dict[str, Any] = {"status": "raised", "exc_type": "ValueError", "exc_message": "x"}
    if bases is not None:
        record["exc_builtins"] = bases
    assert observation("c1", record) == Observation(
        "c1", "protocol_error", detail="malformed exception record"
    )


@pytest.mark.parametrize("status", ["passed", "RETURNED", "", None, 1, ["returned"]])
def test_observation_unknown_status_is_a_protocol_error(status: Any) -> None:
    record = {"status": status, "value": ["int", "1"], "elapsed_s": 0.5}
    assert observation("c1", record) == Observation(
        "c1", "protocol_error", detail="unknown case status"
    )


def test_observation_missing_status_is_a_protocol_error() -> None:
    assert observation("c1", {"value": ["int", "1"]}) == Observation(
        "c1", "protocol_error", detail="unknown case status"
    )


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        (
            {"status": "timeout", "elapsed_s": 2.0, "detail": "killed after 2.0 s"},
            Observation("c1", "timeout", elapsed_s=2.0, detail="killed after 2.0 s"),
        ),
        (
            {"status": "crashed", "elapsed_s": 0.1, "detail": "killed by signal 9", "exit_code": 9},
            Observation("c1", "crashed", elapsed_s=0.1, detail="killed by signal 9"),
        ),
        (
            {"status": "crashed", "exit_code": 137},
            Observation("c1", "crashed", detail=""),
        ),
        (
            {"status": "crashed"},
            Observation("c1", "crashed", detail=""),
        ),
        (
            {"status": "timeout", "detail": "x" * 1000},
            Observation("c1", "timeout", detail="x" * 300),
        ),
        (
            {"status": "timeout", "detail": 5},
            Observation("c1", "timeout", detail="5"),
        ),
        (
            {"status": "no_entry", "detail": "entry point not defined"},
            Observation("c1", "no_entry", detail="entry point not defined"),
        ),
        (
            {"status": "compile_error", "detail": "SyntaxError"},
            Observation("c1", "compile_error", detail="SyntaxError"),
        ),
        (
            {"status": "protocol_error", "detail": "bad job"},
            Observation("c1", "protocol_error", detail="bad job"),
        ),
    ],
)
def test_observation_other_statuses_keep_their_detail(
    record: dict[str, Any], expected: Observation
) -> None:
    assert observation("c1", record) == expected


def test_read_transcript_builds_observations_through_observation() -> None:
    stdout = (
        hello()
        + line(
            {
                "kind": "case",
                "case": "a",
                "status": "raised",
                "exc_type": "ValueError",
                "exc_builtins": ["ValueError"],
                "exc_message": "bad",
                "elapsed_s": 0.5,
            }
        )
        + line({"kind": "case", "case": "b", "status": "timeout", "detail": "killed"})
        + line({"kind": "case", "case": "c", "status": "returned", "value": ["unsupported", "X"]})
        + DONE
    )
    assert read_transcript(execution(stdout), IDS) == Transcript(
        observations={
            "a": Observation(
                "a",
                "raised",
                exc_type="ValueError",
                exc_builtins=("ValueError",),
                exc_message="bad",
                elapsed_s=0.5,
            ),
            "b": Observation("b", "timeout", detail="killed"),
            "c": Observation(
                "c", "returned", value_error="returned an object of type X, not a built-in value"
            ),
        },
        python=PY,
        complete=True,
    )
