"""The Ollama client: native ``/api/generate`` with ``stream: false``, over httpx.

Why ``/api/generate`` and not ``/api/chat``: every chore is one prompt and one answer; the
generate endpoint takes the prompt as it is and returns ``response`` and ``thinking`` as
top-level fields (the write-up's own driver used it), with nothing to gain from message
wrapping. ``stream: false`` gives one JSON object holding the whole answer, the whole
thinking and the final metrics.

Errors become ``BackendError`` subclasses with a message that says what to do. Transient
failures (5xx, a timeout, a dropped connection) are retried with backoff a bounded number of
times by ``generate``; then the error is raised for the caller to record on the sample.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from runner.errors import BackendError

DEFAULT_HOST = "http://127.0.0.1:11434"


class ServerUnreachable(BackendError):
    """No server answered at the URL."""


class ModelNotFound(BackendError):
    """The server does not have the model (not pulled)."""


class ThinkingUnsupported(BackendError):
    """``think`` was sent to a model without the thinking capability."""


class TransientError(BackendError):
    """A 5xx, a timeout or a dropped connection: worth retrying."""


class BadResponse(BackendError):
    """The server answered with something that is not the documented JSON."""


@dataclass(frozen=True)
class ModelInfo:
    """What the server says about one model, for the manifest and the report."""

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
    """One answer from ``/api/generate``, with both text fields and the server's metrics."""

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


def normalize_host(host: str) -> str:
    """``OLLAMA_HOST``-style values (``host``, ``host:port``, URLs) as a base URL.

    A missing scheme means http; a missing port means Ollama's 11434 (443 for https).
    """
    host = host.strip().rstrip("/")
    parts = urlsplit(host if "://" in host else "http://" + host)
    port = parts.port or (443 if parts.scheme == "https" else 11434)
    return f"{parts.scheme}://{parts.hostname}:{port}{parts.path}"


def model_key(name: str) -> str:
    """A model name with its default tag: ``gemma4`` and ``gemma4:latest`` are one model."""
    return name if ":" in name.rsplit("/", 1)[-1] else name + ":latest"


