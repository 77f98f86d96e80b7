"""Which client talks to which host: the host string names its backend.

    http://HOST:PORT, HOST:PORT, HOST    Ollama, native API (the default; OLLAMA_HOST style)
    ollama+http://HOST:PORT              Ollama, said explicitly
    openai+http://HOST:PORT              an OpenAI-compatible server (llama.cpp, vLLM, ...)
    openai+https://HOST:PORT             the same over TLS

The same strings are accepted everywhere a host is given (``--host``, ``hosts`` in a config,
``OLLAMA_HOST``). Samples and the manifest keep the host string as given, and its backend.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol
from urllib.parse import urlsplit

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
    def generate(
        self, model: str, prompt: str, options: dict[str, Any], think: bool | str | None = None
    ) -> Completion: ...


class Host(NamedTuple):
    """A host string taken apart: the backend, and the URL the client is given."""

    backend: str
    url: str


HOST_FORMS = (
    "write http://HOST:PORT (Ollama) or openai+http://HOST:PORT (an OpenAI-compatible server)"
)


def parse_host(host: str) -> Host:
    """The backend and URL of a host string (see the module docstring), checked whole.

    ``openai+HOST:PORT`` (no scheme) means ``openai+http://HOST:PORT``; an Ollama host without
    a scheme is passed on as it is (the client adds http:// and port 11434).

    Raises:
        BadInputError: an unknown ``NAME+`` backend, a scheme other than http(s), no host
            name, or a port that is not a number from 1 to 65535; the message names the host
            string and says what to write instead.
    """
    text = host.strip()
    backend = "ollama"
    head, plus, rest = text.partition("+")
    if plus and "/" not in head and "://" not in head:
        if head.lower() not in BACKENDS:
            raise BadInputError(f"host {host!r}: unknown backend {head!r}; {HOST_FORMS}")
        backend, text = head.lower(), rest.strip()
        if backend == "openai" and "://" not in text:
            text = "http://" + text
    parts = urlsplit(text if "://" in text else "http://" + text)
    try:
        port = parts.port
    except ValueError:
        port = -1
    problem = (
        f"scheme {parts.scheme!r} is not http or https"
        if parts.scheme not in ("http", "https")
        else "the port is not a number from 1 to 65535"
        if port is not None and not 1 <= port <= 65535
        else "no host name"
        if not parts.hostname
        else None
    )
    if problem:
        raise BadInputError(f"host {host!r}: {problem}; {HOST_FORMS}")
    return Host(backend, text)


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


@dataclass(frozen=True)
class Survey:
    """What the hosts said when asked at the start of a run.

    Attributes:
        servers: per host string, its URL, backend, and its version or the error it gave.
        listings: per host that answered, its models keyed by ``model_key``.
    """

    servers: dict[str, dict[str, Any]]
    listings: dict[str, dict[str, ModelInfo]]


def survey(clients: Mapping[str, Client]) -> Survey:
    """Ask every host its version and its models.

    Raises:
        ServerUnreachable: no host answers (every host's message, joined, and a pointer to
            ``make demo`` when nothing listens at all).
        WrongBackend: a host is an OpenAI-compatible server given as an Ollama one.
    """
    servers: dict[str, dict[str, Any]] = {}
    listings: dict[str, dict[str, ModelInfo]] = {}
    problems: list[BackendError] = []
    for host, client in clients.items():
        entry = {"url": client.base_url, "backend": client.backend}
        try:
            servers[host] = entry | {"version": client.version()}
            listings[host] = client.models()
        except BackendError as exc:
            servers[host] = entry | {"error": str(exc)}
            problems.append(exc)
    if not listings:
        nobody = all(isinstance(problem, ServerUnreachable) for problem in problems)
        raise ServerUnreachable(
            "; ".join(map(str, problems)) + (f"\n{DEMO_HINT}" if nobody else "")
        )
    return Survey(servers, listings)


def require_a_server(
    hosts: tuple[str, ...], timeout_s: float = 10.0, api_key: str | None = None
) -> Survey:
    """Ask every one of ``hosts`` (checked before anything slow starts); at least one answers.

    Raises:
        BadInputError: a host string is malformed or names an unknown backend (checked for
            every host before any is asked); WrongBackend as ``survey``.
        ServerUnreachable: none answers.
    """
    for host in hosts:
        parse_host(host)
    clients = {host: make_client(host, timeout_s, retries=0, api_key=api_key) for host in hosts}
    try:
        return survey(clients)
    finally:
        for client in clients.values():
            client.close()
