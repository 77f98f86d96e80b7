"""Values as the spec writes them, as the sandbox reports them, and how they are compared.

Specs write values as Python literal source (``"(1, 'a')"``, ``"{1: None}"``), read with
``ast.literal_eval``: tuples, lists, dicts with any literal keys, sets, None, bools, ints,
floats, complex, str and bytes. The harness reports returned values tagged by exact type
(``["int", "1f"]``, ``["float", "0x1.8p+1"]``, ``["tuple", [...]]``), which ``decode`` turns
back into built-in values. Comparison is strict by type: ``True`` is not ``1``, ``1.0`` is not
``1``, a tuple is not a list; floats may opt into a relative tolerance.
"""

from __future__ import annotations

import ast
import math
from typing import Any

from runner.caps import VALUE_DEPTH, VALUE_FLOAT_CHARS, VALUE_HASH_COLLISIONS, VALUE_INT_BITS


class Undecodable(ValueError):
    """A report's value is not a well-formed tagged value."""


class TooLarge(Undecodable):
    """A value the harness could not carry, or one over the host's caps (``runner.caps``)."""


def parse_literal(source: str) -> Any:
    """Read a Python literal; raises ValueError with a short reason if it is not one."""
    try:
        return ast.literal_eval(source)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError) as exc:
        raise ValueError(
            f"not a Python literal ({exc.__class__.__name__}): {source[:80]!r}"
        ) from exc


def decode(tagged: Any, depth: int = 0) -> Any:
    """Rebuild a value from the harness's exact-type tags.

    The host's caps (``runner.caps``) bound the work: nesting, an int's bits, a float's text,
    and how many members of one set (keys of one dict) share a hash, since hash-colliding
    members make building a set quadratic.

    Raises:
        Undecodable: malformed tags, or an ``unsupported`` type; the message says which.
        TooLarge: the harness's ``too_large`` tag, or a value over the host's caps.
    """
    if depth > VALUE_DEPTH:
        raise TooLarge(f"returned a value nested deeper than {VALUE_DEPTH} levels")
    if type(tagged) is not list or not tagged or type(tagged[0]) is not str:
        raise Undecodable("malformed value")
    tag, rest = tagged[0], tagged[1:]
    if tag not in ARITY:
        raise Undecodable(f"unknown tag {tag[:20]!r}")
    if len(rest) != ARITY[tag]:
        raise Undecodable(f"malformed {tag} value")
    try:
        if tag == "unsupported":
            raise Undecodable(
                f"returned an object of type {str(rest[0])[:100]}, not a built-in value"
            )
        if tag == "too_large":
            raise TooLarge(f"returned a value too large to carry ({str(rest[0])[:60]})")
        if tag in ("bool", "str") and type(rest[0]) is not {"bool": bool, "str": str}[tag]:
            raise Undecodable(f"malformed {tag} value")
        if tag in _OVER and any(type(part) is str and len(part) > _OVER[tag] for part in rest):
            raise TooLarge(f"returned a {tag} over the host's cap")
        return _DECODERS[tag](rest, depth)
    except Undecodable:
        raise
    except (IndexError, TypeError, ValueError, AttributeError) as exc:
        raise Undecodable(f"malformed {tag} value") from exc


ARITY = {
    "none": 0, "bool": 1, "int": 1, "float": 1, "complex": 2, "str": 1, "bytes": 1, "list": 1,
    "tuple": 1, "set": 1, "frozenset": 1, "dict": 1, "unsupported": 1, "too_large": 1,
}  # fmt: skip
# The longest text of a number the host reads (an int's hex digits, with a sign).
_OVER = {"int": VALUE_INT_BITS // 4 + 1, "float": VALUE_FLOAT_CHARS, "complex": VALUE_FLOAT_CHARS}


def _items(items: list[Any], depth: int) -> list[Any]:
    return [decode(item, depth + 1) for item in items]


def _distinct(members: list[Any]) -> list[Any]:
    """``members``, once sure that few share a hash (so a set of them builds in linear time)."""
    counts: dict[int, int] = {}
    for member in members:
        key = hash(member)  # TypeError for a list or dict: a malformed set
        counts[key] = counts.get(key, 0) + 1
        if counts[key] > VALUE_HASH_COLLISIONS:
            raise TooLarge(f"returned over {VALUE_HASH_COLLISIONS} members with one hash")
    return members


def _dict(pairs: list[Any], depth: int) -> dict[Any, Any]:
    keys = _distinct([decode(key, depth + 1) for key, _ in pairs])
    return dict(zip(keys, (decode(value, depth + 1) for _, value in pairs), strict=True))


_DECODERS = {
    "none": lambda rest, depth: None,
    "bool": lambda rest, depth: rest[0],
    "int": lambda rest, depth: int(rest[0], 16),
    "float": lambda rest, depth: float.fromhex(rest[0]),
    "complex": lambda rest, depth: complex(float.fromhex(rest[0]), float.fromhex(rest[1])),
    "str": lambda rest, depth: rest[0],
    "bytes": lambda rest, depth: bytes.fromhex(rest[0]),
    "dict": lambda rest, depth: _dict(rest[0], depth),
    "list": lambda rest, depth: _items(rest[0], depth),
    "tuple": lambda rest, depth: tuple(_items(rest[0], depth)),
    "set": lambda rest, depth: set(_distinct(_items(rest[0], depth))),
    "frozenset": lambda rest, depth: frozenset(_distinct(_items(rest[0], depth))),
}


def strictly_equal(got: Any, want: Any, rel_tol: float | None = None) -> bool:
    """Equality that also requires the same exact type at every level.

    Floats compare exactly (NaN equals NaN, -0.0 differs from 0.0) unless ``rel_tol`` is
    given, then with ``math.isclose`` in lists, tuples, dict values and complex numbers. Dict
    keys and set members always compare exactly: they are identities, not measurements.
    """
    if rel_tol is None:
        return canonical(got) == canonical(want)
    if type(got) is not type(want):
        return False
    if type(want) is float:
        return math.isclose(got, want, rel_tol=rel_tol) or canonical(got) == canonical(want)
    if type(want) is complex:
        return strictly_equal(got.real, want.real, rel_tol) and strictly_equal(
            got.imag, want.imag, rel_tol
        )
    if type(want) in (list, tuple):
        return len(got) == len(want) and all(
            strictly_equal(g, w, rel_tol) for g, w in zip(got, want, strict=True)
        )
    if type(want) is dict:
        keyed = {canonical(k): v for k, v in got.items()}
        return len(got) == len(want) and all(
            canonical(k) in keyed and strictly_equal(keyed[canonical(k)], v, rel_tol)
            for k, v in want.items()
        )
    return canonical(got) == canonical(want)


def canonical(value: Any) -> Any:
    """A hashable form that differs whenever the exact type or value differs."""
    kind = type(value)
    if kind is float:
        return ("float", value.hex())
    if kind is complex:
        return ("complex", value.real.hex(), value.imag.hex())
    if kind in (list, tuple):
        return (kind.__name__, tuple(canonical(item) for item in value))
    if kind in (set, frozenset):
        return (kind.__name__, frozenset(canonical(item) for item in value))
    if kind is dict:
        return ("dict", frozenset((canonical(k), canonical(v)) for k, v in value.items()))
    return (kind.__name__, value)


def short_repr(value: Any, limit: int = 120) -> str:
    """A short, escaped repr for details: candidate text must not inject control characters."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
