"""The host-side corpus: inputs that attack what chorebench does on the host (issue 18).

Each entry is a model's answer, and, where the attack is a report forged from inside the
container (a candidate that replaces ``json.dumps`` in its own case process can write any
record), that report: it is replayed in place of the container, which is exactly what the
host receives from such a candidate (the catalogue's ``forged_*`` cases do it for real under
both runtimes). ``host_cost`` grades one entry and measures the host CPU the grade took, for
the test suite (outcomes only), ``benchmarks/host_cost.py`` and the host-side table of
docs/SECURITY.md (``scripts/security_table.py``).
"""

from __future__ import annotations

import json
import resource
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from runner.grade import grade_response
from runner.records import Execution, Limits, Outcome, Spec
from runner.spec import load_spec

SPECS = Path(__file__).resolve().parents[2] / "specs"
P61 = (1 << 61) - 1  # every multiple of it hashes to 0
CONSTANT = "def parse_iso_duration(s):\n    return 0\n"


@dataclass(frozen=True)
class HostInput:
    """One host-side attack.

    Attributes:
        id: a stable name.
        attacks: the host-side step it attacks, and what it cost before the caps.
        spec: the shipped spec it is graded against.
        outcomes: every check's outcome is one of these.
        expect: the property that holds now, in words.
        answer: the model's answer, made from the spec.
        report: the forged report replayed in place of the container, or None (the answer
            runs in the sandbox given).
        cases: how many of the spec's cases are kept (0: all).
    """

    id: str
    attacks: str
    spec: str
    outcomes: frozenset[Outcome]
    expect: str
    answer: Callable[[Spec], str]
    report: Callable[[Spec], bytes] | None = None
    cases: int = 3


@dataclass(frozen=True)
class HostCost:
    """What grading one host input gave, and what it cost the host."""

    id: str
    points: int
    max_points: int
    outcomes: tuple[str, ...]
    cpu_s: float  # this process's CPU time (user + system, every thread) for the grade
    container_s: float  # the sandbox's own wall time (0 when no container ran)
    problems: tuple[str, ...]


def forged(records: Callable[[Spec], list[str]]) -> Callable[[Spec], bytes]:
    """A report of hello, one forged case line per case (raw JSON text), done."""

    def report(spec: Spec) -> bytes:
        lines = [json.dumps({"kind": "hello", "python": "3.11.2"})]
        for case, body in zip(spec.cases, records(spec), strict=True):
            lines.append(f'{{"kind": "case", "case": {json.dumps(case.id)}, {body}}}')
        lines.append(json.dumps({"kind": "done"}))
        return ("\n".join(lines) + "\n").encode()

    return report


def each_case(body: str) -> Callable[[Spec], list[str]]:
    return lambda spec: [body] * len(spec.cases)


def _colliding(count: int) -> str:
    members = ", ".join(f'["int", "{k * P61:x}"]' for k in range(1, count + 1))
    return f'"status": "returned", "elapsed_s": 0.001, "value": ["set", [{members}]]'


def _nested_defs(spec: Spec) -> str:
    assert spec.module is not None
    rebinder = spec.module.rebinds[0][1]
    lines = [f"from {spec.module.import_path} import _model_cache", ""]
    for depth in range(95):
        pad = "    " * depth
        lines += [f"{pad}def test_{depth}():", f"{pad}    {rebinder}(); _model_cache"]
    return "\n".join(lines) + "\n"


def S(letters: str) -> frozenset[Outcome]:
    names = {"S": "PASSED", "W": "WRONG", "N": "NO_CODE", "C": "CRASHED", "P": "PROTOCOL_ERROR",
             "X": "TOO_LARGE"}  # fmt: skip
    return frozenset(Outcome[names[letter]] for letter in letters)


# The costliest inputs the fuzzer (tests/fuzz_host.py) met, at 1,500 examples a property with
# the CPU of each example measured, beside the findings' own: the fuzzer pins them as examples.
WORST_ANSWERS = (
    "#\n" * 3000 + ")\n",
    "import x\n" + "(\n" * 2000,
    CONSTANT + "x = (\n" * 1500,
    "\r".join(["def f():", "    return 1"] * 800) + "\r)",
    "\n]\nclass A:\n\n\x00\n" + "\r" * 1500,
    '"""\n' + "\r" * 14_000,
)
WORST_REPORT_CASES = (
    '"status": "returned", "elapsed_s": Infinity, "value": ["int", "' + "f" * 5000 + '"]',
    _colliding(400)[: -len("]]")] + ', ["float", "nan"]]]',
    '"status": "returned", "value": ' + '["list", [' * 400 + '["none"]' + "]]" * 400,
)


def worst_report(spec: Spec) -> bytes:
    """The costliest report the fuzzer met, one forged case line per case of ``spec``."""
    bodies = [WORST_REPORT_CASES[i % len(WORST_REPORT_CASES)] for i in range(len(spec.cases))]
    return forged(lambda _: bodies)(spec)


