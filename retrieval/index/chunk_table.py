"""The chunks collection: each chunk's vector and its metadata (scope, document, version, offsets),
but not its text, which the document record holds. Raw reads and writes, as `DocumentTable` is for
records; which versions a reader may see is `CorpusStore`'s protocol."""

import functools
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import chromadb
import numpy as np

from retrieval.index.document_table import get_all
from retrieval.models.records import DocumentRecord, StoredChunk, record_key

if TYPE_CHECKING:
    # llama-index is imported where chunks are written or searched: listing documents (`citebot
    # sources`) needs Chroma alone.
    from llama_index.core.schema import BaseNode, TextNode
    from llama_index.core.vector_stores.types import MetadataFilters, VectorStoreQueryResult
    from llama_index.vector_stores.chroma import ChromaVectorStore

_OVERFETCH = 4
"""How many times `top_k` the unfiltered vector search asks for before keeping the visible chunks."""


class ChunkTable:
    """Chunk vectors in one Chroma collection, written and searched through llama-index's
    `ChromaVectorStore` format. `collection` is Chroma's own, for what checks the stored rows
    themselves (the crash trials, the write protocol's tests)."""

    def __init__(self, collection: chromadb.Collection) -> None:
        self.collection = collection

    @functools.cached_property
    def vector_store(self) -> "ChromaVectorStore":
        """The collection as llama-index's vector store, which search queries."""
        from llama_index.vector_stores.chroma import ChromaVectorStore

        return ChromaVectorStore(chroma_collection=self.collection)

    def count(self) -> int:
        return self.collection.count()

    def delete_version(self, scope: str, doc_id: str, content_hash: str) -> None:
        self.collection.delete(
            where={"$and": [{"scope": scope}, {"article_id": doc_id}, {"content_hash": content_hash}]}
        )

    def add(self, nodes: Sequence["BaseNode"], batch_size: int) -> None:
        """Chunks as llama-index's `ChromaVectorStore.add` writes them (the vector, and flat metadata
        holding the node's serialised form), but without their text: the document record holds it, and
        Chroma indexes every stored text for full-text search, which nothing here uses and which cost
        0.45 s per 1,000 chunks, three quarters of their write (docs/benchmarks.md, "Ingest")."""
        from llama_index.core.vector_stores.utils import node_to_metadata_dict

        for begin in range(0, len(nodes), batch_size):
            batch = nodes[begin : begin + batch_size]
            metadatas = [node_to_metadata_dict(node, remove_text=True, flat_metadata=True) for node in batch]
            self.collection.add(
                ids=[node.node_id for node in batch],
                embeddings=np.array([node.get_embedding() for node in batch], dtype=np.float32),
                metadatas=[{key: "" if value is None else value for key, value in m.items()} for m in metadatas],
            )

    def matching(
        self, versions: Mapping[str, str], records: Mapping[str, DocumentRecord], **query: Any
    ) -> list[StoredChunk]:
        """The chunks `query` finds that belong to one of `versions` (record_key -> content hash: a hash
        alone does not name a version, since two scopes may hold the same text), each with its text cut
        from its version's record in `records` (Chroma holds no chunk text, see `add`)."""
        result = get_all(self.collection, include=["metadatas"], **query)
        chunks = []
        for chunk_id, metadata in zip(result["ids"], result["metadatas"], strict=True):
            key, content_hash = record_key(metadata["scope"], metadata["article_id"]), metadata["content_hash"]
            record = records.get(key)
            if versions.get(key) == content_hash and record is not None and record.content_hash == content_hash:
                text = record.text[int(metadata["start"]) : int(metadata["end"])]
                chunks.append(StoredChunk.from_chroma(chunk_id, metadata, text))
        return chunks

    def nearest(
        self, embedding: list[float], top_k: int, scopes: Sequence[str], share: float
    ) -> list[tuple["TextNode", float]]:
        """Nearest chunks in `scopes`, committed or not (see `CorpusStore.query_vectors`)."""
        from llama_index.core.vector_stores.types import VectorStoreQuery

        if share * _OVERFETCH >= 1:
            wanted = set(scopes)
            fetch = min(top_k * _OVERFETCH, math.ceil(top_k / share))
            wide = self.vector_store.query(VectorStoreQuery(query_embedding=embedding, similarity_top_k=fetch))
            hits = [(node, similarity) for node, similarity in _scored_nodes(wide) if node.metadata.get("scope") in wanted]
            if len(hits) >= top_k or len(wide.nodes or []) < fetch:
                return hits[:top_k]
        result = self.vector_store.query(
            VectorStoreQuery(query_embedding=embedding, similarity_top_k=top_k, filters=scope_filter(scopes))
        )
        return _scored_nodes(result)


def scope_filter(scopes: Sequence[str]) -> "MetadataFilters":
    from llama_index.core.vector_stores.types import FilterOperator, MetadataFilter, MetadataFilters

    return MetadataFilters(
        filters=[MetadataFilter(key="scope", value=list(scopes), operator=FilterOperator.IN)]
    )


def _scored_nodes(result: "VectorStoreQueryResult") -> list[tuple["TextNode", float]]:
    """The chunks of a vector query with their similarities (Chroma's store returns both, always)."""
    from llama_index.core.schema import TextNode

    nodes = result.nodes or []
    return [
        (node, similarity)
        for node, similarity in zip(nodes, result.similarities or [], strict=True)
        if isinstance(node, TextNode)
    ]
