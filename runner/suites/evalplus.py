"""EvalPlus release files (HumanEval+, MBPP+) in, one spec file per task out.

A task has ``task_id``, ``prompt``, ``entry_point``, ``canonical_solution``, ``base_input``,
``plus_input`` and ``atol``. Its spec asks for the completed function in chorebench's style,
then gives the task's own prompt; its cases are the base inputs (group ``base``) and the plus
inputs (group ``plus``), with no expected values: ``spec fill`` computes them by running
the reference (the prompt plus the canonical solution, as EvalPlus does) in the sandbox.
"""

from __future__ import annotations

import ast
import gzip
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runner.errors import BadInputError
from runner.values import write_literal


@dataclass(frozen=True)
class Suite:
    """One EvalPlus dataset: how its tasks are named and which special oracles it uses."""

    name: str  # the spec family and default folder: humanevalplus, mbppplus
    title: str  # HumanEval+, MBPP+
    prefix: str  # task ids start with it: HumanEval/, Mbpp/
    oracles: dict[str, str]  # entry point -> oracle name (EvalPlus keys them by entry point)


SET_EQUAL = (
    "similar_elements",
    "find_char_long",
    "common_in_nested_lists",
    "extract_singly",
    "larg_nnum",
    "intersection_array",
    "find_dissimilar",
    "Diff",
)
NOT_NONE = ("check_str", "text_match_three", "text_starta_endb")

SUITES = {
    suite.name: suite
    for suite in (
        Suite("humanevalplus", "HumanEval+", "HumanEval/", {"find_zero": "find_zero"}),
        Suite(
            "mbppplus",
            "MBPP+",
            "Mbpp/",
            {
                "are_equivalent": "any_value",
                "sum_div": "equal_or_zero",
                "surface_Area": "pyramid_surface",
                "digit_distance_nums": "digit_distance",
                **dict.fromkeys(SET_EQUAL, "set_equal"),
                **dict.fromkeys(NOT_NONE, "not_none"),
            },
        ),
    )
}

INSTRUCTION = (
    "Complete the Python function `{entry_point}` described below. Output only the Python code "
    "of the whole function, with any helper it needs. No markdown fences, no explanations, no "
    "text before or after the code. Put any other import inside the function body{imports}."
)
LIMITS = {"case_timeout_s": 4, "memory_mb": 1024, "pids": 64, "output_bytes": 32 << 20}
# EvalPlus gives every task 4 GiB; the import starts a task at 1 GiB (LIMITS) and gives it this
# only when its reference's run fails with less (Mbpp/255 holds 1.1 GB of tuples).
MORE_MEMORY_MB = 4096
CALIBRATION = {"floor_s": 4.0, "factor": 4.0, "cap_s": 60.0}