ISO, CACHE = "iso_duration", "cache_reset_test"
HOST_CORPUS: list[HostInput] = [
    HostInput("honest_answer", "nothing: the baseline", ISO, S("S"), "full marks",
              lambda spec: spec.reference),
    HostInput("comments_then_stray_paren", "extraction (239-270 s of host CPU before)", ISO,
              S("N"), "the code search parses at most 16x the answer: no code, at once",
              lambda spec: "#\n" * 3000 + ")\n"),
    HostInput("long_answer_then_stray_paren", "extraction (14 s before)", ISO, S("W"),
              "found in two parses: the code before the stray line runs",
              lambda spec: CONSTANT + "# a comment line of a long, honest answer\n" * 600 + ")\n"),
    HostInput("open_brackets", "extraction, parser errors", ISO, S("W"),
              "each cut is guided by the parser's error line",
              lambda spec: CONSTANT + "x = (\n" * 2000),
    HostInput("thousands_of_fences", "extraction", ISO, S("N"),
              "fences are split in one pass", lambda spec: "```python\n```\n" * 4900),
    HostInput("answer_12mb", "compliance memory (6.5 GB, 3 min before)", ISO, S("X"),
              "over 256 KiB: too_large before any parse",
              lambda spec: CONSTANT + "x = 1\n" * 2_000_000),
    HostInput("control_char_comment", "job escaping, harness line (infra_error before)", ISO,
              S("X"), "2.5 MB of \\x01 is too_large before a container starts",
              lambda spec: "# " + "\x01" * 2_500_000 + "\n" + CONSTANT),
    HostInput("nested_test_functions", "stale-reference diagnostics (60 s before)", CACHE,
              S("SW"), "each function judged on its own nodes: linear", _nested_defs, cases=0),
    HostInput("forged_elapsed_400_digits", "report parser (OverflowError: grade and run died)",
              ISO, S("P"), "a protocol error of the case",
              lambda spec: spec.reference,
              forged(each_case('"status": "returned", "elapsed_s": 1' + "0" * 400
                               + ', "value": ["int", "12c"]'))),
    HostInput("forged_nan_elapsed", "report parser, --json (NaN printed before)", ISO, S("P"),
              "a protocol error of the case; the grade is valid JSON",
              lambda spec: spec.reference,
              forged(each_case('"status": "returned", "elapsed_s": NaN, "value": ["none"]'))),
    HostInput("forged_colliding_set", "value decoder (64-78 s of host CPU before)", ISO,
              S("X"), "too_large once 33 members share a hash", lambda spec: spec.reference,
              forged(lambda spec: [_colliding(30_000)]), cases=1),
    HostInput("forged_deep_value", "value decoder, JSON nesting", ISO, S("P"),
              "a line nested past the report's depth is not a record: protocol error",
              lambda spec: spec.reference,
              forged(each_case('"status": "returned", "value": ' + '["list", [' * 5000
                               + '["none"]' + "]]" * 5000))),
    HostInput("forged_huge_int", "value decoder, str() of a huge int", ISO, S("X"),
              "over 12,000 bits: too_large", lambda spec: spec.reference,
              forged(each_case('"status": "returned", "value": ["int", "' + "f" * 25_000
                               + '"]'))),
    HostInput("forged_unending_line", "report parser", ISO, S("C"),
              "a report cut mid-record counts for nothing", lambda spec: spec.reference,
              lambda spec: b'{"kind": "hello"}\n{"kind": "case", "x": "' + b"a" * 999_000),
]  # fmt: skip
HOST_CORPUS += [
    HostInput(f"fuzz_worst_answer_{number}", "extraction, compliance (the fuzzer's costliest)",
              ISO, S("NWX"), "ends in a grade within the budget", lambda spec, raw=raw: raw)
    for number, raw in enumerate(WORST_ANSWERS, 1)
]  # fmt: skip
HOST_CORPUS.append(
    HostInput("fuzz_worst_report", "report parser, value decoder (the fuzzer's costliest)", ISO,
              S("PX"), "each case a named failure", lambda spec: spec.reference, worst_report)
)  # fmt: skip
BY_ID = {entry.id: entry for entry in HOST_CORPUS}
assert len(BY_ID) == len(HOST_CORPUS), "host corpus ids must be unique"


def replayed(stdout: bytes) -> Execution:
    """What the host receives from a container whose harness wrote ``stdout`` and exited 0."""
    return Execution(stdout, b"", False, False, 0, False, 0.0, "-", "-", "replay")


class Replay:
    """A sandbox whose every execution reports ``stdout`` (what a forging candidate sends)."""

    def __init__(self, stdout: bytes) -> None:
        self.stdout = stdout

    def execute(self, job: bytes, limits: Limits, cases: int, kind: str = "function") -> Execution:
        return replayed(self.stdout)


def narrowed(entry: HostInput) -> Spec:
    spec = load_spec(SPECS / f"{entry.spec}.json")
    return replace(spec, cases=spec.cases[: entry.cases]) if entry.cases else spec


def cpu_now() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def host_cost(entry: HostInput, sandbox: Any) -> HostCost:
    """Grade ``entry`` (its forged report replayed, else its answer run in ``sandbox``)."""
    spec = narrowed(entry)
    answer = entry.answer(spec)
    box = Replay(entry.report(spec)) if entry.report else sandbox
    before = cpu_now()
    grade = grade_response(spec, answer, box)
    cpu = cpu_now() - before
    outcomes = {check.outcome for check in grade.checks}
    problems = []
    if not outcomes <= entry.outcomes:
        seen = [(c.case, c.outcome.value, c.detail[:80]) for c in grade.checks][:3]
        problems.append(f"unexpected outcomes: {seen}")
    if grade.infra_failed:
        problems.append(f"the sandbox failed: {grade.error}")
    if entry.id != "honest_answer" and grade.points == grade.max_points:
        problems.append("full marks")
    json.dumps(grade.to_json(), allow_nan=False)  # raises on NaN: never in a grade
    return HostCost(
        entry.id,
        grade.points,
        grade.max_points,
        tuple(sorted(o.value for o in outcomes)),
        cpu,
        float(grade.sandbox.get("container_s") or 0.0) if not entry.report else 0.0,
        tuple(problems),
    )
