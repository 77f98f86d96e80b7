"""The real in-container harness (``grader_image/harness.py``), loaded as a module on the host.

Only for testing its pure parts (the encoder, the record writer, the import scan): its
process-level parts (forking, sweeping) are tested in the container, never on the host.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

HARNESS = Path(__file__).resolve().parent.parent / "grader_image" / "harness.py"


def load_harness() -> Any:
    """A fresh module object of the harness that ships."""
    spec = importlib.util.spec_from_file_location("chorebench_harness", HARNESS)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
