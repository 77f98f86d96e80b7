"""Standard suites: EvalPlus's HumanEval+ and MBPP+ as chorebench specs.

Owns the EvalPlus import (``evalplus``: release files in, spec files out), filling a spec's
expected values and time limits from its reference run in the sandbox (``fill``) and
EvalPlus-format samples files (``samples``). May import: ``runner.errors``, ``runner.records``,
``runner.settings``, ``runner.spec``, ``runner.values`` and the grade room's face
(``runner.grade``); nothing imports it but the commands (and the benchmarks).
"""

from runner.suites.evalplus import (
    MORE_MEMORY_MB,
    SUITES,
    import_evalplus,
    mbpp_inputs,
    read_tasks,
    spec_id,
    task_spec,
)
from runner.suites.fill import FillResult, fill_specs
from runner.suites.samples import Sample, SampleGrade, SamplesResult, grade_samples, read_samples

__all__ = [
    "MORE_MEMORY_MB",
    "SUITES",
    "FillResult",
    "Sample",
    "SampleGrade",
    "SamplesResult",
    "fill_specs",
    "grade_samples",
    "import_evalplus",
    "mbpp_inputs",
    "read_samples",
    "read_tasks",
    "spec_id",
    "task_spec",
]
