"""Stale-reference diagnostics: static, exact rules and line numbers."""

from __future__ import annotations

from pathlib import Path

import pytest

from runner.grade import stale_reference_diagnostics
from runner.spec import load_spec

MODULE = load_spec(Path(__file__).parent.parent / "specs" / "cache_reset_test.json").module


def found(code: str) -> list[tuple[str, int | None]]:
    assert MODULE is not None
    return [(d.rule, d.line) for d in stale_reference_diagnostics(code, MODULE)]


def test_attribute_access_is_clean():
    code = (
        "import src.main_improved as m\n"
        "def test_x():\n"
        "    m._model_cache = {'model': 1}\n"
        "    m.invalidate_model_cache()\n"
        "    assert m._model_cache['model'] is None\n"
    )
    assert found(code) == []


def test_from_import_of_the_global_and_a_read_after_the_call():
    code = (
        "from src.main_improved import _model_cache, invalidate_model_cache\n"
        "def test_x():\n"
        "    invalidate_model_cache()\n"
        "    assert _model_cache['model'] is None\n"
    )
    assert found(code) == [("stale_import", 1), ("read_after_rebind", 4)]


def test_from_import_with_an_alias():
    code = "from src.main_improved import _model_cache as cache\n"
    diagnostics = stale_reference_diagnostics(code, MODULE)  # type: ignore[arg-type]
    assert [(d.rule, d.line) for d in diagnostics] == [("stale_import", 1)]
    assert "`cache` keeps the old object" in diagnostics[0].detail


def test_from_import_of_the_function_only_is_clean():
    assert found("from src.main_improved import invalidate_model_cache\n") == []


def test_global_statement_in_the_test():
    code = (
        "from src.main_improved import invalidate_model_cache\n"
        "def test_x():\n"
        "    global _model_cache\n"
        "    _model_cache = {'model': 'x'}\n"
        "    invalidate_model_cache()\n"
        "    assert _model_cache['model'] is None\n"
    )
    assert found(code) == [("global_in_test", 3), ("read_after_rebind", 6)]


def test_local_alias_taken_before_the_call():
    code = (
        "import src.main_improved as m\n"
        "def test_x():\n"
        "    cache = m._model_cache\n"
        "    cache['model'] = 1\n"
        "    m.invalidate_model_cache()\n"
        "    assert cache['model'] is None\n"
    )
    assert found(code) == [("read_after_rebind", 6)]


def test_alias_taken_after_the_call_is_clean():
    code = (
        "import src.main_improved as m\n"
        "def test_x():\n"
        "    m.invalidate_model_cache()\n"
        "    cache = m._model_cache\n"
        "    assert cache['model'] is None\n"
    )
    assert found(code) == []


def test_other_modules_are_not_confused_with_the_module_under_test():
    assert found("from other import _model_cache\n") == []


@pytest.mark.parametrize("code", ["", "def broken(:\n", "x = 1\n"])
def test_unparsable_or_unrelated_code_gives_nothing(code):
    assert found(code) == []
