"""The Ollama client: native ``/api/generate`` with ``stream: false``, over httpx.

Why ``/api/generate`` and not ``/api/chat``: every chore is one prompt and one answer; the
generate endpoint takes the prompt as it is and returns ``response`` and ``thinking`` as
top-level fields (the write-up's own driver used it), with nothing to gain from message
wrapping. ``stream: false`` gives one JSON object holding the whole answer, the whole
thinking and the final metrics.

Errors become ``BackendError`` subclasses with a message that says what to do (the mapping is
``httpbase``'s, shared with the OpenAI-compatible client). Transient failures (5xx, a
timeout, a dropped connection) are retried with backoff a bounded number of times by
``generate``; then the error is raised for the caller to record on the sample.
"""

from __future__ import annotations

from typing import Any, ClassVar
from urllib.parse import urlsplit

import httpx

from runner.backends.httpbase import (
    BACKOFF_S,
    REQUEST_TIMEOUT_S,
    RETRIES,
    Completion,
    HttpClient,
    ModelInfo,
    integer_field,
    model_key,
)
from runner.errors import (
    BackendError,
    BadResponse,
    ModelNotFound,
    ThinkingUnsupported,
    WrongBackend,
)


def normalize_host(host: str) -> str:
    """``OLLAMA_HOST``-style values (``host``, ``host:port``, URLs) as a base URL.

    A missing scheme means http; a missing port means Ollama's 11434 (443 for https).
    """
    host = host.strip().rstrip("/")
    parts = urlsplit(host if "://" in host else "http://" + host)
    port = parts.port or (443 if parts.scheme == "https" else 11434)
    return f"{parts.scheme}://{parts.hostname}:{port}{parts.path}"


class OllamaClient(HttpClient):
    """One Ollama server, over its native API. Thread-safe (httpx.Client is)."""

    backend: ClassVar[str] = "ollama"

    def __init__(
        self,
        base_url: str,
        timeout_s: float = REQUEST_TIMEOUT_S,
        retries: int = RETRIES,
        backoff_s: float = BACKOFF_S,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(normalize_host(base_url), timeout_s, retries, backoff_s, transport)

    def version(self) -> str:
        """The server's version.

        Raises:
            ServerUnreachable: nothing answers.
            WrongBackend: ``/api/version`` is not found but ``/v1/models`` answers: an
                OpenAI-compatible server, to be given as ``openai+URL``.
        """
        try:
            return str(self._json("GET", "/api/version").get("version", ""))
        except BadResponse as exc:
            if exc.status != 404 or not self._v1():
                raise
            raise WrongBackend(
                f"{self.base_url} answers 404 on /api/version but serves /v1/models: it is an "
                f"OpenAI-compatible server; give the host as openai+{self.base_url}"
            ) from None

    def _v1(self) -> bool:
        """Whether the server answers ``GET /v1/models`` (an OpenAI-compatible one does)."""
        try:
            self._request("GET", "/v1/models")
        except BackendError:
            return False
        return True

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
        return _completion(*self.post_retrying("/api/generate", body, model))

    def _unreachable(self) -> str:
        return (
            f"no Ollama server answers at {self.base_url}: start one with `ollama serve` "
            "(or set OLLAMA_HOST / --host to where it runs)"
        )

    def _classify(self, status: int, message: str, model: str) -> BackendError | None:
        if status == 404 and "not found" in message:
            return ModelNotFound(
                f"{self.base_url} does not have model {model!r} ({message}): "
                f"run `ollama pull {model}` on that host"
            )
        if status == 400 and "does not support thinking" in message:
            return ThinkingUnsupported(
                f"model {model!r} does not support thinking ({message}): drop --think for it, "
                "or set think to false in its per-model options"
            )
        return None


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
    response = data.get("response")
    if not isinstance(response, str):
        raise BadResponse("the /api/generate answer has no 'response' text")
    thinking = data.get("thinking")
    return Completion(
        response=response,
        thinking=thinking if isinstance(thinking, str) else "",
        done_reason=data.get("done_reason") if isinstance(data.get("done_reason"), str) else None,
        eval_count=integer_field(data, "eval_count"),
        prompt_eval_count=integer_field(data, "prompt_eval_count"),
        total_duration_ns=integer_field(data, "total_duration"),
        load_duration_ns=integer_field(data, "load_duration"),
        eval_duration_ns=integer_field(data, "eval_duration"),
        wall_s=wall_s,
        attempts=attempts,
        raw={k: v for k, v in data.items() if k not in ("response", "thinking", "context")},
    )
