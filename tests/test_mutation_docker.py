"""Generated pytest tests graded by mutation, on the real engine (issue: pytest kind).

Hostile test modules (forged outcomes, state between runs, variant detection) are in the
adversarial suite (tests/adversarial).
"""

from __future__ import annotations

import pytest
from fakes import STALE_CACHE_TEST

from runner.grade import grade_response
from runner.records import Grade, Outcome

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("no_leftovers")]

VARIANTS = [
    "reference",
    "mutant:noop",
    "mutant:forgot_global",
    "mutant:partial_reset",
    "mutant:empties_cache",
]


def passed(grade: Grade) -> dict[str, bool]:
    return {check.case: check.passed for check in grade.checks}


def rules(grade: Grade) -> list[tuple[str, int | None]]:
    return [(d.rule, d.line) for d in grade.diagnostics]


def test_reference_test_catches_every_mutant(sandbox, cache_spec):
    grade = grade_response(cache_spec, cache_spec.reference, sandbox)
    assert [c.case for c in grade.checks] == VARIANTS
    assert all(passed(grade).values())
    assert (grade.points, grade.max_points, grade.score) == (1, 1, 1.0)
    assert grade.diagnostics == ()
    assert "collected 1, passed 1" in grade.checks[0].detail


def test_rereading_through_the_module_attribute_passes(sandbox, cache_spec):
    raw = (
        "import src.main_improved\n\n\n"
        "def test_invalidate_model_cache_resets_all_keys():\n"
        "    src.main_improved._model_cache = {'model': 1, 'cost_matrix': 2, 'timestamp': 3}\n"
        "    src.main_improved.invalidate_model_cache()\n"
        "    for key in ('model', 'cost_matrix', 'timestamp'):\n"
        "        assert src.main_improved._model_cache[key] is None\n"
    )
    grade = grade_response(cache_spec, raw, sandbox)
    assert grade.points == 1, grade.to_json()


def test_from_import_holds_a_stale_dict_and_fails_on_the_reference(sandbox, cache_spec):
    grade = grade_response(cache_spec, STALE_CACHE_TEST, sandbox)
    assert grade.points == 0
    assert passed(grade)["reference"] is False
    assert grade.checks[0].outcome is Outcome.WRONG
    assert rules(grade) == [("stale_import", 1), ("read_after_rebind", 7)]


def test_global_in_the_test_passes_on_the_reference_but_the_noop_survives(sandbox, cache_spec):
    raw = (
        "from src.main_improved import invalidate_model_cache\n\n"
        "_model_cache = {'model': None, 'cost_matrix': None, 'timestamp': None}\n\n\n"
        "def test_invalidate_model_cache_resets_all_keys():\n"
        "    global _model_cache\n"
        "    invalidate_model_cache()\n"
        "    assert all(value is None for value in _model_cache.values())\n"
    )
    grade = grade_response(cache_spec, raw, sandbox)
    assert passed(grade)["reference"] is True
    assert passed(grade)["mutant:noop"] is False
    assert "survived" in grade.checks[1].detail
    assert grade.points == 0
    assert ("global_in_test", 7) in rules(grade)


def test_a_file_without_a_collectable_test_scores_zero(sandbox, cache_spec):
    raw = "import src.main_improved\n\n\ndef check_cache():\n    assert True\n"
    grade = grade_response(cache_spec, raw, sandbox)
    assert grade.points == 0
    assert "no test collected" in grade.checks[0].detail
    assert not any(passed(grade).values())
    assert "entry_point_missing" in [v.rule for v in grade.violations]
