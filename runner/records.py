"""The nouns of chorebench, as small frozen records.

Every stage takes and returns these; none of them does I/O. The flow is::

    Spec (specs/*.json) + raw response
      -> Extraction (code pulled out of the text) + Violations (compliance)
      -> Execution (one container's capped output) -> Observations (what each case did)
      -> Checks (each observation compared with the hidden expectation on the host)
      -> Grade (points, scores, verdicts)

This module imports nothing else from ``runner``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class Outcome(StrEnum):
    """How one check ended. Only ``PASSED`` earns points."""

    PASSED = "passed"
    WRONG = "wrong"  # ran to completion, observable behaviour differs from the expectation
    RAISED = "raised"  # raised where a value was expected
    TIMEOUT = "timeout"  # exceeded the case's wall-clock limit
    CRASHED = "crashed"  # the case's process died without a report (signal, os._exit, OOM)
    NO_CODE = "no_code"  # nothing runnable: empty response, syntax error, entry point missing
    PROTOCOL_ERROR = "protocol_error"  # the sandbox's report for this case did not parse
    TOO_LARGE = "too_large"  # the answer, or a value it returned, is over a cap (runner.caps)
    INFRA_ERROR = "infra_error"  # the engine or image failed: never the candidate's fault
    NOT_RUN = "not_run"  # stop at first failure: an earlier case failed, this one was not run


@dataclass(frozen=True)
class Constraints:
    """What a response must not contain. Checked statically on the host."""

    no_fences: bool = True
    no_prose: bool = True
    imports_inside_function: bool = True
    forbidden_imports: tuple[str, ...] = ()
    forbidden_calls: tuple[str, ...] = ()
    forbidden_names: tuple[str, ...] = ()
    allowed_module_imports: tuple[str, ...] = ()  # statements allowed at module level


@dataclass(frozen=True)
class Limits:
    """Resources one execution of a candidate may use."""

    case_timeout_s: float = 2.0
    memory_mb: int = 256
    pids: int = 64
    output_bytes: int = 1_000_000
    group_timeout_s: float | None = None  # suites: a whole group's cap (EvalPlus: 60 s)
    calibration: Calibration | None = None  # how the case limits were set (``spec fill``)


@dataclass(frozen=True)
class Calibration:
    """The time-limit rule a filled spec's limits follow: ``max(floor_s, factor x reference)``."""

    floor_s: float = 4.0
    factor: float = 4.0
    cap_s: float = 60.0  # the group cap, raised when the reference itself needs more


@dataclass(frozen=True)
class Comparison:
    """How a returned value is compared with the expected one (on the host).

    ``strict`` (hand-written specs): same exact type and value (``Case.approx`` opts into a
    tolerance). ``evalplus``: EvalPlus's rules (``runner.oracles``): Python equality, then
    floats within ``atol``, or the named ``oracle`` when EvalPlus uses a special one.
    """

    mode: str = "strict"
    atol: float = 0.0
    oracle: str | None = None


@dataclass(frozen=True)
class SuiteTask:
    """Where an imported spec comes from: its suite, task id and the task's own prompt."""

    suite: str  # "humanevalplus" or "mbppplus"
    task_id: str  # e.g. "HumanEval/0"
    prompt: str  # the task's prompt, which an EvalPlus ``completion`` is appended to


@dataclass(frozen=True)
class ExpectedRaise:
    """An expected exception: the real built-in class named, and optionally a message regex."""

    type: str
    match: str | None = None


