"""Load and validate spec files: JSON Schema first, then what a schema cannot say.

Every problem is reported as ``FILE: /json/pointer: reason``, all of them at once, and
nothing is run when any is found (``SpecError``, exit code 2).
"""

from __future__ import annotations

import ast
import builtins
import difflib
import hashlib
import json
import multiprocessing
import os
import re
import threading
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from functools import cache
from itertools import repeat
from pathlib import Path
from typing import Any

from runner.caps import Refused, load_json
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
ID_PATTERN = re.compile(r"[a-z][a-z0-9_]*")  # the schema's pattern for a spec id


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


def _schema_errors(data: Any) -> list[tuple[list[Any], Any]]:
    """The schema's errors with their absolute paths; plain cases (``_plain_case``) skip the
    schema walk, which cost about 2 ms a case (a suite spec has a thousand)."""
    cases = data.get("cases") if isinstance(data, dict) else None
    if not (isinstance(cases, list) and cases):
        return [(list(e.absolute_path), e) for e in _validator().iter_errors(data)]
    rest = {**data, "cases": cases[:1]}
    found = [(list(e.absolute_path), e) for e in _validator().iter_errors(rest)]
    for index, case in enumerate(cases[1:], 1):
        if not _plain_case(case):
            errors = _case_validator().iter_errors(case)
            found += [(["cases", index, *e.absolute_path], e) for e in errors]
    return found


def spec_paths(paths: Iterable[Path], specs_dir: Path | None = None) -> list[Path]:
    """Files named directly, plus every ``*.json`` in folders named, in a stable order.

    A name that is no file or folder but a spec id in ``specs_dir`` (``iso_duration``)
    names ``specs_dir/iso_duration.json``.
    """
    found: list[Path] = []
    for name in paths:
        path = resolve_spec(name, specs_dir)
        found.extend(sorted(path.glob("*.json")) if path.is_dir() else [path])
    return found


def resolve_spec(name: Path | str, specs_dir: Path | None = None) -> Path:
    """``name`` as a path when it exists, else as a spec id in ``specs_dir``, else as given
    (reading it then says the file is missing, with the ids there are)."""
    path = Path(name)
    if path.exists() or specs_dir is None or not ID_PATTERN.fullmatch(str(name)):
        return path
    by_id = specs_dir / f"{name}.json"
    return by_id if by_id.exists() else path


def load_specs(
    paths: Iterable[Path], specs_dir: Path | None = None, filled: bool = True
) -> list[Spec]:
    """Load every spec under ``paths`` (files, folders, or ids in ``specs_dir``), reporting
    the problems of all files together. With ``filled`` (for grading), a case that does not
    say what it expects is a problem.

    Raises:
        SpecError: any file is missing, unreadable or invalid, no spec was found, or two
            specs share an id.
    """
    files = spec_paths(paths, specs_dir)
    problems: list[str] = []
    specs: list[Spec] = []
    for loaded in _load_each(files, specs_dir, filled):
        if isinstance(loaded, Spec):
            specs.append(loaded)
        else:
            problems.extend(loaded)
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


# Past this many bytes of spec files, they are read by one process per core: a suite's 31 MB
# of literals (HumanEval+) take about 5 s to validate in one, and the cores are idle then.
PARALLEL_LOAD_BYTES = 4 << 20


def _load_each(
    files: list[Path], specs_dir: Path | None, filled: bool
) -> Iterable[Spec | list[str]]:
    """Each file's spec or its problems, in order; in worker processes when there is much."""
    sizes = [path.stat().st_size if path.is_file() else 0 for path in files]
    workers = min(os.cpu_count() or 1, len(files))
    # Forked workers only while this process has one thread (a fork copies other threads'
    # locks as held), never spawned ones (they would import the caller's main script again).
    if workers < 2 or sum(sizes) < PARALLEL_LOAD_BYTES or threading.active_count() > 1:
        return [_spec_or_problems(path, specs_dir, filled) for path in files]
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        return list(pool.map(_spec_or_problems, files, repeat(specs_dir), repeat(filled)))


def _spec_or_problems(path: Path, specs_dir: Path | None, filled: bool) -> Spec | list[str]:
    # Problems travel as a list: SpecError does not survive a trip between processes.
    try:
        return load_spec(path, specs_dir, filled)
    except SpecError as exc:
        return exc.problems


