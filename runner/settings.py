"""Configuration, read once: a flag wins over the environment, which wins over the default.

Nothing else in chorebench reads ``os.environ``; the CLI builds a ``Settings`` and passes it down.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from runner.errors import BadInputError

RUNTIMES = ("runc", "runsc")
MAX_JOBS = 256
PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OLLAMA_HOST = "http://127.0.0.1:11434"  # Ollama's own default
DEFAULT_HIT_AT = 0.82  # best-of: the score fraction of a hit, the write-up's 18/22
LOCAL = "local"
ENGINE_SCHEMES = ("unix", "tcp", "ssh")
ENGINE_OPTIONS = ("jobs", "runtime", "tls_verify", "cert_path")


@dataclass(frozen=True)
class EngineSpec:
    """One Docker engine candidates may be graded on, as the user named it.

    Attributes:
        url: ``local`` (``DOCKER_HOST``, else the local socket), ``unix:///path``,
            ``tcp://HOST:PORT`` or ``ssh://[USER@]HOST[:PORT]``.
        jobs: containers run there at once; None: the engine's CPU count (``local``: --jobs).
        runtime: ``runc`` or ``runsc`` there; None: --runtime.
        tls_verify: (tcp) TLS with the server verified; None: ``DOCKER_TLS_VERIFY``.
        cert_path: (tcp) the folder of ``ca.pem``, ``cert.pem``, ``key.pem``; None:
            ``DOCKER_CERT_PATH``, else ``~/.docker`` (the Docker CLI's rule).
    """

    url: str = LOCAL
    jobs: int | None = None
    runtime: str | None = None
    tls_verify: bool | None = None
    cert_path: str | None = None


def parse_engine(text: str, where: str) -> EngineSpec:
    """``URL[?jobs=N&runtime=R&tls_verify=1&cert_path=DIR]`` as an EngineSpec.

    Raises:
        BadInputError: naming ``where`` (the flag, variable or config field) and the fix.
    """
    url, _, query = text.strip().partition("?")
    options: dict[str, str] = dict(parse_qsl(query, keep_blank_values=True))
    return engine_from(url, options, where)


def engine_from(url: str, options: Mapping[str, object], where: str) -> EngineSpec:
    """An EngineSpec from a URL and its options (from a query string or a config object)."""
    hint = "use local, unix:///PATH, tcp://HOST:PORT or ssh://[USER@]HOST[:PORT]"
    scheme = urlsplit(url).scheme
    if url != LOCAL and (scheme not in ENGINE_SCHEMES or not url.partition("://")[2]):
        raise BadInputError(f"{where}: engine {url!r} is not one chorebench can reach: {hint}")
    unknown = sorted(set(options) - set(ENGINE_OPTIONS))
    if unknown:
        raise BadInputError(
            f"{where}: unknown engine option {unknown[0]!r} for {url}: "
            f"use {', '.join(ENGINE_OPTIONS)}"
        )
    jobs = options.get("jobs")
    if jobs is not None and (not str(jobs).isdigit() or not 1 <= int(str(jobs)) <= 256):
        raise BadInputError(f"{where}: jobs {jobs!r} for {url}: a whole number from 1 to 256")
    runtime = options.get("runtime")
    if runtime is not None and runtime not in RUNTIMES:
        raise BadInputError(
            f"{where}: runtime {runtime!r} for {url} is not one of {', '.join(RUNTIMES)}"
        )
    verify = options.get("tls_verify")
    if (verify is not None or options.get("cert_path")) and scheme != "tcp":
        raise BadInputError(f"{where}: TLS options apply to tcp:// engines only, not {url}")
    return EngineSpec(
        url=url,
        jobs=None if jobs is None else int(str(jobs)),
        runtime=None if runtime is None else str(runtime),
        tls_verify=None if verify is None else str(verify).lower() not in ("", "0", "false"),
        cert_path=None if options.get("cert_path") is None else str(options["cert_path"]),
    )


def parse_engines(texts: str | tuple[str, ...], where: str) -> tuple[EngineSpec, ...]:
    """Several engines: a tuple of flags, or one comma- or space-separated variable."""
    parts = texts.replace(",", " ").split() if isinstance(texts, str) else texts
    engines = tuple(parse_engine(part, where) for part in parts)
    names = [engine.url for engine in engines]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise BadInputError(f"{where}: engine {twice[0]} is named twice; name each once")
    return engines


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
        sandboxes: the engines to grade on (``--sandbox``, ``CHOREBENCH_SANDBOXES``, the
            config's ``sandboxes``); empty: the local engine alone.
        docker_tls_verify: ``DOCKER_TLS_VERIFY``: tcp engines use TLS, verified.
        docker_cert_path: ``DOCKER_CERT_PATH``: where tcp engines' certificates are.
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
    sandboxes: tuple[EngineSpec, ...] = ()
    docker_tls_verify: bool = False
    docker_cert_path: Path | None = None

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
            sandboxes=parse_engines(env.get("CHOREBENCH_SANDBOXES", ""), "CHOREBENCH_SANDBOXES"),
            docker_tls_verify=env.get("DOCKER_TLS_VERIFY", "") != "",
            docker_cert_path=Path(env["DOCKER_CERT_PATH"]) if env.get("DOCKER_CERT_PATH") else None,
        )
        for name, attribute in (("CHOREBENCH_JOBS", "jobs"), ("CHOREBENCH_POOL", "pool")):
            value = env.get(name)
            if value:
                # ASCII digits only: "²".isdigit() is true, and int("²") raises.
                if not (value.isascii() and value.isdigit() and len(value) <= 6):
                    raise BadInputError(f"{name}={value!r}: use a whole number (at most 6 digits)")
                settings = replace(settings, **{attribute: int(value)})
        return settings.checked()

    def with_flags(self, **flags: object) -> Settings:
        """A copy with every flag that was given (not None, not empty) applied.

        ``sandboxes`` may be given as the ``--sandbox`` strings; they are parsed here.
        """
        given = {key: value for key, value in flags.items() if value is not None and value != ()}
        if given.get("sandboxes") and isinstance(given["sandboxes"][0], str):  # type: ignore[index]
            given["sandboxes"] = parse_engines(given["sandboxes"], "--sandbox")  # type: ignore[arg-type]
        return replace(self, **given).checked()  # type: ignore[arg-type]

    def checked(self) -> Settings:
        """Self, after validating the values; raises BadInputError naming the bad one."""
        if self.pool is not None and not 0 <= self.pool <= 64:
            raise BadInputError(f"pool {self.pool}: from 0 to 64 (--pool or CHOREBENCH_POOL)")
        if not 1 <= self.jobs <= MAX_JOBS:
            raise BadInputError(
                f"jobs {self.jobs}: from 1 to {MAX_JOBS} (--jobs or CHOREBENCH_JOBS)"
            )
        if self.runtime not in RUNTIMES:
            raise BadInputError(
                f"runtime {self.runtime!r} is not one of {', '.join(RUNTIMES)} "
                "(set by --runtime or CHOREBENCH_RUNTIME)"
            )
        return self

    def engines(self) -> tuple[EngineSpec, ...]:
        """The engines to grade on: those configured, else the local one."""
        return self.sandboxes or (EngineSpec(LOCAL),)

    def for_many(self) -> Settings:
        """These settings for a command that grades many candidates: a warm pool by default."""
        return self if self.pool is not None else replace(self, pool=self.jobs)
