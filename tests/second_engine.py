"""A second real Docker engine on this machine (``scripts/second-engine.sh``), for the tests.

Its own dockerd, data root, exec root, containerd and sockets under ``/run/cb2-<pid>`` (one per
test session, so parallel sessions never share or stop each other's), reached three ways:
its unix socket, TCP on 127.0.0.1 with TLS, and ssh through Debian's openssh-server on
127.0.0.1 (a client needs ``HOME=home``: its ``.ssh`` holds the key, config and known hosts).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "second-engine.sh"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class SecondEngine:
    dir: Path
    tcp_port: int
    ssh_port: int

    @classmethod
    def make(cls) -> SecondEngine:
        return cls(Path(f"/run/cb2-{os.getpid()}"), free_port(), free_port())

    @property
    def unix(self) -> str:
        return f"unix://{self.dir}/docker.sock"

    @property
    def tcp(self) -> str:
        """The TCP engine as a --sandbox value: TLS verified with the certificates made here."""
        return f"tcp://127.0.0.1:{self.tcp_port}?tls_verify=1&cert_path={self.dir}/tls"

    @property
    def ssh(self) -> str:
        return f"ssh://root@127.0.0.1:{self.ssh_port}"

    @property
    def home(self) -> Path:
        return self.dir / "home"

    def _script(self, *args: str) -> None:
        done = subprocess.run(
            ["bash", str(SCRIPT), *args], capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"second-engine.sh {args[0]} failed: {done.stderr[-2000:]}")

    def start(self) -> None:
        self._script("start", str(self.dir), str(self.tcp_port), str(self.ssh_port))

    def stop(self) -> None:
        self._script("stop", str(self.dir))

    def stop_dockerd(self) -> None:
        """Stop the engine's daemon the way an operator does (SIGTERM); wait until it is gone."""
        pid = int((self.dir / "docker.pid").read_text())
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)
        raise RuntimeError(f"dockerd {pid} did not stop within 60 s")

    def restart_dockerd(self) -> None:
        self._script("restart-dockerd", str(self.dir), str(self.tcp_port))
