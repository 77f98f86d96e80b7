"""Configuration, read once: a flag wins over the environment, which wins over the default.

Nothing else in chorebench reads ``os.environ``; the CLI builds a ``Settings`` and passes it down.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from runner.errors import BadInputError

RUNTIMES = ("runc", "runsc")
PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OLLAMA_HOST = "http://127.0.0.1:11434"  # Ollama's own default
DEFAULT_HIT_AT = 0.82  # best-of: the score fraction of a hit, the write-up's 18/22


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
            Like every host string it may name its backend (``openai+http://...``).
        openai_api_key: the API key for OpenAI-compatible servers that want one
            (``CHOREBENCH_OPENAI_API_KEY``); sent as a bearer token, never logged or written.
        runs_dir: where run directories go by default (``runs/<UTC timestamp>``).
        jobs: how many candidates are graded at once (``CHOREBENCH_JOBS``, default the
            number of cores): each is one container at a time.
        pool: how many containers are kept started ahead of need (``CHOREBENCH_POOL``); None
            lets each command choose: ``jobs`` when it grades many candidates, else 0.
    """

    runtime: str = "runc"
    docker_host: str | None = None
    image: str | None = None
    grader_dir: Path = PROJECT_ROOT / "grader_image"
    specs_dir: Path = PROJECT_ROOT / "specs"
    raise_errors: bool = False
    ollama_host: str = DEFAULT_OLLAMA_HOST
    openai_api_key: str | None = field(default=None, repr=False)
    runs_dir: Path = PROJECT_ROOT / "runs"
    jobs: int = os.cpu_count() or 1
    pool: int | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Defaults overridden by ``CHOREBENCH_*`` variables (and ``DOCKER_HOST``)."""
        env = os.environ if env is None else env
        settings = cls(
            runtime=env.get("CHOREBENCH_RUNTIME") or "runc",
            docker_host=env.get("DOCKER_HOST") or None,
            image=env.get("CHOREBENCH_IMAGE") or None,
            raise_errors=env.get("CHOREBENCH_RAISE_ERRORS", "") not in ("", "0"),
            ollama_host=env.get("OLLAMA_HOST") or DEFAULT_OLLAMA_HOST,
            openai_api_key=env.get("CHOREBENCH_OPENAI_API_KEY") or None,
        )
        for name, attribute in (("CHOREBENCH_JOBS", "jobs"), ("CHOREBENCH_POOL", "pool")):
            value = env.get(name)
            if value:
                if not value.isdigit():
                    raise BadInputError(f"{name}={value!r}: use a whole number")
                settings = replace(settings, **{attribute: int(value)})
        return settings.checked()

    def with_flags(self, **flags: object) -> Settings:
        """A copy with every flag that was given (not None) applied."""
        given = {key: value for key, value in flags.items() if value is not None}
        return replace(self, **given).checked()  # type: ignore[arg-type]

    def checked(self) -> Settings:
        """Self, after validating the values; raises BadInputError naming the bad one."""
        if self.pool is not None and not 0 <= self.pool <= 64:
            raise BadInputError(f"pool {self.pool}: from 0 to 64 (--pool or CHOREBENCH_POOL)")
        if self.jobs < 1:
            raise BadInputError(f"jobs {self.jobs}: at least 1 (--jobs or CHOREBENCH_JOBS)")
        if self.runtime not in RUNTIMES:
            raise BadInputError(
                f"runtime {self.runtime!r} is not one of {', '.join(RUNTIMES)} "
                "(set by --runtime or CHOREBENCH_RUNTIME)"
            )
        return self

    def for_many(self) -> Settings:
        """These settings for a command that grades many candidates: a warm pool by default."""
        return self if self.pool is not None else replace(self, pool=self.jobs)
