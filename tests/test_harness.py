"""The harness's pure parts, on the host: the record writer and what it imports once per job."""

from __future__ import annotations

import ast
import json

import pytest
from fakes import harness as load_harness

harness = load_harness()  # the real in-container harness


@pytest.mark.parametrize(
    "record",
    [
        {"status": "returned", "elapsed_s": 0.25, "value": ["int", "1f"]},
        {"status": "raised", "exc_type": "E", "exc_message": "caf\u00e9 \ud83d\ude00 \x00"},
        {"status": "returned", "elapsed_s": float("nan"), "value": ["list", [["none"]] * 3]},
        {"status": "pytest", "exit_code": 1, "counts": {"passed": 2, "failed": 1}},
        {},
    ],
)
def test_records_are_written_exactly_as_json_dumps_writes_them(record):
    line = harness.dump_record(record)
    assert line == json.dumps(record, ensure_ascii=True) + "\n"
    assert line.isascii()


def test_a_record_with_a_value_json_cannot_hold_fails_like_json_dumps():
    with pytest.raises(TypeError):
        harness.dump_record({"value": object()})


def test_only_listed_standard_modules_are_imported_ahead():
    code = (
        "from typing import List\n"
        "import collections.abc, os\n"
        "from . import sibling\n"
        "def f():\n"
        "    import math, socket\n"
        "    from itertools import chain\n"
        "    import antigravity\n"
    )
    assert sorted(harness.imported_modules(ast.parse(code))) == [
        "collections.abc",
        "itertools",
        "math",
        "typing",
    ]
    assert not {"os", "socket", "antigravity", "this"} & harness.PRELOAD


def test_a_job_is_prepared_without_running_the_candidate():
    job = {
        "mode": "function",
        "code": "import math\nraise SystemExit('ran')\ndef f(x):\n    return x\n",
        "entry_point": "f",
        "timeout": 1.0,
        "cases": [
            {"id": "a", "args": ["[1, 2]"], "kwargs": {"k": "'v'"}},
            {"id": "b", "args": ["[1,"], "kwargs": {}},
        ],
    }
    prepared = harness.Prepared(job)
    assert prepared.code is not None and prepared.compile_error is None
    # the arguments are read once, ahead; one that does not parse is left to its own case
    first, second = job["cases"]
    assert prepared.arguments_of(first) == ([[1, 2]], {"k": "v"})
    assert prepared.arguments_of(second) is None


def test_a_candidate_that_does_not_compile_is_one_compile_error_for_every_case():
    job = {"mode": "function", "code": "def f(:\n", "entry_point": "f", "cases": []}
    prepared = harness.Prepared(job)
    assert prepared.code is None and prepared.compile_error == "SyntaxError"
    observation = harness.run_function_case(prepared, job, {"id": "a"}, None)
    assert observation == {"status": "compile_error", "detail": "SyntaxError"}
