"""The same function candidates through epicbox, llm-sandbox and an in-process ``exec``.

Each peer runs, per candidate, one program: the candidate's extracted code followed by a
driver that calls the entry point on every case input of the spec and prints one JSON line
per case (the value's repr, or the exception). One execution per candidate, in a fresh
container, on chorebench's own grader image: the same shape of work as chorebench's one
container per candidate. The peers do not compare anything; chorebench's grade does more.
A peer's output must equal the in-process run's output, or its figure is void.

pytest-kind candidates are not run through the peers: neither has a notion of laying out a
module tree and running pytest on it, so the comparison is for function candidates only.

Adaptations, each the least that lets the peer run here, stated in the report:
- epicbox 1.1.0 builds its urllib3 ``Retry`` with ``method_whitelist``, which urllib3 2
  removed (``TypeError``); ``_epicbox`` renames that one keyword. epicbox has no runtime
  option, so it always runs under the engine's default runtime (runc).
- llm-sandbox's ``SandboxSession.run`` cannot run on this image (the error is recorded live);
  the figure is for its ``execute_command`` running ``python3 -c PROGRAM`` in the session's
  container, which it creates with the sandbox's hardening and the command ``sleep infinity``
  (the image's own command is the harness, which would wait for a job), stopped with SIGKILL
  (PID 1 ignores SIGTERM, so ``close`` would wait Docker's 10 s grace period).
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import shlex
import socket
from collections.abc import Callable
from typing import Any

from workload import Candidate

from runner.grade import extract_code
from runner.records import Limits
from runner.sandbox import LABEL, UID, container_options, execution_deadline

DRIVER = """

import ast as _ast
import json as _json

for _args, _kwargs in {calls!r}:
    try:
        _value = {entry}(
            *[_ast.literal_eval(a) for a in _args],
            **{{k: _ast.literal_eval(v) for k, v in _kwargs.items()}},
        )
        print(_json.dumps(["returned", repr(_value)]))
    except Exception as _exc:
        print(_json.dumps(["raised", type(_exc).__name__, str(_exc)]))
"""


def program(candidate: Candidate) -> str:
    """The candidate's extracted code and a driver printing a JSON line per case."""
    spec = candidate.spec
    calls = [(list(case.args), dict(case.kwargs)) for case in spec.cases]
    return extract_code(candidate.raw).code + DRIVER.format(calls=calls, entry=spec.entry_point)


def run_in_process(source: str) -> str:
    """The floor: ``exec`` the program in this process, no isolation at all; its stdout."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(source, "candidate.py", "exec"), {"__name__": "__main__"})
    return out.getvalue()


class Peer:
    """A sandbox library that runs one program per call, or the reason it cannot."""

    name = "peer"

    def __init__(self) -> None:
        self.unavailable: str | None = None
        """Why this peer is not measured here (None: it is)."""
        self.note = ""
        """What was adapted to make it run, or what it would not do, for the table."""

    def run(self, source: str) -> str:
        """Run ``source`` in a fresh container; its stdout."""
        raise NotImplementedError

    def close(self) -> None:
        """Release what ``__init__`` set up."""


def _labels(kind: str) -> dict[str, str]:
    owner = f"{socket.gethostname()}:{os.getpid()}"
    return {LABEL: "1", f"{LABEL}.owner": owner, f"{LABEL}.perf": kind}


class Epicbox(Peer):
    """epicbox: ``epicbox.run`` with a profile on the grader image, the program on stdin."""

    name = "epicbox"

    def __init__(self, image: str, limits: Limits, runtime: str, cases: int) -> None:
        super().__init__()
        try:
            import epicbox
            import epicbox.utils
        except ImportError as exc:
            self.unavailable = f"not installed ({exc}); `pip install -e '.[perf]'`"
            return
        if runtime != "runc":
            self.unavailable = "epicbox has no runtime option (its Profile takes none)"
            return
        epicbox.utils.Retry = _retry_with_allowed_methods()
        epicbox.configure(profiles=[epicbox.Profile("chorebench", image, user=UID, read_only=True)])
        deadline = execution_deadline(limits, cases)
        self.limits = {
            "cputime": math.ceil(deadline),
            "realtime": math.ceil(deadline),
            "memory": limits.memory_mb,
            "processes": limits.pids,
        }
        self.note = "urllib3 2 keyword shim; no runtime option, no cap-drop"
        self._run = epicbox.run

    def run(self, source: str) -> str:
        """One ``epicbox.run`` of ``python3 -`` with the program on stdin."""
        result = self._run("chorebench", "python3 -", stdin=source.encode(), limits=self.limits)
        if result["exit_code"] != 0:
            raise RuntimeError(f"epicbox run failed: {result}")
        return bytes(result["stdout"]).decode()


def _retry_with_allowed_methods() -> type:
    """urllib3's Retry, also accepting the ``method_whitelist`` keyword urllib3 2 dropped."""
    from urllib3.util.retry import Retry

    class CompatRetry(Retry):
        def __init__(self, *args: Any, method_whitelist: Any = None, **kwargs: Any) -> None:
            if method_whitelist is not None:
                kwargs["allowed_methods"] = method_whitelist
            super().__init__(*args, **kwargs)

    return CompatRetry