def load_spec(path: Path, specs_dir: Path | None = None, filled: bool = True) -> Spec:
    """Read, validate and build one spec (``path`` may be an id in ``specs_dir``); with
    ``filled``, every case must say what it expects (``chorebench spec fill`` writes it).

    Raises:
        SpecError: with every problem found in the file.
    """
    path = resolve_spec(path, specs_dir)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        known = _known_ids(specs_dir) if isinstance(exc, FileNotFoundError) else ""
        raise SpecError([f"{path}: /: cannot read the file: {exc.strerror}{known}"]) from exc
    try:
        data = load_json(raw, object_pairs_hook=_no_duplicate_keys)
    except Refused as exc:
        raise SpecError([f"{path}: /: {exc}"]) from None
    # Every problem a file has, in one pass: the schema's, then what it cannot say.
    problems = schema_problems(data)
    expected: dict[int, Any] = {}  # id(source text) -> value, read once while validating
    if isinstance(data, dict):
        # A field the schema rejected is not checked again (one problem, said once).
        rejected = {pointer for pointer, _ in problems}
        problems += [
            (pointer, reason)
            for pointer, reason in _semantic_problems(path, data, rejected, expected)
            if pointer not in rejected
        ]
    if problems:
        raise SpecError([f"{path}: {pointer}: {reason}" for pointer, reason in problems])
    spec = _build(path, data, hashlib.sha256(raw).hexdigest(), expected)
    unfilled = [index for index, case in enumerate(spec.cases) if not case.filled]
    if filled and unfilled:
        raise SpecError(
            [
                f"{path}: /cases/{unfilled[0]}: no 'expected' nor 'raises' "
                f"({len(unfilled)} case(s) in all): run `chorebench spec fill {path}`"
            ]
        )
    return spec


def schema_problems(data: Any) -> list[tuple[str, str]]:
    """The schema's complaints as (pointer, reason), said once each and plainly.

    An unknown field gets "did you mean" when a known one is close; a ``oneOf`` failure is
    dropped when a more precise error sits at or under it (a misspelled ``expected`` is
    already reported), and a ``oneOf`` of required fields says which are wanted.
    """
    errors = sorted(_schema_errors(data), key=lambda item: [(type(p) is str, p) for p in item[0]])
    precise = [where for where, e in errors if e.validator not in ("oneOf", "anyOf")]
    problems = []
    for where, error in errors:
        if error.validator in ("oneOf", "anyOf") and any(
            other[: len(where)] == where for other in precise
        ):
            continue
        problems.append((json_pointer(where), _message(error)))
    return problems


def _message(error: Any) -> str:
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = sorted(error.schema.get("properties", {}))
        unknown = [key for key in error.instance if key not in known]
        hints = []
        for key in unknown:
            close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
            hints.append(f"did you mean {close[0]!r} for {key!r}?" if close else "")
        said = "; ".join(hint for hint in hints if hint)
        allowed = f" (allowed: {', '.join(known)})" if not said else f": {said}"
        return f"{error.message}{allowed}"
    instance = error.instance
    if error.validator == "not" and isinstance(instance, dict) and "kind" not in instance:
        return "has more than one of 'expected', 'expected_digest' and 'raises': keep one"
    branches = error.schema.get(error.validator) if error.validator == "oneOf" else None
    if branches and all(set(b) == {"required"} for b in branches):
        names = " and ".join(repr(b["required"][0]) for b in branches)
        return f"needs exactly one of {names}"
    return str(error.message)


def _known_ids(specs_dir: Path | None) -> str:
    """What a missing spec file could have been: the ids in ``specs_dir``."""
    if specs_dir is None or not specs_dir.is_dir():
        return ""
    ids = sorted(path.stem for path in specs_dir.glob("*.json"))
    return f" (a path, or a spec id in {specs_dir}: {', '.join(ids)})" if ids else ""


def text(value: str | list[str]) -> str:
    """A spec text field (a string, or lines joined with newlines)."""
    return value if isinstance(value, str) else "\n".join(value) + "\n"


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    data = dict(pairs)
    if len(data) != len(pairs):
        counts = Counter(key for key, _ in pairs)
        duplicates = sorted(key for key, count in counts.items() if count > 1)
        raise ValueError(f"duplicate key(s) {', '.join(map(repr, duplicates))}")
    return data


def json_pointer(parts: Iterable[Any]) -> str:
    """RFC 6901 pointer text for a path of keys and indexes (``/cases/0/id``)."""
    escaped = [str(p).replace("~", "~0").replace("/", "~1") for p in parts]
    return "/" + "/".join(escaped)


def _texts(value: Any) -> bool:
    """A spec text field's shape: a string, or a list of strings."""
    return isinstance(value, str) or (
        isinstance(value, list) and all(isinstance(line, str) for line in value)
    )


