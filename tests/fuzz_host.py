"""Property-based fuzzing of every host-side step on untrusted text (issue 18).

Run by ``tests/test_fuzz_host.py`` in a child process whose CPU time is limited
(``RLIMIT_CPU``): each example must finish within ``EXAMPLE_CPU_S`` of CPU (a SIGXCPU handler
turns an overrun into a failure naming the example) and the whole run within the hard limit
(a hang in C code, where no handler runs, kills the child: a failure too). No wall-clock
assertion anywhere. Examples are derandomized, so CI sees the same ones every time; the worst
inputs found are pinned with ``@example`` as regression tests.

The worst inputs found are kept in ``adversarial/hostside.py`` (``WORST_ANSWERS``,
``worst_report``), where ``benchmarks/host_cost.py`` and the host-side table grade them too.
Every example must end in a defined outcome: a result of the documented type, or the
documented exception (``BadInputError`` for run directories), never anything else.
"""

from __future__ import annotations

import json
import math
import resource
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from adversarial.hostside import WORST_ANSWERS, Replay, replayed, worst_report
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from runner.errors import BadInputError
from runner.grade import (
    check_compliance,
    extract_code,
    grade_response,
    read_transcript,
    stale_reference_diagnostics,
)
from runner.records import Grade, Outcome
from runner.rundir import load_samples, read_samples
from runner.spec import load_spec

