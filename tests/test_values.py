"""Tests of runner.values: literal parsing, tag decoding, strict comparison and short reprs."""

from __future__ import annotations

import ast
import json
import math
import random
from typing import Any

import pytest
from fakes import harness

from runner.values import (
    SLOW,
    TooLarge,
    Undecodable,
    canonical,
    decode,
    parse_literal,
    quick_literal,
    short_repr,
    strictly_equal,
)

NAN = float("nan")
INF = float("inf")


encode = harness().encode


def through_json(tagged: list[Any]) -> Any:
    """The tags as the host receives them: one ASCII JSON line, read back."""
    return json.loads(json.dumps(tagged, ensure_ascii=True).encode("ascii"))


def nested_lists(levels: int) -> list[Any]:
    """``levels`` list tags wrapped around a none tag."""
    tagged: list[Any] = ["none"]
    for _ in range(levels):
        tagged = ["list", [tagged]]
    return tagged


# --- parse_literal ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "value"),
    [
        ("None", None),
        ("True", True),
        ("0", 0),
        ("-17", -17),
        ("1.5", 1.5),
        ("-1.5", -1.5),
        ("2j", 2j),
        ("1+2j", 1 + 2j),
        ("'a\\nb'", "a\nb"),
        ("b'\\x00x'", b"\x00x"),
        ("(1, 'a')", (1, "a")),
        ("(1,)", (1,)),
        ("()", ()),
        ("[1, [2, None]]", [1, [2, None]]),
        ("{1: None, (2, 'x'): [b'y']}", {1: None, (2, "x"): [b"y"]}),
        ("{1, 2}", {1, 2}),
        ("set()", set()),
    ],
)
def test_parse_literal_reads_literals_with_their_exact_types(source: str, value: Any) -> None:
    parsed = parse_literal(source)
    assert canonical(parsed) == canonical(value)
    assert type(parsed) is type(value)


@pytest.mark.parametrize(
    ("source", "exception"),
    [
        ("foo", "ValueError"),
        ("1 +", "SyntaxError"),
        ("__import__('os')", "ValueError"),
        ("", "SyntaxError"),
        ("three hundred", "SyntaxError"),
        ("[x for x in ()]", "ValueError"),
    ],
)
def test_parse_literal_rejects_non_literals_with_a_short_reason(
    source: str, exception: str
) -> None:
    with pytest.raises(ValueError) as info:
        parse_literal(source)
    assert str(info.value) == f"not a Python literal ({exception}): {source!r}"


QUICK_EDGES = [
    "0", "-0", "-0.0", "1e5", "1E-5", "+1", "--1", "1.", ".5", "01", "1e400", "-1e400", "1_0",
    "[1, 2,]", "[1,[2,[3.5]]]", "[]", "[[]]", "e", "[e]", "1 2", "9" * 5000, "[" * 5000,
    "''", '""', "'a'", "'a''b'", "'''a'''", "'a\\nb'", "'tab\there'", "'\x00'", "'\u00e9'",
    '"it\'s"', "'say \"hi\"'", "'unterminated", "True", "False", "None", "true", "null",
]  # fmt: skip


def _parser_reading(source: str) -> Any:
    try:
        return ("value", ast.literal_eval(source))
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return ("refused",)


def test_quick_literals_read_exactly_as_the_parser_reads_them() -> None:
    """Host and harness take the quick path only where the parser gives the same value and
    type; elsewhere they leave the literal to it (and to its refusal)."""
    rng = random.Random(7)
    alphabet = "0123456789+-.eE[], '\"\\aTrueNn_()\t"
    sources = QUICK_EDGES + [
        "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 9))).strip()
        for _ in range(40_000)
    ]
    in_harness = harness()
    quick = 0
    for source in sources:
        got, theirs = quick_literal(source), in_harness.quick_literal(source)
        assert (got is SLOW) == (theirs is in_harness.SLOW), source
        if got is SLOW:
            continue
        quick += 1
        assert strictly_equal(got, theirs), source
        reading = _parser_reading(source)
        assert reading[0] == "value", f"quick path accepted what the parser refuses: {source!r}"
        assert canonical(got) == canonical(reading[1]), source
    assert quick > 1000  # the generator does reach the quick path


def test_parse_literal_reason_quotes_at_most_80_characters() -> None:
    source = "x" * 200
    with pytest.raises(ValueError) as info:
        parse_literal(source)
    assert str(info.value) == f"not a Python literal (ValueError): {'x' * 80!r}"


