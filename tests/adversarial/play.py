"""Grade one adversarial case and check everything its promise says, on the real engine.

``play`` grades the hostile candidate, then the next honest candidate, and returns a
``Verdict`` that lists every broken promise in ``problems`` (empty when the case passed):
- points: no more than the spec's constant candidate (``BASELINES``), unless the case is a
  documented limitation, which must still earn them;
- outcomes: every check ends with one of the case's allowed outcomes;
- time: the grade took no longer than the spec's limits allow, plus a fixed margin;
- host: no container of this runner is left, no host process of a container created during
  the case survives it (runtime-level orphans included), no file carrying the canary or owned
  by the container's uid appeared in the host's scratch folders;
- the honest candidate right after earns full marks, and it checks from inside its own
  container that the runner's environment canary is invisible and that nothing the hostile
  candidate wrote is there.
"""

from __future__ import annotations

import os
import secrets
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from runner.grade import REFERENCE_RUNS, grade_response
from runner.records import Grade, Spec
from runner.sandbox import OWNER, execution_deadline, orphans
from runner.spec import load_spec

from .catalogue import BASELINES, Hostile

ROOT = Path(__file__).resolve().parents[2]
SPECS = ROOT / "specs"
MARGIN_S = 15.0  # container start and removal on a loaded 2-core machine; a bound, not a goal
WATCHED = (Path("/tmp"), Path("/var/tmp"), Path("/dev/shm"))
CONTAINER_UID = 65534
ENV_NAME = "CHOREBENCH_CANARY"

# Prepended to the honest candidate: it fails at import (and so earns nothing) if the canary
# is visible or anything a previous candidate wrote is in its own container.
PROBE = """\
import os as _os


def _leftovers():
    seen = {canary!r} in repr(dict(_os.environ))
    for path in ('/proc/1/environ', '/proc/self/environ'):
        try:
            with open(path, 'rb') as handle:
                seen = seen or {canary!r}.encode() in handle.read()
        except OSError:
            pass
    left = []
    for folder in ('/tmp', '/tmp/work', '/dev/shm'):
        try:
            left += [n for n in _os.listdir(folder) if n.startswith('chorebench-')
                     or n in ('sitecustomize.py', 'usercustomize.py', 'json.py', 're.py')]
        except OSError:
            pass
    return seen, left


_seen, _left = _leftovers()
if _seen or _left:
    raise SystemExit('canary visible or leftovers: %r' % (_left,))


"""


@dataclass(frozen=True)
class Canary:
    """A random token in the runner's environment and in a host file outside the container."""

    token: str
    path: Path


@dataclass(frozen=True)
class Verdict:
    """What one case did under one runtime, and every promise it broke (``problems``)."""

    case: str
    runtime: str
    points: int
    max_points: int
    baseline: int
    outcomes: tuple[str, ...]
    elapsed_s: float
    bound_s: float
    honest_points: int
    honest_max: int
    error: str | None
    problems: tuple[str, ...]


@contextmanager
def canaries() -> Iterator[Canary]:
    """Set the environment canary and write the host-file canary; undo both afterwards."""
    token = "canary-" + secrets.token_hex(8)
    with tempfile.TemporaryDirectory(prefix="chorebench-canary-") as folder:
        path = Path(folder) / "secret.txt"
        path.write_text(token, encoding="utf-8")
        before = os.environ.get(ENV_NAME)
        os.environ[ENV_NAME] = token
        try:
            yield Canary(token, path)
        finally:
            if before is None:
                os.environ.pop(ENV_NAME, None)
            else:
                os.environ[ENV_NAME] = before


def narrowed(hostile: Hostile, spec: Spec) -> Spec:
    """The spec reduced to the case's cases or mutants and case timeout."""
    limits = spec.limits
    if hostile.timeout_s is not None:
        limits = replace(limits, case_timeout_s=hostile.timeout_s)
    spec = replace(spec, limits=limits)
    if hostile.cases:
        spec = replace(spec, cases=tuple(c for c in spec.cases if c.id in hostile.cases))
    if hostile.mutants and spec.module is not None:
        kept = tuple(m for m in spec.module.mutants if m.name in hostile.mutants)
        spec = replace(spec, module=replace(spec.module, mutants=kept))
    return spec


def bound_s(spec: Spec) -> float:
    """The longest a grade of ``spec`` may take: the host deadlines of its runs, plus a margin."""
    if spec.kind == "pytest" and spec.module is not None:
        runs = REFERENCE_RUNS + len(spec.module.mutants)
        return runs * execution_deadline(spec.limits, 1) + MARGIN_S
    return execution_deadline(spec.limits, len(spec.cases)) + MARGIN_S


