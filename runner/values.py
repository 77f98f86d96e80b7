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
import hashlib
import json
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from runner.caps import VALUE_DEPTH, VALUE_FLOAT_CHARS, VALUE_HASH_COLLISIONS, VALUE_INT_BITS


class Undecodable(ValueError):
    """A report's value is not a well-formed tagged value."""


class TooLarge(Undecodable):
    """A value the harness could not carry, or one over the host's caps (``runner.caps``)."""


NON_FINITE = {"inf": math.inf, "-inf": -math.inf, "nan": math.nan}
# CPython 3.11's parser keeps its AST recursion depth in state shared by threads: two graders
# parsing at once can fail with "AST constructor recursion depth mismatch" (a SystemError).
PARSER_LOCK = threading.Lock()  # held around every ast.parse of chorebench's


def parse_literal(source: str) -> Any:
    """Read a Python literal; raises ValueError with a short reason if it is not one.

    ``float('inf')``, ``float('-inf')`` and ``float('nan')`` count as literals too (the
    harness reads them the same way): EvalPlus's inputs have them.
    """
    stripped = source.strip()
    quick = quick_literal(stripped)
    if quick is not SLOW:
        return quick
    try:
        with PARSER_LOCK:
            tree = ast.parse(stripped, mode="eval")
        if "float(" in source:
            tree = _NonFinite().visit(tree)
        return ast.literal_eval(tree.body)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError) as exc:
        raise ValueError(
            f"not a Python literal ({exc.__class__.__name__}): {source[:80]!r}"
        ) from exc


SLOW = object()  # quick_literal's "this one needs the parser"
_CONSTANTS = {"True": True, "False": False, "None": None}
_NUMERIC = frozenset("0123456789+-.eE[], ")


def quick_literal(source: str) -> Any:
    """The value of a stripped literal whose reading needs no parser, or ``SLOW``.

    Most of a suite's literals are numbers, flat or nested lists of them, or short plain
    strings, and the parser costs about 15 µs a literal: 290,000 of them are half of loading
    HumanEval+. Taken here, each with exactly the parser's result: a literal of digits,
    signs, dots, exponents, brackets, commas and spaces only is read by JSON, which reads
    such text as Python does (ints as ints, floats by the same correctly rounded conversion,
    lists as lists) or refuses it (then the parser decides, and says why); a string in
    quotes that holds no quote of its kind, no backslash and only printable ASCII is its own
    text; ``True``, ``False`` and ``None``. The harness reads its arguments the same way
    (``grader_image/harness.py``, ``quick_literal``), and a test holds both to the parser.
    """
    first = source[:1]
    if first in ("'", '"'):
        if (
            len(source) >= 2
            and source[-1] == first
            and source.count(first) == 2
            and "\\" not in source
            and source.isascii()
            and source.isprintable()
        ):
            return source[1:-1]
        return SLOW
    if source in _CONSTANTS:
        return _CONSTANTS[source]
    if source and _NUMERIC.issuperset(source):
        try:
            return json.loads(source)
        except (ValueError, RecursionError):
            return SLOW
    return SLOW


class _NonFinite(ast.NodeTransformer):
    def visit_Call(self, node: ast.Call) -> ast.AST:
        if (
            isinstance(node.func, ast.Name)
            and node.func.id == "float"
            and len(node.args) == 1
            and not node.keywords
            and isinstance(node.args[0], ast.Constant)
            and node.args[0].value in NON_FINITE
        ):
            return ast.Constant(NON_FINITE[node.args[0].value])
        return node


def write_literal(value: Any) -> str:
    """The literal source ``parse_literal`` reads back as exactly ``value`` (same types).

    Raises:
        ValueError: the value has no exact literal form (a frozenset, a huge int, a
            self-referencing container); the message says which.
    """
    source = _literal(value, 0)
    back = parse_literal(source)
    if not strictly_equal(back, value) and not (_has_foreign(value) and back == value):
        raise ValueError(f"{short_repr(value, 60)} does not read back as itself")
    return source