def test_parse_literal_survives_a_nesting_bomb() -> None:
    with pytest.raises(ValueError, match=r"^not a Python literal \("):
        parse_literal("[" * 100_000 + "]" * 100_000)


# --- decode: round trips ---------------------------------------------------------------------


ROUND_TRIP = [
    None,
    True,
    False,
    0,
    31,
    -31,
    2**100,
    -(2**70),
    1.5,
    0.0,
    -0.0,
    1e-310,
    INF,
    -INF,
    complex(1.5, -0.0),
    complex(-INF, 2.0),
    "",
    "héllo \u2028 \x00",
    "\ud800 lone surrogate \udfff",
    b"",
    b"\x00\xff abc",
    [],
    [1, [2.5, "x"], ()],
    [3, -31, 2**100, 0],
    (1.5, -0.0, INF, 1e-310),
    ["a", "\ud800", ""],
    {7, 8},
    frozenset({"x", "y"}),
    [True, 1],
    [1, True],
    [2**13000, 1],
    (),
    (1,),
    (None, (True, 1, 1.0)),
    set(),
    {1, "a", (2, b"z")},
    frozenset(),
    frozenset({(1, 2), frozenset({3})}),
    {},
    {(1, "a"): [None], 2: {"k": b"v"}, True: 1.0, -0.0: "neg"},
    [{"a": {1, 2}}, ({"b": [frozenset({()})]},)],
]


@pytest.mark.parametrize("value", ROUND_TRIP, ids=repr)
def test_decode_round_trips_every_tag_through_json(value: Any) -> None:
    decoded = decode(through_json(encode(value)))
    assert type(decoded) is type(value)
    assert canonical(decoded) == canonical(value)
    assert strictly_equal(decoded, value)


def test_decode_nan_round_trips_as_nan() -> None:
    decoded = decode(through_json(encode(NAN)))
    assert type(decoded) is float
    assert math.isnan(decoded)


@pytest.mark.parametrize(
    ("tagged", "value"),
    [
        (["none"], None),
        (["bool", True], True),
        (["bool", False], False),
        (["int", "0"], 0),
        (["int", "1f"], 31),
        (["int", "-1f"], -31),
        (["int", "ffffffffffffffffffff"], 2**80 - 1),
        (["float", "0x1.8000000000000p+0"], 1.5),
        (["float", "-0x1.0p-1"], -0.5),
        (["float", "inf"], INF),
        (["float", "-inf"], -INF),
        (["complex", "0x1.8p+0", "-0x1.0p+1"], complex(1.5, -2.0)),
        (["str", "\ud83d"], "\ud83d"),
        (["bytes", "00ff41"], b"\x00\xffA"),
        (["list", [["int", "1"], ["str", "a"]]], [1, "a"]),
        (["tuple", [["int", "1"]]], (1,)),
        (["tuple", []], ()),
        (["set", [["int", "1"], ["int", "2"]]], {1, 2}),
        (["frozenset", [["bool", True]]], frozenset({True})),
        (
            ["dict", [[["tuple", [["int", "1"], ["str", "a"]]], ["none"]]]],
            {(1, "a"): None},
        ),
        (
            ["dict", [[["bool", True], ["int", "1"]], [["int", "2"], ["int", "-2"]]]],
            {True: 1, 2: -2},
        ),
    ],
)
def test_decode_hand_written_tags(tagged: list[Any], value: Any) -> None:
    decoded = decode(tagged)
    assert type(decoded) is type(value)
    assert canonical(decoded) == canonical(value)


def test_flat_containers_carry_one_text_per_member() -> None:
    assert encode([1, 31]) == ["flat", "list", "int", ["1", "1f"]]
    assert encode(("a",)) == ["flat", "tuple", "str", ["a"]]
    assert encode([0.5]) == ["flat", "list", "float", ["0x1.0000000000000p-1"]]
    # Mixed or past a cap: a tag per member, as for any container.
    assert encode([True, 1])[0] == "list"
    assert encode([1, 2**13000])[1][1][0] == "digest"


