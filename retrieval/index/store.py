"""The corpus in Chroma: chunk vectors plus one record per document, with a crash-safe commit.

Chroma is the source of truth for documents and chunks. Chunks live in one collection
(`chunk_table`, in llama-index's `ChromaVectorStore` format); each document has a record in a
second collection (`document_table`) holding its metadata, its full cleaned text (quotes are
verified against it) and the hash of the version whose chunks are live. The vector of each sentence
of each version is written and deleted with its chunks, in a SQLite file beside the index
(`sentence_table` says why not in Chroma, and how a damaged file is replaced and refilled).
Chroma's own database cannot be rebuilt from anything: when it is damaged, every call says so
(`chroma.StoreDamaged`).

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
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Concatenate, ParamSpec, TypeVar

import chromadb

from retrieval.index.chroma import (
    EMBEDDED,
    RETIRED_SENTENCES_COLLECTION,
    chroma_errors,
    database_file,
    embedded_client,
    open_collections,
    server_client,
    server_location,
)
from retrieval.index.sentence_table import SENTENCES_FILE, SentenceVectorTable
from retrieval.index.sentence_vectors import DocumentVersion
from retrieval.models.records import DocumentRecord, StoredChunk, record_key
from retrieval.settings import RetrievalSettings

if TYPE_CHECKING:
    # llama-index is imported where chunks are written or searched: listing documents (`citebot
    # sources`) needs Chroma alone.
    from llama_index.core.schema import TextNode

log = logging.getLogger(__name__)


_P = ParamSpec("_P")
_R = TypeVar("_R")


def _reaching_chroma(
    method: "Callable[Concatenate[CorpusStore, _P], _R]",
) -> "Callable[Concatenate[CorpusStore, _P], _R]":
    @functools.wraps(method)
    def wrapper(self: "CorpusStore", *args: _P.args, **kwargs: _P.kwargs) -> _R:
        with chroma_errors(self.location, self.database):
            return method(self, *args, **kwargs)

    return wrapper


_HASHES_PER_QUERY = 500
"""Content hashes per `$in` filter: far below SQLite's bound on a statement's parameters."""


class CorpusStore:
    """Reads and writes documents and chunks in Chroma, keeping every reader on committed versions."""

    def __init__(
        self, client: chromadb.api.ClientAPI, sentences: SentenceVectorTable, location: str = EMBEDDED,
    ) -> None:
        self._client = client
        self.location = location
        self.database = database_file(client)
        self.sentences = sentences
        self.chunks, self.records = open_collections(client, location, self.database)

    @classmethod
    def embedded(cls, data_dir: Path) -> "CorpusStore":
        """An embedded `PersistentClient` in `data_dir`/chroma, with telemetry off (no network, ever),
        and the sentence vectors beside it."""
        return cls(embedded_client(data_dir / "chroma"), SentenceVectorTable(data_dir / SENTENCES_FILE))

    @classmethod
    def connect(cls, settings: RetrievalSettings) -> "CorpusStore":
        """The Chroma server of `CHROMA_HOST` when set, else the embedded database in the data dir."""
        if settings.chroma_host is None:
            return cls.embedded(settings.data_dir)
        location = server_location(settings)
        client = server_client(settings, settings.chroma_host, location)
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
        self.chunks.add(nodes, self._client.get_max_batch_size())
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
        self.chunks.delete_version(scope, doc_id, content_hash)
        self.sentences.delete(record_key(scope, doc_id), content_hash)

    # Chunks --------------------------------------------------------------------------------------

    @_reaching_chroma
    def live_chunks(self, live_hashes: dict[str, str] | None = None) -> list[StoredChunk]:
        """Every chunk of the versions `live_hashes` (default: the live ones), by chunk id: exactly
        those versions' chunks even if another process commits meanwhile."""
        records = {record.key: record for record in self.records.documents(None, with_text=True)}
        live = {key: r.content_hash for key, r in records.items()} if live_hashes is None else live_hashes
        return sorted(self.chunks.matching(live, records), key=lambda c: c.location.chunk_id)

    @_reaching_chroma
    def chunks_of(self, versions: Mapping[str, str]) -> list[StoredChunk]:
        """The chunks of these versions only, by chunk id: what an upload adds to the BM25 index, read
        by content hash in batches (SQLite bounds a statement's parameters), not with every chunk."""
        pairs, chunks = sorted(versions.items(), key=lambda pair: pair[1]), []
        for batch in (pairs[i : i + _HASHES_PER_QUERY] for i in range(0, len(pairs), _HASHES_PER_QUERY)):
            where = {"content_hash": {"$in": sorted({content_hash for _, content_hash in batch})}}
            chunks += self.chunks.matching(versions, self.records.get_many(k for k, _ in batch), where=where)
        return sorted(chunks, key=lambda c: c.location.chunk_id)

    @_reaching_chroma
    def count_chunks(self) -> int:
        return self.chunks.count()

    @_reaching_chroma
    def query_vectors(
        self, embedding: list[float], top_k: int, scopes: Sequence[str], share: float = 1.0
    ) -> list[tuple["TextNode", float]]:
        """Nearest chunks in `scopes`, including possibly uncommitted ones (callers filter); `share`:
        the part of the chunks in `scopes`, as the caller knows it (the snapshot's BM25 index).

        Chroma's filtered search costs far more than its plain one when the filter matches most of
        the collection, the usual case: at 100k chunks it was half of a question's time
        (docs/benchmarks.md, "Profile"). So a plain search for `top_k / share` hits (at most
        `chunk_table._OVERFETCH` times `top_k`) goes first and only chunks in `scopes` are kept. When `top_k`
        are left (or it saw the whole collection) they are what the filtered search would return;
        otherwise, and at once when `share` < 1 / that, the filtered search, then cheap, answers.
        """
        return self.chunks.nearest(embedding, top_k, scopes, share)


