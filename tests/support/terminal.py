"""A command on a pseudo-terminal, as a person runs it: the program sees a terminal (rich draws and
redraws in place), and the test reads every byte it writes, so every frame it ever drew."""

import codecs
import fcntl
import os
import pty
import re
import struct
import subprocess
import termios
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\r")


def plain(output: str) -> str:
    """What the terminal showed, less its control sequences (colours, cursor moves)."""
    return _ESCAPE.sub("", output)


class Terminal:
    """`argv` on a terminal `columns` wide; `watch` is called with all output so far, as it comes."""

    def __init__(self, argv: Sequence[str], env: dict[str, str], cwd: Path, columns: int = 250,
                 watch: Callable[[str], None] | None = None) -> None:
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
        self._master = master
        self._watch = watch
        self._chunks: list[str] = []
        self._lock = threading.Lock()
        self.process = subprocess.Popen(
            list(argv), stdin=slave, stdout=slave, stderr=slave, cwd=cwd, close_fds=True,
            env={**env, "TERM": "xterm-256color", "COLUMNS": str(columns), "LINES": "50"},
        )
        os.close(slave)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    @property
    def output(self) -> str:
        with self._lock:
            return "".join(self._chunks)

    def type(self, text: str) -> None:
        os.write(self._master, text.encode())

    def wait_for(self, pattern: str, timeout: float = 300.0) -> str:
        """The plain output once it matches `pattern` (a regular expression)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if re.search(pattern, plain(self.output)):
                return plain(self.output)
            if self.process.poll() is not None and not self._reader.is_alive():
                break
            time.sleep(0.05)
        raise AssertionError(f"the terminal never showed {pattern!r}:\n{plain(self.output)[-3000:]}")

    def finish(self, timeout: float = 300.0) -> int:
        returncode = self.process.wait(timeout)
        self._reader.join(10)
        return returncode

    def _read(self) -> None:
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        while True:
            try:
                data = os.read(self._master, 65536)
            except OSError:
                break
            if not data:
                break
            with self._lock:
                self._chunks.append(decoder.decode(data))
            if self._watch is not None:
                self._watch(plain(self.output))
        os.close(self._master)
