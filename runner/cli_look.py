"""The command line's looking-inside commands: ``show``, ``specs``, ``models``, ``diff``.

A translator like ``runner.cli`` (which registers these): parse flags, call one library
function (``runner.look``, ``runner.spec``), print. Also the one text form of a grade
(``grade_text``) that ``grade``, ``check-specs`` and ``show`` print.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from runner.records import Grade
from runner.settings import Settings


def grade_text(grade: Grade, failures_only: bool = False) -> str:
    """A grade as lines: the score, the violations and diagnostics, then each check."""
    lines = []
    if not failures_only:
        lines.append(
            f"{grade.spec}: {grade.points}/{grade.max_points} points, score {grade.score:.3f}, "
            f"strict {grade.strict_score:.3f}, "
            + ("compliant" if grade.compliant else "not compliant")
        )
        for violation in grade.violations:
            where = f" (line {violation.line})" if violation.line else ""
            lines.append(f"  violation {violation.rule}{where}: {violation.detail}")
        for diagnostic in grade.diagnostics:
            where = f" (line {diagnostic.line})" if diagnostic.line else ""
            lines.append(f"  diagnostic {diagnostic.rule}{where}: {diagnostic.detail}")
    if grade.error:
        lines.append(f"  error: {grade.error}")
    for check in grade.checks:
        if failures_only and check.passed:
            continue
        mark = "pass" if check.passed else "FAIL"
        lines.append(f"  {mark} {check.case:<24} {check.outcome.value:<14} {check.detail}")
    return "\n".join(lines)


run_dir_argument = click.argument(
    "run_dir", type=click.Path(exists=True, file_okay=False, path_type=Path)
)


@click.command()
@run_dir_argument
@click.argument("key", required=False)
@click.option("--model", help="The sample's model (with --spec and --run when needed).")
@click.option("--spec", help="The sample's spec id.")
@click.option("--run", "run_index", type=click.IntRange(1), help="The sample's run number.")
@click.option(
    "--phase", type=click.Choice(["runs", "best_of"]), help="The sample's phase (default: any)."
)
@click.option("--json", "as_json", is_flag=True, help="The stored record, as JSON.")
def show(
    run_dir: Path,
    key: str | None,
    model: str | None,
    spec: str | None,
    run_index: int | None,
    phase: str | None,
    as_json: bool,
) -> None:
    """Show one sample of RUN_DIR whole: its raw response, thinking, extracted code,
    violations and every check's outcome.

    Name the sample by KEY (as the report lists it; a unique prefix will do) or by --model,
    --spec and --run. When several match, they are listed with their keys.

    \b
    Examples:
      chorebench show runs/latest 3f9c2a
      chorebench show runs/latest --model smollm2-135m --spec iso_duration --run 1
    """
    from runner.look import find_sample

    view = find_sample(run_dir, key, model, spec, run_index, phase)
    record = view.record
    if as_json:
        click.echo(json.dumps(record, indent=2, sort_keys=True))
        return
    think = "default" if record.get("think") is None else str(record.get("think")).lower()
    click.echo(
        f"sample {record.get('key')}: {record.get('model')} on {record.get('spec')}, "
        f"{record.get('phase') or 'runs'} run {record.get('run')} "
        f"(temperature {record.get('temperature')}, think {think})"
    )
    wall = record.get("wall_s")
    click.echo(
        f"host {record.get('host')}, "
        + (f"{wall:.1f} s, " if isinstance(wall, int | float) else "")
        + f"{record.get('eval_count')} tokens, done: {record.get('done_reason')}"
        + (" (out of budget)" if record.get("out_of_budget") else "")
        + (" THINKING TRAP" if record.get("thinking_trap") else "")
    )
    if record.get("error"):
        click.echo(f"error: {record['error']} (not counted: the server failed, not the model)")
    if view.grade is not None:
        click.echo(grade_text(view.grade))
    _block("response", record.get("response") or "")
    if record.get("thinking"):
        _block("thinking", record["thinking"])
    extraction = view.extraction
    fences = f", {extraction.fenced_blocks} fenced block(s)" if extraction.fenced_blocks else ""
    prose = f", {len(extraction.prose)} stretch(es) of prose" if extraction.prose else ""
    _block(f"extracted code{fences}{prose}", extraction.code)


def _block(title: str, body: str) -> None:
    size = len(body.encode("utf-8", "surrogatepass"))
    click.echo(f"--- {title} ({size} bytes)")
    if body:
        click.echo(body.rstrip("\n"))


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per spec, per line.")
@click.pass_obj
def specs(settings: Settings, paths: tuple[Path, ...], as_json: bool) -> None:
    """List the specs in PATHS (files, folders or ids; default specs/): id, family, kind,
    points, cases, title. Validates them; runs nothing (no sandbox).

    \b
    Examples:
      chorebench specs
      chorebench specs specs/iso_duration.json --json
    """
    from runner.spec import load_specs

    loaded = load_specs(list(paths) or [settings.specs_dir], settings.specs_dir)
    rows = []
    for spec in loaded:
        checks = len(spec.module.mutants) + 1 if spec.module else len(spec.cases)
        entry = {
            "id": spec.id,
            "family": spec.family,
            "kind": spec.kind,
            "points": spec.max_points,
            "checks": checks,
            "title": spec.title,
            "path": spec.path,
        }
        if as_json:
            click.echo(json.dumps(entry))
        rows.append(entry)
    if as_json:
        return
    from tabulate import tabulate

    table = [[r["id"], r["family"], r["kind"], r["points"], r["checks"], r["title"]] for r in rows]
    headers = ["Id", "Family", "Kind", "Points", "Cases", "Title"]
    click.echo(tabulate(table, headers=headers, tablefmt="plain", disable_numparse=True))


@click.command()
@click.option(
    "--host",
    "hosts",
    multiple=True,
    help="Model server (repeatable; default OLLAMA_HOST): http://HOST:PORT is Ollama, "
    "openai+http://HOST:PORT an OpenAI-compatible server.",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per model, per line.")
@click.pass_obj
def models(settings: Settings, hosts: tuple[str, ...], as_json: bool) -> None:
    """List what each model server serves, with sizes. Nothing is loaded or generated.

    Exit 1 when no host answers.

    \b
    Examples:
      chorebench models
      chorebench models --host openai+http://127.0.0.1:8080 --host http://gpu-box:11434
    """
    from runner.errors import InfraError
    from runner.look import list_models
    from runner.routing import gigabytes

    found = list_models(hosts or (settings.ollama_host,), settings.openai_api_key)
    for entry in found:
        if as_json:
            for info in entry.models:
                fields = {"host": entry.host, "backend": entry.backend, "name": info.name}
                fields |= {"size": info.size or None, "parameter_size": info.parameter_size}
                fields |= {"quantization": info.quantization, "family": info.family}
                click.echo(json.dumps(fields))
            continue
        if entry.error:
            click.echo(f"{entry.host} ({entry.backend}): not answering: {entry.error}")
            continue
        click.echo(f"{entry.host} ({entry.backend} {entry.version}): {len(entry.models)} model(s)")
        for info in entry.models:
            details = [gigabytes(info.size) if info.size else "file size unknown"]
            details += [f"{info.parameter_size} parameters"] if info.parameter_size else []
            details += [info.quantization] if info.quantization else []
            click.echo(f"  {info.name:<40} {', '.join(details)}")
    if all(entry.error for entry in found):
        raise InfraError("no model server answers: " + "; ".join(e.error or "" for e in found))


@click.command()
@click.argument("run_a", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("run_b", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per model and spec.")
def diff(run_a: Path, run_b: Path, as_json: bool) -> None:
    """Compare two runs per model and spec: mean points with 95% intervals side by side, and
    which differences the intervals support (they do not overlap).

    \b
    Example:
      chorebench diff runs/20261126T090000Z runs/latest
    """
    from tabulate import tabulate

    from runner.look import diff_runs

    rows = diff_runs(run_a, run_b)
    if as_json:
        for row in rows:
            click.echo(json.dumps(_diff_json(row)))
        return
    table = [
        [
            row.model,
            row.spec + (" (changed)" if row.spec_changed else ""),
            _mean(row.a),
            _mean(row.b),
            row.verdict,
        ]
        for row in rows
    ]
    headers = ["Model", "Spec", f"A: {run_a.name}", f"B: {run_b.name}", "What the data say"]
    click.echo(tabulate(table, headers=headers, tablefmt="github", disable_numparse=True))
    click.echo(
        "Means are points out of the spec's maximum, over the repeated runs, with the 95% "
        "interval; (changed): the spec file differs between the runs."
    )


def _mean(row: Any) -> str:
    if row is None:
        return "-"
    interval = (
        f" [{row.ci_low * row.max_points:.1f}-{row.ci_high * row.max_points:.1f}]"
        if row.ci_low is not None
        else ""
    )
    return f"{row.mean_points:.1f}/{row.max_points}{interval} ({len(row.points)} runs)"


def _diff_json(row: Any) -> dict[str, Any]:
    def side(variance: Any) -> dict[str, Any] | None:
        if variance is None:
            return None
        return {
            "mean_points": variance.mean_points,
            "max_points": variance.max_points,
            "ci_low": variance.ci_low,
            "ci_high": variance.ci_high,
            "runs": len(variance.points),
            "keys": list(variance.keys),
        }

    return {
        "model": row.model,
        "spec": row.spec,
        "a": side(row.a),
        "b": side(row.b),
        "verdict": row.verdict,
        "spec_changed": row.spec_changed,
    }


COMMANDS = (show, specs, models, diff)
