"""EvalPlus's comparison rules and its special oracles, run on the host on observed values.

A suite spec says ``"comparison": {"mode": "evalplus", "atol": ..., "oracle": NAME}``. The
oracle is a name, never code from the spec: each one is a small pure function here, written
from EvalPlus's ``evalplus/eval/__init__.py`` and ``_special_oracle.py``. The values compared
are what the sandbox reported (built-in types only), so nothing here runs candidate code.

The rules, for one case (``matches``):
1. Python equality (``got == want``; ``1 == 1.0`` counts), replaced by set equality for the
   ``set_equal`` oracle, widened by the other oracles.
2. When that fails and the effective tolerance is not 0: same exact type, same length for a
   list or tuple, and every number within ``atol + 1e-7 * |want|`` (numpy's ``allclose``).
The effective tolerance (``GroupTolerance``) is the task's ``atol``, or 1e-6 from the first
case of the group whose expected value is a float or a non-empty list/tuple of floats on:
EvalPlus raises the tolerance once and keeps it for the rest of the group.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

RTOL = 1e-7  # numpy's allclose default, which EvalPlus keeps
FLOAT_ATOL = 1e-6  # EvalPlus's tolerance for float outputs of tasks that give atol 0


def is_floats(value: Any) -> bool:
    """A float, or a non-empty list or tuple of floats (EvalPlus's test for a float output)."""
    if type(value) is float:
        return True
    return type(value) in (list, tuple) and bool(value) and all(type(v) is float for v in value)


class GroupTolerance:
    """The tolerance as it evolves over one group's cases, in order (module docstring)."""

    def __init__(self, atol: float) -> None:
        self.atol = atol

    def for_case(self, want: Any) -> float:
        """The tolerance that applies to a case expecting ``want`` (and to later cases)."""
        if self.atol == 0 and is_floats(want):
            self.atol = FLOAT_ATOL
        return self.atol


def close(got: Any, want: Any, atol: float) -> bool:
    """numpy-style ``allclose`` on numbers and equally shaped lists/tuples of numbers."""
    numbers = (int, float, bool, complex)
    if type(got) in numbers and type(want) in numbers:
        if got == want:
            return True
        try:
            return abs(got - want) <= atol + RTOL * abs(want)
        except (OverflowError, TypeError):
            return False
    if type(got) in (list, tuple) and type(want) in (list, tuple) and len(got) == len(want):
        return all(close(g, w, atol) for g, w in zip(got, want, strict=True))
    return False


def matches(got: Any, want: Any, atol: float, oracle: str | None, args: Sequence[Any]) -> bool:
    """Whether a returned value passes, by EvalPlus's rules (module docstring).

    ``atol`` is the effective tolerance (``GroupTolerance.for_case``); ``args`` are the
    case's arguments, which some oracles recompute from.
    """
    try:
        if oracle == "find_zero":
            return abs(_poly(args[0], got)) <= atol
        exact = ORACLES[oracle](got, want, atol, args) if oracle else _equal(got, want)
    except (TypeError, ValueError, OverflowError, IndexError, ZeroDivisionError, RecursionError):
        return False
    if exact:
        return True
    if atol == 0 or type(got) is not type(want):
        return False
    if type(want) in (list, tuple) and len(got) != len(want):
        return False
    return close(got, want, atol)


def _equal(got: Any, want: Any) -> bool:
    return bool(got == want)


def _poly(coefficients: Sequence[Any], x: Any) -> float:
    """HumanEval/32's polynomial at ``x``: sum of c_i * x**i, with float powers."""
    return sum(c * math.pow(x, i) for i, c in enumerate(coefficients))


def _set_equal(got: Any, want: Any, atol: float, args: Sequence[Any]) -> bool:
    return set(got) == set(want)


def _not_none(got: Any, want: Any, atol: float, args: Sequence[Any]) -> bool:
    """Tasks returning ``re.Match`` objects: the expected value is whether one was returned.

    ``got`` is ``NOT_NONE`` when the candidate returned an object the sandbox cannot carry.
    """
    if type(got) is bool:
        return got == want
    return want == (got is not None)


def _any_value(got: Any, want: Any, atol: float, args: Sequence[Any]) -> bool:
    return True  # Mbpp/164: any returned value passes; raising or timing out still fails


def _equal_or_zero(got: Any, want: Any, atol: float, args: Sequence[Any]) -> bool:
    return bool(got == want or got == 0)  # noqa: PLR1714 (Mbpp/295: == as EvalPlus does)


def _pyramid_surface(got: Any, want: Any, atol: float, args: Sequence[Any]) -> bool:
    """Mbpp/581: the height may also be read as the perpendicular height."""
    if got == want:
        return True
    edge, height = args[0], args[1]
    slant = math.sqrt((edge / 2) ** 2 + height**2)
    return bool(abs(got - round(edge**2 + 4 * (edge * slant) / 2)) <= atol)


def _digit_distance(got: Any, want: Any, atol: float, args: Sequence[Any]) -> bool:
    """Mbpp/558: the numbers may also be zero-padded to the same length first."""
    if got == want:
        return True
    left, right = str(args[0]), str(args[1])
    width = max(len(left), len(right))
    pairs = zip(left.zfill(width), right.zfill(width), strict=True)
    return bool(got == sum(abs(int(a) - int(b)) for a, b in pairs))


class _NotNone:
    """A returned object the sandbox could not carry (a ``re.Match``): only its being there."""

    def __repr__(self) -> str:
        return "<an object>"


NOT_NONE = _NotNone()

ORACLES: dict[str, Callable[[Any, Any, float, Sequence[Any]], bool]] = {
    "set_equal": _set_equal,
    "not_none": _not_none,
    "any_value": _any_value,
    "equal_or_zero": _equal_or_zero,
    "pyramid_surface": _pyramid_surface,
    "digit_distance": _digit_distance,
}
ORACLE_NAMES = ("find_zero", *ORACLES)
