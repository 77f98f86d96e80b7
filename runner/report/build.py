"""``chorebench report DIR``: a run directory in, the answer out.

Reads only the run directory (``manifest.json`` and ``samples.jsonl``), so every figure can be
traced to the stored responses: variance and best-of rows carry the sample keys they used.
``render`` lays the report out and writes ``report.md``, ``report.json`` and ``report.html``
beside them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from runner.records import Floor
from runner.report import stats
from runner.report.findings import ranking_notes, variance_notes
from runner.report.routing import ROUTING_RULE, RoutingRow, routing
from runner.report.suites import SUITE_CI, SuiteRow, SuiteTaskRow, suite_summary, suite_tasks
from runner.report.tables import (
    BestOfRow,
    ComplianceRow,
    RankingRow,
    ThinkingRow,
    VarianceRow,
    best_of,
    by_model_and_spec,
    compliance,
    ranking,
    thinking,
    variance,
)
from runner.rundir import SampleRecord, load_samples, read_floors, read_manifest, status_of
from runner.settings import DEFAULT_HIT_AT


@dataclass(frozen=True)
class Report:
    """Every table of a run's report, with the words under them."""

    run_dir: Path
    manifest: dict[str, Any]
    models: tuple[str, ...]
    specs: tuple[str, ...]
    families: dict[str, tuple[str, ...]]
    hit_at: float
    samples: tuple[SampleRecord, ...]
    ranking: list[RankingRow]
    ranking_notes: list[str]
    variance: list[VarianceRow]
    variance_notes: dict[str, list[str]]
    compliance: list[ComplianceRow]
    thinking: list[ThinkingRow]
    best_of: list[BestOfRow]
    routing: list[RoutingRow]
    floors: dict[str, Floor]  # by spec id, as measured for the run (floors.json)
    status: str = ""  # the manifest's, or that its process is gone (``rundir.status_of``)
    left_out: dict[str, int] = field(default_factory=dict)  # per spec: older-version samples
    suites: list[SuiteRow] = field(default_factory=list)
    suite_tasks: list[SuiteTaskRow] = field(default_factory=list)

    @property
    def suite_specs(self) -> frozenset[str]:
        """Specs of standard suites: summarized per suite, not listed one by one."""
        return frozenset(row.spec for row in self.suite_tasks)

    @property
    def detail_specs(self) -> tuple[str, ...]:
        """The specs the per-spec tables list: every one but the suites' tasks."""
        return tuple(spec for spec in self.specs if spec not in self.suite_specs)

    @property
    def not_counted(self) -> int:
        return sum(not s.counted for s in self.samples)

    def to_json(self) -> dict[str, Any]:
        """``report.json``: each table's rows as objects, the methods, the notes; ``left_out``
        only when older versions' samples were left out."""
        left_out = {"samples_per_spec": self.left_out, "why": LEFT_OUT_RULE}
        return ({"left_out": left_out} if self.left_out else {}) | {
            "run_dir": str(self.run_dir),
            "hit_at": self.hit_at,
            "samples": len(self.samples),
            "not_counted": self.not_counted,
            "methods": {
                "confidence_interval": stats.CI_METHOD,
                "stability": stats.STABILITY_RULE,
                "routing": ROUTING_RULE,
                "hit": HIT_RULE.format(hit_at=self.hit_at),
            },
            "ranking": [asdict(row) for row in self.ranking],
            "ranking_notes": self.ranking_notes,
            "variance": [asdict(row) for row in self.variance],
            "variance_notes": self.variance_notes,
            "compliance": [asdict(row) for row in self.compliance],
            "thinking": [asdict(row) for row in self.thinking],
            "best_of": [asdict(row) for row in self.best_of],
            "routing": [asdict(row) for row in self.routing],
            "floors": {spec: asdict(floor) for spec, floor in self.floors.items()},
            **(
                {
                    "suites": [asdict(row) for row in self.suites],
                    "suite_tasks": [asdict(row) for row in self.suite_tasks],
                    "methods_suites": SUITE_CI,
                }
                if self.suite_tasks
                else {}
            ),
        }


