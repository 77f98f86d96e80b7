"""Grading commands: grade answers, import a suite, fill and check specs."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from runner import commands, console
from runner.cli.options import sandbox_settings
from runner.errors import BadInputError, SandboxError, SpecError
from runner.records import FLOOR_WARNING
from runner.settings import Settings
from runner.values import printable


@click.command()
@click.argument("spec", type=click.Path(path_type=Path))
@click.argument("responses", nargs=-1, type=click.File("rb"))
@click.option(
    "--samples",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="An EvalPlus samples file (JSON lines with task_id and solution or completion), "
    "graded against the suite folder SPEC.",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per response, per line.")
@sandbox_settings()
def grade(
    settings: Settings,
    spec: Path,
    responses: tuple[Any, ...],
    samples: Path | None,
    as_json: bool,
) -> None:
    """Grade each RESPONSE (a file of raw model output, or - for stdin) against SPEC (a spec
    file, or a spec id in specs/).

    Several responses are graded in parallel (--jobs) and printed in the order given. With
    --samples, SPEC is a folder of imported suite specs and each line of the samples file is
    graded; then EvalPlus's pass@1 on base and on base + plus tests is printed.
    Exit 0 when all are graded, whatever the scores; 1 when the sandbox could not run one.

    \b
    Examples:
      chorebench grade iso_duration answer.txt
      pbpaste | chorebench grade specs/iso_duration.json - --json
    """
    if samples is not None:
        if responses:
            raise BadInputError("give either RESPONSES or --samples, not both")
        _grade_samples(spec, samples, as_json, settings)
        return
    if not responses:
        raise BadInputError("no RESPONSES to grade: name files (- for stdin), or use --samples")
    if spec.is_dir():
        raise BadInputError(f"{spec}: a folder; name one spec file (or use --samples)")
    texts = [r.read().decode("utf-8", errors="replace") for r in responses]
    names = [getattr(handle, "name", "-") for handle in responses]
    with console.display(silent=len(texts) == 1) as display:
        results = commands.grade_files(spec, texts, settings, console.log, display, names)
    for handle, result in zip(responses, results, strict=True):
        if as_json:
            click.echo(json.dumps(result.to_json(), indent=None))
            continue
        if len(results) > 1:
            click.echo(f"== {printable(handle.name)}")
        click.echo(console.grade_text(result))
    broken = [r for r in results if r.infra_failed]
    if broken:
        console.log(
            f"error: the sandbox failed, {len(broken)} grade(s) do not count: {broken[0].error}"
        )
        sys.exit(1)


def _grade_samples(folder: Path, samples: Path, as_json: bool, settings: Settings) -> None:
    if not folder.is_dir():
        raise BadInputError(f"{folder}: with --samples, name the folder of the suite's specs")
    result = commands.grade_samples_file(folder, samples, settings, console.log)
    for item in result.grades:
        if as_json:
            click.echo(json.dumps(item.to_json()))
            continue
        groups = " ".join(f"{g.group} {g.passed}/{g.total}" for g in item.grade.groups)
        click.echo(f"{item.sample.task_id} (line {item.sample.line}): {groups}")
    figures = {"base": result.pass_at_1("base"), "base+plus": result.pass_at_1("base", "plus")}
    if as_json:
        click.echo(json.dumps({"pass@1": figures, "samples": len(result.grades)}))
    else:
        click.echo(
            f"pass@1 base {figures['base']:.4f}, base+plus {figures['base+plus']:.4f} "
            f"({len(result.grades)} samples)"
        )
    if result.infra_failed:
        console.log(f"error: the sandbox failed, {len(result.infra_failed)} grade(s) do not count")
        sys.exit(1)


@click.command("import")
@click.argument("kind", type=click.Choice(["evalplus"]))
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the specs (default specs/humanevalplus or specs/mbppplus).",
)
@click.option("--task", "task_ids", multiple=True, help="Import only this task id (repeatable).")
@sandbox_settings()
def import_(
    settings: Settings,
    kind: str,
    source: Path,
    out: Path | None,
    task_ids: tuple[str, ...],
) -> None:
    """Import a standard suite: SOURCE is EvalPlus's HumanEval+ or MBPP+ file (.jsonl[.gz]).

    Writes one spec per task and fills its expected values and time limits by running the
    task's reference in the sandbox. Tasks that cannot be imported are listed with the reason.
    """
    result = commands.import_suite(source, out, task_ids, settings, console.log)
    for task_id, reason in result.skipped:
        click.echo(f"skipped {task_id}: {reason}")
    folder = result.written[0].parent if result.written else out
    written, skipped = len(result.written), len(result.skipped)
    click.echo(f"{result.suite}: {written} spec(s) in {folder}, {skipped} skipped")


@click.group()
def spec() -> None:
    """Author specs: fill in what a reference computes."""


@spec.command("fill")
@click.argument("specs", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@sandbox_settings()
def spec_fill(
    settings: Settings,
    specs: tuple[Path, ...],
) -> None:
    """Fill each case of SPECS that has no expected value with what the reference returns or
    raises in the sandbox (and, for calibrated specs, the time limits). Review the diff."""
    results = commands.fill(list(specs), settings, console.log)
    for result in results:
        if result.problem is None:
            click.echo(
                f"{result.path}: {result.filled} case(s) filled, "
                f"slowest reference case {result.slowest_s * 1000:.1f} ms"
            )
    problems = [r.problem for r in results if r.problem]
    if problems:
        raise SpecError(problems)


@click.command("check-specs")
@click.argument("specs", nargs=-1, type=click.Path(path_type=Path))
@sandbox_settings()
def check_specs(
    settings: Settings,
    specs: tuple[Path, ...],
) -> None:
    """Validate SPECS (default: every spec in specs/), prove each satisfiable, show its floor.

    A spec is satisfiable when its reference earns full marks in the sandbox. The reference's
    time per case is shown, so limits can be set well above it. The floor is the best score of
    a few trivial answers (always raise the expected exception, return None, return the first
    argument, return a constant): a floor above 0.3 is flagged, since a do-nothing answer then
    earns a misleading score. Exit 0 when all are satisfiable; 2 when any spec is invalid or
    unsatisfiable; 1 when the sandbox could not run.

    \b
    Example:
      chorebench check-specs                      # every spec in specs/
      chorebench check-specs specs/iso_duration.json
    """
    with console.display() as display:
        results = commands.check_specs(
            list(specs) or [settings.specs_dir], settings, console.log, display
        )
    for result in results:
        grade = result.grade
        slowest = max((c.elapsed_s or 0.0 for c in grade.checks), default=0.0)
        mark = "ok  " if result.ok else "FAIL"
        click.echo(
            f"{mark} {grade.spec}: reference {grade.points}/{grade.max_points}, "
            f"slowest case {slowest * 1000:.1f} ms "
            f"(limit {result.spec.limits.case_timeout_s:g} s), "
            f"{grade.elapsed_s:.2f} s"
        )
        floor = result.floor
        if floor is not None:
            warning = (
                f"  WARNING: above {FLOOR_WARNING}: add cases a trivial answer fails, or read "
                "its scores against this floor"
                if floor.high
                else ""
            )
            click.echo(
                f"     floor {floor.points}/{floor.max_points} ({floor.score:.2f}) "
                f"from {floor.candidate}{warning}"
            )
        if not result.ok:
            click.echo(console.grade_text(grade, failures_only=True))
        tight = result.tight_limits
        if tight:
            click.echo(
                f"  warning: {len(tight)} case limit(s) tighter than the calibration rule "
                f"(run `chorebench spec fill` again to recalibrate), first {tight[0]}"
            )
    broken = [r.grade.error or "" for r in results if r.grade.infra_failed]
    if broken:
        raise SandboxError(f"the sandbox failed while checking specs: {broken[0]}")
    problems = [r.problem for r in results if r.problem]
    if problems:
        raise SpecError(problems)
    click.echo(f"{len(results)} spec(s) valid and satisfiable")
