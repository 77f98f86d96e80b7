"""A scripted fake Ollama: a real HTTP/1.1 server on 127.0.0.1 speaking the native API.

Serves ``/``, ``/api/version``, ``/api/tags``, ``/api/show``, ``/api/generate`` and ``/api/ps`` as
/work/shared/docs/ollama-api.md describes them: zero values absent (Go ``omitempty``), durations in
integer ns, errors as ``{"error": ...}``, chunked NDJSON unless ``stream: false``. A generate with
an empty prompt only loads the model (``"unload"`` with ``keep_alive: 0``) and takes no Reply.
``set_down(True)`` is a host going away: the port stays bound but every connection (kept-alive
ones too) is closed without a response, and replies still in their delay are dropped.
``stop()`` also interrupts delays; ``start()`` after it serves again on a new port. Stdlib only::

    with FakeOllama([FakeModel("qwen3:8b", [Reply("def f(): ...")])]) as fake:
        httpx.post(f"{fake.url}/api/generate", json={"model": "qwen3:8b", ...})
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import socket
import socketserver
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

THINK_LEVELS = ("low", "medium", "high", "max")
BAD_THINK = 'invalid think value: {} (must be "high", "medium", "low", "max", true, or false)'
MODIFIED_AT = "2026-07-01T12:00:00.000000Z"
JSON_TYPE = "application/json; charset=utf-8"


@dataclass
class Reply:
    """One scripted answer to /api/generate."""

    response: str = ""
    thinking: str | None = None  # absent from the JSON when None (or "", as omitempty does)
    done_reason: str = "stop"  # "stop" | "length"
    delay_s: float = 0.0  # sleep before answering (a slow model)
    status: int = 200  # non-200: that status with body {"error": error}
    error: str = "internal error"
    malformed: bool = False  # a 200 whose body is not JSON
    drop: bool = False  # close the connection without any response
    eval_count: int = 42  # 0: the field is absent
    prompt_eval_count: int = 17  # 0: the field is absent


@dataclass
class FakeModel:
    name: str  # "gemma4" is served as "gemma4:latest"
    replies: list[Reply]  # consumed in order; the last one repeats
    size: int = 5_000_000_000  # bytes on disk
    family: str = "qwen3"
    parameter_size: str = "8.2B"
    quantization_level: str = "Q4_K_M"
    capabilities: tuple[str, ...] = ("completion",)  # add "thinking" for thinking models
    digest: str = ""  # default: sha256 hex of the full name ("gemma4:latest")
    context_length: int = 40960  # trained context: /api/tags details, /api/show model_info
    parameters: str = "temperature 0.7\ntop_k 20\ntop_p 0.8"  # /api/show "parameters"
    # Replies for prompts that contain a key, each list consumed in order like ``replies``,
    # which still answers every other prompt.
    by_prompt: dict[str, list[Reply]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.replies:
            raise ValueError(f"{self.name}: at least one Reply is needed")
        self.digest = self.digest or hashlib.sha256(full_name(self.name).encode()).hexdigest()


def full_name(name: str) -> str:
    """Ollama's model-name rule: the tag defaults to ``latest``."""
    return name if ":" in name.rsplit("/", 1)[-1] else f"{name}:latest"


