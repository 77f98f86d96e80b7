"""Trivial candidates, written from a spec alone (their grades are in test_cli's check-specs)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from runner.grade import literal_prefix, trivial_candidates
from runner.records import Floor


@pytest.mark.parametrize(
    ("pattern", "prefix"),
    [
        ("^invalid ISO duration: ", "invalid ISO duration: "),
        ("invalid value", "invalid value"),
        (r"^bad \(x\): \d+", "bad (x): "),
        ("^abc+", "ab"),  # the quantifier belongs to the c
        ("^(a|b)", ""),
        ("", ""),
    ],
)
def test_literal_prefix(pattern: str, prefix: str) -> None:
    assert literal_prefix(pattern) == prefix


def test_the_iso_duration_candidates_include_the_issues_raise(iso_spec) -> None:
    candidates = dict(trivial_candidates(iso_spec))
    assert list(candidates) == [
        "always raise ValueError",
        "return None",
        "return the first argument",
        "return 0",  # the reference is annotated -> int
    ]
    source = candidates["always raise ValueError"]
    namespace: dict = {}
    exec(source, namespace)
    with pytest.raises(ValueError, match=r"^invalid ISO duration: PT5X$"):
        namespace["parse_iso_duration"]("PT5X")


def test_without_an_annotation_the_constant_comes_from_the_expected_values(iso_spec) -> None:
    plain = replace(iso_spec, reference="def parse_iso_duration(s):\n    return 1\n")
    assert "return 0" in dict(trivial_candidates(plain))


def test_a_pytest_spec_gets_a_passing_and_a_failing_test(cache_spec) -> None:
    assert [name for name, _ in trivial_candidates(cache_spec)] == [
        "a test that always passes",
        "a test that always fails",
    ]


def test_a_floor_above_the_warning_is_high() -> None:
    assert Floor("s", "h", 16, 22, "x").high and not Floor("s", "h", 6, 22, "x").high
    assert Floor("s", "h", 0, 0, "x").score == 0.0
