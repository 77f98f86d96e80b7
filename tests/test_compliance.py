"""Tests of runner.grade.compliance: each rule triggered and not, with exact details and lines."""

from __future__ import annotations

import warnings

import pytest

from runner.grade import check_compliance
from runner.records import Constraints, Extraction, Violation

LAX = Constraints(no_fences=False, no_prose=False, imports_inside_function=False)
STRICT = Constraints(
    forbidden_imports=("os", "subprocess"),
    forbidden_calls=("eval", "exec", "open", "__import__"),
    forbidden_names=("eval", "exec"),
)
GOOD = "def solve(x):\n    import math\n    return math.sqrt(x)\n"


def code(text: str, *, fenced_blocks: int = 0, prose: tuple[str, ...] = ()) -> Extraction:
    """An extraction whose raw text is the code itself unless fences or prose are given."""
    return Extraction(raw=text, code=text, fenced_blocks=fenced_blocks, prose=prose)


def check(
    text: str, constraints: Constraints = STRICT, entry_point: str = "solve", kind: str = "function"
) -> tuple[Violation, ...]:
    return check_compliance(code(text), constraints, entry_point, kind=kind)


def rules(violations: tuple[Violation, ...]) -> list[tuple[str, int | None]]:
    return [(violation.rule, violation.line) for violation in violations]


def test_compliant_code_has_no_violation() -> None:
    assert check(GOOD) == ()


@pytest.mark.parametrize("raw", ["", "   ", "\n\t\n"])
def test_empty_response_is_the_only_violation(raw: str) -> None:
    extraction = Extraction(raw=raw, code="", fenced_blocks=2, prose=("x",))
    assert check_compliance(extraction, STRICT, "solve") == (
        Violation("empty_response", "the response is empty"),
    )


def test_whitespace_code_of_a_non_empty_response_is_not_empty_response() -> None:
    extraction = Extraction(raw="```text\nhi\n```", code="", fenced_blocks=1, prose=("hi",))
    assert rules(check_compliance(extraction, STRICT, "solve")) == [
        ("fences", None),
        ("prose", None),
        ("entry_point_missing", None),
    ]


def test_fences_reported_with_count() -> None:
    extraction = code(GOOD, fenced_blocks=2)
    assert check_compliance(extraction, STRICT, "solve") == (
        Violation("fences", "2 fenced blocks"),
    )


def test_one_fence_is_singular() -> None:
    violations = check_compliance(code(GOOD, fenced_blocks=1), STRICT, "solve")
    assert violations == (Violation("fences", "1 fenced block"),)


def test_fences_allowed_when_not_constrained() -> None:
    assert check_compliance(code(GOOD, fenced_blocks=3), LAX, "solve") == ()


def test_prose_quotes_the_first_stretch_repr_escaped() -> None:
    extraction = code(GOOD, prose=("Here\x1b[2J is it:", "Bye"))
    assert check_compliance(extraction, STRICT, "solve") == (
        Violation("prose", "text outside the code: 'Here\\x1b[2J is it:'"),
    )


def test_prose_preview_is_cut_at_60_characters() -> None:
    extraction = code(GOOD, prose=("a" * 61,))
    (violation,) = check_compliance(extraction, STRICT, "solve")
    assert violation == Violation("prose", f"text outside the code: {'a' * 60!r}...")


def test_prose_allowed_when_not_constrained() -> None:
    assert check_compliance(code(GOOD, prose=("Hi",)), LAX, "solve") == ()


def test_syntax_error_reports_message_and_line() -> None:
    assert check("def solve(x):\n    return (x\n") == (
        Violation("syntax_error", "'(' was never closed", 2),
    )


def test_syntax_error_suppresses_ast_rules_but_not_fences_or_prose() -> None:
    text = "import os\neval('1')\ndef other(:\n"
    extraction = code(text, fenced_blocks=1, prose=("Sure",))
    assert rules(check_compliance(extraction, STRICT, "solve")) == [
        ("fences", None),
        ("prose", None),
        ("syntax_error", 3),
    ]


def test_compile_time_error_is_a_syntax_error() -> None:
    assert check("return 1\n") == (Violation("syntax_error", "'return' outside function", 1),)


def test_null_byte_is_a_syntax_error() -> None:
    (violation,) = check("def solve():\n    return '\x00'\n")
    assert (violation.rule, violation.line) == ("syntax_error", None)


