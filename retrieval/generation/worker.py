"""The bot's side of the local model's process (`retrieval.generation.llama_worker` is the other).

`LlamaWorker` is one child process and the thread that reads its replies. It never raises anything
but `LLMError`, and its messages say what happened in words a user can act on: the model stopped
(crashed, killed, out of memory), it failed its self-check, it did not start in time.
"""

import asyncio
import collections
import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from retrieval.generation.errors import LLMError

log = logging.getLogger(__name__)

Reply = dict[str, Any]
"""One line the worker wrote, decoded; `{"stopped": REASON}` when the worker has gone."""

REBUILD = "make local-llm (README: \"The local model on any CPU\")"


@dataclass(frozen=True)
class WorkerConfig:
    """What the worker loads: the first line it reads."""

    model: str
    n_ctx: int
    threads: int
    chat_format: str | None


def how_it_ended(returncode: int | None) -> str:
    """A process's end in words: "crashed: SIGSEGV", "killed: SIGKILL", "exit code 1"."""
    if returncode is None:
        return "still running"
    if returncode >= 0:
        return f"exit code {returncode}"
    try:
        name = signal.Signals(-returncode).name
    except ValueError:
        name = f"signal {-returncode}"
    return f"killed: {name}" if -returncode in (signal.SIGKILL, signal.SIGTERM) else f"crashed: {name}"


def _crash_advice(returncode: int | None) -> str:
    """What to do when the self-check died of a signal that a build unfit for this CPU causes."""
    if returncode is None or returncode >= 0:
        return ""
    if -returncode == signal.SIGILL:
        return f"; llama.cpp was built for another CPU: rebuild it on this one with {REBUILD}"
    if -returncode in (signal.SIGSEGV, signal.SIGBUS):
        return f"; llama.cpp crashes in its kernels for this CPU (AMX?): rebuild it without AMX with {REBUILD}"
    return ""


def _chat_failure(message: str) -> str:
    if "exceed context window" in message:
        return "the prompt exceeds the model's context window; lower TOP_K or raise LLM_CONTEXT_WINDOW"
    return f"llama.cpp failed: {message[:200]}"


