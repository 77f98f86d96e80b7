"""Load and validate spec files: JSON Schema first, then what a schema cannot say.

Every problem is reported as ``FILE: /json/pointer: reason``, all of them at once, and
nothing is run when any is found (``SpecError``, exit code 2).
"""

from __future__ import annotations

import ast
import builtins
import hashlib
import json
import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from runner.errors import SpecError
from runner.records import (
    Calibration,
    Case,
    Comparison,
    Constraints,
    ExpectedRaise,
    Limits,
    ModuleUnderTest,
    Mutant,
    Spec,
    SuiteTask,
)
from runner.settings import PROJECT_ROOT
from runner.values import parse_literal

SCHEMA_PATH = PROJECT_ROOT / "schemas" / "spec.schema.json"


@cache
def _schema() -> dict[str, Any]:
    from jsonschema import Draft202012Validator

    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return schema


@cache
def _validator() -> Any:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(_schema())


@cache
def _case_validator() -> Any:
    from jsonschema import Draft202012Validator

    return Draft202012Validator({"$defs": _schema()["$defs"], "$ref": "#/$defs/case"})


@cache
def _plain_case_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    properties = _schema()["$defs"]["case"]["properties"]
    return re.compile(properties["id"]["pattern"]), re.compile(properties["group"]["pattern"])


PLAIN_CASE_KEYS = frozenset({"id", "group", "args", "expected", "timeout_s"})


def _plain_case(case: Any) -> bool:
    """A case so simple it is certainly valid (a suite's thousand cases): no jsonschema walk.

    Conservative: anything else, however valid, goes through the schema, which alone says
    what is wrong.
    """
    if type(case) is not dict or not case.keys() <= PLAIN_CASE_KEYS or "id" not in case:
        return False
    identifier, group = _plain_case_patterns()
    args, expected = case.get("args", []), case.get("expected", "x")
    timeout = case.get("timeout_s", 1)
    return (
        type(case["id"]) is str
        and identifier.search(case["id"]) is not None
        and type(args) is list
        and all(type(arg) is str and arg for arg in args)
        and type(expected) is str
        and bool(expected)
        and (type(case.get("group", "g")) is str and group.search(case.get("group", "g")))
        and type(timeout) in (int, float)
        and 0 < timeout <= 600
    )


def schema_problems(data: Any) -> list[str]:
    """Every schema violation of a spec's data, as ``/pointer: message``, in pointer order.

    Plain cases (``_plain_case``) skip the schema walk: it cost about 2 ms a case.
    """
    if not (isinstance(data, dict) and isinstance(data.get("cases"), list) and data["cases"]):
        errors = _validator().iter_errors(data)
        return [f"{json_pointer(e.absolute_path)}: {e.message}" for e in _sorted(errors)]
    cases = data["cases"]
    rest = {**data, "cases": cases[:1]}
    found = [(list(e.absolute_path), e.message) for e in _validator().iter_errors(rest)]
    for index, case in enumerate(cases[1:], 1):
        if not _plain_case(case):
            errors = _case_validator().iter_errors(case)
            found += [(["cases", index, *e.absolute_path], e.message) for e in errors]
    found.sort(key=lambda item: [(type(p) is str, p) for p in item[0]])
    return [f"{json_pointer(path)}: {message}" for path, message in found]


def _sorted(errors: Iterable[Any]) -> list[Any]:
    return sorted(errors, key=lambda e: list(e.absolute_path))


def spec_paths(paths: Iterable[Path]) -> list[Path]:
    """Files named directly, plus every ``*.json`` in folders named, in a stable order."""
    found: list[Path] = []
    for path in paths:
        found.extend(sorted(path.glob("*.json")) if path.is_dir() else [path])
    return found


