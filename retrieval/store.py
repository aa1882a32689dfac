"""The corpus in Chroma: chunk vectors plus one record per document, with a crash-safe commit.

Chroma is the source of truth for documents and chunks. Chunks live in one collection (written
through llama-index's `ChromaVectorStore`); each document has a record in a second collection holding
its metadata, its full cleaned text (quotes are verified against it) and the hash of the version whose
chunks are live. The vector of each sentence of each version (`sentence_vectors.py`) is written and
deleted with its chunks, in a SQLite file beside the index (`SentenceVectorTable` says why not in
Chroma, and how a damaged file is replaced and refilled). Chroma's own database cannot be rebuilt
from anything: when it is damaged, every call says so (`StoreDamaged`).

Chroma has no multi-record transactions, so a document version becomes visible at one single-record
write, the commit, and the record doubles as a journal:

1. `begin`: the record notes `pending_hash` (chunks of this version are about to be written);
2. the chunks are added;
3. `commit`: one upsert makes the new hash live and notes the old one as `stale_hash`;
4. `finish`: stale chunks are deleted and the journal fields cleared.

A kill at any point leaves the previous version live, because readers only accept chunks whose hash
matches their document's live hash; `recover` removes whatever a killed run left behind.

Several processes may share one Chroma server (two bots, or the CLI ingesting while a bot runs). Each
keeps derived state (the BM25 index) built from the live versions, so every commit and removal also
writes a new random token to a one-record collection: the corpus generation. Reading that single
record is how a process notices, before each read, that someone else changed the corpus.
"""

import contextlib
import functools
import logging
import math
import os
import re
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Concatenate, Literal, ParamSpec, TypeVar

import chromadb
import httpx
import numpy as np
from chromadb.api.types import GetResult
from chromadb.config import Settings as ChromaClientSettings
from filelock import FileLock

from retrieval.models import DocumentRecord, StoredChunk, record_key
from retrieval.sentence_vectors import SentenceKey, SentenceVectors
from retrieval.settings import RetrievalSettings

if TYPE_CHECKING:
    # llama-index is imported where chunks are written or searched: listing documents (`citebot
    # sources`) needs Chroma alone.
    from llama_index.core.schema import BaseNode, TextNode
    from llama_index.core.vector_stores.types import MetadataFilters, VectorStoreQueryResult
    from llama_index.vector_stores.chroma import ChromaVectorStore

log = logging.getLogger(__name__)

CHROMA_FILE = "chroma.sqlite3"
CHUNKS_COLLECTION = "citebot_chunks"
DOCUMENTS_COLLECTION = "citebot_documents"
SENTENCES_FILE = "sentences.sqlite3"
DAMAGED_SUFFIX = ".damaged"
"""A damaged sentence-vector file is kept under its name plus this, for a look, until the next one."""
RETIRED_SENTENCES_COLLECTION = "citebot_sentences"
STATE_COLLECTION = "citebot_state"
GENERATION_ID = "generation"
EMBEDDED = "the embedded Chroma database"


def _placeholder_embeddings(count: int) -> np.ndarray:
    """Document records carry no meaningful vector; Chroma requires one per record, so each gets a
    one-dimensional zero."""
    return np.zeros((count, 1), dtype=np.float32)


@dataclass(frozen=True)
class DocumentVersion:
    """What `CorpusStore.write_versions` makes live: a record, its embedded chunk nodes and its
    sentence vectors (None: none are stored, and the ranker embeds sentences when they are asked for)."""

    record: DocumentRecord
    nodes: Sequence["TextNode"]
    sentences: SentenceVectors | None = None


class StoreUnavailable(RuntimeError):
    """The Chroma server cannot be reached (down, restarting, wrong address).

    Chroma's HTTP client lets httpx's transport errors through unwrapped; the store turns them into
    this one error so the bot and the CLI can say what is wrong instead of showing a traceback.
    """


