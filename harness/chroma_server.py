"""A real Chroma server (`chroma run`, the CLI the chromadb package installs beside the interpreter) on
127.0.0.1, started for a run, killed and restarted on the same data path by tests and benchmarks: the
`chroma_server` fixtures of tests/conftest.py and `bench.generation_check`."""

import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from harness.llama_server import free_port


def chroma_executable() -> Path:
    """`chroma` from the same environment as this interpreter: no PATH lookup, nothing extra to install."""
    executable = Path(sys.executable).with_name("chroma")
    if not executable.exists():
        raise RuntimeError(f"{executable} not found: install the chromadb package into this environment")
    return executable


class ChromaServer:
    """A `chroma run` process on a free loopback port; `start` returns once its heartbeat answers."""

    def __init__(self, path: Path, port: int | None = None) -> None:
        self.path = path
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None
        self.log = path.with_name(path.name + ".log")

    @property
    def heartbeat_url(self) -> str:
        return f"http://{self.host}:{self.port}/api/v2/heartbeat"

    def start(self, timeout: float = 60.0) -> "ChromaServer":
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [str(chroma_executable()), "run", "--path", str(self.path), "--host", self.host,
                 "--port", str(self.port)],
                stdout=log, stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"chroma run exited during start-up; see {self.log}")
            try:
                with urllib.request.urlopen(self.heartbeat_url, timeout=1):
                    return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"chroma run did not answer its heartbeat within {timeout:.0f} s; see {self.log}")

    def create_database(self, name: str) -> dict:
        """Creates database `name` on the server; returns the settings that select it."""
        import chromadb
        from chromadb.config import Settings as ChromaClientSettings

        admin = chromadb.AdminClient(
            ChromaClientSettings(
                chroma_api_impl="chromadb.api.fastapi.FastAPI",
                chroma_server_host=self.host,
                chroma_server_http_port=self.port,
                anonymized_telemetry=False,
            )
        )
        admin.create_database(name)
        return {"chroma_host": self.host, "chroma_port": self.port, "chroma_database": name}

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)

    def restart(self) -> None:
        """Kill and start again on the same path and port (the data survives)."""
        self.kill()
        self.start()