def load_specs(paths: Iterable[Path], filled: bool = True) -> list[Spec]:
    """Load every spec under ``paths``, reporting the problems of all files together.

    With ``filled`` (for grading), a case that does not say what it expects is a problem.

    Raises:
        SpecError: any file is missing, unreadable or invalid, no spec was found, or two
            specs share an id.
    """
    files = spec_paths(paths)
    problems: list[str] = []
    specs: list[Spec] = []
    for path in files:
        try:
            specs.append(load_spec(path, filled))
        except SpecError as exc:
            problems.extend(exc.problems)
    seen: dict[str, Path] = {}
    for spec in specs:
        if spec.id in seen:
            problems.append(f"{spec.path}: /id: duplicate id {spec.id!r}, also in {seen[spec.id]}")
        seen[spec.id] = Path(spec.path)
    if not files:
        problems.append("no spec files found: name a .json file or a folder that holds some")
    if problems:
        raise SpecError(problems)
    return sorted(specs, key=lambda s: s.id)


def load_spec(path: Path, filled: bool = True) -> Spec:
    """Read, validate and build one spec; with ``filled``, every case must say what it expects.

    Raises:
        SpecError: with every problem found in the file.
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SpecError([f"{path}: /: cannot read the file: {exc.strerror}"]) from exc
    try:
        data = json.loads(raw, object_pairs_hook=_no_duplicate_keys)
    except (ValueError, UnicodeDecodeError) as exc:
        raise SpecError([f"{path}: /: not valid JSON: {exc}"]) from exc
    errors = schema_problems(data)
    if errors:
        raise SpecError([f"{path}: {error}" for error in errors])
    problems = _semantic_problems(path, data)
    if problems:
        raise SpecError([f"{path}: {pointer}: {reason}" for pointer, reason in problems])
    spec = _build(path, data, hashlib.sha256(raw).hexdigest())
    unfilled = [index for index, case in enumerate(spec.cases) if not case.filled]
    if filled and unfilled:
        raise SpecError(
            [
                f"{path}: /cases/{unfilled[0]}: no 'expected' nor 'raises' "
                f"({len(unfilled)} case(s) in all): run `chorebench spec fill {path}`"
            ]
        )
    return spec


def text(value: str | list[str]) -> str:
    """A spec text field (a string, or lines joined with newlines)."""
    return value if isinstance(value, str) else "\n".join(value) + "\n"


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    duplicates = sorted({key for key in keys if keys.count(key) > 1})
    if duplicates:
        raise ValueError(f"duplicate key(s) {', '.join(map(repr, duplicates))}")
    return dict(pairs)


def json_pointer(parts: Iterable[Any]) -> str:
    """RFC 6901 pointer text for a path of keys and indexes (``/cases/0/id``)."""
    escaped = [str(p).replace("~", "~0").replace("/", "~1") for p in parts]
    return "/" + "/".join(escaped)


def _semantic_problems(path: Path, data: dict[str, Any]) -> list[tuple[str, str]]:
    """What the schema cannot check: names, literals, regexes, uniqueness, sources."""
    problems: list[tuple[str, str]] = []
    if data["id"] != path.stem:
        problems.append(("/id", f"{data['id']!r} differs from the file name {path.stem!r}"))
    reference_problems = _source_problems("/reference", text(data["reference"]))
    problems += reference_problems or _entry_point_problems(
        text(data["reference"]), data["entry_point"]
    )
    seen: set[str] = set()
    for index, case in enumerate(data.get("cases", [])):
        where = f"/cases/{index}"
        if case["id"] in seen:
            problems.append((f"{where}/id", f"duplicate case id {case['id']!r}"))
        seen.add(case["id"])
        literals = [(f"{where}/args/{i}", a) for i, a in enumerate(case.get("args", []))]
        literals += [
            (json_pointer(["cases", index, "kwargs", k]), v)
            for k, v in case.get("kwargs", {}).items()
        ]
        if "expected" in case:
            literals.append((f"{where}/expected", case["expected"]))
        for pointer, source in literals:
            try:
                parse_literal(source)
            except ValueError as exc:
                problems.append((pointer, str(exc)))
        raises = case.get("raises")
        if raises:
            real = getattr(builtins, raises["type"], None)
            if not (isinstance(real, type) and issubclass(real, BaseException)):
                problems.append(
                    (f"{where}/raises/type", f"{raises['type']!r} is not a built-in exception")
                )
            if "match" in raises:
                try:
                    re.compile(raises["match"])
                except re.error as exc:
                    problems.append((f"{where}/raises/match", f"regex does not compile: {exc}"))
    module = data.get("module")
    if module:
        problems += _source_problems("/module/reference", text(module["reference"]))
        names: set[str] = set()
        for index, mutant in enumerate(module["mutants"]):
            where = f"/module/mutants/{index}"
            if mutant["name"] in names:
                problems.append((f"{where}/name", f"duplicate mutant name {mutant['name']!r}"))
            names.add(mutant["name"])
            try:
                source = _mutant_source(text(module["reference"]), mutant)
            except ValueError as exc:
                problems.append((f"{where}/patch", str(exc)))
                continue
            problems += _source_problems(where, source)
            if source == text(module["reference"]):
                problems.append((where, "the mutant is identical to the reference"))
    return problems


def _source_problems(pointer: str, source: str) -> list[tuple[str, str]]:
    try:
        compile(source, pointer, "exec", dont_inherit=True)
    except SyntaxError as exc:
        return [(pointer, f"does not compile: {exc.msg} (line {exc.lineno})")]
    except (ValueError, RecursionError, MemoryError) as exc:
        return [(pointer, f"does not compile: {exc.__class__.__name__}")]
    return []


def _entry_point_problems(reference: str, entry_point: str) -> list[tuple[str, str]]:
    """A reference that compiles but would fail: it does not define its own entry point."""
    tree = ast.parse(reference)
    defined = {
        node.name for node in tree.body if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }
    if entry_point in defined:
        return []
    return [("/reference", f"does not define the entry point {entry_point!r} at the top level")]


def _mutant_source(reference: str, mutant: dict[str, Any]) -> str:
    if "source" in mutant:
        return text(mutant["source"])
    result = reference
    for number, hunk in enumerate(mutant["patch"]):
        old = hunk["old"] if isinstance(hunk["old"], str) else "\n".join(hunk["old"])
        new = hunk["new"] if isinstance(hunk["new"], str) else "\n".join(hunk["new"])
        count = result.count(old)
        if count != 1:
            raise ValueError(
                f"hunk {number}: 'old' occurs {count} times in the reference, not once"
            )
        result = result.replace(old, new)
    return result


def _digest(data: dict[str, Any] | None) -> tuple[str, str, int] | None:
    return (data["type"], data["sha256"], data["size"]) if data else None


def _build(path: Path, data: dict[str, Any], sha256: str) -> Spec:
    raw_limits = dict(data.get("limits", {}))
    if "calibration" in raw_limits:
        raw_limits["calibration"] = Calibration(**raw_limits["calibration"])
    limits = Limits(**raw_limits)
    suite = data.get("suite")
    constraints = Constraints(
        **{
            key: tuple(value) if isinstance(value, list) else value
            for key, value in data.get("constraints", {}).items()
        }
    )
    cases = tuple(
        Case(
            id=case["id"],
            args=tuple(case.get("args", [])),
            kwargs=tuple(sorted(case.get("kwargs", {}).items())),
            expected=case.get("expected"),
            raises=ExpectedRaise(**case["raises"]) if "raises" in case else None,
            points=case.get("points", 1),
            approx=case.get("approx"),
            group=case.get("group", ""),
            timeout_s=case.get("timeout_s"),
            expected_digest=_digest(case.get("expected_digest")),
        )
        for case in data.get("cases", [])
    )
    module = None
    if "module" in data:
        raw_module = data["module"]
        reference = text(raw_module["reference"])
        module = ModuleUnderTest(
            import_path=raw_module["import_path"],
            reference=reference,
            mutants=tuple(
                Mutant(m["name"], _mutant_source(reference, m), m["description"])
                for m in raw_module["mutants"]
            ),
            rebinds=tuple(sorted(raw_module.get("rebinds", {}).items())),
        )
    return Spec(
        id=data["id"],
        title=data["title"],
        family=data["family"],
        kind=data["kind"],
        prompt=text(data["prompt"]),
        entry_point=data["entry_point"],
        constraints=constraints,
        reference=text(data["reference"]),
        limits=limits,
        cases=cases,
        module=module,
        scoring=data.get("scoring", "per_check"),
        comparison=Comparison(**data.get("comparison", {})),
        stop_at_first_failure=data.get("stop_at_first_failure", False),
        suite=SuiteTask(suite["name"], suite["task_id"], text(suite["prompt"])) if suite else None,
        path=str(path),
        sha256=sha256,
    )