@dataclass(frozen=True)
class Case:
    """One call of the entry point.

    ``args`` and ``kwargs`` values and ``expected`` are Python literal source text, read with
    ``ast.literal_eval``: they say exactly what the function receives and must return.
    Exactly one of ``expected`` and ``raises`` is set.
    """

    id: str
    args: tuple[str, ...] = ()
    kwargs: tuple[tuple[str, str], ...] = ()
    expected: str | None = None
    raises: ExpectedRaise | None = None
    points: int = 1
    approx: float | None = None  # relative tolerance for floats; None means exact
    group: str = ""  # suites: "base" or "plus", each scored all or nothing
    timeout_s: float | None = None  # this case's own limit (calibrated); None: the spec's
    expected_digest: tuple[str, str, int] | None = None  # (type, sha256, size): a huge value
    # (expected, its value) as the spec loader read it to validate it, so grading need not
    # parse it again; stale, and ignored, once ``expected`` is not that very string.
    parsed: tuple[str, Any] | None = field(default=None, compare=False, repr=False)

    def parsed_expected(self) -> tuple[bool, Any]:
        """(True, the value) when the loader's reading of ``expected`` holds, else (False, None)."""
        if self.parsed is not None and self.parsed[0] is self.expected:
            return True, self.parsed[1]
        return False, None

    @property
    def filled(self) -> bool:
        """The case says what it expects (``spec fill`` writes it when it does not)."""
        return not (self.expected is None and self.raises is None and not self.expected_digest)

    @property
    def max_points(self) -> int:
        """Points at stake: one check for a value, two for a raise with a message regex."""
        if self.raises is not None and self.raises.match is not None:
            return 2 * self.points
        return self.points


@dataclass(frozen=True)
class Mutant:
    """A plausible bug in a module under test (pytest kind)."""

    name: str
    source: str
    description: str = ""


@dataclass(frozen=True)
class ModuleUnderTest:
    """The module a generated test imports (pytest kind)."""

    import_path: str  # e.g. "src.main_improved"
    reference: str  # source of the correct implementation
    mutants: tuple[Mutant, ...] = ()
    rebinds: tuple[tuple[str, str], ...] = ()  # (global name, function that rebinds it)


@dataclass(frozen=True)
class Spec:
    """One prompt of the suite, loaded and validated from ``specs/<id>.json``."""

    id: str
    title: str
    family: str
    kind: str  # "function" or "pytest"
    prompt: str
    entry_point: str
    constraints: Constraints
    reference: str
    limits: Limits
    cases: tuple[Case, ...] = ()
    module: ModuleUnderTest | None = None
    scoring: str = "per_check"  # or "all_or_nothing", or "per_group" (suites)
    comparison: Comparison = field(default_factory=Comparison)
    stop_at_first_failure: bool = False
    suite: SuiteTask | None = None
    path: str = ""
    sha256: str = ""  # of the file's bytes: a changed spec is a different spec

    @property
    def max_points(self) -> int:
        """Total points a perfect candidate earns."""
        if self.kind == "pytest" and self.module is not None:
            return 1 + len(self.module.mutants) if self.scoring == "per_check" else 1
        if self.scoring == "per_group":
            return len(self.groups)
        return sum(case.max_points for case in self.cases)

    @property
    def groups(self) -> tuple[str, ...]:
        """The case groups in order of first appearance (``("",)`` for ungrouped cases)."""
        return tuple(dict.fromkeys(case.group for case in self.cases))


@dataclass(frozen=True)
class Violation:
    """A broken constraint, e.g. ``Violation("fences", "2 fenced blocks")``."""

    rule: str
    detail: str
    line: int | None = None


@dataclass(frozen=True)
class Extraction:
    """Code pulled out of a raw model response, and what surrounded it."""

    raw: str
    code: str
    fenced_blocks: int = 0
    prose: tuple[str, ...] = ()  # non-blank text outside the code, one item per stretch


@dataclass(frozen=True)
class Observation:
    """What one case did inside the sandbox, as reported by the harness.

    ``status`` is one of ``returned``, ``raised``, ``timeout``, ``crashed``, ``no_entry``,
    ``compile_error``, ``protocol_error``, ``too_large`` (the returned value was over a cap:
    ``detail`` says which), ``pytest`` (a pytest run: see ``pytest``).
    For ``returned``, ``value`` is the decoded value (built-in types only) or
    ``value_error`` says why it could not be carried (unsupported type, too large).
    For ``raised``, ``exc_type`` is the exception's qualified name, ``exc_builtins`` the
    real built-in exception classes it is an instance of, ``exc_message`` its message
    when it is observable (plain ``str`` argument), else None.
    """

    case: str
    status: str
    value: Any = None
    value_error: str | None = None
    exc_type: str | None = None
    exc_builtins: tuple[str, ...] = ()
    exc_message: str | None = None
    elapsed_s: float = 0.0
    detail: str = ""
    pytest: dict[str, int] | None = None  # pytest runs: exit_code, collected, passed, failed...


