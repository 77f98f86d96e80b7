"""Grade a generated pytest module by mutation: it must pass on the reference, fail on mutants.

Every variant runs in its own fresh container, and every container looks the same to the
candidate: the module under test sits at the same path under the same name, the test file
has the same name, the job has the same shape. Only the module differs, and it arrives as
bytecode only (no source text to read, print or hash), so a test can tell the variants apart
by what the module does, or (a residual risk stated in docs/SECURITY.md) by deliberately
comparing the module's code objects with code it compiles itself: inspection, not a forged
outcome.

Pytest's outcome is reported from inside the candidate's own process, so the candidate can
forge it; but a forgery that does not depend on the variant scores nothing, because the same
forged outcome then appears on the reference and on every mutant.

Runs can still learn about each other through host state that a read-only container touches
(under runc: the page cache of the image's files, the dentry cache), but all such state can
tell a run is its history: how many runs came before it, and when. So history is made
worthless: the reference runs ``REFERENCE_RUNS`` times, every run must pass, and the runs go
in a fresh secret random order (``run_plan``). A test whose outcome depends on history rather
than on the module passes at most one of the reference runs when it passes only on a fresh
history, and otherwise must guess where the reference runs are: with ``m`` mutants, one
chance in C(m + 2, 2) (docs/SECURITY.md).
"""

from __future__ import annotations

import random
import secrets
from dataclasses import replace

from runner.errors import SandboxError
from runner.grade.compliance import UNRUNNABLE, not_executed
from runner.grade.diagnostics import stale_reference_diagnostics
from runner.grade.protocol import (
    Sandbox,
    execution_error,
    oversized_job,
    pytest_job,
    read_transcript,
    sandbox_facts,
    why_untrusted,
)
from runner.records import Check, Observation, Outcome, Spec, Violation

TEST_FILE = "test_chore.py"
PYTEST_CASE = "run"  # the harness's one case id for a pytest job (its wire name)
REFERENCE_RUNS = 2  # runs of the reference per grade, each of which must pass


def variant_sources(spec: Spec) -> list[tuple[str, str]]:
    """(check name, module source) for the reference and every mutant, in spec order."""
    assert spec.module is not None
    variants = [("reference", spec.module.reference)]
    variants += [(f"mutant:{mutant.name}", mutant.source) for mutant in spec.module.mutants]
    return variants


def run_plan(
    spec: Spec, reference_runs: int = REFERENCE_RUNS, rng: random.Random | None = None
) -> list[tuple[str, str]]:
    """The runs of one grade, as (check name, module source), in a fresh random order.

    The reference runs ``reference_runs`` times, every mutant once. The order comes from
    ``rng``, by default the operating system's randomness, which no candidate can predict.
    """
    variants = variant_sources(spec)
    runs = [variants[0]] * reference_runs + variants[1:]
    (rng or secrets.SystemRandom()).shuffle(runs)
    return runs


def module_file(import_path: str) -> str:
    """The relative path of the module under test (``src/main_improved.py``)."""
    return "/".join(import_path.split(".")) + ".py"


def layout(import_path: str, module_source: str, test_code: str) -> dict[str, str]:
    """The files of one execution: packages with ``__init__.py``, the module, the test file."""
    parts = import_path.split(".")
    files = {"/".join([*parts[:depth], "__init__.py"]): "" for depth in range(1, len(parts))}
    files[module_file(import_path)] = module_source
    files[TEST_FILE] = test_code
    return files