ROOT = Path(__file__).resolve().parent.parent
ISO = load_spec(ROOT / "specs" / "iso_duration.json")
CACHE = load_spec(ROOT / "specs" / "cache_reset_test.json")
EXAMPLE_CPU_S = 3  # per example: generous against 1 s of host CPU per grade, on a loaded CI
P61 = (1 << 61) - 1
RULES = {
    "too_large",
    "empty_response",
    "fences",
    "prose",
    "syntax_error",
    "entry_point_missing",
    "module_import",
    "forbidden_import",
    "forbidden_call",
    "forbidden_name",
}
FUZZ = settings(
    max_examples=120,
    deadline=None,  # no wall-clock limit: the CPU budget is the bound
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


class OverBudget(Exception):
    """An example used more than its CPU budget."""


def _over_budget(signum: int, frame: Any) -> None:
    raise OverBudget(f"an example used more than {EXAMPLE_CPU_S} s of CPU")


@contextmanager
def cpu_budget(seconds: int = EXAMPLE_CPU_S) -> Iterator[None]:
    """Raise OverBudget in this block once the process has used ``seconds`` more CPU."""
    used = resource.getrusage(resource.RUSAGE_SELF)
    start = math.ceil(used.ru_utime + used.ru_stime)
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    previous = signal.signal(signal.SIGXCPU, _over_budget)
    resource.setrlimit(resource.RLIMIT_CPU, (start + seconds, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_CPU, (hard, hard))
        signal.signal(signal.SIGXCPU, previous)


# --- generators -------------------------------------------------------------------------------

LINES = st.sampled_from(
    [
        "def parse_iso_duration(s):",
        "    return 0",
        "    return (s +",
        "import os",
        "from os import path",
        "#",
        "# Solution",
        ")",
        "(",
        "]",
        "```",
        "```python",
        "~~~",
        "    ```",
        '"""',
        "x = 1",
        "class A:",
        "@decorator",
        "Here is the code:",
        "    eval(s)",
        "",
        "\t",
        "\x00",
        "\ud800",
        "\x01" * 50,
        "\U0001f600",
        "if __name__ == '__main__':",
    ]
)
RUNS = st.builds(
    lambda char, count: char * count,
    st.sampled_from(["#", "(", "[", "-", " ", "\n", "\r", "\r\n", "`", "x", "\\", "'"]),
    st.integers(1, 3000),
)
NUMBERS = st.sampled_from(
    ["1" + "0" * 400, "NaN", "Infinity", "-Infinity", "1e400", "-1", "1e-400"]
)


@st.composite
def answers(draw: Any) -> str:
    """A model's answer: Python-ish lines, long runs of one character, odd endings."""
    parts = draw(st.lists(st.one_of(LINES, LINES, RUNS, st.text(max_size=40)), max_size=120))
    ending = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    return ending.join(parts)


def tagged_values(depth: int = 3) -> st.SearchStrategy[Any]:
    """Tagged values as the harness writes them, and broken ones, some nested deep."""
    leaves = st.one_of(
        st.builds(lambda n: ["int", format(n, "x")], st.integers(0, 2**80)),
        st.builds(lambda s: ["str", s], st.text(max_size=20)),
        st.just(["none"]),
        st.just(["float", "nan"]),
        st.just(["int", "f" * 5000]),
        st.builds(
            lambda k: ["set", [["int", format(i * P61, "x")] for i in range(1, k)]],
            st.integers(2, 400),
        ),
        st.builds(_nested, st.integers(1, 400)),
        st.sampled_from([["bool", 1], ["too_large", "x"], ["unsupported", 1], [], "x", 7]),
    )
    if depth == 0:
        return leaves
    inner = tagged_values(depth - 1)
    return st.one_of(
        leaves,
        st.builds(
            lambda tag, items: [tag, items],
            st.sampled_from(["list", "tuple", "set", "frozenset"]),
            st.lists(inner, max_size=5),
        ),
        st.builds(lambda pairs: ["dict", pairs], st.lists(st.tuples(inner, inner), max_size=4)),
    )


def _nested(levels: int) -> list[Any]:
    value: list[Any] = ["none"]
    for _ in range(levels):
        value = ["list", [value]]
    return value


@st.composite
def reports(draw: Any) -> bytes:
    """A container's stdout: hello, case records with fuzzed fields, done; or garbage."""
    lines = [json.dumps({"kind": "hello", "python": "3.11"})]
    for case in ISO.cases[:3]:
        record: dict[str, Any] = {"kind": "case", "case": case.id, "status": "returned"}
        record["value"] = draw(tagged_values())
        line = json.dumps(record)
        if draw(st.booleans()):
            line = line.replace('"kind"', f'"elapsed_s": {draw(NUMBERS)}, "kind"', 1)
        lines.append(line)
    lines.append(json.dumps({"kind": "done"}))
    if draw(st.booleans()):
        index = draw(st.integers(0, len(lines) - 1))
        lines[index] = draw(st.one_of(st.text(max_size=50), RUNS, st.just("[" * 100_000)))
    return ("\n".join(lines) + "\n").encode("utf-8", "surrogatepass")


JSON_JUNK = st.one_of(
    NUMBERS,
    st.just("[" * 100_000),
    st.just('"x"'),
    st.just("{}"),
    st.just("[]"),
    st.just("null"),
    st.just("42"),
    st.just('"\\ud800"'),
)
SAMPLE_FIELDS = ["key", "model", "spec", "run", "response", "wall_s", "error", "grade", "think"]
GRADE_FIELDS = ["points", "max_points", "compliant", "checks", "violations", "error"]


@st.composite
def samples_files(draw: Any) -> bytes:
    """A samples.jsonl whose records have fields replaced by junk, or lines cut or doubled."""
    records = []
    for run in range(1, 4):
        grade = {
            "spec": "iso_duration",
            "points": 1,
            "max_points": 22,
            "compliant": True,
            "violations": [],
            "checks": [{"case": "c", "passed": True, "points": 1, "outcome": "passed"}],
            "error": None,
        }
        record = {
            "key": f"k{run}",
            "model": "m",
            "spec": "iso_duration",
            "run": run,
            "response": "x",
            "error": None,
            "grade": grade,
        }
        line = json.dumps(record)
        for _ in range(draw(st.integers(0, 2))):
            field = draw(st.sampled_from(SAMPLE_FIELDS + [f"grade.{f}" for f in GRADE_FIELDS]))
            name = field.rpartition(".")[2]
            holder = grade if field.startswith("grade.") else record
            holder[name] = "@@"
            line = json.dumps(record).replace('"@@"', draw(JSON_JUNK), 1)
        records.append(line)
    if draw(st.booleans()):
        records[draw(st.integers(0, 2))] = draw(st.one_of(st.text(max_size=30), JSON_JUNK))
    return ("\n".join(records) + "\n").encode("utf-8", "surrogatepass")


def _grade_json_ok(grade: Grade) -> None:
    json.dumps(grade.to_json(), allow_nan=False)


# --- properties -------------------------------------------------------------------------------


def pinned(*examples: Any) -> Callable[[Any], Any]:
    """Pin each of ``examples`` (argument tuples) on a property."""

    def pin(test: Any) -> Any:
        for arguments in examples:
            test = example(*arguments)(test)
        return test

    return pin


@FUZZ
@given(answers())
@pinned(*[(raw,) for raw in WORST_ANSWERS])
def test_extraction_and_compliance_end_in_a_grade_within_budget(raw: str) -> None:
    with cpu_budget():
        extraction = extract_code(raw)
        assert extraction.raw == raw and isinstance(extraction.code, str)
        violations = check_compliance(extraction, ISO.constraints, ISO.entry_point)
        assert {v.rule for v in violations} <= RULES


@FUZZ
@given(answers(), st.integers(1, 95))
@example("", 95)
def test_diagnostics_end_within_budget(raw: str, depth: int) -> None:
    assert CACHE.module is not None
    rebinder = CACHE.module.rebinds[0][1]
    nested = "".join(
        f"{'    ' * level}def f{level}():\n{'    ' * (level + 1)}{rebinder}(); _model_cache\n"
        for level in range(depth)
    )
    with cpu_budget():
        for code in (raw, "from src.main_improved import _model_cache\n" + nested):
            found = stale_reference_diagnostics(code, CACHE.module)
            assert all(v.rule for v in found)


@FUZZ
@given(reports())
@example(worst_report(replace(ISO, cases=ISO.cases[:3])))
def test_a_report_ends_in_checks_and_valid_json_within_budget(stdout: bytes) -> None:
    spec = replace(ISO, cases=ISO.cases[:3])
    with cpu_budget():
        report = read_transcript(replayed(stdout), [case.id for case in spec.cases])
        assert report.error is None or isinstance(report.error, str)
        grade = grade_response(spec, spec.reference, Replay(stdout))
        assert len(grade.checks) == 3 and not grade.infra_failed
        assert all(isinstance(c.outcome, Outcome) for c in grade.checks)
        _grade_json_ok(grade)


@FUZZ
@given(samples_files())
def test_a_run_directory_reads_or_is_bad_input_within_budget(data: bytes) -> None:
    folder = Path(_scratch())
    (folder / "samples.jsonl").write_bytes(data)
    with cpu_budget():
        for read in (read_samples, load_samples):
            _reads_or_bad_input(read, folder)


def _reads_or_bad_input(read: Callable[[Path], Any], folder: Path) -> None:
    try:
        read(folder)
    except BadInputError as exc:
        assert "samples.jsonl" in str(exc)


_SCRATCH: list[str] = []


def _scratch() -> str:
    """One scratch folder for the whole session (hypothesis examples cannot take tmp_path)."""
    if not _SCRATCH:
        import tempfile

        _SCRATCH.append(tempfile.mkdtemp(prefix="chorebench-fuzz-"))
    return _SCRATCH[0]
