"""A scripted fake OpenAI-compatible server: real HTTP/1.1 on 127.0.0.1, stdlib only.

Serves ``GET /v1/models`` and ``POST /v1/chat/completions`` (``stream: false``) the way
llama.cpp's ``llama-server`` and vLLM do (/work/shared/docs/ollama-api.md §10-11): the reasoning
in ``reasoning_content`` or ``reasoning`` as a ChatReply says, ``finish_reason``, ``usage``, and a
``created`` in /v1/models that is the time of the request (as llama.cpp's is). Errors have
OpenAI's shape ``{"error": {"message", "type", "code"}}``; an unknown path FastAPI's
``{"detail": "Not Found"}``. With ``api_key`` set, a request without ``Authorization: Bearer
<key>`` gets 401::

    with FakeOpenAI([ChatModel("smollm2", [ChatReply("def f(): ...")])]) as fake:
        httpx.post(f"{fake.url}/v1/chat/completions", json={"model": "smollm2", ...})
"""

from __future__ import annotations

import json
import socketserver
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit


@dataclass
class ChatReply:
    """One scripted answer to /v1/chat/completions."""

    content: str | None = ""
    reasoning: str | None = None  # absent when None
    reasoning_field: str = "reasoning_content"  # or "reasoning" (vLLM, Ollama, LM Studio)
    finish_reason: str = "stop"  # "stop" | "length"
    delay_s: float = 0.0
    status: int = 200  # non-200: that status with an OpenAI error body saying ``error``
    error: str = "internal error"
    drop: bool = False  # close the connection without any response
    prompt_tokens: int = 17
    completion_tokens: int = 42


@dataclass
class ChatModel:
    name: str
    replies: list[ChatReply]  # consumed in order; the last one repeats
    meta: dict[str, Any] = field(default_factory=lambda: {"n_params": 134_515_008})


def _error(message: str, kind: str, code: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


class FakeOpenAI:
    def __init__(self, models: list[ChatModel], api_key: str | None = None) -> None:
        self.models = {m.name: m for m in models}
        self.api_key = api_key
        self.url = ""
        self._lock = threading.Lock()
        self._requests: list[tuple[str, str, dict | None, dict[str, str]]] = []
        self._next: dict[str, int] = {}
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def requests(self) -> list[tuple[str, str, dict | None, dict[str, str]]]:
        """(method, path, JSON body or None, headers), in arrival order; a copy."""
        with self._lock:
            return list(self._requests)

    def chat_requests(self, model: str | None = None) -> list[dict]:
        """Bodies of /v1/chat/completions calls, only those naming ``model`` when given."""
        return [
            body
            for _, path, body, _ in self.requests
            if path == "/v1/chat/completions" and body is not None
            if model is None or body.get("model") == model
        ]

    def start(self) -> FakeOpenAI:
        self._server = _Server(self)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None or self._thread is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
        self._server = self._thread = None

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _take(self, name: str) -> ChatReply:
        replies = self.models[name].replies
        with self._lock:
            i = self._next.get(name, 0)
            self._next[name] = i + 1
        return replies[min(i, len(replies) - 1)]


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fake: FakeOpenAI) -> None:
        self.fake = fake
        super().__init__(("127.0.0.1", 0), _Handler)

    def server_bind(self) -> None:  # no reverse DNS lookup
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = "127.0.0.1", self.server_address[1]

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def version_string(self) -> str:
        return "fake-openai/1.0"

    def do_GET(self) -> None:
        fake = self.server.fake
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        body, path = (body if isinstance(body, dict) else None), urlsplit(self.path).path
        with fake._lock:
            fake._requests.append((self.command, path, body, dict(self.headers)))
        if fake.api_key and self.headers.get("Authorization") != f"Bearer {fake.api_key}":
            message = "Invalid API Key" if self.headers.get("Authorization") else "No API key"
            return self._send(401, _error(message, "invalid_request_error", "invalid_api_key"))
        if (self.command, path) == ("GET", "/v1/models"):
            return self._send(200, {"object": "list", "data": self._listing()})
        if (self.command, path) != ("POST", "/v1/chat/completions"):
            return self._send(404, {"detail": "Not Found"})
        if body is None or not isinstance(body.get("messages"), list):
            return self._send(400, _error("messages is required", "invalid_request_error"))
        return self._chat(body)

    do_POST = do_GET

    def _listing(self) -> list[dict[str, Any]]:
        now = int(time.time() * 1000)  # changes on every call, as llama.cpp's does
        return [
            {"id": name, "object": "model", "created": now, "owned_by": "fake", "meta": m.meta}
            for name, m in self.server.fake.models.items()
        ]

    def _send(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _chat(self, req: dict[str, Any]) -> None:
        fake, name = self.server.fake, req.get("model")
        if name not in fake.models:
            message = f"The model `{name}` does not exist"
            return self._send(404, _error(message, "invalid_request_error", "model_not_found"))
        reply = fake._take(str(name))
        time.sleep(reply.delay_s)
        if reply.drop:
            self.close_connection = True
            return None
        if reply.status != 200:
            return self._send(reply.status, _error(reply.error, "server_error"))
        message: dict[str, Any] = {"role": "assistant", "content": reply.content}
        if reply.reasoning is not None:
            message[reply.reasoning_field] = reply.reasoning
        usage = {"prompt_tokens": reply.prompt_tokens, "completion_tokens": reply.completion_tokens}
        usage["total_tokens"] = reply.prompt_tokens + reply.completion_tokens
        choice = {"index": 0, "message": message, "finish_reason": reply.finish_reason}
        return self._send(200, {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": name,
            "choices": [choice],
            "usage": usage,
            "timings": {"prompt_ms": 12.5, "predicted_ms": 250.0},
        })  # fmt: skip
