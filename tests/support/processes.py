"""The local model's worker processes, seen from outside as an operator sees them (/proc): found by
their command line, killed with real signals, and caught in the middle of an answer by the CPU time
they spend, whatever the front end shows meanwhile."""

import os
import signal
import threading
import time
from pathlib import Path

WORKER_MODULE = "retrieval.generation.llama_worker"


def _parent_and_command(pid: int) -> tuple[int, str] | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1]), command


def workers(parent: int | None = None) -> set[int]:
    """Pids of the live worker processes (of `parent` only, when given)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (seen := _parent_and_command(int(entry.name))) is not None:
            ppid, command = seen
            if WORKER_MODULE in command and (parent is None or ppid == parent) and not _is_zombie(int(entry.name)):
                found.add(int(entry.name))
    return found


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_for_new_worker(before: set[int], parent: int | None = None, timeout: float = 120.0) -> int:
    """The pid of a worker that was not among `before`, once it exists."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        new = workers(parent) - before
        if new:
            return min(new)
        time.sleep(0.02)
    raise AssertionError("no new worker process started")


class SignalWhenBusy:
    """Sends `signum` to `pid` once it has spent `busy_seconds` of CPU beyond what it had spent when
    this was made: an idle worker spends none, so it is then in the middle of a question's prompt or
    answer. `fired` tells whether the signal was sent."""

    def __init__(self, pid: int, signum: int = signal.SIGKILL, busy_seconds: float = 0.3, timeout: float = 300.0) -> None:
        self.pid = pid
        self.fired = threading.Event()
        self._signum = signum
        self._baseline = cpu_seconds(pid)
        self._busy = busy_seconds
        self._deadline = time.monotonic() + timeout
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while time.monotonic() < self._deadline:
            try:
                if cpu_seconds(self.pid) - self._baseline >= self._busy:
                    os.kill(self.pid, self._signum)
                    self.fired.set()
                    return
            except (OSError, ProcessLookupError):
                return
            time.sleep(0.01)

    def join(self, timeout: float = 10.0) -> None:
        self._thread.join(timeout)
