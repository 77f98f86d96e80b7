"""Suites without Docker: the EvalPlus import, literals, EvalPlus's comparison rules and
special oracles, per-group scoring, digests of large values, the samples-file reader.

The import reads a handful of tasks of each dataset from ../shared/data (never all 542).
"""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path
from typing import Any

import pytest
from fakes import EVALPLUS, harness

from runner.errors import BadInputError
from runner.grade import (
    NOT_NONE,
    GroupTolerance,
    Transcript,
    group_results,
    is_floats,
    matches,
    read_transcript,
    score_function,
)
from runner.records import Check, Execution, Observation, Outcome
from runner.spec import load_spec
from runner.suites import SUITES, mbpp_inputs, read_samples, read_tasks, spec_id, task_spec
from runner.values import Digest, canonical, decode, digest_of, parse_literal, write_literal

DATA = EVALPLUS
HUMANEVAL = DATA / "HumanEvalPlus-v0.1.10.jsonl.gz"
MBPP = DATA / "MbppPlus-v0.2.0.jsonl.gz"


HARNESS = harness()  # the real in-container harness


@pytest.fixture(scope="module")
def humaneval() -> dict[str, dict[str, Any]]:
    return {task["task_id"]: task for task in read_tasks(HUMANEVAL)}


@pytest.fixture(scope="module")
def mbpp() -> dict[str, dict[str, Any]]:
    return {task["task_id"]: task for task in read_tasks(MBPP)}