def _has_foreign(value: Any) -> bool:
    """A dict subclass somewhere inside: its literal is a plain dict, equal only under ==."""
    if type(value) is ForeignDict:
        return True
    if type(value) in (list, tuple, set, frozenset):
        return any(_has_foreign(item) for item in value)
    return type(value) is dict and any(_has_foreign(item) for item in value.values())


def _literal(value: Any, depth: int) -> str:
    if depth > 100:
        raise ValueError("nested too deeply for a literal")
    kind = type(value)
    if kind is float and not math.isfinite(value):
        return f"float({'nan' if math.isnan(value) else ('-inf' if value < 0 else 'inf')!r})"
    if kind is complex:
        if not (math.isfinite(value.real) and math.isfinite(value.imag)):
            raise ValueError("a complex number with a non-finite part has no literal form")
        # Both parts written out: repr's '-3j' would read back with a real part of -0.0.
        sign = "-" if math.copysign(1, value.imag) < 0 else "+"
        return f"({value.real!r}{sign}{abs(value.imag)!r}j)"
    if kind is int and value.bit_length() > 10_000:
        return ("-" if value < 0 else "") + hex(abs(value))  # decimal has a digit limit
    if value is None or kind in (bool, int, float, complex, str, bytes):
        return repr(value)
    items = [_literal(item, depth + 1) for item in value] if kind in (list, tuple, set) else []
    if kind is list:
        return "[" + ", ".join(items) + "]"
    if kind is tuple:
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    if kind is set:
        return "{" + ", ".join(items) + "}" if items else "set()"
    if kind in (dict, ForeignDict):  # a Counter's literal is its items: equal under ==
        pairs = [f"{_literal(k, depth + 1)}: {_literal(v, depth + 1)}" for k, v in value.items()]
        return "{" + ", ".join(pairs) + "}"
    raise ValueError(f"a {kind.__name__} has no literal form")


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
    "digest": 3, "subdict": 2, "flat": 3,
}  # fmt: skip


class ForeignDict(dict):  # type: ignore[type-arg]
    """A returned dict subclass (``collections.Counter``...), by its items and class name.

    It equals a dict with the same items under Python's ``==`` (EvalPlus's comparison), and
    differs from every plain dict under ``canonical`` (the strict comparison).
    """

    type_name = ""

    def __repr__(self) -> str:
        return f"{self.type_name}({dict.__repr__(self)})"


def _foreign(rest: list[Any], depth: int) -> ForeignDict:
    name, items = rest
    if type(name) is not str:
        raise Undecodable("malformed subdict value")
    value = ForeignDict(_dict(items, depth))
    value.type_name = name[:200]
    return value


# Scalars past these sizes travel as a Digest, on both sides (grader_image/harness.py):
# the harness's caps are the host's.
MAX_INT_BITS = VALUE_INT_BITS
MAX_STR = 1_000_000


DIGEST_KINDS = ("str", "bytes", "int", "value")


@dataclass(frozen=True)
class Digest:
    """A value too large to carry: its kind, a SHA-256, a size.

    A str, bytes or int: the SHA-256 of its bytes (UTF-8 for a str, hex digits for an int),
    and their count; compared through ``canonical``, it equals the large value it was made
    from. Kind ``value``: a container past the harness's node cap, by the harness's
    ``fingerprint`` (exact types; set and dict order ignored), and its node count; it equals
    only a digest with the same fingerprint.
    """

    kind: str
    sha256: str
    size: int

    def __eq__(self, other: object) -> bool:
        return canonical(self) == canonical(other)

    def __hash__(self) -> int:
        return hash(canonical(self))

    def __repr__(self) -> str:
        unit = "values" if self.kind == "value" else "bytes"
        return f"<{self.kind} of {self.size} {unit}, sha256 {self.sha256[:12]}>"


