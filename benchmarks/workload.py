"""The benchmark's fixed candidate set: model-like responses to the three seed specs.

Every seed spec gets at least one correct and one wrong candidate, written as a model would
answer (one with fences and prose around the code), so that grading does its whole job:
extraction, compliance, execution, comparison. The points each candidate must earn are
fixed here and checked after every grading: a benchmark that grades wrongly is void.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from runner.grade import run_plan
from runner.records import Grade, Spec
from runner.spec import load_spec

SPECS = Path(__file__).resolve().parent.parent / "specs"

# The regex demands H, M and S all present: the five valid inputs without all three raise.
ISO_REGEX_BUG_POINTS = 17
# The truthy check drops None, 0, False, '', () and []: the five cases with such leaves fail.
FLATTEN_TRUTHY_POINTS = 5

ISO_REGEX_BUG = """\
def parse_iso_duration(s: str) -> int:
    import re

    match = re.match(r"^PT(\\d+)?H(\\d+)?M(\\d+)?S$", s)
    if not match:
        raise ValueError(f"invalid ISO duration: {s}")
    hours, minutes, seconds = (int(part) if part else 0 for part in match.groups())
    return hours * 3600 + minutes * 60 + seconds
"""

FLATTEN_FENCED = """\
Here is a function that flattens nested dictionaries:

```python
def flatten(d: dict, sep: str = ".") -> dict:
    flat = {}
    for key, value in d.items():
        if isinstance(value, dict):
            for inner_key, inner_value in flatten(value, sep).items():
                flat[f"{key}{sep}{inner_key}"] = inner_value
        else:
            flat[key] = value
    return flat
```

It recurses into dicts only, so lists and tuples are kept as they are.
"""

FLATTEN_TRUTHY_BUG = """\
def flatten(d: dict, sep: str = ".") -> dict:
    out = {}
    for key, value in d.items():
        if isinstance(value, dict):
            out.update({f"{key}{sep}{k}": v for k, v in flatten(value, sep).items()})
        elif value:
            out[key] = value
    return out
"""

CACHE_STALE_REFERENCE = """\
from src.main_improved import _model_cache, invalidate_model_cache, load_model


def test_invalidate_model_cache_resets_all_keys():
    load_model("m", [[0, 1], [1, 0]], 1700000000.0)
    invalidate_model_cache()
    global _model_cache
    for key in ("model", "cost_matrix", "timestamp"):
        assert _model_cache[key] is None
"""


@dataclass(frozen=True)
class Candidate:
    """One response to grade, and the points it must earn."""

    name: str
    """Short label, unique in the workload."""
    spec: Spec
    raw: str
    """The response's whole text, as a model would return it."""
    points: int
    """What a correct grader gives it: ``spec.max_points`` for a correct candidate."""

    @property
    def correct(self) -> bool:
        """The candidate earns full marks."""
        return self.points == self.spec.max_points


@dataclass(frozen=True)
class Workload:
    """The fixed candidate set, split by kind."""

    functions: tuple[Candidate, ...]
    tests: tuple[Candidate, ...]
    """pytest-kind candidates: each one runs one container per variant."""


def load_workload(specs_dir: Path = SPECS) -> Workload:
    """The candidates for the three seed specs, correct and wrong."""
    iso = load_spec(specs_dir / "iso_duration.json")
    flat = load_spec(specs_dir / "flatten_dict.json")
    cache = load_spec(specs_dir / "cache_reset_test.json")
    functions = (
        Candidate("iso_duration/reference", iso, iso.reference, iso.max_points),
        Candidate("iso_duration/regex_bug", iso, ISO_REGEX_BUG, ISO_REGEX_BUG_POINTS),
        Candidate("flatten_dict/fenced", flat, FLATTEN_FENCED, flat.max_points),
        Candidate("flatten_dict/truthy_bug", flat, FLATTEN_TRUTHY_BUG, FLATTEN_TRUTHY_POINTS),
    )
    tests = (
        Candidate("cache_reset_test/reference", cache, cache.reference, cache.max_points),
        Candidate("cache_reset_test/stale_reference", cache, CACHE_STALE_REFERENCE, 0),
    )
    return Workload(functions, tests)


def variants(candidate: Candidate) -> int:
    """Containers one grading of ``candidate`` runs: one, or the runs of ``run_plan`` for pytest."""
    if candidate.spec.kind == "pytest":
        return len(run_plan(candidate.spec))
    return 1


def check_grades(candidates: Sequence[Candidate], grades: Sequence[Grade]) -> None:
    """Raise AssertionError unless every grade has the candidate's expected points.

    A grade that failed for the infrastructure (``infra_error``) is a failure here too.
    """
    assert len(candidates) == len(grades), (len(candidates), len(grades))
    for candidate, grade in zip(candidates, grades, strict=True):
        if grade.infra_failed or grade.points != candidate.points:
            failed = [
                f"{c.case}: {c.outcome.value} {c.detail}" for c in grade.checks if not c.passed
            ]
            raise AssertionError(
                f"{candidate.name}: graded {grade.points}/{grade.max_points}, expected "
                f"{candidate.points} ({grade.error or 'no run-level error'}; failed checks: "
                f"{'; '.join(failed)[:400]})"
            )