def test_flat_members_count_against_the_node_cap_as_tagged_ones_do() -> None:
    # A list of k tuples of 13 strings is 1 + 14k nodes, however they travel.
    cap = harness().MAX_NODES
    under = [("a",) * 13 for _ in range((cap - 1) // 14)]
    assert encode(under)[0] == "list"
    with pytest.raises(harness().TooLarge):
        encode([*under, ("a",) * 13])
    assert harness().encode_value([*under, ("a",) * 13])[:2] == ["digest", "value"]


@pytest.mark.parametrize(
    "tagged",
    [
        ["flat", "dict", "int", ["1"]],
        ["flat", "list", "bool", ["1"]],
        ["flat", "list", "int", "1"],
        ["flat", "list", "int", [1]],
        ["flat", "list", "int", ["zz"]],
        ["flat", "list", "float", ["0x1p"]],
        ["flat", "set", "str", [["str", "a"]]],
    ],
)
def test_malformed_flat_values_are_undecodable(tagged: list[Any]) -> None:
    with pytest.raises(Undecodable):
        decode(tagged)


def test_flat_values_keep_the_host_caps() -> None:
    with pytest.raises(TooLarge):
        decode(["flat", "list", "int", ["f" * 5000]])
    with pytest.raises(TooLarge):
        decode(["flat", "set", "int", [format(k * ((1 << 61) - 1), "x") for k in range(1, 200)]])


def test_decode_negative_zero_keeps_its_sign() -> None:
    decoded = decode(["float", "-0x0.0p+0"])
    assert decoded == 0.0
    assert math.copysign(1.0, decoded) == -1.0


def test_decode_nan_tag() -> None:
    assert math.isnan(decode(["float", "nan"]))


def test_decode_nesting_of_exactly_100_levels_is_accepted() -> None:
    decoded = decode(nested_lists(100))
    for _ in range(100):
        assert type(decoded) is list
        assert len(decoded) == 1
        decoded = decoded[0]
    assert decoded is None


@pytest.mark.parametrize("levels", [101, 5_000])
def test_decode_nesting_deeper_than_100_is_too_large(levels: int) -> None:
    with pytest.raises(TooLarge) as info:
        decode(nested_lists(levels))
    assert str(info.value) == "returned a value nested deeper than 100 levels"


# --- decode: malformed tags -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tagged", "message"),
    [
        ([], "malformed value"),
        (None, "malformed value"),
        ("int", "malformed value"),
        (("int", "1"), "malformed value"),
        ({"int": "1"}, "malformed value"),
        ([5], "malformed value"),
        ([["int"], "1"], "malformed value"),
        (["nope"], "unknown tag 'nope'"),
        (["INT", "1"], "unknown tag 'INT'"),
        (["x" * 50, 1], f"unknown tag {'x' * 20!r}"),
        # wrong arity: a missing payload
        (["int"], "malformed int value"),
        (["float"], "malformed float value"),
        (["complex", "0x1.0p+0"], "malformed complex value"),
        (["bytes"], "malformed bytes value"),
        (["list"], "malformed list value"),
        (["dict"], "malformed dict value"),
        (["dict", [[["int", "1"]]]], "malformed dict value"),
        (["dict", [[["int", "1"], ["none"], ["none"]]]], "malformed dict value"),
        # wrong payload types
        (["bool", 1], "malformed bool value"),
        (["bool", "true"], "malformed bool value"),
        (["bool"], "malformed bool value"),
        (["int", "xyz"], "malformed int value"),
        (["int", "1g"], "malformed int value"),
        (["int", 31], "malformed int value"),
        (["int", ""], "malformed int value"),
        (["float", "0xzz"], "malformed float value"),
        (["float", 1.5], "malformed float value"),
        (["complex", "0x1.0p+0", None], "malformed complex value"),
        (["str", 5], "malformed str value"),
        (["bytes", "zz"], "malformed bytes value"),
        (["bytes", "abc"], "malformed bytes value"),
        (["list", 5], "malformed list value"),
        (["set", [["list", []]]], "malformed set value"),
        (["dict", [[["list", []], ["none"]]]], "malformed dict value"),
        (["list", [5]], "malformed value"),
        (["list", "ab"], "malformed value"),
        (["tuple", [["int", "zz"]]], "malformed int value"),
        # values the harness could not carry
        (
            ["unsupported", "pkg.Widget"],
            "returned an object of type pkg.Widget, not a built-in value",
        ),
        (["unsupported", "cycle"], "returned an object of type cycle, not a built-in value"),
        (
            ["unsupported", "m." + "W" * 300],
            f"returned an object of type {('m.' + 'W' * 300)[:100]}, not a built-in value",
        ),
        (["unsupported"], "malformed unsupported value"),
        (["too_large", "int too large"], "returned a value too large to carry (int too large)"),
        (["too_large", "too deep"], "returned a value too large to carry (too deep)"),
        (
            ["list", [["too_large", "str too long"]]],
            "returned a value too large to carry (str too long)",
        ),
    ],
)
def test_decode_malformed_tags_are_undecodable(tagged: Any, message: str) -> None:
    with pytest.raises(Undecodable) as info:
        decode(tagged)
    assert str(info.value) == message


def test_undecodable_is_a_value_error() -> None:
    assert issubclass(Undecodable, ValueError)


@pytest.mark.parametrize(
    "tagged",
    [["none", "extra"], ["int", "1f", "extra"], ["str", "a", "b"], ["list", [], []]],
)
def test_decode_rejects_extra_payload_elements(tagged: list[Any]) -> None:
    with pytest.raises(Undecodable):
        decode(tagged)


# --- strictly_equal and canonical ------------------------------------------------------------


@pytest.mark.parametrize(
    ("got", "want", "equal"),
    [
        (1, 1, True),
        (True, True, True),
        (True, 1, False),
        (1, True, False),
        (False, 0, False),
        (1.0, 1, False),
        (1, 1.0, False),
        (1.0, 1.0, True),
        (1 + 0j, 1.0, False),
        ("1", 1, False),
        (b"a", "a", False),
        (None, None, True),
        (None, 0, False),
        ((1,), [1], False),
        ([1], (1,), False),
        ([1, 2], [1, 2], True),
        ([1, 2], [2, 1], False),
        ([1, 2], [1, 2, 3], False),
        ({1: "a"}, {True: "a"}, False),
        ({1: "a"}, {1.0: "a"}, False),
        ({1: "a"}, {1: "a"}, True),
        ({1: "a", 2: "b"}, {2: "b", 1: "a"}, True),
        ({1: "a"}, {1: "a", 2: "b"}, False),
        ({1, 2}, frozenset({1, 2}), False),
        (frozenset({1, 2}), {1, 2}, False),
        ({1, 2}, {2, 1}, True),
        ({1}, {True}, False),
        ({"a": [1, {"b": (2, 3)}]}, {"a": [1, {"b": (2, 3)}]}, True),
        ({"a": [1, {"b": (2, 3)}]}, {"a": [1, {"b": [2, 3]}]}, False),
        ({"a": [1, {"b": (2, 3)}]}, {"a": [1, {"b": (2, 3.0)}]}, False),
        ({"a": [1, {"b": (2, True)}]}, {"a": [1, {"b": (2, 1)}]}, False),
        ([[[[{"k": {1}}]]]], [[[[{"k": frozenset({1})}]]]], False),
        ([[[[{"k": None}]]]], [[[[{"k": None}]]]], True),
        ({"a": {"b": {1: "x"}}}, {"a": {"b": {True: "x"}}}, False),
        (NAN, NAN, True),
        ([NAN], [NAN], True),
        ({"x": NAN}, {"x": NAN}, True),
        (complex(NAN, 0), complex(NAN, 0), True),
        (-0.0, 0.0, False),
        (0.0, -0.0, False),
        (-0.0, -0.0, True),
        ([0.0], [-0.0], False),
        (complex(0.0, -0.0), complex(0.0, 0.0), False),
        (INF, INF, True),
        (INF, -INF, False),
        (0.1 + 0.2, 0.3, False),
    ],
)
def test_strictly_equal_exact(got: Any, want: Any, equal: bool) -> None:
    assert strictly_equal(got, want) is equal
    assert (canonical(got) == canonical(want)) is equal


@pytest.mark.parametrize(
    ("got", "want", "rel_tol", "equal"),
    [
        (0.1 + 0.2, 0.3, 1e-9, True),
        (1.05, 1.0, 0.1, True),
        (1.2, 1.0, 0.1, False),
        (1.0, 1.2, 0.1, False),
        ([1.0, 2.05], [1.0, 2.0], 0.05, True),
        ([1.0, 2.5], [1.0, 2.0], 0.05, False),
        ((1.0, 2.05), [1.0, 2.0], 0.05, False),
        ([1.0, 2.0], [1.0, 2.0, 3.0], 0.05, False),
        ({"a": [1.01, {"b": 2.02}]}, {"a": [1.0, {"b": 2.0}]}, 0.05, True),
        ({"a": [1.01, {"b": 2.5}]}, {"a": [1.0, {"b": 2.0}]}, 0.05, False),
        ({"a": 1.01}, {"b": 1.0}, 0.05, False),
        ({"a": 1.01}, {"a": 1.0, "b": 1.0}, 0.05, False),
        ({1.01: "a"}, {1.0: "a"}, 0.05, False),
        ({1: 1.01}, {True: 1.0}, 0.05, False),
        (complex(1.01, 2.02), complex(1.0, 2.0), 0.05, True),
        (complex(1.01, 3.0), complex(1.0, 2.0), 0.05, False),
        ({1.01, 2.02}, {1.0, 2.0}, 0.05, False),  # set members are identities: always exact
        ({1.0, 2.0}, {1.0, 2.0}, 0.05, True),
        (frozenset({1.01}), {1.0}, 0.05, False),
        ({1.01, 2.5}, {1.0, 2.0}, 0.05, False),
        (NAN, NAN, 0.1, True),
        ([NAN, 1.0], [NAN, 1.0], 0.1, True),
        (NAN, 1.0, 0.5, False),
        (INF, INF, 0.1, True),
        (INF, -INF, 0.1, False),
        # the tolerance never crosses types
        (1, 1.0, 0.5, False),
        (1.0, 1, 0.5, False),
        ([1], [1.0], 0.5, False),
        ({"a": 1}, {"a": 1.0}, 0.5, False),
        ({1.0}, {1}, 0.5, False),
        (True, 1.0, 0.5, False),
        (1 + 0j, 1.0, 0.5, False),
        (1.0, 1 + 0j, 0.5, False),
        ((1, "a"), (1, "a"), 0.1, True),
        ((1, "a"), (1, "b"), 0.1, False),
        ((True,), (1,), 0.1, False),
        (None, None, 0.1, True),
    ],
)
def test_strictly_equal_with_tolerance(got: Any, want: Any, rel_tol: float, equal: bool) -> None:
    assert strictly_equal(got, want, rel_tol) is equal


def test_set_members_compare_exactly_even_with_a_tolerance() -> None:
    assert strictly_equal({0.79, 0.93}, {0.84, 1.0}, 0.1) is False
    assert strictly_equal({0.79, 0.93}, {0.93, 0.79}, 0.1) is True


def test_canonical_is_hashable_and_distinguishes_types() -> None:
    values = [1, True, 1.0, 1 + 0j, "1", b"1", (1,), [1], {1}, frozenset({1}), {1: 1}, None]
    forms = {canonical(v) for v in values}
    assert len(forms) == len(values)


def test_canonical_exact_forms() -> None:
    assert canonical(1.5) == ("float", "0x1.8000000000000p+0")
    assert canonical(-0.0) == ("float", "-0x0.0p+0")
    assert canonical([1, (True,)]) == ("list", (("int", 1), ("tuple", (("bool", True),))))
    assert canonical({1: None}) == ("dict", frozenset({(("int", 1), ("NoneType", None))}))
    assert canonical(complex(1, -0.0)) == ("complex", "0x1.0000000000000p+0", "-0x0.0p+0")


# --- short_repr -----------------------------------------------------------------------------------


def test_show_short_values_are_their_repr() -> None:
    assert short_repr(1) == "1"
    assert short_repr("a") == "'a'"
    assert short_repr((1, "b")) == "(1, 'b')"


def test_show_escapes_control_characters() -> None:
    shown = short_repr("red\x1b[31m\r\nbell\x07")
    assert shown == "'red\\x1b[31m\\r\\nbell\\x07'"
    assert "\x1b" not in shown
    assert "\n" not in shown


def test_show_truncates_to_the_limit() -> None:
    value = "x" * 200
    assert short_repr(value) == repr(value)[:117] + "..."
    assert len(short_repr(value)) == 120
    assert short_repr(value, limit=10) == "'xxxxxx..."


def test_show_keeps_text_exactly_at_the_limit() -> None:
    value = "y" * 118  # repr adds two quotes: 120 characters
    assert short_repr(value) == repr(value)
    assert short_repr("y" * 119) == repr("y" * 119)[:117] + "..."