def written(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / f"{data['id']}.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


# -- import ------------------------------------------------------------------------------


@pytest.mark.parametrize("task_id", ["HumanEval/0", "HumanEval/32", "HumanEval/15"])
def test_humaneval_task_becomes_a_valid_unfilled_spec(tmp_path, humaneval, task_id):
    task = humaneval[task_id]
    data = task_spec(SUITES["humanevalplus"], task)
    spec = load_spec(written(tmp_path, data), filled=False)
    assert spec.id == spec_id(task_id) == task_id.lower().replace("/", "_")
    assert spec.family == "humanevalplus" and spec.scoring == "per_group"
    assert spec.prompt.startswith("Complete the Python function") and task["prompt"] in spec.prompt
    assert spec.reference == task["prompt"] + task["canonical_solution"]
    assert spec.groups == ("base", "plus")
    assert len(spec.cases) == len(task["base_input"]) + len(task["plus_input"])
    assert not any(case.filled for case in spec.cases)
    assert spec.suite is not None and spec.suite.task_id == task_id
    assert spec.comparison.mode == "evalplus"
    with pytest.raises(Exception, match="spec fill"):
        load_spec(written(tmp_path, data))  # unfilled: not gradable


def test_prompt_imports_are_allowed_at_module_level(humaneval):
    spec32 = task_spec(SUITES["humanevalplus"], humaneval["HumanEval/32"])
    spec0 = task_spec(SUITES["humanevalplus"], humaneval["HumanEval/0"])
    assert spec32["constraints"]["allowed_module_imports"] == ["import math"]
    assert spec32["comparison"] == {"mode": "evalplus", "atol": 0.0001, "oracle": "find_zero"}
    assert spec0["constraints"]["allowed_module_imports"] == ["from typing import List"]


def test_mbpp_inputs_are_converted_as_evalplus_does(mbpp):
    # Mbpp/2 takes tuples; Mbpp/124 a float and a complex; Mbpp/404 has non-finite floats.
    first = next(iter(mbpp_inputs("Mbpp/2", mbpp["Mbpp/2"]["base_input"])))
    assert all(type(arg) is tuple for arg in first)
    args124 = next(iter(mbpp_inputs("Mbpp/124", mbpp["Mbpp/124"]["base_input"])))
    assert [type(a) for a in args124] == [float, complex]
    data = task_spec(SUITES["mbppplus"], mbpp["Mbpp/404"])
    literals = [arg for case in data["cases"] for arg in case["args"]]
    assert any("float('nan')" in arg or "float('inf')" in arg for arg in literals)
    assert task_spec(SUITES["mbppplus"], mbpp["Mbpp/2"])["comparison"]["oracle"] == "set_equal"


def test_a_task_id_not_in_the_file_is_bad_input(tmp_path):
    from runner.suites import import_evalplus

    with pytest.raises(BadInputError, match="no task 'HumanEval/999'"):
        import_evalplus(HUMANEVAL, tmp_path, ["HumanEval/999"])


def test_a_file_that_is_not_evalplus_is_bad_input(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text('{"task_id": "X/1"}\n')
    with pytest.raises(BadInputError, match="line 1: not an EvalPlus task"):
        read_tasks(path)


# -- literals and digests ------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [math.inf, -math.inf, [1.5, -0.0, (2,)], {1: {3}}, set(), 2**40000, -(2**40000), (1 + 2j)],
    ids=["inf", "-inf", "list", "dict", "set", "huge int", "huge negative int", "complex"],
)
def test_write_literal_round_trips_exactly(value):
    source = write_literal(value)
    assert canonical(parse_literal(source)) == canonical(value)
    assert canonical(HARNESS.literal(source)) == canonical(value)  # the harness reads it too


def test_nan_literal_reads_as_nan_on_both_sides():
    assert math.isnan(parse_literal(write_literal(math.nan)))
    assert math.isnan(HARNESS.literal("[float('nan')]")[0])


@pytest.mark.parametrize("value", [frozenset({1}), complex(math.inf, 0), object()], ids=repr)
def test_values_without_a_literal_form_are_refused(value):
    with pytest.raises(ValueError, match=r"literal|read back"):
        write_literal(value)


@pytest.mark.parametrize(
    "value",
    ["x" * 1_000_001, b"y" * 1_000_001, 10**40000, -(10**40000)],
    ids=["str", "bytes", "int", "negative int"],
)
def test_large_scalars_travel_as_digests_equal_to_their_value(value):
    tagged = json.loads(json.dumps(HARNESS.encode(value)))
    got = decode(tagged)
    assert type(got) is Digest and got == digest_of(value)
    assert got == value and value == got  # the comparison the graders make
    assert got != type(value)(1) and canonical(got) == canonical(value)


def test_large_containers_travel_as_fingerprints():
    value = list(range(200_000))
    tagged = json.loads(json.dumps(HARNESS.encode_value(value)))
    got = decode(tagged)
    assert got.kind == "value" and got.size == 200_001
    again = decode(json.loads(json.dumps(HARNESS.encode_value(list(range(200_000))))))
    other = decode(json.loads(json.dumps(HARNESS.encode_value(list(range(1, 200_001))))))
    assert got == again and got != other
    floats = decode(json.loads(json.dumps(HARNESS.encode_value([float(i) for i in value]))))
    assert floats != got  # exact types
    unordered = {str(i) for i in range(150_000)}
    a = HARNESS.encode_value(unordered)
    b = HARNESS.encode_value(set(sorted(unordered, reverse=True)))
    assert a == b  # set order does not count


@pytest.mark.parametrize("kind", [list, tuple, set, frozenset, dict])
def test_a_container_past_the_node_cap_by_its_own_size_is_not_walked(kind, monkeypatch):
    # encode would walk 100,000 nodes before giving up on it (2.4 s of HumanEval/130's 3.4 s);
    # its own length says so at once, and the same fingerprint follows.
    items = range(HARNESS.MAX_NODES + 1)
    value = {i: i for i in items} if kind is dict else kind(items)
    walked = []
    real = HARNESS.encode
    monkeypatch.setattr(HARNESS, "encode", lambda v, *a: walked.append(v) or real(v, *a))
    tagged = HARNESS.encode_value(value)
    assert tagged[:2] == ["digest", "value"] and len(walked) == 1
    small = {1: 1} if kind is dict else kind([1])
    assert HARNESS.encode_value(small)[0] != "digest"


def fingerprint_of(value):
    tagged = json.loads(json.dumps(HARNESS.with_value({}, value)["value"]))
    return tagged[:3] if tagged[0] == "digest" else tagged


BIG = 100_001  # past the node cap: every value below travels as a fingerprint


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ([1] * BIG, [True] * BIG),  # bool is not int
        ([1] * BIG, [1.0] * BIG),
        ([(1, 2)] * BIG, [[1, 2]] * BIG),  # tuple is not list
        ([("a", "b")] * BIG, [("ab",)] * BIG),  # the stream is unambiguous
        ([[1], [2, 3]] * BIG, [[1, 2], [3]] * BIG),
        ([0.0] * BIG, [-0.0] * BIG),
        (["\ud800"] * BIG, ["\ud801"] * BIG),  # lone surrogates are hashed, not refused
        ([b"x"] * BIG, ["x"] * BIG),
        ([{1: 2}] * BIG, [{2: 1}] * BIG),
    ],
    ids=lambda value: type(value[0]).__name__,
)
def test_fingerprints_tell_values_and_exact_types_apart(one, other):
    assert fingerprint_of(one) != fingerprint_of(other)
    assert fingerprint_of(one) == fingerprint_of(copy.deepcopy(one))  # content, not identity