class StoreDamaged(StoreUnavailable):
    """Chroma's database is damaged: SQLite finds it corrupt or not a database at all, or the
    embedded database file is missing or empty beside the vector segments it indexes.

    A `StoreUnavailable`, so whatever handles an unusable store handles this one too, but waiting
    does not help: the database has to be restored from a backup, or deleted and the documents
    ingested again (`remedy`). `database` is the embedded database's file; None on a server.
    """

    def __init__(self, database: Path | None, location: str, problem: str) -> None:
        super().__init__(f"{database or location} is damaged: {problem}")
        self.database = database
        self.problem = problem

    @property
    def remedy(self) -> str:
        """What brings the corpus back (README, "Backup and recovery")."""
        if self.database is None:
            return "restore the Chroma server's data from a backup, or ingest the documents into a new database"
        return f"restore {self.database.parent} from a backup, or delete that folder and ingest the documents again"


_SQLITE_CODE = re.compile(r"\bcode: (\d+)")
"""SQLite's error code in Chroma's messages: "(code: 11) database disk image is malformed" from its
errors, "SqliteError { code: 11, ... }" from its panics."""
_SQLITE_DAMAGE = {sqlite3.SQLITE_CORRUPT: "database disk image is malformed", sqlite3.SQLITE_NOTADB: "file is not a database"}


def _damage(error: BaseException, database: Path | None) -> str | None:
    """What is wrong with the database when `error` comes from its damage; None when it does not (a
    busy or locked database, a bad request, a bug). Chroma passes SQLite's code on when it has one,
    but some damage surfaces as an error of its own ("Failed to get segments"): then SQLite checks
    the embedded database's file."""
    codes = [int(code) & 0xFF for code in _SQLITE_CODE.findall(str(error))]
    if any(code in _SQLITE_DAMAGE for code in codes):
        return next(_SQLITE_DAMAGE[code] for code in codes if code in _SQLITE_DAMAGE)
    if codes or database is None:
        return None
    try:
        with contextlib.closing(sqlite3.connect(f"{database.resolve().as_uri()}?mode=ro", uri=True)) as db:
            verdict = str(db.execute("PRAGMA quick_check(1)").fetchone()[0])
    except sqlite3.DatabaseError as exc:
        return str(exc) if _damaged(exc) else None
    # One line of its findings ("*** in database main ***" heads them).
    return None if verdict == "ok" else "SQLite's check: " + "; ".join(
        line for line in verdict.splitlines() if not line.startswith("***"))


@contextlib.contextmanager
def _chroma_errors(location: str, database: Path | None) -> Iterator[None]:
    """Chroma's failures that are the store's condition, not a bug, as `StoreUnavailable` (httpx's
    transport errors, which Chroma's HTTP client lets through unwrapped) and `StoreDamaged`, so the
    bot and the CLI can say what is wrong instead of showing a traceback."""
    try:
        yield
    except httpx.TransportError as exc:
        raise StoreUnavailable(f"cannot reach {location}: {exc or type(exc).__name__}") from exc
    except BaseException as exc:
        # Chroma's Rust bindings also panic on some damage, and pyo3's PanicException is a
        # BaseException: it would pass every `except Exception` and end the process with a traceback.
        chroma = isinstance(exc, chromadb.errors.ChromaError) or type(exc).__name__ == "PanicException"
        damage = _damage(exc, database) if chroma else None
        if damage is None:
            raise
        raise StoreDamaged(database, location, damage) from exc


_P = ParamSpec("_P")
_R = TypeVar("_R")


def _reaching_chroma(
    method: "Callable[Concatenate[CorpusStore, _P], _R]",
) -> "Callable[Concatenate[CorpusStore, _P], _R]":
    @functools.wraps(method)
    def wrapper(self: "CorpusStore", *args: _P.args, **kwargs: _P.kwargs) -> _R:
        with _chroma_errors(self.location, self.database):
            return method(self, *args, **kwargs)

    return wrapper


def scope_filter(scopes: Sequence[str]) -> "MetadataFilters":
    from llama_index.core.vector_stores.types import FilterOperator, MetadataFilter, MetadataFilters

    return MetadataFilters(
        filters=[MetadataFilter(key="scope", value=list(scopes), operator=FilterOperator.IN)]
    )