def read_tasks(path: Path) -> list[dict[str, Any]]:
    """The tasks of an EvalPlus file (``.jsonl`` or ``.jsonl.gz``), in file order.

    Raises:
        BadInputError: the file cannot be read, a line is not JSON, a task lacks a field, or
            the tasks are of no known suite.
    """
    opener: Callable[..., Any] = gzip.open if path.name.endswith(".gz") else open
    tasks: list[dict[str, Any]] = []
    try:
        with opener(path, "rt", encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                try:
                    task = json.loads(line)
                except ValueError as exc:
                    raise BadInputError(f"{path}: line {number}: not valid JSON: {exc}") from exc
                missing = [f for f in TASK_FIELDS if not isinstance(task, dict) or f not in task]
                if missing:
                    raise BadInputError(
                        f"{path}: line {number}: not an EvalPlus task (no {', '.join(missing)})"
                    )
                tasks.append(task)
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise BadInputError(f"{path}: cannot read the file: {exc}") from exc
    if not tasks:
        raise BadInputError(f"{path}: no tasks in the file")
    suite_of(path, tasks[0]["task_id"])
    return tasks


TASK_FIELDS = ("task_id", "prompt", "entry_point", "canonical_solution", "base_input", "plus_input")


def suite_of(path: Path, task_id: str) -> Suite:
    """The suite a task id belongs to. Raises BadInputError for an unknown one."""
    for suite in SUITES.values():
        if str(task_id).startswith(suite.prefix):
            return suite
    raise BadInputError(
        f"{path}: task {task_id!r} is neither HumanEval+ nor MBPP+: pass EvalPlus's "
        "HumanEvalPlus or MbppPlus file"
    )


def spec_id(task_id: str) -> str:
    """``HumanEval/0`` -> ``humaneval_0``, ``Mbpp/2`` -> ``mbpp_2``."""
    prefix, _, number = task_id.partition("/")
    return f"{prefix.lower()}_{number}"


@dataclass(frozen=True)
class Imported:
    """One task's spec as written, or why it was skipped."""

    task_id: str
    path: Path | None
    skipped: str | None = None


def import_evalplus(
    source: Path, out: Path | None, task_ids: Iterable[str] = ()
) -> tuple[str, list[Imported]]:
    """Write one unfilled spec per task of ``source`` into ``out`` (default specs/<suite>/).

    Returns the suite's name and, per task, the file written or why it was skipped (an
    input the literal format cannot hold exactly). ``spec fill`` completes the files.

    Raises:
        BadInputError: the file is not an EvalPlus file, or a task id asked for is not in it.
    """
    from runner.settings import PROJECT_ROOT

    tasks = read_tasks(source)
    suite = suite_of(source, tasks[0]["task_id"])
    wanted = list(task_ids)
    known = {task["task_id"] for task in tasks}
    unknown = [task_id for task_id in wanted if task_id not in known]
    if unknown:
        raise BadInputError(f"{source}: no task {unknown[0]!r} in the file ({suite.title})")
    chosen = [task for task in tasks if not wanted or task["task_id"] in wanted]
    folder = out or PROJECT_ROOT / "specs" / suite.name
    folder.mkdir(parents=True, exist_ok=True)
    results: list[Imported] = []
    for task in chosen:
        try:
            data = task_spec(suite, task)
        except ValueError as exc:
            results.append(Imported(task["task_id"], None, str(exc)))
            continue
        path = folder / f"{data['id']}.json"
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        results.append(Imported(task["task_id"], path))
    return suite.name, results


def task_spec(suite: Suite, task: dict[str, Any]) -> dict[str, Any]:
    """The spec data of one task (without expected values).

    Raises:
        ValueError: an input has no exact literal form; the message names the case.
    """
    task_id, entry_point, prompt = task["task_id"], task["entry_point"], task["prompt"]
    imports = prompt_imports(prompt)
    allowed = f" (the imports the prompt has may stay at the top: {'; '.join(imports)})"
    instruction = INSTRUCTION.format(entry_point=entry_point, imports=allowed if imports else "")
    cases = []
    for group in ("base", "plus"):
        inputs = task[f"{group}_input"]
        if suite.name == "mbppplus":
            inputs = mbpp_inputs(task_id, inputs)
        for index, args in enumerate(inputs):
            try:
                literals = [write_literal(arg) for arg in args]
            except (ValueError, TypeError) as exc:
                raise ValueError(f"{task_id}: case {group}_{index}: {exc}") from exc
            cases.append({"id": f"{group}_{index}", "group": group, "args": literals})
    comparison: dict[str, Any] = {"mode": "evalplus", "atol": float(task.get("atol") or 0)}
    if entry_point in suite.oracles:
        comparison["oracle"] = suite.oracles[entry_point]
    return {
        "$schema": "../../schemas/spec.schema.json",
        "id": spec_id(task_id),
        "title": f"{suite.title} {task_id}: {entry_point}",
        "family": suite.name,
        "kind": "function",
        "prompt": instruction + "\n\n" + prompt,
        "entry_point": entry_point,
        "constraints": {
            "no_fences": True,
            "no_prose": True,
            "imports_inside_function": True,
            **({"allowed_module_imports": imports} if imports else {}),
        },
        "limits": {**LIMITS, "calibration": CALIBRATION},
        "reference": prompt + task["canonical_solution"],
        "scoring": "per_group",
        "stop_at_first_failure": True,
        "comparison": comparison,
        "suite": {"name": suite.name, "task_id": task_id, "prompt": prompt},
        "cases": cases,
    }


def prompt_imports(prompt: str) -> list[str]:
    """The module-level import statements of a task's prompt, as ``ast.unparse`` writes them."""
    try:
        tree = ast.parse(prompt)
    except SyntaxError:
        return []
    nodes = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
    return list(dict.fromkeys(ast.unparse(node) for node in nodes))


# MBPP+ stores some inputs in JSON forms of what the functions really take (tuples, sets,
# complex numbers); EvalPlus converts them back per task before running anything. The same
# conversions, by task number:
def _each_arg(convert: Callable[[Any], Any]) -> Callable[[list[Any]], list[Any]]:
    return lambda args: [convert(arg) for arg in args]


def _arg(index: int, convert: Callable[[Any], Any]) -> Callable[[list[Any]], list[Any]]:
    return lambda args: [convert(a) if i == index else a for i, a in enumerate(args)]


def _items_to_tuples(value: list[Any]) -> list[Any]:
    return [tuple(item) for item in value]


def _deep_tuples(value: Any) -> Any:
    return tuple(_deep_tuples(item) for item in value) if isinstance(value, list) else value


def _sets_or_empty_dicts(value: list[Any]) -> list[Any]:
    # EvalPlus turns an empty list into {} (an empty dict, not a set): kept as it does.
    return [set(item) if isinstance(item, list) and item else {} for item in value]


MBPP_CONVERSIONS: dict[int, Callable[[list[Any]], list[Any]]] = {
    **dict.fromkeys(
        (2, 116, 132, 143, 222, 261, 273, 394, 399, 421, 424, 429, 470, 560, 579, 596, 616,
         630, 726, 740, 744, 809),
        _each_arg(tuple),
    ),
    **dict.fromkeys(
        (63, 64, 70, 94, 120, 237, 272, 299, 400, 409, 417, 438, 473, 614, 780),
        _each_arg(_items_to_tuples),
    ),
    **dict.fromkeys((75, 413, 444, 753), _arg(0, _items_to_tuples)),
    **dict.fromkeys((106, 750), _arg(1, tuple)),
    115: _arg(0, _sets_or_empty_dicts),
    124: lambda args: [float(args[0]), complex(args[1])],
    **dict.fromkeys((250, 405, 446, 617, 720, 763, 808, 307), _arg(0, tuple)),
    **dict.fromkeys((259, 401, 445), _each_arg(lambda arg: tuple(_items_to_tuples(arg)))),
    278: lambda args: [tuple(tuple(i) if isinstance(i, list) else i for i in args[0])],
    722: _arg(0, lambda d: {key: tuple(value) for key, value in d.items()}),
    252: _arg(0, complex),
    **dict.fromkeys((580, 615, 791), _each_arg(_deep_tuples)),
}  # fmt: skip


def mbpp_inputs(task_id: str, inputs: list[list[Any]]) -> Iterator[list[Any]]:
    """MBPP+ inputs as the task's function takes them (see MBPP_CONVERSIONS)."""
    convert = MBPP_CONVERSIONS.get(int(task_id.rsplit("/", maxsplit=1)[-1]))
    for args in inputs:
        yield convert(list(args)) if convert else list(args)