def render(code: str, canary: Canary) -> str:
    """The candidate with its placeholders filled in."""
    return (
        code.replace("{CANARY_PATH}", str(canary.path))
        .replace("{CANARY}", canary.token)
        .replace("{PROJECT_DIR}", str(ROOT))
    )


def honest(spec: Spec, canary: Canary) -> str:
    """The spec's reference behind the probe: full marks only in a clean container."""
    return PROBE.format(canary=canary.token) + spec.reference


_baselines: dict[tuple[Any, ...], int] = {}


def baseline_points(spec: Spec, sandbox: Any) -> int:
    """Points of the spec's constant candidate on the narrowed spec (cached per session)."""
    key = (sandbox.runtime, spec.id, tuple(c.id for c in spec.cases), spec.limits, spec.module)
    if key not in _baselines:
        _baselines[key] = grade_response(spec, BASELINES[spec.id], sandbox).points
    return _baselines[key]


def play(hostile: Hostile, sandbox: Any, canary: Canary) -> Verdict:
    """Grade ``hostile``, then an honest candidate, and check every promise; never raises."""
    spec = narrowed(hostile, load_spec(SPECS / f"{hostile.spec}.json"))
    baseline = baseline_points(spec, sandbox)
    files_before = _watched_entries()
    since = time.time()
    grade = grade_response(spec, render(hostile.code, canary), sandbox)
    honest_grade = grade_response(spec, honest(spec, canary), sandbox)
    problems = _grade_problems(hostile, spec, grade, baseline)
    if honest_grade.points != honest_grade.max_points:
        failed = [(c.case, c.detail) for c in honest_grade.checks if not c.passed][:1]
        earned = f"{honest_grade.points}/{honest_grade.max_points}"
        problems.append(f"the honest candidate after it earned {earned}: {failed}")
    problems += host_leaks(sandbox, since, files_before, canary)
    return Verdict(
        case=hostile.id,
        runtime=sandbox.runtime,
        points=grade.points,
        max_points=grade.max_points,
        baseline=baseline,
        outcomes=tuple(sorted({c.outcome.value for c in grade.checks})),
        elapsed_s=round(grade.elapsed_s, 2),
        bound_s=bound_s(spec),
        honest_points=honest_grade.points,
        honest_max=honest_grade.max_points,
        error=grade.error,
        problems=tuple(problems),
    )


def _grade_problems(hostile: Hostile, spec: Spec, grade: Grade, baseline: int) -> list[str]:
    problems = []
    if hostile.limitation:
        if grade.points <= baseline:
            problems.append(
                f"documented limitation no longer holds ({grade.points} points): "
                "update docs/SECURITY.md and the catalogue"
            )
    elif grade.points > baseline:
        problems.append(f"{grade.points} points, more than the constant candidate's {baseline}")
    unexpected = {c.outcome for c in grade.checks} - hostile.outcomes
    if unexpected:
        seen = [(c.case, c.outcome.value, c.detail) for c in grade.checks][:3]
        problems.append(f"unexpected outcomes {sorted(o.value for o in unexpected)}: {seen}")
    if grade.elapsed_s > bound_s(spec):
        problems.append(f"took {grade.elapsed_s:.1f} s, bound {bound_s(spec):.1f} s")
    if grade.infra_failed:
        problems.append(f"the sandbox failed: {grade.error}")
    return problems


def host_leaks(sandbox: Any, since: float, files_before: set[Path], canary: Canary) -> list[str]:
    """What the case left on the host: containers, processes, files (empty when nothing)."""
    client = sandbox.client
    problems = []
    sandbox.settle()  # used containers are removed in the background; wait for that
    mine = {"label": f"{OWNER}={sandbox.owner}"}
    left = client.api.containers(all=True, filters=mine)
    if left:
        problems.append(f"containers left: {[c['Names'] for c in left]}")
    created = {
        event["id"]
        for event in client.api.events(
            since=f"{since - 1:.6f}",
            until=f"{time.time():.6f}",
            filters={"type": "container", "event": "create", **mine},
            decode=True,
        )
    }
    deadline = time.monotonic() + 10
    while True:
        alive = [p for p in orphans.scan() if p.container in created]
        if not alive or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    if alive:
        problems.append(
            f"host processes left: {[(p.pid, p.name, p.container[:12]) for p in alive]}"
        )
    new_files = _watched_entries() - files_before
    suspicious = [p for p in new_files if canary.token in p.name or _owner(p) == CONTAINER_UID]
    if suspicious:
        problems.append(f"files on the host: {sorted(map(str, suspicious))}")
    return problems


def _watched_entries() -> set[Path]:
    entries: set[Path] = set()
    for folder in WATCHED:
        with suppress(OSError):
            entries.update(folder.iterdir())
    return entries


def _owner(path: Path) -> int | None:
    try:
        return path.lstat().st_uid
    except OSError:
        return None