def test_fingerprints_ignore_identity_and_iteration_order():
    shared = ("Red", "Green")
    built = [tuple(["Re" + "d", "Gre" + "en"]) for _ in range(BIG)]
    assert fingerprint_of([shared] * BIG) == fingerprint_of(built)
    keys = [str(i) for i in range(BIG)]
    assert fingerprint_of(dict.fromkeys(keys, 1)) == fingerprint_of(dict.fromkeys(keys[::-1], 1))
    assert fingerprint_of([{1, 2}, {3}] * BIG) == fingerprint_of([{2, 1}, {3}] * BIG)


class Str(str):
    pass


@pytest.mark.parametrize(
    "value",
    [[Str("x")] * BIG, [bytearray(b"x")] * BIG, [memoryview(b"x")] * BIG, [object()] * BIG],
    ids=["str subclass", "bytearray", "memoryview", "object"],
)
def test_fingerprints_refuse_what_has_no_exact_form(value):
    assert fingerprint_of(value)[0] == "too_large"  # never equal to the bytes or str it mimics


def test_a_shared_structure_runs_out_of_fingerprint_budget_not_time(monkeypatch):
    monkeypatch.setattr(HARNESS, "FINGERPRINT_BUDGET", HARNESS.FINGERPRINT_BUDGET // 100)
    value: list = [0] * 1000
    for _ in range(6):  # 1000**6 nodes, a few kilobytes of memory
        value = [value] * 1000
    assert fingerprint_of(value) == ["too_large", "too many nodes to fingerprint"]


# -- EvalPlus's rules and special oracles ----------------------------------------------------


def test_python_equality_then_float_tolerance():
    assert matches(1, 1.0, 0, None, [])  # Python equality
    assert matches([1, 2], [1, 2], 0, None, [])
    assert not matches([1, 2], (1, 2), 0, None, [])
    assert matches(1.0000001, 1.0, 1e-6, None, [])
    assert not matches(1.001, 1.0, 1e-6, None, [])
    assert matches([1.0, 2.0000001], [1.0, 2.0], 1e-6, None, [])
    assert not matches((1.0, 2.0000001), [1.0, 2.0], 1e-6, None, [])  # same type required
    assert not matches([1.0], [1.0, 2.0], 1e-6, None, [])  # same length
    assert not matches("a", "b", 1e-6, None, [])
    assert not matches(math.nan, math.nan, 1e-6, None, [])  # EvalPlus's allclose: nan fails


def test_group_tolerance_rises_once_for_float_outputs_and_stays():
    tolerance = GroupTolerance(0.0)
    assert tolerance.for_case(3) == 0
    assert tolerance.for_case([1.5, 2.5]) == 1e-6
    assert tolerance.for_case(7) == 1e-6  # kept for the rest of the group, as EvalPlus does
    assert GroupTolerance(1e-4).for_case(1.5) == 1e-4
    assert is_floats(1.0) and is_floats((1.0,)) and not is_floats([]) and not is_floats([1])


def test_find_zero_checks_the_polynomial_at_the_answer():
    xs = [-6, 11, -6, 1]  # (x - 1)(x - 2)(x - 3)
    assert matches(2.00001, 1.0, 1e-4, "find_zero", [xs])
    assert not matches(2.5, 1.0, 1e-4, "find_zero", [xs])
    assert not matches("x", 1.0, 1e-4, "find_zero", [xs])


def test_set_equal_ignores_order_and_repeats():
    assert matches([3, 1, 1], [1, 3], 0, "set_equal", [])
    assert not matches([3], [1, 3], 0, "set_equal", [])
    assert not matches(5, [5], 0, "set_equal", [])


def test_not_none_compares_presence_or_bools():
    assert matches(NOT_NONE, True, 0, "not_none", [])
    assert matches(None, False, 0, "not_none", [])
    assert not matches(None, True, 0, "not_none", [])
    assert matches(True, True, 0, "not_none", []) and not matches(False, True, 0, "not_none", [])


def test_the_other_mbpp_oracles():
    assert matches("anything", False, 0, "any_value", [])
    assert matches(0, 12, 0, "equal_or_zero", []) and not matches(5, 12, 0, "equal_or_zero", [])
    # Mbpp/581: 3, 4 read either way; round(9 + 6 * sqrt(2.25 + 16)) = 35.
    assert matches(33, 33, 0, "pyramid_surface", [3, 4])
    assert matches(35, 33, 0, "pyramid_surface", [3, 4])
    assert not matches(34, 33, 0, "pyramid_surface", [3, 4])
    # Mbpp/558: 123 vs 56 zero-padded is 123 vs 056 -> 1 + 3 + 3 = 7.
    assert matches(7, 5, 0, "digit_distance", [123, 56])
    assert not matches(6, 5, 0, "digit_distance", [123, 56])


# -- per-group scoring -------------------------------------------------------------------------


def suite_spec(tmp_path: Path, oracle: str | None = None) -> Any:
    data = {
        "id": "mini",
        "title": "mini",
        "family": "humanevalplus",
        "kind": "function",
        "prompt": "p",
        "entry_point": "f",
        "reference": "def f(x):\n    return x\n",
        "scoring": "per_group",
        "comparison": {"mode": "evalplus", "atol": 0, **({"oracle": oracle} if oracle else {})},
        "cases": [
            {"id": "base_0", "group": "base", "args": ["1"], "expected": "1"},
            {"id": "base_1", "group": "base", "args": ["2.5"], "expected": "2.5"},
            {"id": "plus_0", "group": "plus", "args": ["3"], "expected": "3"},
            {"id": "plus_1", "group": "plus", "args": ["4"], "expected_digest": {
                "type": "str", "sha256": digest_of("z" * 1_000_001).sha256, "size": 1_000_001}},
        ],
    }  # fmt: skip
    return load_spec(written(tmp_path, data))


def run(*records: dict[str, Any]) -> tuple[Transcript, Execution]:
    lines = [{"kind": "hello", "python": "3.11"}, *records, {"kind": "done"}]
    stdout = "".join(json.dumps(line) + "\n" for line in lines).encode()
    container = Execution(stdout, b"", False, False, 0, False, 1.0, "img", "sha256:x", "runc")
    ids = [r["case"] for r in records]
    return read_transcript(container, ids), container


def returned(case: str, tagged: list[Any]) -> dict[str, Any]:
    return {"kind": "case", "case": case, "status": "returned", "value": tagged, "elapsed_s": 0.1}


def test_groups_are_all_or_nothing(tmp_path):
    spec = suite_spec(tmp_path)
    big = HARNESS.encode("z" * 1_000_001)
    report, container = run(
        returned("base_0", ["float", (1.0).hex()]),  # 1.0 == 1: Python equality
        returned("base_1", ["float", (2.5000001).hex()]),  # within the raised tolerance
        returned("plus_0", ["int", "3"]),
        returned("plus_1", big),
    )
    checks = score_function(spec, report, container)
    assert [c.outcome for c in checks] == [Outcome.PASSED] * 4
    groups = group_results(spec, checks)
    assert [(g.group, g.passed, g.total, g.ok) for g in groups] == [
        ("base", 2, 2, True),
        ("plus", 2, 2, True),
    ]
    report, container = run(
        returned("base_0", ["int", "1"]),
        returned("base_1", ["float", (2.5).hex()]),
        returned("plus_0", ["int", "4"]),
        {"kind": "case", "case": "plus_1", "status": "not_run"},
    )
    checks = score_function(spec, report, container)
    assert [c.outcome for c in checks][2:] == [Outcome.WRONG, Outcome.NOT_RUN]
    assert [g.ok for g in group_results(spec, checks)] == [True, False]
    assert spec.max_points == 2


def test_group_results_count_checks_per_group(tmp_path):
    spec = suite_spec(tmp_path)
    checks = [
        Check("base_0", True, 1, 1, Outcome.PASSED),
        Check("base_1", False, 0, 1, Outcome.TIMEOUT),
        Check("plus_0", True, 1, 1, Outcome.PASSED),
        Check("plus_1", True, 1, 1, Outcome.PASSED),
    ]
    assert [(g.passed, g.total) for g in group_results(spec, checks)] == [(1, 2), (2, 2)]


def test_not_none_oracle_accepts_an_object_the_sandbox_cannot_carry(tmp_path):
    spec = suite_spec(tmp_path, oracle="not_none")
    from dataclasses import replace

    spec = replace(spec, cases=(replace(spec.cases[0], expected="True"),))
    unsupported = ["unsupported", "re.Match"]
    report, container = run(returned("base_0", unsupported))
    assert score_function(spec, report, container)[0].passed
    report, container = run(returned("base_0", ["none"]))
    assert not score_function(spec, report, container)[0].passed


def test_observation_of_not_run_is_accepted():
    report, _ = run({"kind": "case", "case": "a", "status": "not_run"})
    assert report.observations["a"] == Observation("a", "not_run", detail="")


# -- samples files -------------------------------------------------------------------------------


@pytest.fixture
def suite(tmp_path) -> dict[str, Any]:
    spec = suite_spec(tmp_path)
    from dataclasses import replace

    from runner.records import SuiteTask

    return {"Mini/0": replace(spec, suite=SuiteTask("humanevalplus", "Mini/0", "def f(x):\n"))}


def test_samples_in_both_forms(tmp_path, suite):
    path = tmp_path / "samples.jsonl"
    path.write_text(
        json.dumps({"task_id": "Mini/0", "solution": "def f(x):\n    return x\n"})
        + "\n\n"
        + json.dumps({"task_id": "Mini/0", "completion": "    return x\n"})
        + "\n"
    )
    (first, _), (second, _) = read_samples(path, suite)
    assert (first.line, second.line) == (1, 3)
    assert first.code == second.code == "def f(x):\n    return x\n"


def test_unknown_task_and_damaged_lines_are_named(tmp_path, suite):
    path = tmp_path / "samples.jsonl"
    path.write_text(
        json.dumps({"task_id": "Mini/0", "solution": "x"})
        + "\n"
        + json.dumps({"task_id": "HumanEval/0", "solution": "x"})
        + "\n"
        + '{"task_id": "Mini/0", "solution": "unterminated\n'
        + json.dumps({"task_id": "Mini/0"})
        + "\n[1, 2]\n"
    )
    with pytest.raises(BadInputError) as raised:
        read_samples(path, suite)
    lines = str(raised.value).splitlines()
    assert lines == [
        f"{path}: line 2: task 'HumanEval/0' is not in the suite",
        f"{path}: line 3: not valid JSON (JSONDecodeError): damaged",
        f"{path}: line 4: neither a 'solution' nor a 'completion' string",
        f"{path}: line 5: not a JSON object with task_id and solution or completion",
    ]


def test_a_task_with_no_plus_inputs_passes_base_plus_on_its_base_cases(tmp_path, mbpp):
    # Mbpp/793 has no plus inputs, so its spec has no plus group. EvalPlus passes such a task
    # on base + plus when its base tests pass; chorebench scored it 0 (docs/SUITES.md).
    from runner.grade import group_results
    from runner.records import Grade
    from runner.suites import Sample, SampleGrade, SamplesResult

    assert mbpp["Mbpp/793"]["plus_input"] == {}
    data = task_spec(SUITES["mbppplus"], mbpp["Mbpp/793"])
    spec = load_spec(written(tmp_path, data), filled=False)
    assert spec.groups == ("base",)

    def graded(*passed: bool) -> SampleGrade:
        checks = tuple(
            Check(c.id, ok, int(ok), 1, Outcome.PASSED if ok else Outcome.WRONG)
            for c, ok in zip(spec.cases, passed, strict=True)
        )
        grade = Grade("mbpp_793", 0, 1, True, (), checks, groups=group_results(spec, checks))
        return SampleGrade(Sample(1, "Mbpp/793", spec.reference), grade)

    gold, wrong = graded(True, True, True), graded(True, False, True)
    assert gold.passed("base") and gold.passed("base", "plus")
    assert not wrong.passed("base") and not wrong.passed("base", "plus")
    result = SamplesResult([gold, wrong])
    assert result.pass_at_1("base") == result.pass_at_1("base", "plus") == 0.5
    # A grade with no group verdicts (not a suite spec) passes nothing.
    plain = Grade("x", 1, 1, True, (), (Check("c", True, 1, 1, Outcome.PASSED),))
    assert not plain.groups_passed("base") and not plain.groups_passed()


# -- the report at suite scale ------------------------------------------------------------------


def test_report_at_suite_scale_summarizes_per_suite(tmp_path):
    from dataclasses import replace

    from fakes import sample, write_run

    from runner.records import GroupResult
    from runner.report import build_report, render_html, render_markdown

    specs = [(f"humaneval_{i}", "humanevalplus") for i in range(164)]
    specs += [(f"mbpp_{i}", "mbppplus") for i in range(378)] + [("flatten_dict", "transformers")]
    records = []
    for model in ("small", "large"):
        for spec, family in specs:
            for run in (1, 2):
                number = int(spec.rsplit("_", 1)[-1]) if family != "transformers" else 0
                base = (number + run) % (2 if model == "small" else 5) != 0
                plus = base and number % 3 != 0
                record = sample(model, spec, run, int(base) + int(plus), 2, family=family)
                if family != "transformers" and record.grade:
                    groups = (
                        GroupResult("base", 3 if base else 1, 3),
                        GroupResult("plus", 9 if plus else 0, 9),
                    )
                    if spec == "mbpp_303":  # like Mbpp/793: no plus inputs, no plus group
                        groups = groups[:1]
                    record = replace(record, grade=replace(record.grade, groups=groups))
                records.append(record)
    run_dir = write_run(tmp_path / "run", {"small": 1, "large": 9}, specs, records)
    report = build_report(run_dir)
    rows = {(r.model, r.family): r for r in report.suites}
    assert set(rows) == {(m, f) for m in ("small", "large") for f in ("humanevalplus", "mbppplus")}
    large = rows[("large", "humanevalplus")]
    assert large.tasks == 164 and 0 < large.base_plus < large.base < 1
    assert large.base_low < large.base < large.base_high
    assert len(report.suite_tasks) == 2 * 542
    no_plus = [t for t in report.suite_tasks if t.spec == "mbpp_303"]
    assert [(t.base, t.base_plus) for t in no_plus] == [(1, 1), (1, 1)]
    assert report.detail_specs == ("flatten_dict",)
    markdown = render_markdown(report)
    assert "## Standard suites" in markdown and "pass@1 base + plus [95% CI]" in markdown
    assert "humaneval_17" not in markdown and "mbpp_300" not in markdown  # readable at 542
    assert len(markdown.splitlines()) < 200
    html = render_html(report)
    assert "<details><summary>Per task (1084 rows)</summary>" in html and "mbpp_300" in html
    data = report.to_json()
    assert len(data["suite_tasks"]) == 1084 and data["suites"][0]["tasks"] in (164, 378)


def test_a_report_of_suite_tasks_only_has_no_empty_per_spec_sections(tmp_path):
    """Per-spec variance and compliance leave suite tasks out; with nothing else they go."""
    from dataclasses import replace

    from fakes import sample, write_run

    from runner.records import GroupResult
    from runner.report import build_report, render_html, render_markdown

    specs = [(f"humaneval_{i}", "humanevalplus") for i in range(3)]
    records = []
    for spec, family in specs:
        for run in (1, 2):
            record = sample("small", spec, run, run - 1, 2, family=family)
            assert record.grade is not None
            groups = (GroupResult("base", run - 1, 1), GroupResult("plus", 0, 1))
            records.append(replace(record, grade=replace(record.grade, groups=groups)))
    report = build_report(write_run(tmp_path / "run", {"small": 1}, specs, records))
    assert len(report.variance) == 3 and len(report.compliance) == 3  # still in report.json
    for text in (render_markdown(report), render_html(report)):
        assert "Standard suites" in text
        assert "Variance per spec" not in text and "Compliance" not in text
        assert "Spec columns" not in text and "per-task figures are under Standard" in text


def test_plain_cases_skip_the_schema_walk_but_bad_ones_are_still_named(tmp_path):
    from runner.spec import schema_problems

    data = json.loads(
        (Path(__file__).resolve().parent.parent / "specs/flatten_dict.json").read_text()
    )
    data["cases"] += [
        {"id": f"c{i}", "args": ["1"], "expected": "1", "group": "g", "timeout_s": 5}
        for i in range(500)
    ]
    assert schema_problems(data) == []
    data["cases"][300]["timeout_s"] = 0
    data["cases"][12]["args"] = [1]
    data["cases"][7]["wat"] = 1
    assert schema_problems(data) == [
        (
            "/cases/7",
            "Additional properties are not allowed ('wat' was unexpected) (allowed: approx, "
            "args, expected, expected_digest, group, id, kwargs, points, raises, timeout_s)",
        ),
        ("/cases/12/args/0", "1 is not of type 'string'"),
        ("/cases/300/timeout_s", "0 is less than or equal to the minimum of 0"),
    ]


def test_one_container_per_grade_and_groups_after_a_failed_one_not_counted(tmp_path):
    from fakes import FakeSandbox, mirror

    from runner.grade import grade_response

    data = json.loads(Path(suite_spec(tmp_path).path).read_text())
    data["cases"][3] = {"id": "plus_1", "group": "plus", "args": ["4"], "expected": "4"}
    spec = load_spec(written(tmp_path, {**data, "stop_at_first_failure": True}))
    gold = "def f(x):\n    return x\n"
    wrong_on_base = "def f(x):\n    return x if x > 2 else -x\n"
    sandbox = FakeSandbox({code: mirror(code, "f") for code in (gold, wrong_on_base)})
    assert grade_response(spec, gold, sandbox).points == 2
    grade = grade_response(spec, wrong_on_base, sandbox)
    assert len(sandbox.jobs) == 2  # one container each, both groups in it
    assert [c.outcome for c in grade.checks] == [Outcome.WRONG, Outcome.PASSED] + [
        Outcome.NOT_RUN
    ] * 2
    assert grade.checks[2].detail == "not counted: group base failed first"
    assert grade.points == 0 and [g.ok for g in grade.groups] == [False, False]
