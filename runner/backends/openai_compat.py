"""The client for OpenAI-compatible servers: llama.cpp's ``llama-server``, llama-cpp-python,
vLLM, LM Studio (and Ollama's ``/v1``, though chorebench talks to Ollama natively).

Two endpoints: ``GET /v1/models`` for the model list, ``POST /v1/chat/completions`` with
``stream: false`` for one answer. The methods and records are those of ``OllamaClient``, so
collection (``runner.run``) cannot tell the two apart:

* ``models()`` keys by ``model_key`` like Ollama; a model's ``digest`` is a hash of the
  stable fields its ``/v1/models`` entry has (never ``created``, which llama.cpp sets to the
  time of the request), so a resumed run finds its samples again.
* ``generate()`` sends ``temperature``, ``seed`` and ``max_tokens`` (from ``num_predict``);
  ``think`` becomes ``reasoning_effort`` and ``chat_template_kwargs`` (``thinking_fields``).
  The reasoning comes back in ``reasoning_content`` (llama.cpp, DeepSeek style) or
  ``reasoning`` (vLLM, Ollama, LM Studio for gpt-oss); with neither, a leading
  ``<think>...</think>`` block of the content is taken as the reasoning, so a model that
  thought and never answered is caught in the thinking trap whichever server ran it.
  ``finish_reason`` becomes ``done_reason``; ``usage`` gives the token counts.
* An API key, when given, goes in ``Authorization: Bearer``; it never appears in a message.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, ClassVar

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
from runner.errors import BackendError, BadResponse, ModelNotFound, ThinkingUnsupported

API_KEY_VARIABLE = "CHOREBENCH_OPENAI_API_KEY"
# The fields of a /v1/models entry that describe the model itself (llama.cpp's ``meta``,
# vLLM's ``root``); ``created`` and load status change from one listing to the next.
STABLE_FIELDS = ("id", "owned_by", "meta", "root", "parent", "max_model_len")


def server_root(url: str) -> str:
    """The server's root URL: ``http://h:8080``, ``http://h:8080/`` and ``http://h:8080/v1``
    are one server (the client adds ``/v1/...`` itself)."""
    url = url.strip().rstrip("/")
    return url.removesuffix("/v1")


def thinking_fields(think: bool | str | None) -> dict[str, Any]:
    """The request fields that carry chorebench's ``think`` to an OpenAI-compatible server.

    None sends nothing (the server's default). False asks every way servers understand:
    ``reasoning_effort: "none"`` (llama.cpp, vLLM, Ollama) and the chat template's
    ``enable_thinking: false`` (Qwen3-style templates on llama.cpp and vLLM); servers that do
    not know a field ignore it. True sets ``enable_thinking: true``; a level (low, medium,
    high, max) is sent as ``reasoning_effort``.
    """
    if think is None:
        return {}
    if think is False:
        return {"reasoning_effort": "none", "chat_template_kwargs": {"enable_thinking": False}}
    if think is True:
        return {"chat_template_kwargs": {"enable_thinking": True}}
    return {"reasoning_effort": think}


class OpenAIClient(HttpClient):
    """One OpenAI-compatible server. Thread-safe (httpx.Client is)."""

    backend: ClassVar[str] = "openai"

    def __init__(
        self,
        base_url: str,
        timeout_s: float = REQUEST_TIMEOUT_S,
        retries: int = RETRIES,
        backoff_s: float = BACKOFF_S,
        transport: httpx.BaseTransport | None = None,
        api_key: str | None = None,
    ) -> None:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else None
        super().__init__(server_root(base_url), timeout_s, retries, backoff_s, transport, headers)
        self._has_key = bool(api_key)

    def version(self) -> str:
        """What the server says it is (its ``Server`` header; there is no version endpoint
        common to these servers). Raises ServerUnreachable when nothing answers."""
        response = self._request("GET", "/v1/models")
        return response.headers.get("server", "")

    def models(self) -> dict[str, ModelInfo]:
        """Every model ``/v1/models`` lists, keyed by ``model_key`` of its id."""
        listed = self._json("GET", "/v1/models").get("data") or []
        found = {}
        for item in listed:
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                found[model_key(item["id"])] = _model_info(item)
        return found

    def show(self, model: str) -> ModelInfo:
        """The model's entry in ``/v1/models`` (there is no richer endpoint in common).

        Raises:
            ModelNotFound: the server does not list it.
        """
        info = self.models().get(model_key(model))
        if info is None:
            raise ModelNotFound(self._missing(model, "not in /v1/models"))
        return info

    def loaded(self) -> dict[str, dict[str, Any]]:
        """Nothing: resident sizes are not part of the OpenAI API."""
        return {}

    def generate(
        self,
        model: str,
        prompt: str,
        options: dict[str, Any],
        think: bool | str | None = None,
        keep_alive: str = "30m",
    ) -> Completion:
        """One non-streamed chat completion of ``prompt`` as a user message, retried on
        transient errors. ``options`` holds chorebench's ``temperature``, ``seed`` and
        ``num_predict``; ``keep_alive`` is Ollama's and is not sent.

        Raises:
            ModelNotFound, ThinkingUnsupported, BadResponse: not worth retrying.
            TransientError: still failing after the retries.
            ServerUnreachable: nothing answers at the URL.
        """
        body: dict[str, Any] = {
            "model": model,
            "messages": [{"role": "user", "content": prompt}],
            "stream": False,
        }
        for ours, theirs in (("temperature", "temperature"), ("seed", "seed")):
            if options.get(ours) is not None:
                body[theirs] = options[ours]
        if options.get("num_predict") is not None:
            body["max_tokens"] = options["num_predict"]
        body.update(thinking_fields(think))
        return _completion(*self.post_retrying("/v1/chat/completions", body, model))

    def pull_hint(self, model: str) -> str:
        """Models are loaded when such a server starts: say so."""
        return f"load {model} in the OpenAI-compatible server (its /v1/models lists what it has)"

    def _missing(self, model: str, message: str) -> str:
        return f"{self.base_url} does not serve model {model!r} ({message}): " + self.pull_hint(
            model
        )

    def _unreachable(self) -> str:
        return (
            f"no OpenAI-compatible server answers at {self.base_url}: start it (for example "
            "`python -m llama_cpp.server --model M.gguf --port 8080`, `llama-server`, "
            "`vllm serve`), or fix --host"
        )

    def _classify(self, status: int, message: str, model: str) -> BackendError | None:
        if status in (401, 403):
            said = "refused the key in" if self._has_key else "wants an API key: set"
            return BadResponse(
                f"{self.base_url}: HTTP {status}: {message}: it {said} {API_KEY_VARIABLE}"
            )
        if status == 404 and model:
            return ModelNotFound(self._missing(model, message))
        if status == 404:
            return BadResponse(
                f"{self.base_url}: HTTP 404 on /v1/models ({message}): is it an OpenAI-compatible "
                "server? Give its root URL, e.g. openai+http://127.0.0.1:8080"
            )
        if status == 400 and "does not support thinking" in message:
            return ThinkingUnsupported(
                f"model {model!r} does not support thinking ({message}): drop --think for it, "
                "or set think to false in its per-model options"
            )
        return None


def _model_info(item: dict[str, Any]) -> ModelInfo:
    stable = {key: item[key] for key in STABLE_FIELDS if key in item}
    digest = hashlib.sha256(json.dumps(stable, sort_keys=True).encode()).hexdigest()
    meta = item.get("meta") if isinstance(item.get("meta"), dict) else {}
    params = integer_field(meta, "n_params")
    return ModelInfo(
        name=item["id"],
        digest=digest,
        size=integer_field(meta, "size") or 0,
        parameter_size=_short(params) if params else "",
    )


def _short(count: int) -> str:
    """135_000_000 -> ``135M``, the way Ollama writes parameter sizes."""
    for scale, suffix in ((10**12, "T"), (10**9, "B"), (10**6, "M"), (10**3, "K")):
        if count >= scale:
            return f"{count / scale:.3g}{suffix}"
    return str(count)


def _completion(data: dict[str, Any], wall_s: float, attempts: int) -> Completion:
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise BadResponse("the /v1/chat/completions answer has no choices")
    choice = choices[0]
    message = choice.get("message") if isinstance(choice.get("message"), dict) else {}
    content = message.get("content")
    if content is not None and not isinstance(content, str):
        raise BadResponse("the /v1/chat/completions answer's content is not text")
    response, thinking = content or "", ""
    for name in ("reasoning_content", "reasoning"):
        if isinstance(message.get(name), str) and message[name]:
            thinking = message[name]
            break
    else:
        response, thinking = split_think_block(response)
    usage = data.get("usage") if isinstance(data.get("usage"), dict) else {}
    timings = data.get("timings") if isinstance(data.get("timings"), dict) else {}
    predicted_ms = timings.get("predicted_ms")
    finish = choice.get("finish_reason")
    return Completion(
        response=response,
        thinking=thinking,
        done_reason=finish if isinstance(finish, str) else None,
        eval_count=integer_field(usage, "completion_tokens"),
        prompt_eval_count=integer_field(usage, "prompt_tokens"),
        total_duration_ns=None,
        load_duration_ns=None,
        eval_duration_ns=(
            round(predicted_ms * 1e6) if isinstance(predicted_ms, int | float) else None
        ),
        wall_s=wall_s,
        attempts=attempts,
        raw={key: value for key, value in data.items() if key != "choices"},
    )


def split_think_block(content: str) -> tuple[str, str]:
    """``(response, thinking)`` from content that opens with a ``<think>`` block.

    Servers without a reasoning parser leave the block in the content. An unclosed block (the
    budget ran out while thinking) is all thinking. Other content is returned as it is.
    """
    stripped = content.lstrip()
    if not stripped.startswith("<think>"):
        return content, ""
    inner = stripped.removeprefix("<think>")
    thinking, closed, rest = inner.partition("</think>")
    return (rest.lstrip("\n") if closed else ""), thinking.strip()
