"""``chorebench spec fill``: the expected values and time limits of a spec, from its reference.

The reference runs in the sandbox, never on the host: the host reads what it returned or
raised, writes it into each case that says nothing yet (``expected`` as a literal, or
``raises``) and, for a spec with a ``limits.calibration`` rule, sets every case's limit to
``max(floor_s, factor x the reference's time)`` and the group cap to at least ``cap_s`` and
at least ``factor`` times the reference's whole group. A value the literal format cannot hold
exactly, or a reference that fails a case, is a problem naming the spec and the case, and
that spec's file is left as it was.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from runner.grade import (
    Sandbox,
    execution_error,
    function_job,
    grader_pool,
    host_units,
    read_transcript,
)
from runner.records import Calibration, Observation, Spec
from runner.spec import load_spec, spec_paths
from runner.values import Digest, write_literal

PROBE_TIMEOUT_S = 60.0  # a reference case slower than this cannot be calibrated


@dataclass(frozen=True)
class FillResult:
    """What ``fill`` did to one spec file: how many cases it filled, or why it could not."""

    path: Path
    filled: int = 0
    problem: str | None = None
    slowest_s: float = 0.0
    run_failed: bool = False  # the reference's run, or a case's process, died (out of memory...)


def fill_specs(
    paths: Sequence[Path],
    sandbox: Sandbox,
    jobs: int,
    progress: Callable[[str], None],
    more_memory_mb: int | None = None,
) -> list[FillResult]:
    """Fill every spec under ``paths`` (files or folders), ``jobs`` at once; results in order.

    With ``more_memory_mb``, a spec whose reference's run failed under a lower memory limit is
    given that limit (written in its file, so its grades get it too) and filled once more;
    if it fails again its file is left with the original limit.

    Raises:
        SpecError: a file is not a valid spec (apart from its missing expected values).
        SandboxError: the sandbox failed; files already filled stay filled.
    """
    files = spec_paths(paths)
    specs = [load_spec(path, filled=False) for path in files]

    def one(spec: Spec) -> FillResult:
        result = fill_spec(spec, sandbox)
        progress(f"{spec.id}: {result.problem or f'{result.filled} case(s) filled'}")
        return result

    results = _each(one, specs, jobs)
    if more_memory_mb is None:
        return results
    again = [
        i for i, spec in enumerate(specs) if _short_of_memory(spec, results[i], more_memory_mb)
    ]
    for i in again:
        progress(f"{specs[i].id}: the reference's run failed; again with {more_memory_mb} MiB")
    redone = _each(
        lambda spec: _with_memory(spec, more_memory_mb, one), [specs[i] for i in again], jobs
    )
    for i, result in zip(again, redone, strict=True):
        results[i] = result
    return results


def _each(one: Callable[[Spec], FillResult], specs: list[Spec], jobs: int) -> list[FillResult]:
    if jobs <= 1 or len(specs) <= 1:
        return [one(spec) for spec in specs]
    with grader_pool(min(jobs, len(specs))) as pool:
        return list(pool.map(one, specs))


def _short_of_memory(spec: Spec, result: FillResult, memory_mb: int) -> bool:
    return result.run_failed and spec.limits.memory_mb < memory_mb


def _with_memory(spec: Spec, memory_mb: int, one: Callable[[Spec], FillResult]) -> FillResult:
    """``one`` on ``spec`` with its file's memory limit raised; the file restored on failure."""
    path = Path(spec.path)
    original = path.read_text(encoding="utf-8")
    data = json.loads(original)
    data.setdefault("limits", {})["memory_mb"] = memory_mb
    _write_spec(path, data)
    result = one(replace(spec, limits=replace(spec.limits, memory_mb=memory_mb)))
    if result.problem:
        path.write_text(original, encoding="utf-8")
    return result


