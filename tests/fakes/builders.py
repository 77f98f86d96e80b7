"""Small builders the tests share: executions, harness transcript lines, scripted answers."""

from __future__ import annotations

import importlib.util
import json
from dataclasses import replace
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

from runner.records import Execution

ROOT = Path(__file__).resolve().parent.parent.parent
GB = 1_000_000_000
PYTHON = "3.12.3"  # the grader image's Python, as a transcript's hello says
# EvalPlus's release files (never committed): shared/ beside the clone, as CI lays it, else here.
_SHARED = Path("/work/shared/data/evalplus")
EVALPLUS = next((p for p in (ROOT.parent / "shared/data/evalplus", _SHARED) if p.exists()), _SHARED)

# Answers to specs/iso_duration.json that the write-up saw: a bug scoring 17/22 ...
BUGGY_ISO = (
    "def parse_iso_duration(s):\n"
    "    import re\n"
    "    m = re.match(r'^PT(\\d+)?H(\\d+)?M(\\d+)?S$', s)\n"
    "    if not m:\n"
    "        raise ValueError(f'invalid ISO duration: {s}')\n"
    "    h, mi, se = (int(g) if g else 0 for g in m.groups())\n"
    "    return h * 3600 + mi * 60 + se\n"
)
# ... and one that is stably wrong (1/22: right on PT0S only).
WRONG_ISO = "def parse_iso_duration(s):\n    return 0\n"
# A generated test for specs/cache_reset_test.json that holds the dict the function rebinds:
# it fails on the reference (the write-up's stale-reference bug).
STALE_CACHE_TEST = (
    "from src.main_improved import _model_cache, invalidate_model_cache\n\n\n"
    "def test_invalidate_model_cache_resets_all_keys():\n"
    "    _model_cache['model'] = 'm'\n"
    "    invalidate_model_cache()\n"
    "    assert _model_cache['model'] is None\n"
)


@cache
def harness() -> ModuleType:
    """The real in-container harness (grader_image/harness.py), imported: its encoder ships."""
    path = ROOT / "grader_image" / "harness.py"
    spec = importlib.util.spec_from_file_location("chorebench_harness", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def execution(stdout: bytes, **changes: Any) -> Execution:
    """An Execution of a container that exited 0 in time, with ``stdout`` and ``changes``."""
    done = Execution(
        stdout=stdout,
        stderr=b"",
        timed_out=False,
        output_capped=False,
        exit_code=0,
        oom_killed=False,
        elapsed_s=0.5,
        image="chorebench-grader:test",
        image_id="sha256:0",
        runtime="runc",
    )
    return replace(done, **changes)


def line(record: Any) -> bytes:
    """One transcript line, as the harness writes it (ASCII JSON and a newline)."""
    return json.dumps(record, ensure_ascii=True).encode("ascii") + b"\n"


def hello(python: str = PYTHON) -> bytes:
    return line({"kind": "hello", "python": python, "undumpable": True})


def case(case_id: str, value: int = 1, elapsed_s: float = 0.25) -> bytes:
    """A case record of a function that returned the int ``value``."""
    record = {"kind": "case", "case": case_id, "status": "returned", "elapsed_s": elapsed_s}
    return line(record | {"value": ["int", format(value, "x")]})


DONE = line({"kind": "done"})
