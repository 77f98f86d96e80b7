"""Check extracted code against a spec's constraints, statically: nothing is ever executed.

This is policy, not security. The rules catch what an honest candidate writes when it ignores an
instruction (a fence, a module-level import, a call of ``eval``); a determined candidate can hide
a call from any static check (``vars(__builtins__)["ev" + "al"]``). The sandbox container is the
security boundary, and these rules never replace it.

Rules, reported in this order and, within a rule, in source order (``Violation.line`` is 1-based
in the extracted code, or None when no line applies); at most ``FINDINGS_PER_RULE`` of one rule
(``runner.caps``) are kept:

* ``too_large``: the raw response is over the answer caps (``runner.grade.extract.oversized``); then
  it is the only violation, and nothing else is looked at.
* ``empty_response``: the raw response is blank; then it is the only violation.
* ``fences``: ``no_fences`` and the code came out of Markdown fences.
* ``prose``: ``no_prose`` and there is text outside the code.
* ``syntax_error``: the code does not compile; the rules below are then skipped.
* ``entry_point_missing``: no top-level ``def`` or ``async def`` named ``entry_point``.
* ``module_import``: ``imports_inside_function`` and an import outside every function body
  (kind ``"function"`` only: a pytest module imports at the top), unless the statement is
  one of ``allowed_module_imports`` (a suite task's prompt's own imports).
* ``forbidden_import``: an import of a forbidden module or of anything inside it, including
  ``importlib.import_module("name")`` and ``__import__("name")`` with a constant string.
* ``forbidden_call``: a call of a forbidden name, plain (``eval(x)``) or as the last attribute
  (``builtins.eval(x)``), or ``getattr(obj, "eval")`` with a constant string.
* ``forbidden_name``: any other read of a forbidden name, e.g. ``f = eval``.
"""

from __future__ import annotations

import ast
import warnings
from collections.abc import Iterable, Iterator

from runner.caps import FINDINGS_PER_RULE
from runner.grade.extract import oversized
from runner.records import Constraints, Extraction, Outcome, Violation
from runner.values import PARSER_LOCK

# A response with one of these has nothing to execute.
UNRUNNABLE = frozenset({"too_large", "empty_response", "syntax_error", "entry_point_missing"})


KINDS = ("function", "pytest")
PREVIEW_CHARS = 60
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)


def not_executed(violation: Violation) -> tuple[Outcome, str]:
    """The outcome and detail of every check of a response not run because of ``violation``."""
    if violation.rule == "too_large":
        return Outcome.TOO_LARGE, violation.detail
    return Outcome.NO_CODE, f"not executed: {violation.rule}"


def check_compliance(
    extraction: Extraction, constraints: Constraints, entry_point: str, *, kind: str = "function"
) -> tuple[Violation, ...]:
    """Every constraint the extracted response breaks, in a stable order (see module doc)."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}, expected one of {KINDS}")
    too_large = oversized(extraction.raw)
    if too_large:
        return (Violation("too_large", too_large),)
    if not extraction.raw.strip():
        return (Violation("empty_response", "the response is empty"),)
    found: list[Violation] = []
    if constraints.no_fences and extraction.fenced_blocks > 0:
        count = extraction.fenced_blocks
        found.append(Violation("fences", f"{count} fenced block{'' if count == 1 else 's'}"))
    if constraints.no_prose and extraction.prose:
        first = extraction.prose[0]
        more = "..." if len(first) > PREVIEW_CHARS else ""
        found.append(Violation("prose", f"text outside the code: {first[:PREVIEW_CHARS]!r}{more}"))
    try:
        tree = _compile(extraction.code)
    except SyntaxError as error:
        found.append(Violation("syntax_error", error.msg, error.lineno))
        return tuple(found)
    nodes = _in_source_order(ast.walk(tree))
    found += _entry_point(tree, entry_point)
    if kind == "function" and constraints.imports_inside_function:
        found += _module_imports(tree, constraints.allowed_module_imports)
    found += _forbidden_imports(nodes, constraints.forbidden_imports)
    calls, called = _forbidden_calls(nodes, constraints.forbidden_calls)
    found += calls
    found += _forbidden_names(nodes, constraints.forbidden_names, called)
    return capped(found)


def capped(found: Iterable[Violation]) -> tuple[Violation, ...]:
    """The first ``FINDINGS_PER_RULE`` findings of each rule, in their order."""
    kept: list[Violation] = []
    seen: dict[str, int] = {}
    for violation in found:
        seen[violation.rule] = seen.get(violation.rule, 0) + 1
        if seen[violation.rule] <= FINDINGS_PER_RULE:
            kept.append(violation)
    return tuple(kept)


def _compile(code: str) -> ast.Module:
    """Parse and compile ``code`` (without running it); raise SyntaxError if either fails.

    Compiling catches what the parser lets through but Python refuses to run, such as a
    ``return`` outside a function.
    """
    try:
        with PARSER_LOCK, warnings.catch_warnings():
            # A SyntaxWarning ("is" with a literal) is no error, even when warnings are errors.
            warnings.simplefilter("ignore")
            tree = ast.parse(code)
            compile(tree, "<candidate>", "exec", dont_inherit=True)
    except ValueError as error:  # null bytes
        raise SyntaxError(str(error)) from error
    except (MemoryError, RecursionError) as error:  # the parser's own limits on nesting
        raise SyntaxError("too deeply nested to parse") from error
    return tree


def _in_source_order(nodes: Iterable[ast.AST]) -> list[ast.AST]:
    """The nodes that have a position, sorted by it (parents before children at a tie)."""
    located = [node for node in nodes if hasattr(node, "lineno")]
    return sorted(located, key=lambda node: (node.lineno, node.col_offset))


def _entry_point(tree: ast.Module, entry_point: str) -> list[Violation]:
    defined = {
        node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    }
    if entry_point in defined:
        return []
    return [Violation("entry_point_missing", f"no top-level function named {entry_point!r}")]


def _outside_functions(tree: ast.Module) -> Iterator[ast.AST]:
    """Every node not inside a function body (a module-level ``if``/``try``/``class`` counts)."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, _FUNCTIONS):
            stack.extend(ast.iter_child_nodes(node))


