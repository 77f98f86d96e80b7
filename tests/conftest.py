"""Shared fixtures. Docker tests use the real engine: never a mock of it.

Without an engine they skip, unless CHOREBENCH_REQUIRE_DOCKER=1 (CI), where a missing engine
fails them. CHOREBENCH_RUNTIME selects runc or runsc for the whole session.

Tests marked ``real_model`` (minutes, and the real-model extra) run only when the ``-m``
expression names them (``pytest -m real_model``, ``make test-real-model``); every other
selection deselects them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from runner.errors import SandboxError
from runner.records import Spec
from runner.settings import Settings
from runner.spec import load_spec

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"


def require_docker() -> bool:
    """CI sets this so that Docker tests fail instead of skipping."""
    return os.environ.get("CHOREBENCH_REQUIRE_DOCKER", "") not in ("", "0")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if "real_model" in (config.option.markexpr or ""):
        return
    deselected = [item for item in items if item.get_closest_marker("real_model")]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if not item.get_closest_marker("real_model")]


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings.from_env()


@pytest.fixture(scope="session")
def sandbox(settings: Settings) -> Iterator[object]:
    """A DockerSandbox on the real engine, shared by the session."""
    from runner.sandbox import DockerSandbox

    try:
        box = DockerSandbox(settings)
    except SandboxError as exc:
        if require_docker():
            pytest.fail(f"CHOREBENCH_REQUIRE_DOCKER=1 but the sandbox is unavailable: {exc}")
        pytest.skip(f"no Docker sandbox: {exc}")
    yield box
    box.close()


@pytest.fixture
def no_leftovers(sandbox: object) -> Iterator[None]:
    """Fail the test if any container of this process outlives it."""
    yield
    sandbox.settle()  # type: ignore[attr-defined]  # removal runs in the background
    owner = sandbox.owner  # type: ignore[attr-defined]
    left = sandbox.client.containers.list(  # type: ignore[attr-defined]
        all=True, filters={"label": f"chorebench.owner={owner}"}
    )
    warm = sandbox.warm_ids()  # type: ignore[attr-defined]  # started, never given a job
    assert [c.name for c in left if c.id not in warm] == [], "containers left behind"


@pytest.fixture(scope="session")
def iso_spec() -> Spec:
    return load_spec(SPECS / "iso_duration.json")


@pytest.fixture(scope="session")
def flatten_spec() -> Spec:
    return load_spec(SPECS / "flatten_dict.json")


@pytest.fixture(scope="session")
def cache_spec() -> Spec:
    return load_spec(SPECS / "cache_reset_test.json")


@pytest.fixture(scope="session")
def second_engine(sandbox: object) -> Iterator[object]:
    """A second real dockerd on this machine (tests/second_engine.py), stopped at the end.

    Needs root (it starts dockerd and sshd). At the end nothing of chorebench may be left on
    it: no labelled container, no runtime-level leftover; the session fails otherwise.
    """
    import shutil

    from second_engine import SecondEngine

    if os.geteuid() != 0 or shutil.which("dockerd") is None:
        why = "a second engine needs root and dockerd"
        if require_docker():
            pytest.fail(f"CHOREBENCH_REQUIRE_DOCKER=1 but {why}")
        pytest.skip(why)
    engine = SecondEngine.make()
    try:
        engine.start()
    except RuntimeError as exc:
        engine.stop()
        if require_docker():
            pytest.fail(f"CHOREBENCH_REQUIRE_DOCKER=1 but the second engine did not start: {exc}")
        pytest.skip(f"no second engine: {exc}")
    try:
        ship_the_image(engine)
        yield engine
        second_engine_is_clean(engine)
    finally:
        engine.stop()


def ship_the_image(engine: object) -> None:
    """The grader image onto the second engine, from the local one (else it would be built
    there from scratch, with mmdebstrap, by the first test that opens it alone)."""
    from runner.sandbox import open_engines

    sandboxes = ("local", engine.unix)  # type: ignore[attr-defined]
    with open_engines(Settings.from_env().with_flags(sandboxes=sandboxes)) as pool:
        assert len({e["image_id"] for e in pool.engines()}) == 1, pool.engines()


def second_engine_is_clean(engine: object) -> None:
    """Fail when a chorebench container or runtime-level leftover remains on the engine."""
    from runner.sandbox import connect, prune_leftovers
    from runner.settings import parse_engine

    settings = Settings.from_env()
    client = connect(parse_engine(engine.unix, "second engine"), settings)  # type: ignore[attr-defined]
    try:
        left = client.api.containers(all=True, filters={"label": "chorebench"})
        report = prune_leftovers(client, local=True, grace_s=0.5)
    finally:
        client.close()
    ours = [orphan for orphan in report.runtime if orphan.chorebench]
    assert not left, f"chorebench containers left on the second engine: {left}"
    assert not ours, f"runtime-level leftovers on the second engine: {ours}"
