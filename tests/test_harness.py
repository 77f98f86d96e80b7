"""The harness's pure parts, on the host: what it prepares once per job."""

from __future__ import annotations

import ast

from fakes import harness as load_harness

harness = load_harness()  # the real in-container harness


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
