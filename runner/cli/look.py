"""Commands that look, and run nothing: show a sample, list specs and models, compare runs."""

from __future__ import annotations

import json
from pathlib import Path

import click

from runner import commands, console
from runner.cli.options import run_dir_argument
from runner.errors import InfraError
from runner.report import md_text
from runner.settings import Settings
from runner.values import printable


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
    view = commands.find_sample(run_dir, key, model, spec, run_index, phase)
    record = view.record
    if as_json:
        click.echo(json.dumps(record.to_json(), indent=2, sort_keys=True))
        return
    click.echo(console.sample_text(record, view.extraction))


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
    found = commands.list_models(hosts or (settings.ollama_host,), settings.openai_api_key)
    for entry in found:
        if as_json:
            for info in entry.models:
                fields = {"host": entry.host, "backend": entry.backend, "name": info.name}
                fields |= {"size": info.size or None, "parameter_size": info.parameter_size}
                fields |= {"quantization": info.quantization, "family": info.family}
                click.echo(json.dumps(fields))
            continue
        if entry.error:
            click.echo(printable(f"{entry.host} ({entry.backend}): not answering: {entry.error}"))
            continue
        click.echo(
            printable(
                f"{entry.host} ({entry.backend} {entry.version}): {len(entry.models)} model(s)"
            )
        )
        for info in entry.models:
            details = [f"{info.size / 1e9:.1f} GB" if info.size else "file size unknown"]
            details += [f"{info.parameter_size} parameters"] if info.parameter_size else []
            details += [info.quantization] if info.quantization else []
            click.echo(printable(f"  {info.name:<40} {', '.join(details)}"))
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

    rows = commands.diff_runs(run_a, run_b)
    if as_json:
        for row in rows:
            click.echo(json.dumps(console.diff_json(row)))
        return
    table = [
        [
            md_text(row.model),
            md_text(row.spec + (" (changed)" if row.spec_changed else "")),
            console.mean_text(row.a),
            console.mean_text(row.b),
            md_text(row.verdict),
        ]
        for row in rows
    ]
    headers = ["Model", "Spec", f"A: {md_text(run_a.name)}", f"B: {md_text(run_b.name)}"]
    headers.append("What the data say")
    click.echo(tabulate(table, headers=headers, tablefmt="github", disable_numparse=True))
    click.echo(
        "Means are points out of the spec's maximum, over the repeated runs, with the 95% "
        "interval; (changed): the spec file differs between the runs."
    )
