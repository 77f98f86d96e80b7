"""Wrong solutions made by mutating canonical ones: the samples the agreement script grades.

Each operator rewrites one node of the canonical solution's AST (the first it applies to,
from a position chosen by a seeded generator): a flipped comparison, an off-by-one, a changed
constant, swapped branches. The code is data for both graders; nothing here runs it.
"""

from __future__ import annotations

import ast
import random
from collections.abc import Callable, Iterator

FLIPS: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.GtE, ast.GtE: ast.Lt, ast.Gt: ast.LtE, ast.LtE: ast.Gt,
    ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.In: ast.NotIn, ast.NotIn: ast.In,
}  # fmt: skip


def _flip_comparison(node: ast.AST) -> bool:
    if isinstance(node, ast.Compare) and type(node.ops[0]) in FLIPS:
        node.ops[0] = FLIPS[type(node.ops[0])]()
        return True
    return False


def _off_by_one(node: ast.AST) -> bool:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Sub):
        node.op = ast.Sub() if isinstance(node.op, ast.Add) else ast.Add()
        return True
    if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "range" and node.args:
        last = node.args[-1] if len(node.args) < 3 else node.args[1]
        node.args[node.args.index(last)] = ast.BinOp(last, ast.Add(), ast.Constant(1))
        return True
    return False


def _changed_constant(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant) and type(node.value) is int:
        node.value = node.value + 1
        return True
    if isinstance(node, ast.Constant) and type(node.value) is bool:
        node.value = not node.value
        return True
    return False


def _swapped_branches(node: ast.AST) -> bool:
    if isinstance(node, ast.If) and node.orelse:
        node.body, node.orelse = node.orelse, node.body
        return True
    if isinstance(node, ast.IfExp):
        node.body, node.orelse = node.orelse, node.body
        return True
    return False


OPERATORS: dict[str, Callable[[ast.AST], bool]] = {
    "flipped_comparison": _flip_comparison,
    "off_by_one": _off_by_one,
    "changed_constant": _changed_constant,
    "swapped_branches": _swapped_branches,
}


def mutants(solution: str, entry_point: str, seed: int) -> Iterator[tuple[str, str]]:
    """(operator, mutated source) for each operator that applies inside ``entry_point``."""
    for name, operator in OPERATORS.items():
        tree = ast.parse(solution)
        functions = [
            n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == entry_point
        ]
        if not functions:
            return
        nodes = [n for n in ast.walk(functions[0]) if n is not functions[0]]
        random.Random(f"{seed}:{name}").shuffle(nodes)
        for node in nodes:
            if operator(node):
                mutated = ast.unparse(ast.fix_missing_locations(tree))
                if mutated != ast.unparse(ast.parse(solution)):
                    yield name, mutated
                break
