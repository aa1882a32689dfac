"""The ways a SQLite file in the data dir gets damaged (a full disk, a copy cut short, another program
writing over it), done to a real file; shared by the store and the CLI tests."""

import os
import random
from pathlib import Path

DAMAGE = ("truncated", "bad-header", "zero-bytes", "garbage")


def damage(path: Path, how: str) -> None:
    """Damage the SQLite file at `path` in one of the `DAMAGE` ways; its journal files go too, as a
    copy of the file alone would leave them."""
    size = path.stat().st_size
    if how == "truncated":
        os.truncate(path, size // 2)
    elif how == "bad-header":
        with path.open("r+b") as file:
            file.write(b"NOT A SQLITE FILE")
    elif how == "zero-bytes":
        path.write_bytes(b"")
    elif how == "garbage":
        path.write_bytes(random.Random(33).randbytes(size))
    else:
        raise ValueError(how)
    for journal in ("-wal", "-shm", "-journal"):
        Path(f"{path}{journal}").unlink(missing_ok=True)
