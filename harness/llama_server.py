"""A real llama.cpp OpenAI-compatible server (`python -m llama_cpp.server`) on 127.0.0.1, started for a
run and stopped by tests and benchmarks (the `llama_server` fixtures of tests/conftest.py and
`bench.llm_backends`; needs the `llamacpp` extra), and `free_port`, a free loopback port for any server
a test or benchmark starts."""

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LlamaServer:
    """A server process on a free loopback port; the constructor returns once it answers."""

    def __init__(
        self, model: Path, n_ctx: int = 2048, api_key: str = "local", threads: int = 2,
        chat_format: str | None = "gemma",
    ) -> None:
        """`chat_format` None: the chat template stored in the GGUF file."""
        self.api_key = api_key
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/v1"
        template = ["--chat_format", chat_format] if chat_format else []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1",
             "--port", str(self.port), "--n_ctx", str(n_ctx), *template,
             "--api_key", api_key, "--n_threads", str(threads), "--n_threads_batch", str(threads)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        self._wait_ready()

    def _wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("llama_cpp.server exited during start-up")
            try:
                request = urllib.request.Request(f"{self.url}/models", headers={"Authorization": f"Bearer {self.api_key}"})
                with urllib.request.urlopen(request, timeout=1):
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.2)
        raise RuntimeError("llama_cpp.server did not become ready")

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=30)
