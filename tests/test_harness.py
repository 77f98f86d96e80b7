"""The harness's pure parts, on the host: what it prepares once per job."""

from __future__ import annotations

import json
import re
import warnings

import pytest
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
    assert harness.imported_modules(compile(code, "candidate.py", "exec")) == [
        "collections",
        "collections.abc",
        "itertools",
        "math",
        "typing",
    ]
    assert not {"os", "socket", "antigravity", "this"} & harness.PRELOAD


def test_the_harness_json_reads_and_writes_what_json_does():
    documents = [
        {"kind": "case", "case": "c\u00e9\n", "value": ["list", [["int", "-1f"], ["none"]]]},
        [1, -2.5, 1e300, True, False, None, "", {}, []],
        {"cpu_s": 0.000123, "nested": {"a": [{"b": ["\ud800"]}]}},
        "a string",
        12345678901234567890,
    ]
    for document in documents:
        text = json.dumps(document, ensure_ascii=True)
        assert harness.json_dumps(document) == text
        assert harness.json_loads(text) == document
        assert harness.json_loads((" \n" + text + "\r\n").encode()) == document
    for text in ("NaN", "Infinity", "-Infinity"):
        assert repr(harness.json_loads(text)) == repr(json.loads(text))
    for bad in ("", "   ", "[1,", "1 2", "{}x", b"\xff", '{"a": }'):
        with pytest.raises(ValueError):
            harness.json_loads(bad)


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


def test_a_candidates_patterns_are_compiled_ahead_and_nothing_else_changes():
    code = (
        "import re\n"
        "WORD = re.compile(r'\\b[a-z]+\\b')\n"
        "def f(s):\n"
        "    '''A docstring,\n    over lines.'''\n"
        "    assert s != 'Not a pattern: ( unbalanced'\n"
        "    return re.fullmatch(r'PT(?:([0-9]+)H)?', s) and re.findall('[[a]', s)\n"
    )
    re.purge()
    job = {"mode": "function", "code": code, "entry_point": "f", "timeout": 1.0, "cases": []}
    harness.Prepared(job)
    cached = {key[1] for key in re._cache}  # the module's own cache, keyed (type, text, flags)
    assert {r"\b[a-z]+\b", r"PT(?:([0-9]+)H)?"} <= cached
    # a text that is no pattern is not cached, nor one over lines (a docstring); one that
    # warns ("possible nested set") is left for the case to compile, so the case meets the
    # warning as a fresh process does
    assert not {"Not a pattern: ( unbalanced", "A docstring,\n    over lines.", "[[a]"} & cached
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        re.compile("[[a]")
    assert [type(w.message) for w in seen] == [FutureWarning]
    re.purge()
    harness.Prepared(dict(job, code="import string\ndef f(s):\n    return '[a-z]+'\n"))
    assert not re._cache  # the candidate names no `re`: nothing compiled
