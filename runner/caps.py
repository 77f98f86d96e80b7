"""The host's budget on untrusted input: every cap in one place, and the bounded JSON reader.

Untrusted text is anything a model or a candidate controls (a response, a container's report)
and anything read back from disk that a person may have edited or damaged (a run directory,
a spec, a config). Every host-side step on it is linear (or n log n) in its size, and each cap
below is checked before the expensive work it protects. Over a cap, a candidate's input is the
candidate's failure with a named outcome (``too_large``, ``protocol_error``); a damaged file is
bad input (exit 2) naming the file and the place. docs/SECURITY.md lists these caps.

This module imports nothing else from ``runner``.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable
from typing import Any

# A model's answer (the raw response, UTF-8 bytes). Static analysis costs about 540 bytes of
# host memory per byte of code, so 256 KiB is ~140 MB per grade at worst; an honest answer to a
# chore is a few KiB.
ANSWER_BYTES = 256 * 1024
ANSWER_LINES = 10_000
# The fence-free code search parses at most this many times the answer's length in all.
EXTRACT_PARSE_FACTOR = 16
# One job line, as sent to the harness (grader_image/harness.py reads at most JOB_LIMIT bytes).
JOB_BYTES = 8 * 1024 * 1024
# Findings of one rule (a compliance violation, a diagnostic) kept in a grade.
FINDINGS_PER_RULE = 20

# The container's report (runner.grade.protocol, runner.values).
REPORT_INT_DIGITS = 20  # a JSON integer in a report: exit codes, counts
ELAPSED_MAX_S = 86_400.0  # a case's reported time: finite, 0 to a day
VALUE_DEPTH = 100  # nesting of a returned value
VALUE_INT_BITS = 12_000  # 3,613 decimal digits: under Python's 4,300-digit str() limit
VALUE_FLOAT_CHARS = 40  # a float's hex form ("-0x1.fffffffffffffp+1023" is 24)
VALUE_HASH_COLLISIONS = 32  # members of one set, or keys of one dict, with one hash

# Files read back from disk: run directories, specs, configs.
JSON_DEPTH = 32
JSON_INT_DIGITS = 30


class Refused(ValueError):
    """Untrusted JSON that is not JSON, or is outside the caps; the message says which."""


class BadNumber:
    """Stands for a number outside the caps where ``load_json`` was told to keep going."""

    def __repr__(self) -> str:
        return "<NaN, an infinity or a number of too many digits>"


BAD_NUMBER = BadNumber()


def load_json(
    text: str | bytes,
    *,
    depth: int = JSON_DEPTH,
    int_digits: int = JSON_INT_DIGITS,
    bad_number: BadNumber | None = None,
    object_pairs_hook: Callable[[list[tuple[str, Any]]], Any] | None = None,
) -> Any:
    """``json.loads`` for untrusted text: standard JSON only, within the caps.

    NaN, Infinity, a float that overflows (``1e400``) and an integer of more than
    ``int_digits`` digits are refused, or replaced by ``bad_number`` when it is given (the
    caller then refuses the one field that holds it). Nesting deeper than ``depth`` is refused.
    ``object_pairs_hook`` is ``json.loads``'s; a ValueError it raises is refused with its text.

    Raises:
        Refused: with the reason, short and safe to print.
    """

    try:
        if isinstance(text, bytes):
            text = text.decode(json.detect_encoding(text), "surrogatepass")
        data = _decoder(int_digits, bad_number, object_pairs_hook).decode(text)
    except RecursionError:
        raise Refused(f"nested deeper than {depth} levels") from None
    except Refused:
        raise
    except ValueError as exc:  # JSONDecodeError, bad UTF-8
        raise Refused(f"not valid JSON: {str(exc)[:200]}") from None
    # Nesting never exceeds the number of openers: most reports need no walk at all.
    openers = text.count("[") + text.count("{")
    if openers > depth and nesting(data) > depth:
        raise Refused(f"nested deeper than {depth} levels")
    return data


@functools.lru_cache(maxsize=16)
def _decoder(
    int_digits: int,
    bad_number: BadNumber | None,
    object_pairs_hook: Callable[[list[tuple[str, Any]]], Any] | None,
) -> json.JSONDecoder:
    """``load_json``'s decoder for one set of caps, made once: a transcript is read a line at
    a time, and making a decoder costs more than most lines' parse."""

    def number(literal: str) -> Any:
        if bad_number is not None:
            return bad_number
        raise Refused(f"a number out of range: {literal[:20]}")

    def integer(literal: str) -> Any:
        return int(literal) if len(literal.lstrip("-")) <= int_digits else number(literal)

    def real(literal: str) -> Any:
        value = float(literal)
        return value if math.isfinite(value) else number(literal)

    return json.JSONDecoder(
        parse_constant=number,
        parse_int=integer,
        parse_float=real,
        object_pairs_hook=object_pairs_hook,
    )


def nesting(data: Any) -> int:
    """How deep lists and objects nest in ``data`` (0 for a scalar), without recursion."""
    deepest = 0
    stack = [(data, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        deepest = max(deepest, level)
        # Only containers go on the stack: most of a document is scalars.
        stack.extend((child, level + 1) for child in children if isinstance(child, (dict, list)))
    return deepest
