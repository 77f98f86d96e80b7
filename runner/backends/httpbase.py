"""What every model-server client shares: the records and the HTTP plumbing.

A client (``ollama.OllamaClient``, ``openai_compat.OpenAIClient``) is an ``HttpClient``
with the methods ``runner.run``'s collection calls (``version``, ``models``, ``show``,
``loaded``, ``generate``), returning the records below. The base maps what goes wrong on the
wire to one error each, the same way for every backend:

    connection refused, no such host    ServerUnreachable (names the URL and what to do)
    timeout, dropped connection, 5xx    TransientError (``retrying`` tries again, with backoff)
    404 naming the model                ModelNotFound (the backend decides, ``_classify``)
    any other 4xx, a body not JSON      BadResponse

The errors are in ``runner.errors``, so the tree drawn there is the whole tree.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self, TypeVar

import httpx

from runner.errors import (
    BackendError,
    BadResponse,
    ServerUnreachable,
    TransientError,
)

T = TypeVar("T")

# Each default once: a generation may take long on a slow machine; transient failures are
# retried a few times, with a backoff doubling from one second.
REQUEST_TIMEOUT_S = 1800.0
RETRIES = 3
BACKOFF_S = 1.0


@dataclass(frozen=True)
class ModelInfo:
    """What the server says about one model, for the manifest and the report.

    ``digest`` identifies the model's weights as well as the server can tell; it is part of
    every sample's key, so it must be the same from one listing to the next.
    """

    name: str
    digest: str
    size: int
    family: str = ""
    parameter_size: str = ""
    quantization: str = ""
    capabilities: tuple[str, ...] = ()
    parameters: str = ""  # the Modelfile PARAMETERs: they change the sampling defaults


@dataclass(frozen=True)
class Completion:
    """One answer, with the answer text, the reasoning text and what the server measured.

    Whichever backend produced it: ``thinking`` is the reasoning (Ollama's ``thinking``, an
    OpenAI-compatible server's ``reasoning_content`` or ``reasoning``), ``done_reason`` is
    ``"stop"`` or ``"length"`` (out of budget), counts and durations are None when not reported.
    """

    response: str
    thinking: str
    done_reason: str | None
    eval_count: int | None
    prompt_eval_count: int | None
    total_duration_ns: int | None
    load_duration_ns: int | None
    eval_duration_ns: int | None
    wall_s: float
    attempts: int = 1
    raw: dict[str, Any] = field(default_factory=dict)


def model_key(name: str) -> str:
    """A model name with its default tag: ``gemma4`` and ``gemma4:latest`` are one model."""
    return name if ":" in name.rsplit("/", 1)[-1] else name + ":latest"


class HttpClient:
    """One model server over one ``httpx.Client``. Thread-safe (httpx.Client is).

    Subclasses set ``backend``, say how to start a missing server (``_unreachable``) and which
    error answers mean something specific (``_classify``).
    """

    backend: ClassVar[str] = ""

    def __init__(
        self,
        base_url: str,
        timeout_s: float = REQUEST_TIMEOUT_S,
        retries: int = RETRIES,
        backoff_s: float = BACKOFF_S,
        transport: httpx.BaseTransport | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.base_url = base_url
        self.retries = retries
        self.backoff_s = backoff_s
        self._http = httpx.Client(
            base_url=self.base_url,
            timeout=httpx.Timeout(timeout_s, connect=10.0),
            transport=transport,
            headers=headers,
            trust_env=False,
        )

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _unreachable(self) -> str:
        """The ServerUnreachable message: the URL, and how to start a server there."""
        raise NotImplementedError

    def _classify(self, status: int, message: str, model: str) -> BackendError | None:
        """A backend-specific error for an error answer, or None for the generic mapping."""
        return None

    def post_retrying(
        self, path: str, body: dict[str, Any], model: str
    ) -> tuple[dict[str, Any], float, int]:
        """POST ``body`` with ``retrying``: the answer, the wall time of the attempt that
        succeeded, and the number of attempts."""
        started = time.monotonic()

        def once() -> dict[str, Any]:
            nonlocal started
            started = time.monotonic()
            return self._json("POST", path, body, model=model)

        data, attempts = self.retrying(once)
        return data, time.monotonic() - started, attempts

    def retrying(self, call: Callable[[], T]) -> tuple[T, int]:
        """``call()`` and the number of attempts it took, retrying TransientError with backoff.

        Raises:
            TransientError: still failing after ``retries`` more attempts.
            BackendError: any other error, at once.
        """
        for attempt in range(1, self.retries + 2):
            try:
                return call(), attempt
            except TransientError:
                if attempt > self.retries:
                    raise
                time.sleep(self.backoff_s * 2 ** (attempt - 1))
        raise AssertionError("unreachable")

    def _request(
        self, method: str, path: str, body: dict[str, Any] | None = None, model: str = ""
    ) -> httpx.Response:
        """One request; a 2xx response, or the error it means (see the module docstring)."""
        url = self.base_url + path
        try:
            response = self._http.request(method, path, json=body)
        except httpx.ConnectError as exc:
            raise ServerUnreachable(self._unreachable()) from exc
        except httpx.TimeoutException as exc:
            raise TransientError(f"{url}: timed out ({exc.__class__.__name__})") from exc
        except httpx.TransportError as exc:
            raise TransientError(f"{url}: connection failed: {exc.__class__.__name__}") from exc
        if response.status_code < 400:
            return response
        message = error_text(response)
        specific = self._classify(response.status_code, message, model)
        if specific is not None:
            raise specific
        if response.status_code >= 500:
            raise TransientError(f"{url}: HTTP {response.status_code}: {message}")
        raise BadResponse(f"{url}: HTTP {response.status_code}: {message}", response.status_code)

    def _json(
        self, method: str, path: str, body: dict[str, Any] | None = None, model: str = ""
    ) -> dict[str, Any]:
        """``_request``, then the body as a JSON object (BadResponse when it is not one)."""
        response = self._request(method, path, body, model)
        url = self.base_url + path
        try:
            data = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise BadResponse(f"{url}: the answer is not JSON: {response.text[:120]!r}") from exc
        if not isinstance(data, dict):
            raise BadResponse(f"{url}: the answer is not a JSON object")
        return data


def error_text(response: httpx.Response) -> str:
    """The server's own words about an error answer, whichever shape it used.

    Ollama says ``{"error": "..."}``; OpenAI-compatible servers ``{"error": {"message": ...}}``;
    FastAPI-based ones (llama-cpp-python) ``{"detail": ...}``.
    """
    try:
        data = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return response.text[:200]
    if not isinstance(data, dict):
        return str(data)[:200]
    error = data.get("error", data.get("detail", data))
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        error = error["message"]
    return str(error)[:500]


def integer_field(data: dict[str, Any], key: str) -> int | None:
    """``data[key]`` when it is an integer, else None (absent means not reported)."""
    value = data.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None
