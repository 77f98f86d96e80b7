"""The run room: sampling models into a run directory, and grading it again.

Owns planning (``planning``: the config file, flags over it, every default of a run, the
identity of a sample), collection (``collect``: ask each host, grade each answer as it
arrives, resume, hand a dead host's work to another), what a run writes (``recording``: the
manifest of a phase, the record of a sample), regrading (``regrade``) and the stop request
a run obeys (``stop``: asked by the CLI's signal handler).

May import: ``runner.caps``, ``runner.errors``, ``runner.records``, ``runner.settings``,
``runner.spec``, ``runner.rundir`` and the faces of two rooms, ``runner.backends`` (the clients) and
``runner.grade`` (grading, in whatever ``Sandbox`` it is handed). Never ``runner.sandbox``:
the sandbox comes in as an argument.
"""

from runner.run.collect import collect, sample_done
from runner.run.planning import (
    DEFAULT_BEST_OF_TEMPERATURE,
    DEFAULT_TEMPERATURE,
    THINK_VALUES,
    BenchConfig,
    ModelOptions,
    RequestOptions,
    RunPlan,
    RunSummary,
    WorkItem,
    load_config,
    make_plan,
    make_plans,
    missing_models,
    parse_think,
    plans_for,
    request_options,
    sample_key,
    with_config_engines,
)
from runner.run.recording import record_floors, run_manifest, sample_record
from runner.run.regrade import RegradeSummary, Stored, read_stored, regrade
from runner.run.stop import Stop

__all__ = [
    "DEFAULT_BEST_OF_TEMPERATURE",
    "DEFAULT_TEMPERATURE",
    "THINK_VALUES",
    "BenchConfig",
    "ModelOptions",
    "RegradeSummary",
    "RequestOptions",
    "RunPlan",
    "RunSummary",
    "Stop",
    "Stored",
    "WorkItem",
    "collect",
    "load_config",
    "make_plan",
    "make_plans",
    "missing_models",
    "parse_think",
    "plans_for",
    "read_stored",
    "record_floors",
    "regrade",
    "request_options",
    "run_manifest",
    "sample_done",
    "sample_key",
    "sample_record",
    "with_config_engines",
]