_OVERFETCH = 4
"""How many times `top_k` the unfiltered vector search asks for before keeping the visible chunks."""

_PAGE = 5000
"""Records per `get` when reading a whole collection: one unbounded `get` of 100,000 chunks fails
inside Chroma ("too many SQL variables"), found by bench/query.py."""

_HASHES_PER_QUERY = 500
"""Content hashes per `$in` filter: far below SQLite's bound on a statement's parameters."""


ColumnName = Literal["ids", "metadatas", "documents"]
_COLUMNS: tuple[ColumnName, ...] = ("ids", "metadatas", "documents")


def _column(result: GetResult, name: ColumnName) -> list[Any]:
    """One column of a Chroma `get` result, one entry per id (None where it was not included)."""
    return list(result[name] or [None] * len(result["ids"]))


def _get_all(collection: chromadb.Collection, **query: Any) -> dict[ColumnName, list[Any]]:
    """`collection.get(**query)` for any number of matches, read in pages of `_PAGE`."""
    merged: dict[ColumnName, list[Any]] = {name: [] for name in _COLUMNS}
    offset = 0
    while True:
        page = collection.get(limit=_PAGE, offset=offset, **query)
        for name in _COLUMNS:
            merged[name].extend(_column(page, name))
        if len(page["ids"]) < _PAGE:
            return merged
        offset += _PAGE


def _chunks_matching(
    collection: chromadb.Collection, versions: Mapping[str, str], records: Mapping[str, DocumentRecord], **query: Any
) -> list[StoredChunk]:
    """The chunks `query` finds that belong to one of `versions` (record_key -> content hash: a hash
    alone does not name a version, since two scopes may hold the same text), each with its text cut
    from its version's record in `records` (Chroma holds no chunk text, see `_add_chunks`)."""
    result = _get_all(collection, include=["metadatas"], **query)
    chunks = []
    for chunk_id, metadata in zip(result["ids"], result["metadatas"], strict=True):
        key, content_hash = record_key(metadata["scope"], metadata["article_id"]), metadata["content_hash"]
        record = records.get(key)
        if versions.get(key) == content_hash and record is not None and record.content_hash == content_hash:
            text = record.text[int(metadata["start"]) : int(metadata["end"])]
            chunks.append(StoredChunk.from_chroma(chunk_id, metadata, text))
    return chunks


def _add_chunks(collection: chromadb.Collection, nodes: Sequence["BaseNode"], batch_size: int) -> None:
    """Chunks as llama-index's `ChromaVectorStore.add` writes them (the vector, and flat metadata
    holding the node's serialised form), but without their text: the document record holds it, and
    Chroma indexes every stored text for full-text search, which nothing here uses and which cost
    0.45 s per 1,000 chunks, three quarters of their write (docs/benchmarks.md, "Ingest")."""
    from llama_index.core.vector_stores.utils import node_to_metadata_dict

    for begin in range(0, len(nodes), batch_size):
        batch = nodes[begin : begin + batch_size]
        metadatas = [node_to_metadata_dict(node, remove_text=True, flat_metadata=True) for node in batch]
        collection.add(
            ids=[node.node_id for node in batch],
            embeddings=np.array([node.get_embedding() for node in batch], dtype=np.float32),
            metadatas=[{key: "" if value is None else value for key, value in m.items()} for m in metadatas],
        )