class OllamaClient:
    """One Ollama server. Thread-safe (httpx.Client is)."""

    def __init__(
        self,
        base_url: str,
        timeout_s: float = 1800.0,
        retries: int = 3,
        backoff_s: float = 1.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = normalize_host(base_url)
        self.retries = retries
        self.backoff_s = backoff_s
        self._http = httpx.Client(
            base_url=self.base_url,
            timeout=httpx.Timeout(timeout_s, connect=10.0),
            transport=transport,
            trust_env=False,
        )

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def version(self) -> str:
        """The server's version; raises ServerUnreachable when nothing answers."""
        return str(self._json("GET", "/api/version").get("version", ""))

    def models(self) -> dict[str, ModelInfo]:
        """Every model the server lists, keyed by ``model_key``."""
        listed = self._json("GET", "/api/tags").get("models") or []
        found = {}
        for item in listed:
            if isinstance(item, dict) and isinstance(item.get("name"), str):
                found[model_key(item["name"])] = _model_info(item)
        return found

    def show(self, model: str) -> ModelInfo:
        """A model's metadata from ``/api/show`` (with its Modelfile parameters)."""
        data = self._json("POST", "/api/show", {"model": model}, model=model)
        data.setdefault("name", model)
        return _model_info(data)

    def loaded(self) -> dict[str, dict[str, Any]]:
        """``/api/ps``: resident models with ``size`` and ``size_vram`` (bytes)."""
        listed = self._json("GET", "/api/ps").get("models") or []
        return {
            model_key(item["name"]): item
            for item in listed
            if isinstance(item, dict) and isinstance(item.get("name"), str)
        }

    def generate(
        self,
        model: str,
        prompt: str,
        options: dict[str, Any],
        think: bool | str | None = None,
        keep_alive: str = "30m",
    ) -> Completion:
        """One non-streamed completion, retried on transient errors.

        ``think`` is sent exactly as given and omitted when None (the server's default).

        Raises:
            ModelNotFound, ThinkingUnsupported, BadResponse: not worth retrying.
            TransientError: still failing after the retries.
            ServerUnreachable: nothing answers at the URL.
        """
        body: dict[str, Any] = {
            "model": model,
            "prompt": prompt,
            "stream": False,
            "options": options,
            "keep_alive": keep_alive,
        }
        if think is not None:
            body["think"] = think
        for attempt in range(1, self.retries + 2):
            started = time.monotonic()
            try:
                data = self._json("POST", "/api/generate", body, model=model)
            except TransientError:
                if attempt > self.retries:
                    raise
                time.sleep(self.backoff_s * 2 ** (attempt - 1))
                continue
            return _completion(data, time.monotonic() - started, attempt)
        raise AssertionError("unreachable")

    def _json(
        self, method: str, path: str, body: dict[str, Any] | None = None, model: str = ""
    ) -> dict[str, Any]:
        url = self.base_url + path
        try:
            response = self._http.request(method, path, json=body)
        except httpx.ConnectError as exc:
            raise ServerUnreachable(
                f"no Ollama server answers at {self.base_url}: start one with `ollama serve` "
                "(or set OLLAMA_HOST / --host to where it runs)"
            ) from exc
        except httpx.TimeoutException as exc:
            raise TransientError(f"{url}: timed out ({exc.__class__.__name__})") from exc
        except httpx.TransportError as exc:
            raise TransientError(f"{url}: connection failed: {exc.__class__.__name__}") from exc
        message = _error_text(response)
        if response.status_code == 404 and "not found" in message:
            raise ModelNotFound(
                f"{self.base_url} does not have model {model!r} ({message}): "
                f"run `ollama pull {model}` on that host"
            )
        if response.status_code == 400 and "does not support thinking" in message:
            raise ThinkingUnsupported(
                f"model {model!r} does not support thinking ({message}): drop --think for it, "
                "or set think to false in its per-model options"
            )
        if response.status_code >= 500:
            raise TransientError(f"{url}: HTTP {response.status_code}: {message}")
        if response.status_code >= 400:
            raise BadResponse(f"{url}: HTTP {response.status_code}: {message}")
        try:
            data = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise BadResponse(f"{url}: the answer is not JSON: {response.text[:120]!r}") from exc
        if not isinstance(data, dict):
            raise BadResponse(f"{url}: the answer is not a JSON object")
        return data


def _error_text(response: httpx.Response) -> str:
    if response.status_code < 400:
        return ""
    try:
        data = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return response.text[:200]
    return str(data.get("error", data))[:500] if isinstance(data, dict) else str(data)[:200]


def _model_info(item: dict[str, Any]) -> ModelInfo:
    details = item.get("details") if isinstance(item.get("details"), dict) else {}
    caps = item.get("capabilities") if isinstance(item.get("capabilities"), list) else []
    return ModelInfo(
        name=str(item.get("name", item.get("model", ""))),
        digest=str(item.get("digest", "")),
        size=int(item["size"]) if isinstance(item.get("size"), int) else 0,
        family=str(details.get("family", "")),
        parameter_size=str(details.get("parameter_size", "")),
        quantization=str(details.get("quantization_level", "")),
        capabilities=tuple(str(c) for c in caps),
        parameters=str(item.get("parameters", "")),
    )


def _completion(data: dict[str, Any], wall_s: float, attempts: int) -> Completion:
    def number(key: str) -> int | None:
        value = data.get(key)
        return value if isinstance(value, int) else None

    response = data.get("response")
    if not isinstance(response, str):
        raise BadResponse("the /api/generate answer has no 'response' text")
    thinking = data.get("thinking")
    return Completion(
        response=response,
        thinking=thinking if isinstance(thinking, str) else "",
        done_reason=data.get("done_reason") if isinstance(data.get("done_reason"), str) else None,
        eval_count=number("eval_count"),
        prompt_eval_count=number("prompt_eval_count"),
        total_duration_ns=number("total_duration"),
        load_duration_ns=number("load_duration"),
        eval_duration_ns=number("eval_duration"),
        wall_s=wall_s,
        attempts=attempts,
        raw={k: v for k, v in data.items() if k not in ("response", "thinking", "context")},
    )


def require_a_server(hosts: tuple[str, ...], timeout_s: float = 10.0) -> None:
    """Return when at least one of ``hosts`` answers; checked before anything slow starts.

    Raises:
        ServerUnreachable: none answers (every host's message, joined).
    """
    problems = []
    for host in hosts:
        client = OllamaClient(host, timeout_s, retries=0)
        try:
            client.version()
            return
        except BackendError as exc:
            problems.append(str(exc))
        finally:
            client.close()
    raise ServerUnreachable("; ".join(problems))
