"""The SQLite files citebot keeps beside the index (sentence vectors, feeds, refreshed pages) and the
bot keeps in its data dir (answers, votes, digest schedules): each opened one way, in WAL mode so
that readers never wait for a writer, with its tables created."""

import sqlite3
from pathlib import Path


def open_sqlite(path: Path, schema: str, timeout: float = 5.0) -> sqlite3.Connection:
    """`path` (its folder made) in WAL mode, autocommit, shareable between threads (callers hold a
    lock), with `schema` run; a file SQLite cannot read raises `sqlite3.DatabaseError`, closed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, timeout=timeout, check_same_thread=False, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.executescript(schema)
    except sqlite3.DatabaseError:
        db.close()
        raise
    return db
