"""The document records in Chroma (one per document and scope, with its text and the write
journal) and the corpus generation token, read in pages: raw reads and writes, under the protocol
of `store.CorpusStore`."""

import uuid
from collections.abc import Iterable, Sequence
from typing import Any, Literal

import chromadb
import numpy as np
from chromadb.api.types import GetResult

from retrieval.models.records import DocumentRecord

GENERATION_ID = "generation"


def _placeholder_embeddings(count: int) -> np.ndarray:
    """Document records carry no meaningful vector; Chroma requires one per record, so each gets a
    one-dimensional zero."""
    return np.zeros((count, 1), dtype=np.float32)


_PAGE = 5000
"""Records per `get` when reading a whole collection: one unbounded `get` of 100,000 chunks fails
inside Chroma ("too many SQL variables"), found by bench/query.py."""


ColumnName = Literal["ids", "metadatas", "documents"]


_COLUMNS: tuple[ColumnName, ...] = ("ids", "metadatas", "documents")


def _column(result: GetResult, name: ColumnName) -> list[Any]:
    """One column of a Chroma `get` result, one entry per id (None where it was not included)."""
    return list(result[name] or [None] * len(result["ids"]))


def get_all(collection: chromadb.Collection, **query: Any) -> dict[ColumnName, list[Any]]:
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


class DocumentTable:
    """The document records (one per document and scope, holding its text and the write journal:
    `pending_hash`, `stale_hash`) and the corpus generation token. Raw reads and writes; the
    protocol that keeps readers on committed versions is `CorpusStore`'s. `collection` is Chroma's
    own, for what checks the stored rows themselves (records of every state, live or not)."""

    def __init__(self, documents: chromadb.Collection, state: chromadb.Collection) -> None:
        self.collection = documents
        self._state = state

    def documents(self, scopes: Sequence[str] | None, *, with_text: bool = False) -> list[DocumentRecord]:
        where: dict[str, Any] = {"content_hash": {"$ne": ""}}
        if scopes is not None:
            where = {"$and": [where, {"scope": {"$in": list(scopes)}}]}
        include = ["metadatas", "documents"] if with_text else ["metadatas"]
        result = get_all(self.collection, where=where, include=include)
        texts = result["documents"] if with_text else [None] * len(result["ids"])
        records = [DocumentRecord.from_chroma(m, t) for m, t in zip(result["metadatas"], texts, strict=True)]
        return sorted(records, key=lambda r: (r.scope, r.doc_id))

    def get(self, key: str) -> DocumentRecord | None:
        return self.get_many([key]).get(key)

    def get_many(self, keys: Iterable[str]) -> dict[str, DocumentRecord]:
        ids = sorted(set(keys))
        if not ids:
            return {}
        result = self.collection.get(ids=ids, include=["metadatas", "documents"])
        return {
            key: DocumentRecord.from_chroma(metadata, text)
            for key, metadata, text in zip(
                result["ids"], _column(result, "metadatas"), _column(result, "documents"), strict=True
            )
        }

    def journaled(self) -> list[DocumentRecord]:
        """Records a writer left mid-protocol (a pending or stale version to finish or undo)."""
        result = get_all(
            self.collection,
            where={"$or": [{"pending_hash": {"$ne": ""}}, {"stale_hash": {"$ne": ""}}]},
            include=["metadatas", "documents"],
        )
        return [DocumentRecord.from_chroma(m, t) for m, t in zip(result["metadatas"], result["documents"], strict=True)]

    def put(self, records: Sequence[DocumentRecord]) -> None:
        if records:
            self.collection.upsert(
                ids=[r.key for r in records],
                embeddings=_placeholder_embeddings(len(records)),
                metadatas=[r.metadata() for r in records],
                documents=[r.text for r in records],
            )

    def delete(self, key: str) -> None:
        self.collection.delete(ids=[key])

    def generation(self) -> str:
        result = self._state.get(ids=[GENERATION_ID], include=["metadatas"])
        return str(_column(result, "metadatas")[0]["token"]) if result["ids"] else ""

    def bump_generation(self) -> None:
        self._state.upsert(
            ids=[GENERATION_ID], embeddings=_placeholder_embeddings(1), metadatas=[{"token": uuid.uuid4().hex}]
        )