def grade_test_module(
    spec: Spec,
    code: str,
    violations: tuple[Violation, ...],
    sandbox: Sandbox,
) -> tuple[list[Check], tuple[Violation, ...], str | None, dict[str, object]]:
    """Run the candidate test module on every run of ``run_plan``; one check per variant.

    The reference's check passes only when every one of its runs passed. Returns the checks
    (in spec order), the stale-reference diagnostics, a run-level error and sandbox facts.
    """
    assert spec.module is not None
    variants = variant_sources(spec)
    diagnostics = stale_reference_diagnostics(code, spec.module) if code.strip() else ()
    unrunnable = [v for v in violations if v.rule in UNRUNNABLE - {"entry_point_missing"}]
    if unrunnable:
        outcome, detail = not_executed(unrunnable[0])
        checks = [Check(name, False, 0, 1, outcome, detail) for name, _ in variants]
        return checks, diagnostics, None, {}
    runs: dict[str, list[Check]] = {name: [] for name, _ in variants}
    errors: list[str] = []
    facts: dict[str, object] = {}
    for name, source in run_plan(spec):
        files = layout(spec.module.import_path, source, code)
        job = pytest_job(spec, files, TEST_FILE, (module_file(spec.module.import_path),))
        if too_large := oversized_job(job):
            runs[name].append(Check(name, False, 0, 1, Outcome.TOO_LARGE, too_large))
            continue
        try:
            execution = sandbox.execute(job, spec.limits, 1, kind="pytest")
        except SandboxError as exc:
            runs[name].append(Check(name, False, 0, 1, Outcome.INFRA_ERROR, str(exc)))
            errors.append(str(exc))
            continue
        transcript = read_transcript(execution, [PYTEST_CASE])
        facts = sandbox_facts(execution, transcript.python)
        error = execution_error(transcript, execution)
        if error and name == "reference":
            errors.append(f"reference run: {error}")
        trusted = why_untrusted(transcript, execution) is None
        seen = transcript.observations.get(PYTEST_CASE) if trusted else None
        runs[name].append(judge(name, seen, error))
    checks = [combine(checks) for checks in runs.values()]
    return checks, diagnostics, (errors[0] if errors else None), facts


def combine(runs: list[Check]) -> Check:
    """One variant's check from its runs: passed only when every run passed.

    With several runs, the detail says which run failed first (runs are counted in the order
    they ran) or that all of them passed.
    """
    if len(runs) == 1:
        return runs[0]
    for number, check in enumerate(runs, 1):
        if not check.passed:
            return replace(check, detail=f"run {number} of {len(runs)}: {check.detail}")
    return replace(runs[0], detail=f"{runs[0].detail} (all {len(runs)} runs)")


def judge(name: str, seen: Observation | None, error: str | None) -> Check:
    """The check for one variant: the reference must pass, a mutant must be caught."""
    if seen is None:
        return Check(name, False, 0, 1, Outcome.CRASHED, error or "no report from the run")
    if seen.status == "timeout":
        return Check(name, False, 0, 1, Outcome.TIMEOUT, "pytest exceeded the time limit")
    if seen.status != "pytest" or seen.pytest is None:
        return Check(name, False, 0, 1, Outcome.CRASHED, f"{seen.status}: {seen.detail}")
    counts = seen.pytest
    collected = counts.get("collected", 0)
    failed = counts.get("failed", 0)
    passed = counts.get("passed", 0)
    summary = (
        f"exit {counts.get('exit_code')}, collected {collected}, passed {passed}, "
        f"failed {failed}, skipped {counts.get('skipped', 0)}"
    )
    elapsed = round(seen.elapsed_s, 4)
    all_pass = counts.get("exit_code") == 0 and collected > 0 and passed > 0 and failed == 0
    if name == "reference":
        if collected == 0:
            return Check(name, False, 0, 1, Outcome.WRONG, "no test collected: " + summary, elapsed)
        outcome = Outcome.PASSED if all_pass else Outcome.WRONG
        detail = ("passes on the reference: " if all_pass else "fails on the reference: ") + summary
        return Check(name, all_pass, int(all_pass), 1, outcome, detail, elapsed)
    caught = collected > 0 and counts.get("exit_code") == 1 and failed > 0
    outcome = Outcome.PASSED if caught else Outcome.WRONG
    detail = ("caught the mutant: " if caught else "the mutant survived: ") + summary
    return Check(name, caught, int(caught), 1, outcome, detail, elapsed)