class LlamaWorker:
    """One worker process: started (model loaded and self-checked) by `start`, then shared by every
    question until it stops; `alive` tells whether it still can answer."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self._process = process
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._sinks: dict[int, Callable[[Reply], None]] = {}
        self._next_id = 0
        self._stopped = ""
        self._killed = False
        self._first: collections.deque[Reply] = collections.deque()
        self._first_line = threading.Event()
        self.stderr_tail: collections.deque[str] = collections.deque(maxlen=20)
        threading.Thread(target=self._read_replies, name="llama-worker-replies", daemon=True).start()
        threading.Thread(target=self._read_stderr, name="llama-worker-stderr", daemon=True).start()

    @classmethod
    def start(cls, config: WorkerConfig, timeout: float) -> "LlamaWorker":
        """A worker whose model loaded and passed its self-check; raises `LLMError` saying why not."""
        process = subprocess.Popen(
            [sys.executable, "-m", "retrieval.generation.llama_worker"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, encoding="utf-8", bufsize=1, start_new_session=True,
        )
        worker = cls(process)
        with contextlib.suppress(LLMError):  # it died at once: what it died of is read below
            worker._send(asdict(config))
        if not worker._first_line.wait(timeout):
            worker.kill()
            raise LLMError(f"the local model did not load within {timeout:g} s")
        first = worker._first[0]
        if first.get("ready"):
            return worker
        worker.kill()
        if "error" in first:
            raise LLMError(str(first["error"]))
        returncode = process.poll()
        raise LLMError(
            f"the local model failed its self-check ({how_it_ended(returncode)}){_crash_advice(returncode)}"
        )

    @property
    def pid(self) -> int:
        return self._process.pid

    @property
    def alive(self) -> bool:
        with self._lock:
            return not self._stopped and self._process.poll() is None

    def kill(self) -> None:
        """End the process now (a hung model, or shutting down); its pending requests are told so."""
        self._killed = True
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()

    def count_tokens(self, text: str, timeout: float) -> int:
        replies: collections.deque[Reply] = collections.deque()
        arrived = threading.Event()

        def sink(reply: Reply) -> None:
            replies.append(reply)
            arrived.set()

        request_id = self._open(sink)
        try:
            self._send({"op": "tokenize", "id": request_id, "text": text})
            if not arrived.wait(timeout):
                raise LLMError(f"the local model did not count tokens within {timeout:g} s")
        finally:
            self._close(request_id)
        reply = replies[0]
        if "stopped" in reply:
            raise LLMError(str(reply["stopped"]))
        return int(reply["tokens"])

    async def chat(self, messages: Sequence[dict[str, str]], max_tokens: int, temperature: float) -> AsyncIterator[str]:
        """Text deltas of the model's reply. Closing the iterator early (a timeout, a reader gone)
        ends the worker (`_abandon`)."""
        loop = asyncio.get_running_loop()
        replies: asyncio.Queue[Reply] = asyncio.Queue()

        def sink(reply: Reply) -> None:
            with contextlib.suppress(RuntimeError):  # the asking loop has closed
                loop.call_soon_threadsafe(replies.put_nowait, reply)

        request_id = self._open(sink)
        finished = False
        try:
            self._send({"op": "chat", "id": request_id, "messages": list(messages), "max_tokens": max_tokens,
                        "temperature": temperature})
            while True:
                reply = await replies.get()
                if "delta" in reply:
                    yield str(reply["delta"])
                    continue
                finished = True
                if "stopped" in reply:
                    raise LLMError(str(reply["stopped"]))
                if "error" in reply:
                    raise LLMError(_chat_failure(str(reply["error"])))
                return
        finally:
            if not finished:
                self._abandon(request_id)
            else:
                self._close(request_id)

    # Internals --------------------------------------------------------------------------------

    def _open(self, sink: Callable[[Reply], None]) -> int:
        with self._lock:
            if self._stopped:
                raise LLMError(self._stopped)
            self._next_id += 1
            self._sinks[self._next_id] = sink
            return self._next_id

    def _close(self, request_id: int) -> None:
        with self._lock:
            self._sinks.pop(request_id, None)

    def _abandon(self, request_id: int) -> None:
        """A chat whose asker stopped reading (its LLM_TIMEOUT passed, or it went away) ends the
        worker: the model is slow or hung, and a fresh worker serves the next question at once
        instead of after the rest of this generation."""
        self._close(request_id)
        if self.alive:
            log.info("stopping the local model: a chat was abandoned before it finished")
            self.kill()

    def _send(self, message: dict[str, Any]) -> None:
        stdin = self._process.stdin
        assert stdin is not None
        try:
            with self._write_lock:
                stdin.write(json.dumps(message, ensure_ascii=False) + "\n")
                stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            raise LLMError(self._stopped or "the local model stopped") from None

    def _read_replies(self) -> None:
        stdout = self._process.stdout
        assert stdout is not None
        for line in stdout:
            try:
                reply = json.loads(line)
            except json.JSONDecodeError:
                continue
            if not self._first_line.is_set():
                self._first.append(reply)
                self._first_line.set()
                continue
            with self._lock:
                sink = self._sinks.get(int(reply.get("id", -1)))
            if sink is not None:
                sink(reply)
        self._ended()

    def _ended(self) -> None:
        """The worker closed its output: it exited or was killed. Every waiting request hears why."""
        returncode = self._process.wait()
        reason = f"the local model stopped ({how_it_ended(returncode)})"
        starting = not self._first_line.is_set()
        if starting:  # `start` raises the reason
            self._first.append({"stopped": reason})
            self._first_line.set()
        with self._lock:
            self._stopped = reason
            sinks = list(self._sinks.values())
        if not starting and not self._killed:
            # Each question it was answering says why in its answer; the operator's log keeps the rest.
            log.info("%s%s", reason, f"; its last lines: {' | '.join(self.stderr_tail)}" if self.stderr_tail else "")
        for sink in sinks:
            sink({"stopped": reason})

    def _read_stderr(self) -> None:
        stderr = self._process.stderr
        assert stderr is not None
        for line in stderr:
            if line.strip():
                self.stderr_tail.append(line.rstrip())


def physical_cores() -> int:
    """CPU cores this process may use, counting each physical core once.

    llama.cpp's own default is half the logical CPUs, which on a 2-core machine without SMT is one
    thread, half the speed. Hyper-threads add little to matrix work, so they are not counted.
    """
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8")
    except OSError:
        return usable
    cores = set()
    physical = core = ""
    for line in cpuinfo.splitlines() + [""]:
        key, _, value = line.partition(":")
        key = key.strip()
        if key == "physical id":
            physical = value.strip()
        elif key == "core id":
            core = value.strip()
        elif not line.strip() and core:
            cores.add((physical, core))
            physical = core = ""
    return max(1, min(usable, len(cores) or usable))
