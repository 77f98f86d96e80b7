"""Standard suites: EvalPlus's HumanEval+ and MBPP+ as chorebench specs.

Owns the EvalPlus import (``evalplus``: release files in, spec files out), filling a spec's
expected values and time limits from its reference run in the sandbox (``fill``) and
EvalPlus-format samples files (``samples``). May import ``runner.spec``, ``runner.records``,
``runner.values``, ``runner.errors`` and the grade room's public face (``runner.grade``,
``runner.protocol``, ``runner.oracles``); nothing imports it but the commands.
"""

from runner.suites.evalplus import SUITES, import_evalplus
from runner.suites.fill import FillResult, fill_specs
from runner.suites.samples import SampleGrade, SamplesResult, grade_samples, read_samples

__all__ = [
    "SUITES",
    "FillResult",
    "SampleGrade",
    "SamplesResult",
    "fill_specs",
    "grade_samples",
    "import_evalplus",
    "read_samples",
]