class LlmSandbox(Peer):
    """llm-sandbox: one ``SandboxSession`` per program, on the grader image."""

    name = "llm-sandbox"

    def __init__(self, image: str, limits: Limits, runtime: str, cases: int) -> None:
        super().__init__()
        try:
            from llm_sandbox import SandboxSession
        except ImportError as exc:
            self.unavailable = f"not installed ({exc}); `pip install -e '.[perf]'`"
            return
        self.timeout = execution_deadline(limits, cases)
        self.session: Callable[[], Any] = lambda: SandboxSession(
            lang="python",
            image=image,
            keep_template=True,  # never remove the grader image
            skip_environment_setup=True,  # it would pip install over the network
            workdir="/tmp",
            execution_timeout=self.timeout,
            runtime_configs={
                **container_options(limits, runtime),
                "user": UID,
                "command": ["sleep", "infinity"],
                "stop_signal": "SIGKILL",
                "labels": _labels("llm-sandbox"),
            },
        )
        self.note = "execute_command (python3 -c); " + self._run_error()

    def _run_error(self) -> str:
        """What its own ``run`` does with a one-line program here, as a short note."""
        try:
            with self.session() as session:
                result = session.run("print(1)")
        except Exception as exc:  # any failure is the finding: record it, do not stop
            why = getattr(exc, "explanation", None) or str(exc)
            return f"its run() fails: {type(exc).__name__}: {str(why)[:200]}"
        if result.exit_code != 0:
            return f"its run() fails: exit {result.exit_code}: {result.stdout.strip()[:160]}"
        return "its run() works here too"

    def run(self, source: str) -> str:
        """Open a session (create, start), ``python3 -c`` the program, close (stop, remove)."""
        with self.session() as session:
            result = session.execute_command("python3 -c " + shlex.quote(source))
        if result.exit_code != 0:
            raise RuntimeError(f"llm-sandbox exec failed: {result.exit_code} {result.stderr}")
        return str(result.stdout)


def make_peers(image: str, limits: Limits, runtime: str, cases: int) -> list[Peer]:
    """The peers for one runtime, each either ready or carrying the reason it is not."""
    return [Epicbox(image, limits, runtime, cases), LlmSandbox(image, limits, runtime, cases)]


def expected_outputs(candidates: list[Candidate]) -> dict[str, str]:
    """The floor's output per candidate name, which every peer must reproduce."""
    return {c.name: run_in_process(program(c)) for c in candidates}


def same_output(got: str, want: str) -> bool:
    """Outputs agree line by line as JSON (line endings and blank lines aside)."""

    def lines(text: str) -> list[Any]:
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    return lines(got) == lines(want)
