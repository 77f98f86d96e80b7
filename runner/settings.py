"""Configuration, read once: a flag wins over the environment, which wins over the default.

Nothing else in chorebench reads ``os.environ``; the CLI builds a ``Settings`` and passes it down.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from runner.errors import BadInputError

RUNTIMES = ("runc", "runsc")
PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    """Everything configurable about a chorebench process.

    Attributes:
        runtime: the OCI runtime for candidate containers: ``runc`` (Docker's default) or
            ``runsc`` (gVisor).
        docker_host: the engine's URL, or None for the SDK's default local socket.
        image: a grader image to use as it is, instead of the one built from ``grader_image/``.
        grader_dir: the folder the grader image is built from.
        specs_dir: where ``check-specs`` looks by default.
        raise_errors: show tracebacks instead of one-line messages (debugging).
        ollama_host: the default model server (``OLLAMA_HOST``), when no --host is given.
        runs_dir: where run directories go by default (``runs/<UTC timestamp>``).
        jobs: how many candidates are graded at once (``CHOREBENCH_JOBS``, default the
            number of cores): each is one container at a time.
    """

    runtime: str = "runc"
    docker_host: str | None = None
    image: str | None = None
    grader_dir: Path = PROJECT_ROOT / "grader_image"
    specs_dir: Path = PROJECT_ROOT / "specs"
    raise_errors: bool = False
    ollama_host: str = "http://127.0.0.1:11434"
    runs_dir: Path = PROJECT_ROOT / "runs"
    jobs: int = os.cpu_count() or 1

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Defaults overridden by ``CHOREBENCH_*`` variables (and ``DOCKER_HOST``)."""
        env = os.environ if env is None else env
        settings = cls(
            runtime=env.get("CHOREBENCH_RUNTIME") or "runc",
            docker_host=env.get("DOCKER_HOST") or None,
            image=env.get("CHOREBENCH_IMAGE") or None,
            raise_errors=env.get("CHOREBENCH_RAISE_ERRORS", "") not in ("", "0"),
            ollama_host=env.get("OLLAMA_HOST") or "http://127.0.0.1:11434",
        )
        jobs = env.get("CHOREBENCH_JOBS")
        if jobs:
            if not jobs.isdigit():
                raise BadInputError(f"CHOREBENCH_JOBS={jobs!r}: use a whole number, at least 1")
            settings = replace(settings, jobs=int(jobs))
        return settings.checked()

    def with_flags(self, **flags: object) -> Settings:
        """A copy with every flag that was given (not None) applied."""
        given = {key: value for key, value in flags.items() if value is not None}
        return replace(self, **given).checked()  # type: ignore[arg-type]

    def checked(self) -> Settings:
        """Self, after validating the values; raises BadInputError naming the bad one."""
        if self.jobs < 1:
            raise BadInputError(f"jobs {self.jobs}: at least 1 (--jobs or CHOREBENCH_JOBS)")
        if self.runtime not in RUNTIMES:
            raise BadInputError(
                f"runtime {self.runtime!r} is not one of {', '.join(RUNTIMES)} "
                "(set by --runtime or CHOREBENCH_RUNTIME)"
            )
        return self
