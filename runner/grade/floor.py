"""A spec's floor: what the best trivial answer earns, so a reader knows what a score means.

Trivial candidates are written from the spec alone: always raise the exception types the
cases expect (with the literal start of their message regex, then the first argument: the
``raise ValueError("invalid ISO duration: " + s)`` answer), return None, return the first
argument, return a constant of the reference's return type; for a pytest spec, a test that
always passes and one that always fails. Each is graded like any response; the floor
(``records.Floor``) is the best of them. ``check-specs`` prints it and warns above
``records.FLOOR_WARNING``; ``run`` records it in the run directory (``floors.json``,
``runner.run.record_floors``) so the report shows it beside the scores.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence

from runner.grade.grading import grade_all
from runner.grade.protocol import Sandbox
from runner.records import Floor, Grade, Spec
from runner.values import parse_literal

# The constant a trivial answer returns for a return annotation's base name.
_CONSTANTS = {
    "int": "0",
    "float": "0.0",
    "complex": "0j",
    "str": "''",
    "bytes": "b''",
    "bool": "False",
    "list": "[]",
    "List": "[]",
    "dict": "{}",
    "Dict": "{}",
    "tuple": "()",
    "Tuple": "()",
    "set": "set()",
    "Set": "set()",
    "frozenset": "frozenset()",
}
_REGEX_SPECIAL = set(".^$*+?{}[]|()")


def literal_prefix(pattern: str) -> str:
    """The fixed text a regex starts with (after ``^``): ``^invalid ISO duration: `` gives
    ``invalid ISO duration: ``. Stops at the first special character or class escape."""
    text, index = [], 1 if pattern.startswith("^") else 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern) and not pattern[index + 1].isalnum():
            text.append(pattern[index + 1])
            index += 2
            continue
        if char in _REGEX_SPECIAL or char == "\\":
            break
        text.append(char)
        index += 1
    # A quantifier after the last literal applies to it alone: drop that character.
    if index < len(pattern) and pattern[index] in "*+?{" and text:
        text.pop()
    return "".join(text)


def trivial_candidates(spec: Spec) -> list[tuple[str, str]]:
    """(name, source) of each trivial answer to ``spec``, in a fixed order."""
    if spec.kind == "pytest":
        return [
            ("a test that always passes", "def test_trivial():\n    assert True\n"),
            ("a test that always fails", "def test_trivial():\n    assert False\n"),
        ]
    head = f"def {spec.entry_point}(*args, **kwargs):\n"
    first = "(args[0] if args else None)"
    candidates = []
    raised: dict[str, str] = {}
    for case in spec.cases:
        if case.raises is not None and case.raises.type not in raised:
            match = case.raises.match
            raised[case.raises.type] = literal_prefix(match) if match else ""
    for name, prefix in raised.items():
        message = f"{prefix!r} + str({first})" if prefix else f"str({first})"
        candidates.append((f"always raise {name}", f"{head}    raise {name}({message})\n"))
    candidates.append(("return None", f"{head}    return None\n"))
    candidates.append(("return the first argument", f"{head}    return {first}\n"))
    constant = _return_constant(spec)
    if constant is not None:
        candidates.append((f"return {constant}", f"{head}    return {constant}\n"))
    return candidates


def _return_constant(spec: Spec) -> str | None:
    """A constant of the reference's return type (its annotation, else the first expected)."""
    for node in ast.parse(spec.reference).body:
        if isinstance(node, ast.FunctionDef) and node.name == spec.entry_point and node.returns:
            base = ast.unparse(node.returns).split("[", 1)[0].rsplit(".", 1)[-1]
            if base in _CONSTANTS:
                return _CONSTANTS[base]
    for case in spec.cases:
        if case.expected is not None:
            kind = type(parse_literal(case.expected)).__name__
            return _CONSTANTS.get(kind)
    return None


def measure_floors(specs: Sequence[Spec], sandbox: Sandbox, jobs: int) -> list[Floor]:
    """Grade every trivial candidate of every spec; the best per spec, in ``specs`` order.

    A candidate whose grade the sandbox failed is left out (an infrastructure failure is no
    candidate's); a spec with none graded has no floor.
    """
    work = [(spec, name, source) for spec in specs for name, source in trivial_candidates(spec)]
    grades = grade_all([(spec, source) for spec, _, source in work], sandbox, jobs)
    best: dict[str, tuple[Grade, str]] = {}
    for (spec, name, _), grade in zip(work, grades, strict=True):
        if grade.infra_failed:
            continue
        if spec.id not in best or grade.points > best[spec.id][0].points:
            best[spec.id] = (grade, name)
    return [
        Floor(spec.id, spec.sha256, best[spec.id][0].points, spec.max_points, best[spec.id][1])
        for spec in specs
        if spec.id in best
    ]