def test_absurd_nesting_is_a_syntax_error() -> None:
    assert check("x = " + "-" * 100_000 + "1\n") == (
        Violation("syntax_error", "too deeply nested to parse"),
    )


def test_warning_is_not_a_syntax_error() -> None:
    # Both warn at compile time; under `-W error` a careless check would call them syntax errors.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert check('def solve(x):\n    return x is 1 or "\\d"\n') == ()


def test_entry_point_missing() -> None:
    assert check("def other(x):\n    return x\n") == (
        Violation("entry_point_missing", "no top-level function named 'solve'"),
    )


def test_entry_point_nested_or_in_a_class_is_missing() -> None:
    text = (
        "class A:\n    def solve(self):\n        pass\n\n"
        "def outer():\n    def solve():\n        pass\n"
    )
    assert rules(check(text)) == [("entry_point_missing", None)]


def test_entry_point_that_is_not_a_def_is_missing() -> None:
    assert rules(check("solve = lambda x: x\n")) == [("entry_point_missing", None)]


def test_async_entry_point_accepted() -> None:
    assert check("async def solve(x):\n    return x\n") == ()


def test_module_level_import() -> None:
    text = "import math\n\ndef solve(x):\n    return math.sqrt(x)\n"
    assert check(text) == (Violation("module_import", "'import math' is outside any function", 1),)


def test_import_inside_function_is_fine() -> None:
    assert check(GOOD) == ()


def test_module_imports_in_try_if_and_class_each_reported() -> None:
    text = (
        "try:\n    import numpy as np\nexcept ImportError:\n    np = None\n"
        "if True:\n    from math import sqrt\n"
        "class Helper:\n    import json\n"
        "def solve(x):\n    from math import pi\n    return pi\n"
    )
    assert check(text) == (
        Violation("module_import", "'import numpy as np' is outside any function", 2),
        Violation("module_import", "'from math import sqrt' is outside any function", 6),
        Violation("module_import", "'import json' is outside any function", 8),
    )


def test_import_inside_a_method_is_inside_a_function() -> None:
    text = "class A:\n    def m(self):\n        import json\n\ndef solve():\n    pass\n"
    assert check(text) == ()


def test_module_import_allowed_when_not_constrained() -> None:
    assert check("import math\n\ndef solve(x):\n    return x\n", LAX) == ()


def test_pytest_kind_skips_module_import() -> None:
    text = "import pytest\nfrom src.main import f\n\ndef test_f():\n    assert f() == 1\n"
    assert check(text, entry_point="test_f", kind="pytest") == ()


def test_pytest_kind_requires_the_test_function() -> None:
    text = "import pytest\n\ndef test_other():\n    pass\n"
    assert check(text, entry_point="test_f", kind="pytest") == (
        Violation("entry_point_missing", "no top-level function named 'test_f'"),
    )


def test_pytest_kind_still_checks_forbidden_imports() -> None:
    text = "import subprocess\n\ndef test_f():\n    pass\n"
    assert rules(check(text, entry_point="test_f", kind="pytest")) == [("forbidden_import", 1)]


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown kind 'script'"):
        check(GOOD, kind="script")


def test_forbidden_import_inside_function() -> None:
    text = "def solve():\n    import os\n    return os.getcwd()\n"
    assert check(text) == (Violation("forbidden_import", "imports 'os' (forbidden: 'os')", 2),)


def test_forbidden_import_of_a_submodule() -> None:
    text = "def solve():\n    import os.path\n    return os.path.sep\n"
    assert check(text) == (Violation("forbidden_import", "imports 'os.path' (forbidden: 'os')", 2),)


def test_from_os_import_path() -> None:
    text = "def solve():\n    from os import path, sep\n    return path\n"
    assert check(text) == (Violation("forbidden_import", "imports 'os' (forbidden: 'os')", 2),)


def test_forbidding_a_submodule_catches_from_package_import_it() -> None:
    constraints = Constraints(forbidden_imports=("os.path",))
    text = "def solve():\n    from os import sep, path\n    import os\n"
    assert check(text, constraints) == (
        Violation("forbidden_import", "imports 'os.path' (forbidden: 'os.path')", 2),
    )


def test_each_alias_of_an_import_is_an_occurrence() -> None:
    text = "def solve():\n    import os, json, subprocess\n"
    assert check(text) == (
        Violation("forbidden_import", "imports 'os' (forbidden: 'os')", 2),
        Violation("forbidden_import", "imports 'subprocess' (forbidden: 'subprocess')", 2),
    )