class DocumentTable:
    """The document records (one per document and scope, holding its text and the write journal:
    `pending_hash`, `stale_hash`) and the corpus generation token. Raw reads and writes; the
    protocol that keeps readers on committed versions is `CorpusStore`'s."""

    def __init__(self, documents: chromadb.Collection, state: chromadb.Collection) -> None:
        self._documents = documents
        self._state = state

    def documents(self, scopes: Sequence[str] | None, *, with_text: bool = False) -> list[DocumentRecord]:
        where: dict[str, Any] = {"content_hash": {"$ne": ""}}
        if scopes is not None:
            where = {"$and": [where, {"scope": {"$in": list(scopes)}}]}
        include = ["metadatas", "documents"] if with_text else ["metadatas"]
        result = _get_all(self._documents, where=where, include=include)
        texts = result["documents"] if with_text else [None] * len(result["ids"])
        records = [DocumentRecord.from_chroma(m, t) for m, t in zip(result["metadatas"], texts, strict=True)]
        return sorted(records, key=lambda r: (r.scope, r.doc_id))

    def get(self, key: str) -> DocumentRecord | None:
        return self.get_many([key]).get(key)

    def get_many(self, keys: Iterable[str]) -> dict[str, DocumentRecord]:
        ids = sorted(set(keys))
        if not ids:
            return {}
        result = self._documents.get(ids=ids, include=["metadatas", "documents"])
        return {
            key: DocumentRecord.from_chroma(metadata, text)
            for key, metadata, text in zip(
                result["ids"], _column(result, "metadatas"), _column(result, "documents"), strict=True
            )
        }

    def journaled(self) -> list[DocumentRecord]:
        """Records a writer left mid-protocol (a pending or stale version to finish or undo)."""
        result = _get_all(
            self._documents,
            where={"$or": [{"pending_hash": {"$ne": ""}}, {"stale_hash": {"$ne": ""}}]},
            include=["metadatas", "documents"],
        )
        return [DocumentRecord.from_chroma(m, t) for m, t in zip(result["metadatas"], result["documents"], strict=True)]

    def put(self, records: Sequence[DocumentRecord]) -> None:
        if records:
            self._documents.upsert(
                ids=[r.key for r in records],
                embeddings=_placeholder_embeddings(len(records)),
                metadatas=[r.metadata() for r in records],
                documents=[r.text for r in records],
            )

    def delete(self, key: str) -> None:
        self._documents.delete(ids=[key])

    def generation(self) -> str:
        result = self._state.get(ids=[GENERATION_ID], include=["metadatas"])
        return str(_column(result, "metadatas")[0]["token"]) if result["ids"] else ""

    def bump_generation(self) -> None:
        self._state.upsert(
            ids=[GENERATION_ID], embeddings=_placeholder_embeddings(1), metadatas=[{"token": uuid.uuid4().hex}]
        )


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
                if not _damaged(exc):
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
                if not _damaged(exc):
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
    """The file in WAL mode (readers do not wait for a writer), with the tables in it."""
    db = sqlite3.connect(path, timeout=60, check_same_thread=False, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.executescript(_SCHEMA)
    except sqlite3.DatabaseError:
        db.close()
        raise
    return db


def _damaged(error: sqlite3.DatabaseError) -> bool:
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


class CorpusStore:
    """Reads and writes documents and chunks in Chroma, keeping every reader on committed versions."""

    def __init__(
        self, client: chromadb.api.ClientAPI, sentences: SentenceVectorTable, location: str = EMBEDDED,
    ) -> None:
        self._client = client
        self.location = location
        self.database = _database_file(client)
        self.sentences = sentences
        self._chunks, self.records = _collections(client, location, self.database)

    @functools.cached_property
    def vector_store(self) -> "ChromaVectorStore":
        """The chunks collection as llama-index's vector store, which search queries."""
        from llama_index.vector_stores.chroma import ChromaVectorStore

        return ChromaVectorStore(chroma_collection=self._chunks)

    @classmethod
    def embedded(cls, data_dir: Path) -> "CorpusStore":
        """An embedded `PersistentClient` in `data_dir`/chroma, with telemetry off (no network, ever),
        and the sentence vectors beside it."""
        return cls(_embedded_client(data_dir / "chroma"), SentenceVectorTable(data_dir / SENTENCES_FILE))

    @classmethod
    def connect(cls, settings: RetrievalSettings) -> "CorpusStore":
        """The Chroma server of `CHROMA_HOST` when set, else the embedded database in the data dir."""
        if settings.chroma_host is None:
            return cls.embedded(settings.data_dir)
        location = _server_location(settings)
        client = _server_client(settings, settings.chroma_host, location)
        return cls(client, SentenceVectorTable(settings.data_dir / SENTENCES_FILE), location)

    # Documents: read through the table ---------------------------------------------------------

    @_reaching_chroma
    def documents(self, scopes: Sequence[str] | None = None, *, with_text: bool = False) -> list[DocumentRecord]:
        """Live documents in `scopes` (all scopes when None), ordered by scope then id."""
        return self.records.documents(scopes, with_text=with_text)

    @_reaching_chroma
    def get(self, scope: str, doc_id: str) -> DocumentRecord | None:
        """The record of `doc_id` in `scope`, with its text, live or not."""
        return self.records.get(record_key(scope, doc_id))

    @_reaching_chroma
    def get_many(self, keys: Iterable[str]) -> dict[str, DocumentRecord]:
        """Records (with text) by `record_key`, for the documents that passages came from."""
        return self.records.get_many(keys)

    @_reaching_chroma
    def live_hashes(self) -> dict[str, str]:
        """record_key -> live content hash, for every live document: what readers check chunks against."""
        return {r.key: r.content_hash for r in self.records.documents(None)}

    @_reaching_chroma
    def generation(self) -> str:
        """The corpus generation: a token that changes with every commit and removal, by anyone."""
        return self.records.generation()

    # The write protocol --------------------------------------------------------------------------

    @_reaching_chroma
    def write_versions(self, versions: Sequence[DocumentVersion]) -> None:
        """Make each record, with its embedded chunk nodes and sentence vectors, the live version of
        its document.

        The documents of one call share every step (one upsert begins them all, one add writes all
        their chunks, one upsert commits them), because each Chroma write is a commit of its own,
        about 30 ms embedded: per document, that was a tenth of an ingest (docs/benchmarks.md).
        Each record is still its own commit point, so a kill anywhere leaves every document
        either at its previous version or fully at its new one.
        """
        if not versions:
            return
        keys = [version.record.key for version in versions]
        if len(set(keys)) != len(keys):
            raise ValueError("write_versions: a document appears twice in one call")
        previous = self.get_many(keys)
        journaled = [r for r in previous.values() if r.pending_hash or r.stale_hash]
        for record in journaled:
            self._clean(record)
        if journaled:
            previous = self.get_many(keys)
        self.records.put(
            [
                replace(previous[new.key], pending_hash=new.content_hash)
                if new.key in previous
                else replace(new, content_hash="", pending_hash=new.content_hash, chunks=0, text="")
                for new in (version.record for version in versions)
            ]
        )
        for version in versions:
            if version.record.key in previous:
                self._delete_chunks(version.record.scope, version.record.doc_id, version.record.content_hash)
        nodes = [node for version in versions for node in version.nodes]
        _add_chunks(self._chunks, nodes, self._client.get_max_batch_size())
        self.sentences.add(versions)
        now = time.time()
        committed = []
        for version in versions:
            new = version.record
            old_hash = previous[new.key].content_hash if new.key in previous else ""
            committed.append(replace(new, chunks=len(version.nodes), ingested_at=now, pending_hash="",
                                     stale_hash=old_hash if old_hash != new.content_hash else ""))
        self.records.put(committed)
        self.records.bump_generation()
        stale = [record for record in committed if record.stale_hash]
        for record in stale:
            self._delete_chunks(record.scope, record.doc_id, record.stale_hash)
        self.records.put([replace(record, stale_hash="") for record in stale])

    @_reaching_chroma
    def remove(self, scope: str, doc_id: str) -> bool:
        """Delete a document and all its chunks; False when there was no such live document."""
        record = self.get(scope, doc_id)
        if record is None or not record.live:
            return False
        tombstone = replace(record, content_hash="", stale_hash=record.content_hash, text="")
        self.records.put([tombstone])
        self.records.bump_generation()
        self._clean(tombstone)
        return True

    @_reaching_chroma
    def recover(self) -> int:
        """Finish or roll back whatever a killed writer left behind; returns how many documents.

        It also starts a new generation unconditionally: a writer killed between its commit and
        its generation write left a change other processes have not noticed yet.
        """
        journaled = self.records.journaled()
        for record in journaled:
            self._clean(record)
        self.records.bump_generation()
        with contextlib.suppress(chromadb.errors.NotFoundError):
            # Sentence vectors lived in Chroma before they had a file of their own.
            self._client.delete_collection(RETIRED_SENTENCES_COLLECTION)
        return len(journaled)

    def _clean(self, record: DocumentRecord) -> None:
        for dead_hash in {record.pending_hash, record.stale_hash} - {"", record.content_hash}:
            self._delete_chunks(record.scope, record.doc_id, dead_hash)
        if not record.live:
            self.records.delete(record.key)
        elif record.pending_hash or record.stale_hash:
            self.records.put([replace(record, pending_hash="", stale_hash="")])

    def _delete_chunks(self, scope: str, doc_id: str, content_hash: str) -> None:
        """The chunks of one version, and its sentence vectors."""
        self._chunks.delete(
            where={"$and": [{"scope": scope}, {"article_id": doc_id}, {"content_hash": content_hash}]}
        )
        self.sentences.delete(record_key(scope, doc_id), content_hash)

    # Chunks --------------------------------------------------------------------------------------

    @_reaching_chroma
    def live_chunks(self, live_hashes: dict[str, str] | None = None) -> list[StoredChunk]:
        """Every chunk of the versions `live_hashes` (default: the live ones), by chunk id: exactly
        those versions' chunks even if another process commits meanwhile."""
        records = {record.key: record for record in self.records.documents(None, with_text=True)}
        live = {key: r.content_hash for key, r in records.items()} if live_hashes is None else live_hashes
        return sorted(_chunks_matching(self._chunks, live, records), key=lambda c: c.location.chunk_id)

    @_reaching_chroma
    def chunks_of(self, versions: Mapping[str, str]) -> list[StoredChunk]:
        """The chunks of these versions only, by chunk id: what an upload adds to the BM25 index, read
        by content hash in batches (SQLite bounds a statement's parameters), not with every chunk."""
        pairs, chunks = sorted(versions.items(), key=lambda pair: pair[1]), []
        for batch in (pairs[i : i + _HASHES_PER_QUERY] for i in range(0, len(pairs), _HASHES_PER_QUERY)):
            where = {"content_hash": {"$in": sorted({content_hash for _, content_hash in batch})}}
            chunks += _chunks_matching(self._chunks, versions, self.records.get_many(k for k, _ in batch), where=where)
        return sorted(chunks, key=lambda c: c.location.chunk_id)

    @_reaching_chroma
    def count_chunks(self) -> int:
        return self._chunks.count()

    @_reaching_chroma
    def query_vectors(
        self, embedding: list[float], top_k: int, scopes: Sequence[str], share: float = 1.0
    ) -> list[tuple["TextNode", float]]:
        """Nearest chunks in `scopes`, including possibly uncommitted ones (callers filter); `share`:
        the part of the chunks in `scopes`, as the caller knows it (the snapshot's BM25 index).

        Chroma's filtered search costs far more than its plain one when the filter matches most of
        the collection, the usual case: at 100k chunks it was half of a question's time
        (docs/benchmarks.md, "Profile"). So a plain search for `top_k / share` hits (at most
        `_OVERFETCH` times `top_k`) goes first and only chunks in `scopes` are kept. When `top_k`
        are left (or it saw the whole collection) they are what the filtered search would return;
        otherwise, and at once when `share` < 1 / `_OVERFETCH`, the filtered search, then cheap, answers.
        """
        return _nearest_in_scopes(self.vector_store, embedding, top_k, scopes, share)


def _nearest_in_scopes(
    vector_store: "ChromaVectorStore", embedding: list[float], top_k: int, scopes: Sequence[str], share: float
) -> list[tuple["TextNode", float]]:
    from llama_index.core.vector_stores.types import VectorStoreQuery

    if share * _OVERFETCH >= 1:
        wanted = set(scopes)
        fetch = min(top_k * _OVERFETCH, math.ceil(top_k / share))
        wide = vector_store.query(VectorStoreQuery(query_embedding=embedding, similarity_top_k=fetch))
        hits = [(node, similarity) for node, similarity in _scored_nodes(wide) if node.metadata.get("scope") in wanted]
        if len(hits) >= top_k or len(wide.nodes or []) < fetch:
            return hits[:top_k]
    result = vector_store.query(
        VectorStoreQuery(query_embedding=embedding, similarity_top_k=top_k, filters=scope_filter(scopes))
    )
    return _scored_nodes(result)


def _scored_nodes(result: "VectorStoreQueryResult") -> list[tuple["TextNode", float]]:
    """The chunks of a vector query with their similarities (Chroma's store returns both, always)."""
    from llama_index.core.schema import TextNode

    nodes = result.nodes or []
    return [
        (node, similarity)
        for node, similarity in zip(nodes, result.similarities or [], strict=True)
        if isinstance(node, TextNode)
    ]


def _embedded_client(path: Path) -> chromadb.api.ClientAPI:
    """The client of the embedded database in `path`. Chroma would start an empty database in place
    of a missing or zero-byte file, and the index would look empty while its vector segments (the
    folder's subfolders) are still there: that is damage, not a new index."""
    path.mkdir(parents=True, exist_ok=True)
    database = path / CHROMA_FILE
    if (not database.exists() or database.stat().st_size == 0) and any(child.is_dir() for child in path.iterdir()):
        state = "empty (0 bytes)" if database.exists() else "missing"
        raise StoreDamaged(database, EMBEDDED, f"the file is {state}, but {path} holds vector segments")
    with _chroma_errors(EMBEDDED, database):
        return chromadb.PersistentClient(path=str(path), settings=ChromaClientSettings(anonymized_telemetry=False))


def _database_file(client: chromadb.api.ClientAPI) -> Path | None:
    """The embedded database's file, which a `StoreDamaged` error names; None on a server."""
    settings = client.get_settings()
    return Path(str(settings.persist_directory)) / CHROMA_FILE if settings.is_persistent else None


def _collections(
    client: chromadb.api.ClientAPI, location: str, database: Path | None
) -> tuple[chromadb.Collection, DocumentTable]:
    """The chunks collection and the document table, created on first use: the first reads of a
    database, where some damage shows."""
    with _chroma_errors(location, database):
        chunks = client.get_or_create_collection(
            CHUNKS_COLLECTION, metadata={"hnsw:space": "cosine"}, embedding_function=None)
        return chunks, DocumentTable(
            client.get_or_create_collection(DOCUMENTS_COLLECTION, embedding_function=None),
            client.get_or_create_collection(STATE_COLLECTION, embedding_function=None),
        )


def _server_location(settings: RetrievalSettings) -> str:
    scheme = "https" if settings.chroma_ssl else "http"
    return f"the Chroma server at {scheme}://{settings.chroma_host}:{settings.chroma_port}"


def _server_client(settings: RetrievalSettings, host: str, location: str) -> chromadb.api.ClientAPI:
    auth: dict[str, Any] = {}
    if settings.chroma_auth_token is not None:
        auth = {
            "chroma_client_auth_provider": "chromadb.auth.token_authn.TokenAuthClientProvider",
            "chroma_client_auth_credentials": settings.chroma_auth_token.get_secret_value(),
            "chroma_auth_token_transport_header": settings.chroma_auth_header,
        }
    try:
        return chromadb.HttpClient(
            host=host,
            port=settings.chroma_port,
            ssl=settings.chroma_ssl,
            settings=ChromaClientSettings(anonymized_telemetry=False, **auth),
            tenant=settings.chroma_tenant,
            database=settings.chroma_database,
        )
    except Exception as exc:
        # Chroma's client checks the tenant and database on creation and rewraps what went wrong
        # (a refused connection included) as a bare ValueError or Exception: all mean "not usable".
        raise StoreUnavailable(f"cannot reach {location}: {exc or type(exc).__name__}") from exc
