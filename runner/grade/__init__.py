"""The grade room: from a raw response to a Grade, judged on the host.

Owns the extraction of code from a response (``extract``), the static compliance checks
(``compliance``), the harness protocol (``protocol``: the job lines, the ``Sandbox`` protocol
that executes them, the reading of a transcript and whether it can be trusted), the grading
of a response with function grading (``grading``: ``grade_response``, ``grade_all``; per-group
scoring for suites), EvalPlus's comparison rules and special oracles (``oracles``), and
mutation grading of a generated test with its stale-reference diagnostics (``mutation``,
``diagnostics``), and a spec's floor: what its trivial answers earn (``floor``).

May import: ``runner.caps``, ``runner.errors``, ``runner.records``, ``runner.values``. No
other room, and not ``docker``: whatever satisfies ``Sandbox`` (``runner.sandbox.DockerSandbox``,
the tests' ``FakeSandbox``) is handed in.
"""

from runner.grade.compliance import UNRUNNABLE, check_compliance
from runner.grade.diagnostics import stale_reference_diagnostics
from runner.grade.extract import extract_code
from runner.grade.floor import literal_prefix, measure_floors, trivial_candidates
from runner.grade.grading import (
    grade_all,
    grade_response,
    grader_pool,
    group_results,
    host_units,
    score_function,
)
from runner.grade.mutation import (
    REFERENCE_RUNS,
    TEST_FILE,
    layout,
    module_file,
    run_plan,
    variant_sources,
)
from runner.grade.oracles import NOT_NONE, ORACLE_NAMES, GroupTolerance, is_floats, matches
from runner.grade.protocol import (
    Sandbox,
    Transcript,
    execution_error,
    function_job,
    observation,
    pytest_job,
    read_transcript,
    sandbox_facts,
    why_untrusted,
)

__all__ = [
    "NOT_NONE",
    "ORACLE_NAMES",
    "REFERENCE_RUNS",
    "TEST_FILE",
    "UNRUNNABLE",
    "GroupTolerance",
    "Sandbox",
    "Transcript",
    "check_compliance",
    "execution_error",
    "extract_code",
    "function_job",
    "grade_all",
    "grade_response",
    "grader_pool",
    "group_results",
    "host_units",
    "is_floats",
    "layout",
    "literal_prefix",
    "matches",
    "measure_floors",
    "module_file",
    "observation",
    "pytest_job",
    "read_transcript",
    "run_plan",
    "sandbox_facts",
    "score_function",
    "stale_reference_diagnostics",
    "trivial_candidates",
    "variant_sources",
    "why_untrusted",
]