def _module_imports(tree: ast.Module, allowed: tuple[str, ...]) -> list[Violation]:
    imports = [
        n
        for n in _outside_functions(tree)
        if isinstance(n, (ast.Import, ast.ImportFrom)) and ast.unparse(n) not in allowed
    ]
    return [
        Violation("module_import", f"{ast.unparse(node)!r} is outside any function", node.lineno)
        for node in _in_source_order(imports)
    ]


def _forbidden_imports(nodes: list[ast.AST], forbidden: tuple[str, ...]) -> list[Violation]:
    """One violation per ``import`` alias, per ``from`` statement, per dynamic import call."""
    found: list[Violation] = []
    for node in nodes:
        if isinstance(node, ast.Import):
            occurrences = [[alias.name] for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            # `from os import path` imports os, and maybe the submodule os.path: check both.
            names = [f"{node.module}.{alias.name}" for alias in node.names]
            occurrences = [[node.module, *names]]
        elif isinstance(node, ast.Call) and (name := _dynamic_import(node)):
            occurrences = [[name]]
        else:
            continue  # relative imports name the candidate's own package, never a forbidden one
        for names in occurrences:
            hit = next(((n, f) for n in names for f in forbidden if _within(n, f)), None)
            if hit is not None:
                detail = f"imports {hit[0]!r} (forbidden: {hit[1]!r})"
                found.append(Violation("forbidden_import", detail, node.lineno))
    return found


def _within(module: str, package: str) -> bool:
    """Whether ``module`` is ``package`` or one of its submodules."""
    return module == package or module.startswith(package + ".")


def _dynamic_import(call: ast.Call) -> str | None:
    """The module a constant-string ``import_module``/``__import__`` call imports, else None."""
    if callee(call.func) not in ("import_module", "__import__"):
        return None
    arguments = [*call.args[:1], *(k.value for k in call.keywords if k.arg == "name")]
    if arguments and isinstance(arguments[0], ast.Constant) and isinstance(arguments[0].value, str):
        name = arguments[0].value
        return None if name.startswith(".") else name  # relative: the candidate's own package
    return None


def callee(func: ast.expr) -> str | None:
    """The called name: ``f`` for ``f(...)`` and ``a.b.f(...)``, None for anything else."""
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _forbidden_calls(
    nodes: list[ast.AST], forbidden: tuple[str, ...]
) -> tuple[list[Violation], set[int]]:
    """The violations, and the ids of the ``Name`` nodes they already report as callees."""
    found: list[Violation] = []
    called: set[int] = set()
    for node in nodes:
        if not isinstance(node, ast.Call):
            continue
        name = callee(node.func)
        if name in forbidden:
            found.append(Violation("forbidden_call", f"call of {name}()", node.lineno))
            called.add(id(node.func))
        elif name == "getattr" and len(node.args) >= 2:
            attribute = node.args[1]
            if isinstance(attribute, ast.Constant) and attribute.value in forbidden:
                detail = f"getattr(..., {attribute.value!r})"
                found.append(Violation("forbidden_call", detail, node.lineno))
    return found, called


def _forbidden_names(
    nodes: list[ast.AST], forbidden: tuple[str, ...], called: set[int]
) -> list[Violation]:
    return [
        Violation("forbidden_name", f"reference to {node.id!r}", node.lineno)
        for node in nodes
        if isinstance(node, ast.Name)
        and isinstance(node.ctx, ast.Load)
        and node.id in forbidden
        and id(node) not in called
    ]
