"""Open a ``report.html`` in headless Chromium (Debian's ``chromium``): its problems, a screenshot.

The check loads a copy of the page with a small script put first in ``<head>`` (the report
itself has no script): it records every error event (a script error, a resource that failed
to load) and every ``console.error``, then, once the page has loaded, whether the page is
wider than the window and which elements stick out past its right edge. Tables scroll inside
their own box (``div.table``), so what is inside one may be wider; the box itself may not.

    python scripts/browser_check.py runs/demo/report.html [--width 1280] [--screenshot out.png]

Exit 0 when the page has no problem, 1 when it has (each printed), 2 when Chromium is missing.
``tests/test_browser.py`` and ``make browser-check`` use it.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

CHROMIUM_NAMES = ("chromium", "chromium-browser")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)
MARK = "data-layout-check"

_CHECKER = """<script>
window.__problems = [];
addEventListener("error", (e) => {
  const where = e.target && (e.target.src || e.target.href);
  __problems.push(where ? "failed to load " + where : "error: " + e.message);
}, true);
console.error = (...args) => { __problems.push("console.error: " + args.join(" ")); };
addEventListener("load", () => {
  const root = document.documentElement, width = root.clientWidth;
  if (root.scrollWidth > width) {
    __problems.push(`page overflows: ${root.scrollWidth}px wide in a ${width}px window`);
  }
  for (const el of document.body.querySelectorAll("*")) {
    if (el.parentElement.closest(".table, svg")) continue;
    const right = el.getBoundingClientRect().right;
    if (right > width + 1) {
      const name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "");
      __problems.push(`${name} overflows: its right edge at ${Math.round(right)}px > ${width}px`);
    }
  }
  document.body.setAttribute("MARK", JSON.stringify(__problems));
});
</script>""".replace("MARK", MARK)


def chromium() -> str | None:
    """The Chromium executable on PATH, or None."""
    return next((path for name in CHROMIUM_NAMES if (path := shutil.which(name))), None)


def _run(arguments: list[str], timeout_s: float = 120.0) -> subprocess.CompletedProcess[str]:
    executable = chromium()
    if executable is None:
        raise FileNotFoundError("Chromium is not installed: apt-get install chromium")
    with tempfile.TemporaryDirectory(prefix="chorebench-chromium-") as profile:
        command = [executable, *FLAGS, f"--user-data-dir={profile}", *arguments]
        return subprocess.run(
            command, capture_output=True, text=True, timeout=timeout_s, check=False
        )


def check(page: Path, width: int = 1280, height: int = 900) -> list[str]:
    """What is wrong with ``page`` in a ``width`` px window: errors and overflows; [] when none.

    Raises:
        FileNotFoundError: Chromium is not installed.
        RuntimeError: Chromium did not render the page.
    """
    text = page.read_text(encoding="utf-8")
    checked = re.sub(r"<head>", "<head>" + _CHECKER, text, count=1)
    if checked == text:
        checked = _CHECKER + text
    with tempfile.TemporaryDirectory(prefix="chorebench-check-") as folder:
        copy = Path(folder) / page.name
        copy.write_text(checked, encoding="utf-8")
        done = _run(
            [
                f"--window-size={width},{height}",
                "--virtual-time-budget=5000",
                "--dump-dom",
                copy.as_uri(),
            ]
        )
    found = re.search(rf'{MARK}="([^"]*)"', done.stdout)
    if found is None:
        raise RuntimeError(
            f"Chromium did not render {page} (exit {done.returncode}): {done.stderr[-1500:]}"
        )
    return list(json.loads(html.unescape(found.group(1))))


def screenshot(page: Path, png: Path, width: int = 1280, height: int = 1600) -> None:
    """Save what a ``width`` x ``height`` window shows of ``page`` (from its top) as ``png``.

    Raises:
        FileNotFoundError: Chromium is not installed.
        RuntimeError: no screenshot was written.
    """
    png.parent.mkdir(parents=True, exist_ok=True)
    png.unlink(missing_ok=True)
    done = _run(
        [
            f"--window-size={width},{height}",
            f"--screenshot={png.resolve()}",
            page.resolve().as_uri(),
        ]
    )
    if not png.exists():
        raise RuntimeError(f"Chromium wrote no screenshot of {page}: {done.stderr[-1500:]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("page", type=Path, help="a report.html")
    parser.add_argument("--width", type=int, default=1280, help="window width in px")
    parser.add_argument("--screenshot", type=Path, help="also save the top of the page as PNG")
    parser.add_argument("--height", type=int, default=1600, help="screenshot height in px")
    args = parser.parse_args(argv)
    try:
        problems = check(args.page, args.width)
        if args.screenshot:
            screenshot(args.page, args.screenshot, args.width, args.height)
    except FileNotFoundError as exc:
        print(f"browser-check: {exc}", file=sys.stderr)
        return 2
    for problem in problems:
        print(f"browser-check: {args.page}: {problem}", file=sys.stderr)
    if not problems:
        print(f"browser-check: {args.page}: no console error, nothing overflows at {args.width}px")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
