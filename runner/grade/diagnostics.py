"""Static stale-reference diagnostics for generated tests (AST, on the host, nothing run).

The trap: a function of the module under test *rebinds* a module global
(``_model_cache = {...}`` under ``global _model_cache``). A test that holds the old object
(``from mod import _model_cache``, a local alias taken before the call, a ``global`` in the
test module) then checks a stale object and passes or fails for the wrong reason. These
diagnostics explain a failure; the score still comes only from running the test.
"""

from __future__ import annotations

import ast
import warnings

from runner.grade.compliance import callee, capped
from runner.records import ModuleUnderTest, Violation
from runner.values import PARSER_LOCK


def stale_reference_diagnostics(code: str, module: ModuleUnderTest) -> tuple[Violation, ...]:
    """Every stale-reference pattern in ``code`` for the module's rebinding globals.

    Each function is judged on its own statements (a nested function on its own), so the work
    is linear in the size of the code; at most ``FINDINGS_PER_RULE`` findings of a rule are kept.
    """
    try:
        with PARSER_LOCK, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return ()
    found: list[Violation] = []
    rebinds = dict(module.rebinds)
    imported = _from_imported(tree, module.import_path, rebinds, found)
    for node in ast.walk(tree):
        if isinstance(node, ast.Global):
            for name in node.names:
                if name in rebinds:
                    found.append(
                        Violation(
                            "global_in_test",
                            f"`global {name}` in the test names the test module's own global, "
                            f"not {module.import_path}.{name}: rebinding it there does not touch "
                            f"the module under test",
                            node.lineno,
                        )
                    )
    for nodes in _by_function(tree).values():
        found += _reads_after_rebind(nodes, module.import_path, rebinds, imported)
    return capped(sorted(set(found), key=lambda v: (v.line or 0, v.rule)))


def _by_function(tree: ast.Module) -> dict[ast.AST, list[ast.AST]]:
    """Each function's own nodes: its body, less the bodies of the functions nested in it."""
    own: dict[ast.AST, list[ast.AST]] = {}
    stack: list[tuple[ast.AST, ast.AST | None]] = [(tree, None)]
    while stack:
        node, owner = stack.pop()
        if owner is not None:
            own[owner].append(node)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            own[node] = []
            owner = node
        stack.extend((child, owner) for child in ast.iter_child_nodes(node))
    return own


def _from_imported(
    tree: ast.Module, import_path: str, rebinds: dict[str, str], found: list[Violation]
) -> set[str]:
    """Local names bound by value to a rebinding global through ``from ... import``."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == import_path:
            for alias in node.names:
                if alias.name in rebinds:
                    local = alias.asname or alias.name
                    names.add(local)
                    found.append(
                        Violation(
                            "stale_import",
                            f"`from {import_path} import {alias.name}` binds the object by value; "
                            f"{rebinds[alias.name]}() rebinds the module global, so `{local}` "
                            f"keeps the old object. Read {import_path}.{alias.name} instead",
                            node.lineno,
                        )
                    )
    return names


def _reads_after_rebind(
    nodes: list[ast.AST],
    import_path: str,
    rebinds: dict[str, str],
    imported: set[str],
) -> list[Violation]:
    """Names holding a rebinding global's old object, read after the rebinding call."""
    rebinders = set(rebinds.values())
    calls = [
        node.lineno
        for node in nodes
        if isinstance(node, ast.Call) and callee(node.func) in rebinders
    ]
    if not calls:
        return []
    first_call = min(calls)
    stale = {name: "imported" for name in imported}
    globals_in_test = {
        name for node in nodes if isinstance(node, ast.Global) for name in node.names
    }
    stale.update({name: "global" for name in globals_in_test if name in rebinds})
    for node in nodes:
        if (
            isinstance(node, ast.Assign)
            and node.lineno < first_call
            and _reads_global(node.value, rebinds)
        ):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    stale[target.id] = "alias"
    found = []
    for node in nodes:
        if (
            isinstance(node, ast.Name)
            and isinstance(node.ctx, ast.Load)
            and node.id in stale
            and node.lineno > first_call
        ):
            found.append(
                Violation(
                    "read_after_rebind",
                    f"`{node.id}` ({stale[node.id]}) is read after the call on line {first_call} "
                    f"that rebinds the module global: it still refers to the old object; read "
                    f"{import_path}.<name> after the call",
                    node.lineno,
                )
            )
    return found


def _reads_global(value: ast.expr, rebinds: dict[str, str]) -> bool:
    """An expression that is the global itself (``mod._model_cache`` or ``_model_cache``)."""
    if isinstance(value, ast.Attribute):
        return value.attr in rebinds
    return isinstance(value, ast.Name) and value.id in rebinds
