"""report.html in a real browser: Debian's headless Chromium loads it, with no console error and
nothing sticking out of the window, at a desktop width and a narrow one.

Skipped without Chromium, unless CHOREBENCH_REQUIRE_BROWSER=1 (CI installs it), where a
missing Chromium fails instead.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest
from fakes import GB, sample, write_run

from runner.report import build_report, write_report

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.browser


def _load_check():
    spec = importlib.util.spec_from_file_location(
        "browser_check", ROOT / "scripts/browser_check.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["browser_check"] = module
    spec.loader.exec_module(module)
    return module


browser_check = _load_check()


@pytest.fixture(scope="module", autouse=True)
def chromium() -> None:
    if browser_check.chromium() is None:
        if os.environ.get("CHOREBENCH_REQUIRE_BROWSER", "") not in ("", "0"):
            pytest.fail(
                "CHOREBENCH_REQUIRE_BROWSER=1 but Chromium is missing: apt-get install chromium"
            )
        pytest.skip("no Chromium (apt-get install chromium)")


@pytest.fixture(scope="module")
def wide_report(tmp_path_factory) -> Path:
    """A crowded report: 7 models with long names, 8 specs, thinking, best-of, not counted."""
    models = [f"hf.co/some-org/a-very-long-model-name-{i}-instruct-GGUF:Q4_K_M" for i in range(7)]
    specs = [(f"spec_with_a_long_identifier_{i}", f"family_{i % 3}") for i in range(8)]
    records = []
    for m, model in enumerate(models):
        for spec, family in specs:
            for run in (1, 2, 3):
                records.append(
                    sample(
                        model, spec, run, (m + run) % 23, 22, family=family,
                        thinking="thought " * (m * 50), think=None if m % 2 else False,
                        violations=("fences", "syntax_error") if m == 3 else (),
                    )
                )  # fmt: skip
        records.append(sample(model, specs[0][0], 1, 20, 22, phase="best_of", temperature=0.7))
    records.append(sample(models[0], specs[1][0], 4, 0, 22, error="timed out"))
    sizes = {model: int((i + 1) * GB) for i, model in enumerate(models)}
    run = write_run(tmp_path_factory.mktemp("wide") / "run", sizes, specs, records)
    write_report(build_report(run))
    return run / "report.html"


@pytest.mark.parametrize("width", [1280, 760])
def test_the_report_renders_without_error_or_overflow(wide_report: Path, width: int) -> None:
    assert browser_check.check(wide_report, width) == []


def test_the_check_catches_errors_and_overflow(tmp_path: Path) -> None:
    page = tmp_path / "bad.html"
    page.write_text(
        '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>'
        '<div id="wide" style="width:3000px">x</div><img src="missing.png">'
        '<script>console.error("boom"); nosuchfunction();</script></body></html>'
    )
    problems = browser_check.check(page, 1280)
    assert "console.error: boom" in problems
    assert any("nosuchfunction is not defined" in p for p in problems)
    assert any(p.startswith("failed to load") and "missing.png" in p for p in problems)
    assert any(p.startswith("page overflows") for p in problems)
    assert any(p.startswith("div#wide overflows") for p in problems)


def test_a_screenshot_is_written(wide_report: Path, tmp_path: Path) -> None:
    png = tmp_path / "top.png"
    browser_check.screenshot(wide_report, png, 1280, 900)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
