"""Every stored sentence vector, in a SQLite file beside the index (`SentenceVectorTable` says why
not in Chroma): written and deleted with its version's chunks, and set aside and refilled when the
file is damaged, because it is derived data."""

import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TypeVar

import numpy as np
from filelock import FileLock

from retrieval.index.sentence_vectors import DocumentVersion, SentenceKey
from retrieval.index.sqlite_file import open_sqlite
from retrieval.models.records import DocumentRecord

log = logging.getLogger(__name__)

_R = TypeVar("_R")


SENTENCES_FILE = "sentences.sqlite3"


DAMAGED_SUFFIX = ".damaged"
"""A damaged sentence-vector file is kept under its name plus this, for a look, until the next one."""


class SentenceVectorTable:
    """Every sentence's vector (`sentence_vectors.py`), one row per sentence of each version in a
    SQLite file beside the index, found by version and span and deleted by version.

    Not in Chroma: a collection indexes every vector in an HNSW graph, which Chroma loads whole into
    memory on the first read. At 100k chunks (669k sentences) that added 1.3 GB to a bot's peak RSS
    (docs/benchmarks.md). A row here is read only when its sentence is a candidate. The file is
    written between a version's begin and commit and cleaned with its chunks, so recovery and removal
    treat it as part of the version; SQLite serialises the processes that share a data dir. With a
    Chroma server, processes on other data dirs have no file of this one's: their ranker embeds the
    sentences it needs when a question comes, as it does for any sentence without a stored vector.

    The vectors are derived data, so a damaged file (truncated, overwritten, emptied) must cost
    speed, never a command: when SQLite finds it damaged, on opening or on any later statement, it
    is moved aside (`DAMAGED_SUFFIX`) with a warning and an empty table takes its place. The ranker
    embeds the sentences it lacks meanwhile, and the next ingest of a document stores them again
    (`has_version`).
    """

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._path = path
        # Processes sharing the data dir open the file, and set a damaged one aside, one at a time.
        self._file_lock = FileLock(f"{path}.lock")
        # One connection, shared by the service's worker threads under a lock.
        self._lock = threading.Lock()
        self._db, self._inode = self._open(damage=None, found_in=None)

    def _open(self, damage: str | None, found_in: int | None) -> tuple[sqlite3.Connection, int]:
        """A connection to the file, with the tables in it, and the file's inode.

        Set aside first: the file `damage` was found in (inode `found_in`), unless another process
        has replaced it meanwhile; a zero-byte file, which SQLite would take for an empty database
        (its rows lost without a word); and a file SQLite finds damaged when opening it."""
        with self._file_lock:
            if damage is not None and _inode(self._path) == found_in:
                self._set_aside(damage)
            elif self._path.exists() and self._path.stat().st_size == 0:
                self._set_aside("the file is empty")
            try:
                db = _connect(self._path)
            except sqlite3.DatabaseError as exc:
                if not sqlite_file_damaged(exc):
                    raise
                self._set_aside(str(exc))
                db = _connect(self._path)
            return db, self._path.stat().st_ino

    def _set_aside(self, damage: str) -> None:
        """Move the damaged file out of the way (replacing one set aside before) and drop its journal."""
        aside = self._path.with_name(self._path.name + DAMAGED_SUFFIX)
        os.replace(self._path, aside)
        for journal in ("-wal", "-shm"):
            Path(f"{self._path}{journal}").unlink(missing_ok=True)
        log.warning(
            "%s was damaged (%s): moved to %s and started empty; answers stay correct, and each "
            "document's sentence vectors are stored again when it is next ingested (`citebot ingest`)",
            self._path, damage, aside.name,
        )

    def _run(self, statements: Callable[[sqlite3.Connection], _R]) -> _R:
        """`statements` under the lock; if SQLite finds the file damaged meanwhile, they run again on
        the empty table that replaces it (a read finds nothing there, a write starts it afresh)."""
        with self._lock:
            try:
                return statements(self._db)
            except sqlite3.DatabaseError as exc:
                if not sqlite_file_damaged(exc):
                    raise
                self._db.close()
                self._db, self._inode = self._open(damage=str(exc), found_in=self._inode)
                return statements(self._db)

    def add(self, versions: Sequence[DocumentVersion]) -> None:
        """The sentence vectors of `versions` (those that carry them), each version marked stored."""
        rows, marks = [], []
        for version in versions:
            if version.sentences is not None:
                version_id = _version_id(version.record.key, version.record.content_hash)
                marks.append((version_id,))
                rows += [
                    (version_id, int(start), int(end), np.asarray(vector, dtype=np.float32).tobytes())
                    for (start, end), vector in zip(version.sentences.spans, version.sentences.vectors, strict=True)
                ]

        def write(db: sqlite3.Connection) -> None:
            with db:
                db.execute("BEGIN")
                db.executemany("INSERT OR REPLACE INTO sentence_vectors VALUES (?, ?, ?, ?)", rows)
                db.executemany("INSERT OR REPLACE INTO stored_versions VALUES (?)", marks)

        self._run(write)

    def delete(self, key: str, content_hash: str) -> None:
        version = _version_id(key, content_hash)

        def delete(db: sqlite3.Connection) -> None:
            with db:
                db.execute("BEGIN")
                db.execute("DELETE FROM sentence_vectors WHERE version = ?", (version,))
                db.execute("DELETE FROM stored_versions WHERE version = ?", (version,))

        self._run(delete)

    def restore(
        self, versions: Sequence[DocumentVersion], records: Callable[[list[str]], Mapping[str, DocumentRecord]]
    ) -> None:
        """Store again the sentence vectors of versions that are live already (a damaged file lost
        them). `records` reads the store after the write: a version that stopped being live meanwhile
        loses them again, since its writer may have cleaned its rows before these landed."""
        self.add(versions)
        current = records([version.record.key for version in versions])
        for record in (version.record for version in versions):
            if record.key not in current or current[record.key].content_hash != record.content_hash:
                self.delete(record.key, record.content_hash)

    def has_version(self, key: str, content_hash: str) -> bool:
        """Whether the version's sentence vectors are here (a version without sentences counts once
        its empty set was stored; a file written before `stored_versions` existed has rows only)."""
        version = _version_id(key, content_hash)
        return bool(self._run(lambda db: db.execute(
            "SELECT EXISTS (SELECT 1 FROM stored_versions WHERE version = ?)"
            " OR EXISTS (SELECT 1 FROM sentence_vectors WHERE version = ?)", (version, version),
        ).fetchone()[0]))

    def versions(self) -> list[str]:
        """The versions that have vectors here (what tests of the write protocol check)."""
        return self._run(lambda db: [
            row[0] for row in db.execute("SELECT DISTINCT version FROM sentence_vectors ORDER BY 1")
        ])

    def sentence_spans(self, key: str, content_hash: str) -> list[tuple[int, int]]:
        """The version's sentences as ingest found them, in text order (`SentenceVectorSource`)."""
        return self._run(lambda db: [(start, end) for start, end in db.execute(
            "SELECT start, end FROM sentence_vectors WHERE version = ? ORDER BY start, end",
            (_version_id(key, content_hash),),
        )])

    def sentence_vectors(self, keys: Sequence[SentenceKey]) -> dict[SentenceKey, np.ndarray]:
        """The stored vectors of those sentences that have one (`SentenceVectorSource`)."""

        def read(db: sqlite3.Connection) -> dict[SentenceKey, np.ndarray]:
            found: dict[SentenceKey, np.ndarray] = {}
            for key in keys:
                row = db.execute(
                    "SELECT vector FROM sentence_vectors WHERE version = ? AND start = ? AND end = ?",
                    (_version_id(key.record_key, key.content_hash), key.start, key.end),
                ).fetchone()
                if row is not None:
                    found[key] = np.frombuffer(row[0], dtype=np.float32)
            return found

        return self._run(read)


_SCHEMA = """
CREATE TABLE IF NOT EXISTS sentence_vectors (version TEXT NOT NULL, start INTEGER NOT NULL, end INTEGER NOT NULL,
    vector BLOB NOT NULL, PRIMARY KEY (version, start, end)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS stored_versions (version TEXT PRIMARY KEY) WITHOUT ROWID;
"""


def _connect(path: Path) -> sqlite3.Connection:
    """The file with the tables in it; a writer may hold it for a whole version's rows."""
    return open_sqlite(path, _SCHEMA, timeout=60)


def sqlite_file_damaged(error: sqlite3.DatabaseError) -> bool:
    """SQLite found the file itself bad (corrupt, or not a database at all); not busy, locked, full
    or read-only, which leave the file as it is."""
    return error.sqlite_errorcode & 0xFF in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)


def _inode(path: Path) -> int | None:
    try:
        return path.stat().st_ino
    except FileNotFoundError:
        return None


def _version_id(key: str, content_hash: str) -> str:
    return f"{key}@{content_hash}"
