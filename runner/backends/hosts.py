"""Which client talks to which host: the host string names its backend.

    http://HOST:PORT, HOST:PORT, HOST    Ollama, native API (the default; OLLAMA_HOST style)
    ollama+http://HOST:PORT              Ollama, said explicitly
    openai+http://HOST:PORT              an OpenAI-compatible server (llama.cpp, vLLM, ...)
    openai+https://HOST:PORT             the same over TLS

The same strings are accepted everywhere a host is given (``--host``, ``hosts`` in a config,
``OLLAMA_HOST``). Samples and the manifest keep the host string as given, and its backend.
"""

from __future__ import annotations

from typing import Any, NamedTuple, Protocol

from runner.backends.httpbase import (
    BACKOFF_S,
    REQUEST_TIMEOUT_S,
    RETRIES,
    Completion,
    ModelInfo,
)
from runner.backends.ollama import OllamaClient
from runner.backends.openai_compat import OpenAIClient
from runner.errors import BackendError, BadInputError, ServerUnreachable

BACKENDS = ("ollama", "openai")
DEMO_HINT = "no model server at hand? `make demo` runs a small real model on this machine"


class Client(Protocol):
    """What ``runner.run``'s collection needs of a model server (OllamaClient, OpenAIClient)."""

    backend: str
    base_url: str

    def close(self) -> None: ...
    def version(self) -> str: ...
    def models(self) -> dict[str, ModelInfo]: ...
    def show(self, model: str) -> ModelInfo: ...
    def loaded(self) -> dict[str, dict[str, Any]]: ...
    def pull_hint(self, model: str) -> str: ...
    def generate(
        self, model: str, prompt: str, options: dict[str, Any], think: bool | str | None = None
    ) -> Completion: ...


class Host(NamedTuple):
    """A host string taken apart: the backend, and the URL the client is given."""

    backend: str
    url: str


def parse_host(host: str) -> Host:
    """The backend and URL of a host string (see the module docstring).

    Raises:
        BadInputError: a ``NAME+`` prefix that is not a known backend.
    """
    text = host.strip()
    head, plus, rest = text.partition("+")
    if plus and "://" in rest and "://" not in head:
        name = head.lower()
        if name not in BACKENDS:
            raise BadInputError(
                f"host {host!r}: unknown backend {head!r}; use http://HOST:PORT (Ollama) or "
                "openai+http://HOST:PORT (an OpenAI-compatible server)"
            )
        return Host(name, rest)
    return Host("ollama", text)


def backend_of(host: str | None) -> str | None:
    """The backend of a host string, or None for no host (or one that does not parse)."""
    if host is None:
        return None
    try:
        return parse_host(host).backend
    except BadInputError:
        return None


def make_client(
    host: str,
    timeout_s: float = REQUEST_TIMEOUT_S,
    retries: int = RETRIES,
    backoff_s: float = BACKOFF_S,
    api_key: str | None = None,
) -> Client:
    """The client for ``host``; ``api_key`` is used by OpenAI-compatible servers only.

    Raises:
        BadInputError: the host names an unknown backend.
    """
    backend, url = parse_host(host)
    if backend == "openai":
        return OpenAIClient(url, timeout_s, retries, backoff_s, api_key=api_key)
    return OllamaClient(url, timeout_s, retries, backoff_s)


def require_a_server(
    hosts: tuple[str, ...], timeout_s: float = 10.0, api_key: str | None = None
) -> None:
    """Return when at least one of ``hosts`` answers; checked before anything slow starts.

    Raises:
        BadInputError: a host names an unknown backend.
        ServerUnreachable: none answers (every host's message, joined, and a pointer to
            ``make demo``).
    """
    for host in hosts:
        parse_host(host)  # every host string is checked, not only those tried
    problems: list[BackendError] = []
    for host in hosts:
        client = make_client(host, timeout_s, retries=0, api_key=api_key)
        try:
            client.version()
            return
        except BackendError as exc:
            problems.append(exc)
        finally:
            client.close()
    nobody = all(isinstance(problem, ServerUnreachable) for problem in problems)
    raise ServerUnreachable("; ".join(map(str, problems)) + (f"\n{DEMO_HINT}" if nobody else ""))