def _literal_problem(source: Any, values: dict[int, Any] | None = None) -> str | None:
    """Why a case value is not a Python literal, with the hint a bare string needs.

    The value read is kept in ``values`` under ``id(source)`` when given.
    """
    if not isinstance(source, str) or not source.strip():
        return None  # the schema has said so
    try:
        value = parse_literal(source)
        if values is not None:
            values[id(source)] = value
    except ValueError as exc:
        reason = str(exc)
        if source.strip()[0].isalpha():  # a bare word or phrase: a string without its quotes
            quoted = json.dumps(repr(source))
            reason += f"; a string needs its own quotes inside the JSON string: {quoted}"
        return reason
    return None


def _semantic_problems(
    path: Path,
    data: dict[str, Any],
    rejected: frozenset[str] | set[str] = frozenset(),
    expected: dict[int, Any] | None = None,
) -> list[tuple[str, str]]:
    """What the schema cannot check: names, literals, regexes, uniqueness, sources.

    Runs on a file the schema rejected too (each check skips the fields of the wrong shape),
    so an author sees every problem at once. Each case's ``expected`` value read on the way
    is kept in ``expected`` under ``id()`` of its source text, for ``_build``.
    """
    problems: list[tuple[str, str]] = []
    if isinstance(data.get("id"), str) and data["id"] != path.stem:
        problems.append(("/id", f"{data['id']!r} differs from the file name {path.stem!r}"))
    if _texts(data.get("reference")):
        reference_problems = _source_problems("/reference", text(data["reference"]))
        entry_point_ok = "/entry_point" not in rejected
        if not reference_problems and entry_point_ok and isinstance(data.get("entry_point"), str):
            reference_problems = _entry_point_problems(text(data["reference"]), data["entry_point"])
        problems += reference_problems
    cases = data.get("cases")
    seen: set[str] = set()
    for index, case in enumerate(cases if isinstance(cases, list) else []):
        if not isinstance(case, dict):
            continue
        where = f"/cases/{index}"
        if isinstance(case.get("id"), str):
            if case["id"] in seen:
                problems.append((f"{where}/id", f"duplicate case id {case['id']!r}"))
            seen.add(case["id"])
        args = case.get("args")
        kwargs = case.get("kwargs")
        literals = [
            (f"{where}/args/{i}", a) for i, a in enumerate(args if isinstance(args, list) else [])
        ]
        literals += [
            (json_pointer(["cases", index, "kwargs", k]), v)
            for k, v in (kwargs.items() if isinstance(kwargs, dict) else [])
        ]
        for pointer, source in literals:
            reason = _literal_problem(source)
            if reason:
                problems.append((pointer, reason))
        if "expected" in case:
            reason = _literal_problem(case["expected"], expected)
            if reason:
                problems.append((f"{where}/expected", reason))
        raises = case.get("raises")
        if isinstance(raises, dict) and isinstance(raises.get("type"), str):
            real = getattr(builtins, raises["type"], None)
            if not (isinstance(real, type) and issubclass(real, BaseException)):
                problems.append(
                    (f"{where}/raises/type", f"{raises['type']!r} is not a built-in exception")
                )
        if isinstance(raises, dict) and isinstance(raises.get("match"), str):
            try:
                re.compile(raises["match"])
            except re.error as exc:
                problems.append((f"{where}/raises/match", f"regex does not compile: {exc}"))
    module = data.get("module")
    if isinstance(module, dict) and _texts(module.get("reference")):
        problems += _module_problems(module)
    return problems


def _module_problems(module: dict[str, Any]) -> list[tuple[str, str]]:
    problems = _source_problems("/module/reference", text(module["reference"]))
    names: set[str] = set()
    mutants = module.get("mutants")
    for index, mutant in enumerate(mutants if isinstance(mutants, list) else []):
        where = f"/module/mutants/{index}"
        if not isinstance(mutant, dict):
            continue
        if mutant.get("name") in names:
            problems.append((f"{where}/name", f"duplicate mutant name {mutant['name']!r}"))
        names.add(str(mutant.get("name")))
        try:
            source = _mutant_source(text(module["reference"]), mutant)
        except ValueError as exc:
            problems.append((f"{where}/patch", str(exc)))
            continue
        except (KeyError, TypeError):
            continue  # the schema has said what is wrong with this mutant
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


def _build(
    path: Path, data: dict[str, Any], sha256: str, expected: dict[int, Any] | None = None
) -> Spec:
    """The spec's records from its validated JSON; ``expected``: values already read."""
    known = expected or {}
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
            parsed=(case["expected"], known[id(case["expected"])])
            if id(case.get("expected")) in known
            else None,
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
