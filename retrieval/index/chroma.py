"""Chroma's client, embedded or on a server (with its auth), the collections citebot keeps in it,
and its failures as two errors the bot and the CLI can explain: `StoreUnavailable` (cannot reach
it) and `StoreDamaged` (its database is damaged; nothing rebuilds it, a backup restores it)."""

import contextlib
import logging
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import chromadb
import httpx
from chromadb.api.collection_configuration import UpdateCollectionConfiguration, UpdateHNSWConfiguration
from chromadb.config import Settings as ChromaClientSettings
from chromadb.errors import AuthorizationError, ChromaAuthError

from retrieval.index.chunk_table import ChunkTable
from retrieval.index.document_table import DocumentTable
from retrieval.index.sentence_table import sqlite_file_damaged
from retrieval.settings import RetrievalSettings

log = logging.getLogger(__name__)


CHROMA_FILE = "chroma.sqlite3"


CHUNKS_COLLECTION = "citebot_chunks"


DOCUMENTS_COLLECTION = "citebot_documents"


RETIRED_SENTENCES_COLLECTION = "citebot_sentences"


STATE_COLLECTION = "citebot_state"


EMBEDDED = "the embedded Chroma database"


VECTOR_SEARCH_EF = 1000
"""How many candidates Chroma's HNSW search keeps while it walks the graph (its `ef_search`, 100 by
default). At 100, on news-dev's 7,262 chunks, 37 of 225 dev questions missed one of their 20 true
nearest chunks, and which one depended on the build: two ingests of the same articles, with
bit-identical vectors, answered a conversation turn differently. At 1000 every one got its exact top
40, and two builds gave the same answers to all 95 news-dev questions and 130 conversation turns,
for about 1.5 ms more per vector query (p50 2.9 → 4.3 ms; 1.4 → 4.7 ms at 100,000 synthetic vectors;
docs/benchmarks.md, "Vector search width")."""


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
        return str(exc) if sqlite_file_damaged(exc) else None
    # One line of its findings ("*** in database main ***" heads them).
    return None if verdict == "ok" else "SQLite's check: " + "; ".join(
        line for line in verdict.splitlines() if not line.startswith("***"))


@contextlib.contextmanager
def chroma_errors(location: str, database: Path | None) -> Iterator[None]:
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


def embedded_client(path: Path) -> chromadb.api.ClientAPI:
    """The client of the embedded database in `path`. Chroma would start an empty database in place
    of a missing or zero-byte file, and the index would look empty while its vector segments (the
    folder's subfolders) are still there: that is damage, not a new index."""
    path.mkdir(parents=True, exist_ok=True)
    database = path / CHROMA_FILE
    if (not database.exists() or database.stat().st_size == 0) and any(child.is_dir() for child in path.iterdir()):
        state = "empty (0 bytes)" if database.exists() else "missing"
        raise StoreDamaged(database, EMBEDDED, f"the file is {state}, but {path} holds vector segments")
    with chroma_errors(EMBEDDED, database):
        return chromadb.PersistentClient(path=str(path), settings=ChromaClientSettings(anonymized_telemetry=False))


def database_file(client: chromadb.api.ClientAPI) -> Path | None:
    """The embedded database's file, which a `StoreDamaged` error names; None on a server."""
    settings = client.get_settings()
    return Path(str(settings.persist_directory)) / CHROMA_FILE if settings.is_persistent else None


def open_collections(
    client: chromadb.api.ClientAPI, location: str, database: Path | None
) -> tuple[ChunkTable, DocumentTable]:
    """The chunk table and the document table, created on first use: the first reads of a
    database, where some damage shows."""
    with chroma_errors(location, database):
        chunks = client.get_or_create_collection(
            CHUNKS_COLLECTION, metadata={"hnsw:space": "cosine", "hnsw:search_ef": VECTOR_SEARCH_EF},
            embedding_function=None,
        )
        _search_widely(chunks)
        return ChunkTable(chunks), DocumentTable(
            client.get_or_create_collection(DOCUMENTS_COLLECTION, embedding_function=None),
            client.get_or_create_collection(STATE_COLLECTION, embedding_function=None),
        )


def _search_widely(chunks: chromadb.Collection) -> None:
    """Gives a chunk collection made with a narrower search (before `VECTOR_SEARCH_EF`, or by
    another tool) that width: Chroma keeps each collection's own configuration. A server whose
    token may read but not change collections keeps its width, with a warning: search still works."""
    hnsw = chunks.configuration_json.get("hnsw") or {}
    if hnsw.get("ef_search", VECTOR_SEARCH_EF) >= VECTOR_SEARCH_EF:
        return
    try:
        chunks.modify(configuration=UpdateCollectionConfiguration(hnsw=UpdateHNSWConfiguration(ef_search=VECTOR_SEARCH_EF)))
    except (ChromaAuthError, AuthorizationError) as exc:
        log.warning("vector search stays at ef_search %s: Chroma refused to widen it (%s)", hnsw.get("ef_search"), exc)


def server_location(settings: RetrievalSettings) -> str:
    scheme = "https" if settings.chroma_ssl else "http"
    return f"the Chroma server at {scheme}://{settings.chroma_host}:{settings.chroma_port}"


def server_client(settings: RetrievalSettings, host: str, location: str) -> chromadb.api.ClientAPI:
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