@dataclass(frozen=True)
class Execution:
    """What the host saw of one container: its capped output and how it ended."""

    stdout: bytes
    stderr: bytes
    timed_out: bool  # killed by the host at the wall-clock deadline
    output_capped: bool  # killed for writing more than the limit
    exit_code: int | None
    oom_killed: bool  # looked up only for a container that did not exit 0
    elapsed_s: float
    image: str
    image_id: str
    runtime: str
    engine: str = "local"  # the engine as configured (runner.settings.EngineSpec.url)
    engine_version: str = ""


@dataclass(frozen=True)
class Check:
    """One scored check of a grade."""

    case: str
    passed: bool
    points: int
    max_points: int
    outcome: Outcome
    detail: str = ""
    elapsed_s: float | None = None


class Scored:
    """The two scores of anything with points, a maximum and a compliance verdict."""

    points: int
    max_points: int
    compliant: bool

    @property
    def score(self) -> float:
        """Lenient score: points over max points, on the code after fence stripping."""
        return self.points / self.max_points if self.max_points else 0.0

    @property
    def strict_score(self) -> float:
        """The score when the response broke no constraint, else 0."""
        return self.score if self.compliant else 0.0


@dataclass(frozen=True)
class Grade(Scored):
    """The verdict on one response to one spec. ``to_json`` is the CLI's ``--json`` contract."""

    spec: str
    points: int
    max_points: int
    compliant: bool
    violations: tuple[Violation, ...]
    checks: tuple[Check, ...]
    diagnostics: tuple[Violation, ...] = ()
    error: str | None = None
    elapsed_s: float = 0.0
    sandbox: dict[str, Any] = field(default_factory=dict)
    groups: tuple[GroupResult, ...] = ()  # per_group scoring: each group's verdict

    @property
    def infra_failed(self) -> bool:
        """True when the sandbox, not the candidate, failed: the grade must not be counted."""
        return any(check.outcome is Outcome.INFRA_ERROR for check in self.checks)

    def groups_passed(self, *names: str) -> bool:
        """Every case of the named groups passed (EvalPlus's "base" and "base + plus").

        A group the grade has no verdict on has no case in the spec: it passes vacuously, as
        EvalPlus passes a task with no plus inputs (MBPP+'s Mbpp/793) on base + plus. A grade
        with no group verdicts at all (not a suite spec) passes nothing.
        """
        verdicts = {group.group: group.ok for group in self.groups}
        return bool(verdicts) and all(verdicts.get(name, True) for name in names)

    def to_json(self) -> dict[str, Any]:
        """The grade as plain JSON data, stable field names."""
        return {
            "spec": self.spec,
            "points": self.points,
            "max_points": self.max_points,
            "score": round(self.score, 6),
            "strict_score": round(self.strict_score, 6),
            "compliant": self.compliant,
            "violations": [_violation_json(v) for v in self.violations],
            "checks": [
                {
                    "case": c.case,
                    "passed": c.passed,
                    "points": c.points,
                    "max_points": c.max_points,
                    "outcome": c.outcome.value,
                    "detail": c.detail,
                    "elapsed_s": c.elapsed_s,
                }
                for c in self.checks
            ],
            "diagnostics": [_violation_json(d) for d in self.diagnostics],
            "error": self.error,
            "elapsed_s": round(self.elapsed_s, 4),
            "sandbox": dict(self.sandbox),
            **({"groups": [asdict(group) for group in self.groups]} if self.groups else {}),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Grade:
        """The grade ``to_json`` wrote (``to_json(from_json(d)) == d`` for such a ``d``).

        Fields a grade of an older chorebench lacks take their defaults; the scores are not
        read, they follow from the points.

        Raises:
            KeyError, TypeError, ValueError: ``data`` is not a grade.
        """
        return cls(
            spec=str(data["spec"]),
            points=int(data["points"]),
            max_points=int(data["max_points"]),
            compliant=bool(data["compliant"]),
            violations=tuple(_violation(v) for v in data.get("violations", ())),
            checks=tuple(
                Check(
                    case=str(c["case"]),
                    passed=bool(c["passed"]),
                    points=int(c["points"]),
                    max_points=int(c.get("max_points", 0)),
                    outcome=Outcome(c["outcome"]),
                    detail=str(c.get("detail", "")),
                    elapsed_s=c.get("elapsed_s"),
                )
                for c in data.get("checks", ())
            ),
            diagnostics=tuple(_violation(d) for d in data.get("diagnostics", ())),
            error=data.get("error"),
            elapsed_s=float(data.get("elapsed_s") or 0.0),
            sandbox=dict(data.get("sandbox") or {}),
            groups=tuple(
                GroupResult(str(g["group"]), int(g["passed"]), int(g["total"]))
                for g in data.get("groups", ())
            ),
        )

    def verdict(self) -> tuple[Any, ...]:
        """What must be equal for two grades to be the same verdict (timings excluded)."""
        return (
            self.points,
            self.max_points,
            self.compliant,
            [(v.rule, v.line) for v in self.violations],
            [(c.case, c.passed, c.points, c.outcome.value) for c in self.checks],
        )


@dataclass(frozen=True)
class GroupResult:
    """One group of a suite spec's cases: how many passed; it scores only when all did."""

    group: str
    passed: int
    total: int

    @property
    def ok(self) -> bool:
        """Every case of the group passed (EvalPlus's all-or-nothing per group)."""
        return self.passed == self.total


def _violation_json(violation: Violation) -> dict[str, Any]:
    data = asdict(violation)
    if data["line"] is None:
        del data["line"]
    return data


def _violation(data: dict[str, Any]) -> Violation:
    return Violation(str(data["rule"]), str(data.get("detail", "")), data.get("line"))


FLOOR_WARNING = 0.3  # a floor above this earns a trivial answer a misleading score


@dataclass(frozen=True)
class Floor:
    """A spec's floor: the best grade of its trivial answers (``runner.grade.floor``)."""

    spec: str
    sha256: str  # of the spec file the floor was measured on
    points: int
    max_points: int
    candidate: str  # which trivial answer earned it, e.g. "always raise ValueError"

    @property
    def score(self) -> float:
        return self.points / self.max_points if self.max_points else 0.0

    @property
    def high(self) -> bool:
        """Above ``FLOOR_WARNING``: the spec's scores need the floor beside them."""
        return self.score > FLOOR_WARNING


# Progress of long commands. Library code (collection, regrading, grading many responses,
# checking specs) never prints: it calls a ``Progress`` with these events, from any thread,
# and the CLI shows them. A *stage* is one counted stretch of a command: a run's phase
# (``runs``, ``best_of``), ``regrade``, ``check-specs``, ``grade``.


@dataclass(frozen=True)
class StageStarted:
    """A stage begins: ``total`` units to do now, ``already`` found done (a resumed run)."""

    stage: str
    total: int
    already: int = 0
    unit: str = "sample"


@dataclass(frozen=True)
class ModelStarted:
    """A model's samples of a stage begin on one host."""

    stage: str
    model: str
    host: str
    count: int


@dataclass(frozen=True)
class UnitStarted:
    """A request was sent; a unit still open after a while gets a waiting line."""

    stage: str
    label: str


@dataclass(frozen=True)
class UnitDone:
    """One unit finished: its verdict (``3/22`` or ``error: ...``), time, tokens, flags."""

    stage: str
    label: str
    verdict: str
    seconds: float | None = None
    tokens: int | None = None
    flags: tuple[str, ...] = ()
    host: str | None = None


ProgressEvent = StageStarted | ModelStarted | UnitStarted | UnitDone
Progress = Callable[[ProgressEvent], None]


def no_progress(_: ProgressEvent) -> None:
    """The default ``Progress``: report nothing."""


def sample_label(model: str, spec: str, run: int) -> str:
    """How a sample is named in progress lines: ``smollm2-135m iso_duration run 1``."""
    return f"{model} {spec} run {run}"