LEFT_OUT_RULE = (
    "only samples graded against each spec's current content (the manifest's hash) are "
    "counted; older ones were sampled and graded with an earlier version of the spec: "
    "`chorebench regrade DIR` re-scores them against the current one"
)

HIT_RULE = (
    "A best-of sample is a hit when it earns at least {hit_at} of the spec's points, rounded to "
    "the nearest point (18/22 at 0.82). pass@k is the unbiased estimate 1 - C(n-c,k)/C(n,k) of "
    "the chance that at least one of k samples is a hit (c hits among n); pass^k = C(c,k)/C(n,k) "
    "the chance that all k are: what a wrapper that cannot retry gets."
)


def build_report(run_dir: Path, hit_at: float | None = None) -> Report:
    """Compute every table of the report of ``run_dir``.

    ``hit_at`` defaults to the best-of phase's own threshold, else 0.82.

    Raises:
        BadInputError: ``run_dir`` is not a run directory, or its files are damaged.
    """
    manifest = read_manifest(run_dir)
    current = {s["id"]: s.get("sha256") for s in manifest.get("specs", [])}
    samples, left_out = [], {}
    for sample in load_samples(run_dir):
        if current.get(sample.spec) in (None, sample.graded_version):  # None: no hash recorded
            samples.append(sample)
        else:
            left_out[sample.spec] = left_out.get(sample.spec, 0) + 1
    models = _ordered(manifest.get("models", {}), (s.model for s in samples))
    specs = _ordered([s["id"] for s in manifest.get("specs", [])], (s.spec for s in samples))
    family_of = {s["id"]: s.get("family") or s["id"] for s in manifest.get("specs", [])}
    family_of.update({s.spec: s.family for s in samples if s.spec not in family_of})
    families: dict[str, tuple[str, ...]] = {}
    for spec in specs:
        families[family_of[spec]] = (*families.get(family_of[spec], ()), spec)
    sizes = {m: (manifest.get("models", {}).get(m) or {}).get("size") for m in models}
    phase_hit = manifest.get("phases", {}).get("best_of", {}).get("hit_at")
    threshold = next((v for v in (hit_at, phase_hit) if v is not None), DEFAULT_HIT_AT)

    runs = by_model_and_spec(samples, "runs")
    variance_rows = variance(runs, models, specs)
    best_rows = best_of(by_model_and_spec(samples, "best_of"), models, specs, sizes, threshold)
    ranking_rows = ranking(runs, models, specs, sizes)
    thinking_rows = thinking(samples, models, _from_config(manifest))
    task_rows = suite_tasks(samples)
    return Report(
        run_dir=run_dir,
        manifest=manifest,
        models=models,
        specs=specs,
        families=families,
        hit_at=threshold,
        samples=tuple(samples),
        ranking=ranking_rows,
        ranking_notes=ranking_notes(ranking_rows),
        variance=variance_rows,
        variance_notes={
            spec: variance_notes([r for r in variance_rows if r.spec == spec]) for spec in specs
        },
        compliance=compliance(runs, models, specs),
        thinking=thinking_rows,
        best_of=best_rows,
        routing=routing(
            families, variance_rows, best_rows, sizes, [r.model for r in thinking_rows if r.traps]
        ),
        floors={spec: floor for spec, floor in read_floors(run_dir).items() if spec in specs},
        status=status_of(manifest),
        left_out=left_out,
        suites=suite_summary(task_rows),
        suite_tasks=task_rows,
    )


def _from_config(manifest: dict[str, Any]) -> bool:
    """Whether the run was asked for by a config file (``bench``, ``run --config``)."""
    commands = [phase.get("command") or [] for phase in manifest.get("phases", {}).values()]
    return any("bench" in command[1:2] or "--config" in command for command in commands)


def _ordered(first: Any, then: Any) -> tuple[str, ...]:
    """Names in the manifest's order, then any others in the order they appear."""
    return tuple(dict.fromkeys([*first, *then]))
