"""A scripted FakeSandbox: it executes nothing and answers each job as the grader harness would.

A script says what each candidate does. For a function candidate, a host-side callable that
stands for its code: ``mirror`` makes one from trusted code of this repository (a spec's
reference, a test's own candidate), never from a model's answer; a mirror that raises
``Hang`` is a case that outlives its time limit. For a generated test, a callable telling
whether it passes on a module's source (``passes_on_reference_only`` for a test that catches
every mutant). Candidates are keyed by their code as the job carries it (after extraction).

The transcript is built with the harness's own ``encode`` and ``observe_exception``
(grader_image/harness.py), in the harness's record shapes; ``tests/test_sandbox_contract.py``
runs the same jobs through this and through the real ``DockerSandbox``, so the two cannot
drift apart. A candidate the script does not know crashes, loudly.
"""

from __future__ import annotations

import ast
import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from fakes.builders import PYTHON, harness
from runner.errors import SandboxError
from runner.grade import extract_code
from runner.records import Execution, Limits, Spec

FunctionScript = Callable[..., Any]
TestScript = Callable[[str], bool]
ELAPSED_S = 0.001  # what every fake case "took"


class Hang(Exception):
    """Raised by a mirror: this case runs until the harness kills it at its time limit."""


@dataclass(frozen=True)
class FakeImage:
    tag: str = "chorebench-grader:fake"
    id: str = "sha256:" + "f" * 64


def mirror(code: str, entry_point: str) -> FunctionScript:
    """The function ``code`` defines, to stand for it. Only for trusted code of this repository."""
    namespace: dict[str, Any] = {"__name__": "mirror"}
    exec(compile(code, "mirror.py", "exec"), namespace)  # trusted: a spec's or a test's own
    return namespace[entry_point]


def passes_on_reference_only(spec: Spec) -> TestScript:
    """A generated test that passes on the reference and catches every mutant."""
    assert spec.module is not None
    reference = spec.module.reference
    return lambda source: source == reference


def references(*specs: Spec) -> dict[str, Any]:
    """The script under which each spec's reference does what it does (full marks)."""
    functions: dict[str, FunctionScript] = {}
    tests: dict[str, TestScript] = {}
    for spec in specs:
        if spec.kind == "pytest":
            tests[spec.reference] = passes_on_reference_only(spec)
        else:
            functions[spec.reference] = mirror(spec.reference, spec.entry_point)
    return {"functions": functions, "tests": tests}


class FakeSandbox:
    """Satisfies ``runner.grade.Sandbox`` (and what the run commands read: image, runtime)."""

    def __init__(
        self,
        functions: Mapping[str, FunctionScript] | None = None,
        tests: Mapping[str, TestScript] | None = None,
        runtime: str = "runc",
    ) -> None:
        self.functions = {_code(c): f for c, f in (functions or {}).items()}
        self.tests = {_code(c): t for c, t in (tests or {}).items()}
        self.image = FakeImage()
        self.runtime = runtime
        self.jobs: list[dict[str, Any]] = []  # every job executed, as sent
        self.broken: str | None = None
        self._lock = threading.Lock()

    def script(self, code: str, behaviour: FunctionScript | TestScript, test: bool = False) -> None:
        """Add a candidate to the script."""
        (self.tests if test else self.functions)[_code(code)] = behaviour  # type: ignore[index]

    def break_engine(self, reason: str = "the engine went away") -> None:
        """Every later execution fails as a lost engine does: SandboxError."""
        self.broken = reason

    def close(self) -> None:
        """Nothing to release."""

    def execute(self, job: bytes, limits: Limits, cases: int, kind: str = "function") -> Execution:
        """Answer ``job`` from the script; SandboxError once the engine is broken."""
        data = json.loads(job)
        with self._lock:
            self.jobs.append(data)
        if self.broken:
            raise SandboxError(f"the Docker engine failed running a candidate: {self.broken}")
        out = [{"kind": "hello", "python": PYTHON, "undumpable": True}]
        if data["mode"] == "pytest":
            out.append({"kind": "case", "case": "run", **self._pytest(data)})
        else:
            out += [
                {"kind": "case", "case": case["id"], **self._case(data, case)}
                for case in data["cases"]
            ]
        out.append({"kind": "done"})
        stdout = b"".join(json.dumps(r, ensure_ascii=True).encode("ascii") + b"\n" for r in out)
        capped = len(stdout) > limits.output_bytes
        return Execution(
            stdout=stdout[: limits.output_bytes],
            stderr=b"",
            timed_out=False,
            output_capped=capped,
            exit_code=137 if capped else 0,
            oom_killed=False,
            elapsed_s=ELAPSED_S * max(1, cases),
            image=self.image.tag,
            image_id=self.image.id,
            runtime=self.runtime,
        )

    def _case(self, job: dict[str, Any], case: dict[str, Any]) -> dict[str, Any]:
        """One function case, in the shape of the harness's ``run_function_case``."""
        tools = harness()
        code = job["code"]
        try:
            tree = ast.parse(code)
        except SyntaxError:
            return {"status": "compile_error", "detail": "SyntaxError", "wall_s": ELAPSED_S}
        behaviour = self.functions.get(_code(code))
        if behaviour is None:
            if job["entry_point"] not in _defined(tree):
                return {"status": "no_entry", "detail": "entry point not defined"}
            return {"status": "crashed", "detail": "FakeSandbox: no script for this candidate"}
        args = [ast.literal_eval(a) for a in case["args"]]
        kwargs = {k: ast.literal_eval(v) for k, v in case["kwargs"].items()}
        try:
            value = behaviour(*args, **kwargs)
        except Hang:
            return {"status": "timeout", "wall_s": float(job["timeout"])}
        except Exception as exc:
            observed = tools.observe_exception(exc)
            return {"status": "raised", "elapsed_s": ELAPSED_S, **observed, "wall_s": ELAPSED_S}
        encoded = tools.encode(value)
        return {"status": "returned", "elapsed_s": ELAPSED_S, "value": encoded, "wall_s": ELAPSED_S}

    def _pytest(self, job: dict[str, Any]) -> dict[str, Any]:
        """The one case of a pytest job, in the shape of the harness's ``run_pytest``."""
        (module,) = job["compiled"]
        behaviour = self.tests.get(_code(job["files"][job["test_file"]]))
        if behaviour is None:
            return {"status": "crashed", "detail": "FakeSandbox: no script for this test"}
        try:
            passed = behaviour(job["files"][module])
        except Hang:
            return {"status": "timeout", "wall_s": float(job["timeout"])}
        counts = {"collected": 1, "passed": 1} if passed else {"collected": 1, "failed": 1}
        return {"status": "pytest", "exit_code": 0 if passed else 1, "counts": counts}


def _code(text: str) -> str:
    """A candidate as its job carries it: the code extracted from the response."""
    return extract_code(text).code


def _defined(tree: ast.Module) -> set[str]:
    return {n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}
