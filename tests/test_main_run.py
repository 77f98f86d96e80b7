"""A run directory written by main before issue 12 (``tests/fixtures/main_run``) still works.

It reports byte-identically to the committed report (report.md, report.json, report.html
and what the CLI prints; regenerated when issue 14 changed the report on purpose) and
regrades with no grade changed. The report is rebuilt in a copy laid out as in the
repository (the report names its run directory, the manifest's spec paths are relative to
the repository's root), so the committed fixture is never written to.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from runner.cli import main
from runner.run import regrade
from runner.rundir import SAMPLES, read_samples

FIXTURES = Path(__file__).resolve().parent / "fixtures"
ROOT = FIXTURES.parent.parent
RUN = Path("tests/fixtures/main_run")
REPORTS = ("report.md", "report.json", "report.html")


@pytest.fixture
def copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The fixture copied to the same relative path under ``tmp_path``, the working directory."""
    shutil.copytree(ROOT / RUN, tmp_path / RUN)
    (tmp_path / "specs").symlink_to(ROOT / "specs")
    for name in REPORTS:
        (tmp_path / RUN / name).unlink()
    monkeypatch.chdir(tmp_path)
    return tmp_path / RUN


def test_a_run_directory_of_main_reports_byte_identically(copy: Path):
    result = CliRunner().invoke(main, ["report", str(RUN)])
    assert result.exit_code == 0, result.output
    assert result.stdout == (FIXTURES / "main_run.report.txt").read_text()
    for name in REPORTS:
        assert (copy / name).read_bytes() == (ROOT / RUN / name).read_bytes(), name


def test_every_sample_of_main_reads_back_and_writes_the_same_bytes():
    lines = (ROOT / RUN / SAMPLES).read_bytes().splitlines(keepends=True)
    records = read_samples(ROOT / RUN)
    assert len(records) == len(lines) == 30
    for record, line in zip(records, lines, strict=True):
        assert (json.dumps(record.to_json(), sort_keys=True) + "\n").encode("ascii") == line


def test_a_sample_of_an_older_format_keeps_what_it_does_not_know(tmp_path: Path):
    old = {"key": "k", "model": "m", "spec": "s", "run": "1", "grade": None, "options": {}}
    (tmp_path / SAMPLES).write_text(json.dumps(old) + "\n")
    (record,) = read_samples(tmp_path)
    assert (record.phase, record.family, record.run, record.counted) == ("runs", "s", 1, False)
    assert record.to_json()["options"] == {} and "graded_spec_sha256" not in record.to_json()


@pytest.mark.docker
def test_a_run_directory_of_main_regrades_with_no_change(copy: Path, sandbox):
    before = {r.key: r.grade and r.grade.verdict() for r in read_samples(copy)}
    summary = regrade(RUN, sandbox, jobs=2)
    assert (summary.regraded, summary.changed, summary.skipped) == (27, 0, 3)
    assert {r.key: r.grade and r.grade.verdict() for r in read_samples(copy)} == before


@pytest.mark.docker
def test_resuming_a_run_directory_of_main_asks_only_for_what_failed(
    copy: Path, sandbox, monkeypatch: pytest.MonkeyPatch
):
    """Its keys hashed the spec's content; resuming finds them by that legacy key, so only the
    three samples that failed there (rambler:1b's) are asked again and nothing is counted twice.
    """
    from fakes import FakeOllama
    from fixtures.make_main_run import SPECS, fixture_models

    shutil.copy(FIXTURES / "main_run.bench.json", copy.parent / "main_run.bench.json")
    before = len(read_samples(copy))
    with FakeOllama(fixture_models()) as server:
        monkeypatch.setenv("OLLAMA_HOST", server.url)
        config = str(RUN.parent / "main_run.bench.json")
        result = CliRunner().invoke(
            main, ["run", "--config", config, *SPECS, "--out", str(RUN), "--quiet"]
        )
        asked = [body["model"] for body in server.generate_requests()]
    assert result.exit_code == 0, result.output
    assert sorted(asked) == ["rambler:1b"] * 3
    assert len(read_samples(copy)) == before + 3