def _now(minutes: int = 0) -> str:
    return (datetime.now(UTC) + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _param_count(parameter_size: str) -> int:  # "8.2B" -> 8_200_000_000; unparsable -> 0
    scale = {"K": 10**3, "M": 10**6, "B": 10**9, "T": 10**12}.get(parameter_size[-1:].upper(), 0)
    return round(float(parameter_size[:-1] or 0) * scale) if scale else 0


def _listing(name: str, m: FakeModel, **details: Any) -> dict[str, Any]:
    """The model entry of /api/tags and /api/ps."""
    info = {"parent_model": "", "format": "gguf", "family": m.family, "families": [m.family]}
    info |= {"parameter_size": m.parameter_size, "quantization_level": m.quantization_level}
    entry = {"name": name, "model": name, "size": m.size, "digest": m.digest}
    return entry | {"details": info | details}


def _compact(obj: dict[str, Any]) -> dict[str, Any]:
    """Go's omitempty: zero values are absent (``response`` and ``done`` never are)."""
    return {k: v for k, v in obj.items() if v or k in ("response", "done")}


def _halves(text: str | None) -> list[str]:
    text = text or ""
    return [part for part in (text[: len(text) // 2], text[len(text) // 2 :]) if part]


def _hang_up(conn: socket.socket) -> None:
    with contextlib.suppress(OSError):
        conn.shutdown(socket.SHUT_RDWR)


class FakeOllama:
    def __init__(self, models: list[FakeModel], version: str = "0.33.0") -> None:
        self.models = {full_name(m.name): m for m in models}
        self.version = version
        self.url = ""
        self._down = False  # see set_down()
        self._lock = threading.Lock()  # guards the four below
        self._requests: list[tuple[str, str, dict | None]] = []
        self._next: dict[tuple[str, str], int] = {}  # index of the next Reply, per prompt key
        self._loaded: dict[str, str] = {}  # full name -> expires_at
        self._conns: dict[socket.socket, threading.Thread] = {}  # open connections
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def requests(self) -> list[tuple[str, str, dict | None]]:
        """(method, path, JSON object body or None), in arrival order; a copy."""
        with self._lock:
            return list(self._requests)

    def generate_requests(self, model: str | None = None) -> list[dict]:
        """Bodies of /api/generate calls; only those naming ``model`` when given (tag-aware)."""
        bodies = [b for _, path, b in self.requests if path == "/api/generate" and b is not None]
        wanted = model and full_name(model)
        return [b for b in bodies if not wanted or full_name(str(b.get("model"))) == wanted]

    def start(self) -> FakeOllama:
        self._stopping.clear()
        self._server = _Server(self)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        serve = self._server.serve_forever
        self._thread = threading.Thread(target=serve, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Shut down, hang up open connections and join every thread. Idempotent."""
        if self._server is None or self._thread is None:
            return
        with self._lock:
            self._stopping.set()
            conns = dict(self._conns)
        self._server.shutdown()
        for conn, thread in conns.items():
            _hang_up(conn)
            thread.join(timeout=10)
        self._server.server_close()
        self._thread.join()
        self._server = self._thread = None

    def __enter__(self) -> FakeOllama:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def set_down(self, down: bool) -> None:
        """While down, every request has its connection closed without a response."""
        self._down = down

    def _track(self, conn: socket.socket, is_open: bool) -> None:
        with self._lock:
            if not is_open:
                self._conns.pop(conn, None)
            elif self._stopping.is_set():  # accepted while stop() ran: refuse it
                _hang_up(conn)
            else:
                self._conns[conn] = threading.current_thread()

    def _take_reply(self, name: str, prompt: str) -> tuple[Reply, bool]:
        """The model's next Reply for ``prompt``, and whether the model has to be loaded."""
        model = self.models[name]
        key = next((k for k in model.by_prompt if k in prompt), "")
        replies = model.by_prompt[key] if key else model.replies
        with self._lock:
            i = self._next.get((name, key), 0)
            self._next[(name, key)] = i + 1
            return replies[min(i, len(replies) - 1)], name not in self._loaded

    def _set_loaded(self, name: str, loaded: bool) -> None:
        with self._lock:
            self._loaded.pop(name, None)
            if loaded:
                self._loaded[name] = _now(minutes=5)  # the default keep_alive

    def _ps(self) -> list[dict[str, Any]]:
        with self._lock:
            loaded = sorted(self._loaded.items(), key=lambda item: item[1], reverse=True)
        models = []
        for name, expires_at in loaded:  # resident size: weights + KV cache + buffers
            resident = {"size": int(self.models[name].size * 1.2), "expires_at": expires_at}
            resident |= {"size_vram": resident["size"], "context_length": 4096}
            models.append(_listing(name, self.models[name]) | resident)
        return models


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fake: FakeOllama) -> None:
        self.fake = fake
        super().__init__(("127.0.0.1", 0), _Handler)

    def server_bind(self) -> None:  # skips HTTPServer's getfqdn(), a reverse DNS lookup
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = "127.0.0.1", self.server_address[1]

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], OSError):  # OSError: the client went away
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: every response has a length or is chunked
    disable_nagle_algorithm = True  # no 40 ms delayed-ACK stall between headers and body
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.fake._track(self.connection, is_open=True)

    def finish(self) -> None:
        self.server.fake._track(self.connection, is_open=False)
        super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet

    def do_GET(self) -> None:
        fake, started = self.server.fake, time.monotonic_ns()
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if fake._down or fake._stopping.is_set():
            self.close_connection = True  # hang up without a response
            return
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        body, path = (body if isinstance(body, dict) else None), urlsplit(self.path).path
        with fake._lock:
            fake._requests.append((self.command, path, body))
        route = ("GET" if self.command == "HEAD" else self.command, path)
        if route == ("GET", "/"):
            self._send(200, b"Ollama is running", "text/plain; charset=utf-8")
        elif route == ("GET", "/api/version"):
            self._send(200, {"version": fake.version})
        elif route == ("GET", "/api/tags"):
            tags = [
                _listing(name, m, context_length=m.context_length)
                | {"modified_at": MODIFIED_AT, "capabilities": list(m.capabilities)}
                for name, m in fake.models.items()
            ]
            self._send(200, {"models": tags})
        elif route == ("GET", "/api/ps"):
            self._send(200, {"models": fake._ps()})
        elif route not in (("POST", "/api/show"), ("POST", "/api/generate")):
            self._send(404, {"error": "not found"})
        elif body is None:
            self._send(400, {"error": "invalid request" if raw else "missing request body"})
        elif path == "/api/show":
            self._show(body)
        else:
            self._generate(body, started)

    do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_GET

    def _send(self, status: int, body: dict | bytes, content_type: str = JSON_TYPE) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _show(self, req: dict[str, Any]) -> None:
        name = req.get("model") or req.get("name")  # "name": the deprecated alias
        if not isinstance(name, str):
            return self._send(400, {"error": "model is required"})
        if (model := self.server.fake.models.get(full_name(name))) is None:
            return self._send(404, {"error": f"model '{name}' not found"})
        info = {"general.architecture": model.family}
        info["general.parameter_count"] = _param_count(model.parameter_size)
        info[f"{model.family}.context_length"] = model.context_length
        return self._send(200, {
            "modelfile": f'# Modelfile generated by "ollama show"\nFROM {full_name(name)}\n',
            "parameters": model.parameters,
            "template": "{{ .Prompt }}",
            "details": _listing(name, model)["details"],
            "model_info": info,
            "capabilities": list(model.capabilities),
            "modified_at": MODIFIED_AT,
        })  # fmt: skip

    def _generate(self, req: dict[str, Any], started: int) -> None:
        fake, name, think = self.server.fake, req.get("model"), req.get("think")
        if think is not None and not isinstance(think, bool) and think not in THINK_LEVELS:
            return self._send(400, {"error": BAD_THINK.format(json.dumps(think))})
        if not isinstance(name, str) or not name:
            return self._send(400, {"error": "model is required"})
        if (model := fake.models.get(full_name(name))) is None:
            return self._send(404, {"error": f"model '{name}' not found"})
        if think not in (None, False) and "thinking" not in model.capabilities:
            return self._send(400, {"error": f'"{name}" does not support thinking'})
        head = {"model": name, "created_at": _now(), "response": ""}
        if not req.get("prompt") and not req.get("images"):
            unload = req.get("keep_alive") in (0, "0", "0s")
            fake._set_loaded(full_name(name), not unload)
            return self._send(200, head | {"done": True, "done_reason": ("load", "unload")[unload]})
        reply, loading = fake._take_reply(full_name(name), str(req.get("prompt")))
        if fake._stopping.wait(reply.delay_s) or reply.drop or fake._down:
            self.close_connection = True  # hang up without a response
            return None
        if reply.status != 200:
            return self._send(reply.status, {"error": reply.error})
        if reply.malformed:
            return self._send(200, b'{"model": "' + name.encode() + b'", "respo')
        fake._set_loaded(full_name(name), True)
        total = max(time.monotonic_ns() - started, 1000)
        load = total // 4 if loading else 0
        prompt = (total - load) // 10
        final = head | {"done": True, "done_reason": reply.done_reason, "total_duration": total}
        final |= {"load_duration": load, "prompt_eval_count": reply.prompt_eval_count}
        final |= {"prompt_eval_duration": prompt, "eval_count": reply.eval_count}
        final |= {"eval_duration": total - load - prompt}
        if req.get("stream") is False:
            text = {"response": reply.response, "thinking": reply.thinking}
            return self._send(200, _compact(final | text))
        pieces = [("thinking", reply.thinking), ("response", reply.response)]
        chunks = [
            head | {key: part, "done": False} for key, text in pieces for part in _halves(text)
        ]
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for chunk in [*chunks, final]:
            line = json.dumps(_compact(chunk)).encode() + b"\n"
            self.wfile.write(b"%X\r\n%s\r\n" % (len(line), line))
        self.wfile.write(b"0\r\n\r\n")
        return None
