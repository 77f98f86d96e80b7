"""The map of ``runner/`` holds: imports point one way, and each dependency stays in its room.

Read with ``ast`` from the source, every import counted, those inside functions too: a cycle
hidden behind a function-level import is still a cycle.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RUNNER = ROOT / "runner"
ROOMS = ("sandbox", "grade", "backends", "run", "report", "suites")
TOP = ("cli", "commands", "settings", "errors", "records", "values", "spec", "rundir", "caps")

# What each part of runner/ may import of the rest (the room docstrings say the same).
BASE = {"runner", "runner.errors", "runner.caps"}
ALLOWED = {
    "runner.errors": set(),
    "runner.caps": set(),
    "runner.values": {"runner.caps"},
    "runner.records": set(),
    "runner.settings": {"runner.errors"},
    "runner.spec": BASE | {"runner.records", "runner.settings", "runner.values"},
    "runner.rundir": BASE | {"runner.records"},
    "runner.sandbox": BASE | {"runner.records", "runner.settings"},
    "runner.grade": BASE | {"runner.records", "runner.values"},
    "runner.backends": BASE | {"runner.settings"},
    "runner.run": BASE
    | {"runner.records", "runner.settings", "runner.spec", "runner.rundir"}
    | {"runner.values", "runner.backends", "runner.grade"},
    "runner.report": BASE | {"runner.records", "runner.settings", "runner.rundir", "runner.values"},
    "runner.suites": BASE
    | {"runner.records", "runner.settings", "runner.spec", "runner.values", "runner.grade"},
}
# Third-party packages that only one room may import.
CONFINED = {
    "docker": "runner.sandbox",
    "requests": "runner.sandbox",
    "paramiko": "runner.sandbox",
    "httpx": "runner.backends",
}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(RUNNER.rglob("*.py"))}


def imported(path: Path) -> Iterator[str]:
    """Every module ``path`` imports, anywhere in it; ``from X import Y`` is X.Y when Y is one."""
    known = modules()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}: a relative import; runner uses absolute ones"
            base = node.module or ""
            for alias in node.names:
                yield f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base


def graph() -> dict[str, set[str]]:
    known = modules()
    return {
        name: {m for m in imported(path) if m in known} - {name} for name, path in known.items()
    }


def part(module: str) -> str:
    """The room or top-level module ``module`` belongs to."""
    pieces = module.split(".")
    return ".".join(pieces[:2])


def test_runner_is_the_map_of_the_issue():
    names = {p.stem for p in RUNNER.glob("*.py")} - {"__init__", "__main__"}
    rooms = {p.name for p in RUNNER.iterdir() if (p / "__init__.py").exists()}
    assert names == set(TOP)
    assert rooms == set(ROOMS)


@pytest.mark.parametrize("room", ROOMS)
def test_each_room_has_a_face(room):
    init = RUNNER / room / "__init__.py"
    tree = ast.parse(init.read_text(encoding="utf-8"))
    assert ast.get_docstring(tree) and "May import" in ast.get_docstring(tree)
    exported = next(
        node.value
        for node in tree.body
        if isinstance(node, ast.Assign) and node.targets[0].id == "__all__"  # type: ignore[attr-defined]
    )
    names = {elt.value for elt in exported.elts}  # type: ignore[attr-defined]
    bound = {
        alias.asname or alias.name
        for node in tree.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    assert names == bound, "the face exports exactly what it imports"


def test_no_import_cycle_in_runner():
    edges = graph()
    state: dict[str, int] = {}  # 1 on the path, 2 done
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for target in sorted(edges[node]):
            if state.get(target) == 1:
                cycle = [*path[path.index(target) :], target]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if target not in state:
                visit(target)
        path.pop()
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node)


def test_each_part_imports_only_what_its_docstring_allows():
    wrong = []
    for module, targets in graph().items():
        own = part(module)
        if own not in ALLOWED:
            continue  # cli, commands, __main__: the edges may use everything
        for target in targets:
            other = part(target)
            if other != own and other not in ALLOWED[own] and target != "runner":
                wrong.append(f"{module} imports {target}")
            if other not in (own, target) and other in {f"runner.{r}" for r in ROOMS}:
                wrong.append(f"{module} imports {target}, not the face {other}")
            if other == own and target == own and module != own:
                wrong.append(f"{module} imports its own room's face (a cycle in waiting)")
    assert wrong == []


@pytest.mark.parametrize("package", sorted(CONFINED))
def test_third_party_edges_stay_in_their_room(package):
    outside = [
        name
        for name, path in modules().items()
        if part(name) != CONFINED[package]
        and any(m == package or m.startswith(package + ".") for m in imported(path))
    ]
    assert outside == []


def test_tests_benchmarks_and_scripts_use_the_faces():
    private = []
    for folder in ("tests", "benchmarks", "scripts"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "candidates" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = []
                if isinstance(node, ast.ImportFrom) and node.module:
                    names = [node.module]
                elif isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                for name in names:
                    pieces = name.split(".")
                    if pieces[0] == "runner" and len(pieces) > 2 and pieces[1] in ROOMS:
                        private.append(f"{path.relative_to(ROOT)}: {name}")
    assert private == []