def digest_of(value: Any) -> Digest | None:
    """The Digest a large str, bytes or int travels as; None for anything small enough."""
    kind = type(value)
    if kind is str and len(value) > MAX_STR:
        data = value.encode("utf-8", "surrogatepass")
    elif kind is bytes and len(value) > MAX_STR:
        data = value
    elif kind is int and value.bit_length() > MAX_INT_BITS:
        data = format(value, "x").encode("ascii")
    else:
        return None
    return Digest(kind.__name__, hashlib.sha256(data).hexdigest(), len(data))


def _digest(rest: list[Any]) -> Digest:
    kind, sha256, size = rest
    if kind not in DIGEST_KINDS or type(size) is not int or type(sha256) is not str:
        raise Undecodable("malformed digest value")
    if len(sha256) != 64 or sha256.strip("0123456789abcdef"):
        raise Undecodable("malformed digest value")
    return Digest(kind, sha256, size)


# The longest text of a number the host reads (an int's hex digits, with a sign).
_OVER = {"int": VALUE_INT_BITS // 4 + 1, "float": VALUE_FLOAT_CHARS, "complex": VALUE_FLOAT_CHARS}


def _items(items: list[Any], depth: int) -> list[Any]:
    return [decode(item, depth + 1) for item in items]


_FLAT = {"int": lambda text: int(text, 16), "float": float.fromhex, "str": str}
_CONTAINERS: dict[str, Callable[[list[Any]], Any]] = {
    "list": list, "tuple": tuple, "set": lambda m: set(_distinct(m)),
    "frozenset": lambda m: frozenset(_distinct(m)),
}  # fmt: skip


def _flat(rest: list[Any]) -> Any:
    """A container of one atom type, as the texts of its members (the harness's ``flat``)."""
    container, atom, texts = rest
    if container not in _CONTAINERS or atom not in _FLAT or type(texts) is not list:
        raise Undecodable("malformed flat value")
    if not all(type(text) is str for text in texts):
        raise Undecodable("malformed flat value")
    if atom in _OVER and any(len(text) > _OVER[atom] for text in texts):
        raise TooLarge(f"returned a {atom} over the host's cap")
    return _CONTAINERS[container](list(map(_FLAT[atom], texts)))


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
    "digest": lambda rest, depth: _digest(rest),
    "flat": lambda rest, depth: _flat(rest),
    "subdict": _foreign,
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
    if kind is Digest:
        return ("digest", value.kind, value.sha256)
    if kind is ForeignDict:
        items = frozenset((canonical(k), canonical(v)) for k, v in value.items())
        return ("subdict", value.type_name, items)
    if kind in (str, bytes, int):
        large = digest_of(value)
        if large is not None:
            return canonical(large)
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


def printable(text: str, limit: int | None = None) -> str:
    """Untrusted text made safe to show: one line, and nothing a terminal or a reader acts on.

    Every character that ``str.isprintable`` refuses (C0 and C1 controls such as ESC, CSI, CR,
    LF, tab and BEL; format characters such as bidi overrides; line and paragraph separators)
    is written as its Python escape (``\\x1b``, ``\\n``, ``\\u202e``), so no text a
    candidate, a model server or a run directory wrote can move the cursor, clear the screen,
    start a line or reorder what is shown. Cut to ``limit`` characters (``...`` at the end)
    when given. Every path that prints, writes markdown or writes HTML shows untrusted
    text through this function; markup is then the renderer's job (``runner.report.render``).
    """
    if limit is not None:
        text = text[: limit + 1]  # an escape is never shorter than its character: enough
    if not text.isprintable():
        text = "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)
    shown = text
    if limit is not None and len(shown) > limit:
        return shown[: limit - 3] + "..."
    return shown


def short_repr(value: Any, limit: int = 120) -> str:
    """A short repr of a value for details, shown through ``printable``."""
    try:
        text = repr(value)
    except ValueError:  # an int past sys.get_int_max_str_digits
        text = repr(digest_of(value) or f"<{type(value).__name__}>")
    return printable(text, limit)