def test_similar_names_are_not_forbidden() -> None:
    text = (
        "def solve():\n"
        "    import osmosis\n"
        "    from subprocessing import x\n"
        "    from .os import path\n"
    )
    assert check(text) == ()


def test_importlib_import_module_with_constant_string() -> None:
    text = "def solve():\n    import importlib\n    return importlib.import_module('subprocess')\n"
    assert check(text) == (
        Violation("forbidden_import", "imports 'subprocess' (forbidden: 'subprocess')", 3),
    )


def test_import_module_by_keyword_and_dunder_import() -> None:
    constraints = Constraints(forbidden_imports=("os",))
    text = (
        "def solve():\n"
        "    from importlib import import_module\n"
        "    import_module(name='os.path')\n"
        "    __import__('os')\n"
        "    import_module(name)\n"
    )
    assert rules(check(text, constraints)) == [("forbidden_import", 3), ("forbidden_import", 4)]


def test_dunder_import_is_a_forbidden_call_and_a_forbidden_import() -> None:
    text = "def solve():\n    return __import__('os')\n"
    assert check(text) == (
        Violation("forbidden_import", "imports 'os' (forbidden: 'os')", 2),
        Violation("forbidden_call", "call of __import__()", 2),
    )


@pytest.mark.parametrize("name", ["eval", "exec", "open"])
def test_forbidden_builtin_calls(name: str) -> None:
    text = f"def solve(x):\n    return {name}(x)\n"
    assert check(text) == (Violation("forbidden_call", f"call of {name}()", 2),)


def test_forbidden_call_through_an_attribute() -> None:
    text = "def solve(x):\n    import builtins\n    return builtins.eval(x)\n"
    assert check(text) == (Violation("forbidden_call", "call of eval()", 3),)


def test_getattr_with_a_forbidden_constant_string() -> None:
    text = "def solve(x):\n    import builtins\n    return getattr(builtins, 'eval')(x)\n"
    assert check(text) == (Violation("forbidden_call", "getattr(..., 'eval')", 3),)


def test_getattr_with_a_harmless_or_computed_name() -> None:
    text = "def solve(x):\n    return getattr(x, 'real'), getattr(x, 'ev' + 'al')\n"
    assert check(text) == ()


def test_each_call_is_an_occurrence_in_source_order() -> None:
    text = "def solve(x):\n    exec(x)\n    return eval(x), open(eval(x))\n"
    assert rules(check(text)) == [
        ("forbidden_call", 2),
        ("forbidden_call", 3),
        ("forbidden_call", 3),
        ("forbidden_call", 3),
    ]


def test_forbidden_name_without_a_call() -> None:
    text = "def solve(x):\n    f = eval\n    return f(x)\n"
    assert check(text) == (Violation("forbidden_name", "reference to 'eval'", 2),)


def test_forbidden_call_is_not_also_a_forbidden_name() -> None:
    assert rules(check("def solve(x):\n    return eval(x)\n")) == [("forbidden_call", 2)]


def test_forbidden_name_alone_catches_a_call_not_listed_as_call() -> None:
    constraints = Constraints(forbidden_names=("compile",))
    assert check("def solve(x):\n    return compile(x, 'f', 'exec')\n", constraints) == (
        Violation("forbidden_name", "reference to 'compile'", 2),
    )


def test_assigning_a_forbidden_name_is_not_a_reference() -> None:
    assert check("def solve(x):\n    exec = 1\n    del exec\n") == ()


def test_nothing_forbidden_when_lists_are_empty() -> None:
    text = "def solve(x):\n    import os\n    return eval(x), open, os\n"
    assert check(text, Constraints()) == ()


def test_every_rule_at_once_in_stable_order() -> None:
    text = "import os\ndef main():\n    f = exec\n    return eval('1')\n"
    extraction = code(text, fenced_blocks=1, prose=("Here:",))
    assert check_compliance(extraction, STRICT, "solve") == (
        Violation("fences", "1 fenced block"),
        Violation("prose", "text outside the code: 'Here:'"),
        Violation("entry_point_missing", "no top-level function named 'solve'"),
        Violation("module_import", "'import os' is outside any function", 1),
        Violation("forbidden_import", "imports 'os' (forbidden: 'os')", 1),
        Violation("forbidden_call", "call of eval()", 4),
        Violation("forbidden_name", "reference to 'exec'", 3),
    )