def fill_spec(spec: Spec, sandbox: Sandbox) -> FillResult:
    """Run ``spec``'s reference on every case in the sandbox and write the results in.

    Raises:
        SandboxError: the sandbox failed (the file is left as it was).
    """
    path = Path(spec.path)
    if spec.kind != "function":
        return FillResult(path, problem=f"{path}: /kind: only function specs can be filled")
    probe = replace(
        spec,
        limits=replace(spec.limits, case_timeout_s=PROBE_TIMEOUT_S, group_timeout_s=None),
        cases=tuple(replace(case, timeout_s=None) for case in spec.cases),
        stop_at_first_failure=False,
    )
    execution = sandbox.execute(
        function_job(probe, spec.reference), probe.limits, host_units(probe)
    )
    report = read_transcript(execution, [case.id for case in spec.cases])
    error = execution_error(report, execution)
    if error:
        return FillResult(
            path, problem=f"{path}: /reference: the run failed: {error}", run_failed=True
        )
    data = json.loads(path.read_text(encoding="utf-8"))
    filled = 0
    for index, case in enumerate(spec.cases):
        seen = report.observations[case.id]
        if case.filled:
            continue
        try:
            data["cases"][index].update(expectation(spec, seen))
        except ValueError as exc:
            problem = f"{path}: /cases/{index} ({case.id}): {exc}"
            return FillResult(path, problem=problem, run_failed=seen.status == "crashed")
        filled += 1
    times = [report.observations[case.id].elapsed_s for case in spec.cases]
    if spec.limits.calibration is not None:
        calibrate(data, spec, times, spec.limits.calibration)
    _write_spec(path, data)
    return FillResult(path, filled, slowest_s=max(times, default=0.0))


def expectation(spec: Spec, seen: Observation) -> dict[str, Any]:
    """The ``expected`` or ``raises`` entry a case gets from the reference's observation.

    Raises:
        ValueError: the reference did not return or raise, raised a non-built-in exception,
            or returned a value with no exact literal form.
    """
    if seen.status == "raised":
        if seen.exc_type not in seen.exc_builtins:
            raise ValueError(f"the reference raised {seen.exc_type}, not a built-in exception")
        return {"raises": {"type": seen.exc_type}}
    if seen.status != "returned":
        raise ValueError(f"the reference did not return: {seen.status} {seen.detail}".strip())
    if spec.comparison.oracle == "not_none":
        # EvalPlus keeps only whether the reference returned something (a re.Match, or None).
        return {"expected": write_literal(seen.value_error is not None or seen.value is not None)}
    if seen.value_error is not None:
        raise ValueError(f"the reference's value cannot be carried: {seen.value_error}")
    if type(seen.value) is Digest:
        value = seen.value
        return {"expected_digest": {"type": value.kind, "sha256": value.sha256, "size": value.size}}
    return {"expected": write_literal(seen.value)}


def calibrate(data: dict[str, Any], spec: Spec, times: Sequence[float], rule: Calibration) -> None:
    """Write each case's limit and the group cap by ``rule`` (module docstring)."""
    for index, elapsed in enumerate(times):
        limit = max(rule.floor_s, _up(rule.factor * elapsed))
        if limit > rule.floor_s:
            data["cases"][index]["timeout_s"] = limit
        else:
            data["cases"][index].pop("timeout_s", None)
    totals: dict[str, float] = {}
    for case, elapsed in zip(spec.cases, times, strict=True):
        totals[case.group] = totals.get(case.group, 0.0) + elapsed
    cap = max([rule.cap_s] + [_up(rule.factor * total + rule.floor_s) for total in totals.values()])
    data["limits"]["case_timeout_s"] = rule.floor_s
    data["limits"]["group_timeout_s"] = cap


def _write_spec(path: Path, data: dict[str, Any]) -> None:
    """A spec file as ``fill`` writes it: indented JSON, non-ASCII kept, a final newline."""
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _up(seconds: float) -> float:
    """Rounded up to the next hundredth of a second."""
    return math.ceil(seconds * 100) / 100
