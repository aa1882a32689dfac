"""What the store keeps of a document: its record (metadata, cleaned text, the live version's hash
and the write journal), where each chunk is, and the `SourceInfo` that `sources` lists."""

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from retrieval.models.article import ArticleMeta, DescribesArticle

SHARED_SCOPE = "shared"
"""Documents every reader can see: the shipped corpus and whatever the CLI ingests."""


def record_key(scope: str, doc_id: str) -> str:
    return f"{scope}/{doc_id}"


def chunk_id(scope: str, doc_id: str, content_hash: str, ordinal: int) -> str:
    return f"{scope}/{doc_id}/{content_hash[:16]}/{ordinal}"


@dataclass(frozen=True)
class DocumentRecord(DescribesArticle):
    """A document as the store knows it. `content_hash` is empty until a version is committed."""

    scope: str
    meta: ArticleMeta
    content_hash: str
    path: str = ""
    chunks: int = 0
    ingested_at: float = 0.0
    pending_hash: str = ""
    stale_hash: str = ""
    text: str = ""

    @property
    def key(self) -> str:
        return record_key(self.scope, self.doc_id)

    @property
    def live(self) -> bool:
        return bool(self.content_hash)

    def metadata(self) -> dict[str, Any]:
        """The record as Chroma stores it: one flat dict, the article's description included."""
        return {
            "scope": self.scope,
            **asdict(self.meta),
            "content_hash": self.content_hash,
            "path": self.path,
            "chunks": self.chunks,
            "ingested_at": self.ingested_at,
            "pending_hash": self.pending_hash,
            "stale_hash": self.stale_hash,
        }

    @classmethod
    def from_chroma(cls, metadata: Mapping[str, Any], text: str | None) -> "DocumentRecord":
        meta = ArticleMeta(**{name: metadata.get(name, "") for name in ArticleMeta.__dataclass_fields__})
        return cls(
            scope=metadata.get("scope", ""), meta=meta, content_hash=metadata.get("content_hash", ""),
            path=metadata.get("path", ""), chunks=int(metadata.get("chunks") or 0),
            ingested_at=float(metadata.get("ingested_at") or 0.0), pending_hash=metadata.get("pending_hash", ""),
            stale_hash=metadata.get("stale_hash", ""), text=text or "",
        )

    def source_info(self) -> "SourceInfo":
        return SourceInfo(meta=self.meta, chunks=self.chunks, scope=self.scope)


class OfRecord:
    """The article fields of `record`, read on an object made from one of its versions (a candidate
    sentence, an excerpt of a prompt)."""

    record: DocumentRecord

    @property
    def title(self) -> str:
        return self.record.title

    @property
    def published(self) -> str:
        return self.record.published


@dataclass(frozen=True)
class ChunkLocation:
    """Where a live chunk stands: its document and its span of the document's stored text. The BM25
    index keeps these and not the chunks' text, which the document records hold already: at 100k
    chunks the text was most of the index's memory and of the file saved after every upload."""

    chunk_id: str
    scope: str
    doc_id: str
    start: int
    end: int
    published: str = ""


@dataclass(frozen=True)
class StoredChunk:
    """A live chunk as the store returns it: where it stands, and its text.

    In Chroma metadata the document id is stored as `article_id`: llama-index's vector stores
    reserve `doc_id` for the id of the source node.
    """

    location: ChunkLocation
    text: str

    @classmethod
    def from_chroma(cls, chunk_id: str, metadata: Mapping[str, Any], text: str) -> "StoredChunk":
        location = ChunkLocation(
            chunk_id=chunk_id, scope=str(metadata["scope"]), doc_id=str(metadata["article_id"]),
            start=int(metadata["start"]), end=int(metadata["end"]), published=str(metadata.get("published") or ""),
        )
        return cls(location, text)


@dataclass(frozen=True)
class SourceInfo(DescribesArticle):
    """One document as `sources` lists it."""

    meta: ArticleMeta
    chunks: int
    scope: str

    def to_json(self) -> dict[str, Any]:
        return {
            "doc_id": self.doc_id, "title": self.title, "published": self.published, "chunks": self.chunks,
            "scope": self.scope, "url": self.url, "source": self.source, "author": self.author,
        }
