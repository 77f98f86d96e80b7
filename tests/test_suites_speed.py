"""The suite-speed benchmark's table (``benchmarks/suites_speed.py``), from figures given.

Running it needs EvalPlus (the ``suites`` extra), which CI does not install; what it prints
and writes into docs/PERFORMANCE.md is checked here, without timing anything.
"""

from __future__ import annotations

import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import suites_speed  # noqa: E402
from perf_report import DOC  # noqa: E402


def figures(evalplus_s: float, ours_s: float, floor_s: float) -> dict:
    return {
        "evalplus": {"wall_s": evalplus_s, "base": 164, "base+plus": 163},
        "chorebench": {"wall_s": ours_s, "base": 164, "base+plus": 164},
        "floor": {"wall_s": floor_s, "lifecycles_s": floor_s - 5, "compute_s": 10},
        "ratio": ours_s / evalplus_s,
        "floor_ratio": floor_s / evalplus_s,
    }


SUMMARY = {
    "humaneval": {
        "tasks": 164, "jobs": 2, "ratio": 0.6, "floor_ratio": 0.2, "rounds": [figures(90, 54, 18)]
    },
    "mbpp": {
        "tasks": 378, "jobs": 2, "ratio": 1.3, "floor_ratio": 0.9, "rounds": [figures(100, 130, 90)]
    },
}  # fmt: skip


def test_the_table_gives_each_round_and_a_verdict_per_suite():
    text = suites_speed.render(SUMMARY, "runc", [("cores", "2")])
    assert "| HumanEval+ | 1 " in text and "| 164, 163 " in text and "| 164, 164 " in text
    goal = "gold pass: chorebench / EvalPlus 0.3.1, wall time"
    assert f"| HumanEval+ {goal} | <= 1.0   | 0.60 pass | 0.20    |" in text
    assert f"| MBPP+ {goal}      | <= 1.0   | 1.30 FAIL | 0.90    |" in text
    assert "| 18 (13 + 10/2) " in text and "| 90 (85 + 10/2) " in text
    assert "| 0.20 " in text and "| 0.90 " in text
    assert "`--jobs 2` under runc" in text and "| cores " in text


def test_it_writes_between_its_own_markers_and_leaves_the_rest(tmp_path):
    doc = tmp_path / "PERFORMANCE.md"
    real = DOC.read_text(encoding="utf-8")
    assert suites_speed.BEGIN in real and suites_speed.END in real
    doc.write_text(real, encoding="utf-8")
    suites_speed.write_doc(doc, "NEW TABLE", suites_speed.BEGIN, suites_speed.END)
    written = doc.read_text(encoding="utf-8")
    assert f"{suites_speed.BEGIN}\nNEW TABLE\n{suites_speed.END}" in written
    head = real.split(suites_speed.BEGIN)[0]
    assert written.startswith(head) and written.endswith(real.split(suites_speed.END)[1])
