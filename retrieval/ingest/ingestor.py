"""Ingest: files to documents, documents to embedded chunks, chunks into the store.

Unchanged documents (same content hash) cost one record lookup and no embedding, unless a damaged
file lost their sentence vectors: then they are embedded again and only those are stored. Changed and new
documents are gathered into groups of about `INGEST_GROUP_CHUNKS` chunks: a group is embedded in
full batches across documents (one document alone is only a handful of chunks) and written with
`CorpusStore.write_versions`, in which every document commits on its own, so a failure or a kill
mid-run leaves every document either at its previous version or fully at its new one.
"""

import functools
import logging
from bisect import bisect_left
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from llama_index.core.node_parser import SentenceSplitter
from llama_index.core.schema import BaseNode, Document, MetadataMode, NodeRelationship, TextNode

from retrieval.index.sentence_vectors import DocumentVersion, SentenceVectors, unit
from retrieval.index.store import CorpusStore
from retrieval.ingest.discovery import discover, ingested_folders, vanished
from retrieval.ingest.readers import ArticleReader, DocumentError, SourceDocument
from retrieval.models.answers import IngestReport
from retrieval.models.records import DocumentRecord, chunk_id
from retrieval.text.sentences import sentence_spans

if TYPE_CHECKING:
    # Importing the embedder imports torch: only the composition root does, when a model is needed.
    from retrieval.index.embedding import LateChunkingEmbedding, TokenVectors

log = logging.getLogger(__name__)

ProgressCallback = Callable[[str, int, int], None]
"""Called as (current file, files done, files total)."""

_CHUNK_METADATA = ("scope", "article_id", "content_hash", "title", "published", "url", "start", "end", "ordinal")


class ChunkEmbedder:
    """Splits documents into sentence-aware chunks located by offsets, and embeds chunks in batches,
    each chunk's sentences from the same forward pass (`late_chunked`)."""

    def __init__(self, chunk_size: int, chunk_overlap: int, embed_model: "LateChunkingEmbedding") -> None:
        self._chunk_size = chunk_size
        self._chunk_overlap = chunk_overlap
        self._embed_model = embed_model

    @functools.cached_property
    def _splitter(self) -> SentenceSplitter:
        """Built when a document is first split: it loads a tiktoken encoding to count tokens, a
        sixth of a second that a process which only answers questions never needs."""
        return SentenceSplitter(chunk_size=self._chunk_size, chunk_overlap=self._chunk_overlap)

    def nodes_for(self, document: SourceDocument, scope: str) -> list[TextNode]:
        content_hash = document.content_hash
        source = Document(text=document.text, id_=f"{scope}/{document.doc_id}")
        nodes: list[TextNode] = []
        for ordinal, node in enumerate(self._splitter.get_nodes_from_documents([source])):
            start, end = _locate(document.text, node)
            nodes.append(
                TextNode(
                    id_=chunk_id(scope, document.doc_id, content_hash, ordinal),
                    text=document.text[start:end],
                    start_char_idx=start,
                    end_char_idx=end,
                    metadata={
                        "scope": scope,
                        "article_id": document.doc_id,
                        "content_hash": content_hash,
                        "title": document.title,
                        "published": document.published,
                        "url": document.url,
                        "start": start,
                        "end": end,
                        "ordinal": ordinal,
                    },
                    excluded_embed_metadata_keys=[k for k in _CHUNK_METADATA if k != "title"],
                    excluded_llm_metadata_keys=list(_CHUNK_METADATA),
                    relationships={NodeRelationship.SOURCE: source.as_related_node_info()},
                )
            )
        return nodes

    def embed(self, documents: Sequence[tuple[str, Sequence[TextNode]]]) -> list[SentenceVectors]:
        """Sets every chunk node's embedding, in full batches across the documents (text, chunk
        nodes in order); returns each document's sentence vectors."""
        nodes = [node for _, document_nodes in documents for node in document_nodes]
        embedded = [n.get_content(metadata_mode=MetadataMode.EMBED) for n in nodes]
        token_vectors = iter(self._embed_model.token_vectors(embedded))
        windows = iter([_window(node, text) for node, text in zip(nodes, embedded, strict=True)])
        found = []
        for text, document_nodes in documents:
            own = [next(token_vectors) for _ in document_nodes]
            for node, vectors in zip(document_nodes, own, strict=True):
                node.embedding = vectors.embedding.tolist()
            found.append(late_chunked(text, [next(windows) for _ in document_nodes], own, self._embed_separately))
        return found

    def _embed_separately(self, sentences: list[str]) -> list[np.ndarray]:
        return [np.asarray(v, dtype=np.float32) for v in self._embed_model.get_text_embedding_batch(sentences)]


@dataclass(frozen=True)
class ChunkWindow:
    """Where a chunk lies in its document, and where its text starts in the text that was embedded
    (after the title header)."""

    start: int
    end: int
    text_offset: int


def late_chunked(
    text: str,
    windows: Sequence[ChunkWindow],
    token_vectors: Sequence["TokenVectors"],
    embed_separately: Callable[[list[str]], list[np.ndarray]],
) -> SentenceVectors:
    """Every sentence of `text` (`sentences.sentence_spans`, the unit every quote is made of) with
    the pooled vector of its tokens from the first chunk window that holds it whole (windows ordered
    by start, as the splitter makes them), or embedded on its own when none does (a sentence longer
    than a chunk, or past the model's input length)."""
    spans = [(s.start, s.end) for s in sentence_spans(text)]
    ends = [w.end for w in windows]
    vectors: list[np.ndarray | None] = []
    for start, end in spans:
        vector = None
        # Windows ending at or after the sentence's end, while they still start before it.
        for index in range(bisect_left(ends, end), len(windows)):
            window = windows[index]
            if window.start > start:
                break
            shift = window.text_offset - window.start
            vector = token_vectors[index].span_vector(start + shift, end + shift)
            if vector is not None:
                break
        vectors.append(vector)
    missing = [i for i, v in enumerate(vectors) if v is None]
    if missing:
        for i, vector in zip(missing, embed_separately([text[slice(*spans[i])] for i in missing]), strict=True):
            vectors[i] = unit(np.asarray(vector, dtype=np.float32))
    dims = len(token_vectors[0].embedding) if token_vectors else 0
    stacked = np.stack([v for v in vectors if v is not None]) if spans else np.zeros((0, dims), dtype=np.float32)
    return SentenceVectors(np.asarray(spans, dtype=np.int64).reshape(-1, 2), stacked)


def _window(node: TextNode, embedded: str) -> ChunkWindow:
    """Where the chunk's text starts in what was embedded: after the title header, at the end."""
    content = node.get_content(metadata_mode=MetadataMode.NONE)
    if not embedded.endswith(content) or node.start_char_idx is None or node.end_char_idx is None:
        raise DocumentError("internal error: a chunk's embedded text does not end with the chunk")
    return ChunkWindow(node.start_char_idx, node.end_char_idx, len(embedded) - len(content))


def _locate(text: str, node: BaseNode) -> tuple[int, int]:
    """Offsets of a chunk in the document; the splitter sets them, this double-checks them."""
    start, end = (node.start_char_idx, node.end_char_idx) if isinstance(node, TextNode) else (None, None)
    content = node.get_content(metadata_mode=MetadataMode.NONE)
    if start is None or end is None or text[start:end] != content:
        start = text.find(content)
        if start < 0:
            raise DocumentError("internal error: a chunk is not a span of its document")
        end = start + len(content)
    return start, end


@dataclass
class _Staged:
    """A changed or new document, chunked, waiting for its group to be embedded and committed."""

    record: DocumentRecord
    nodes: list[TextNode]
    replaces_live: bool
    restores_sentences: bool = False
    """Live already, but without its sentence vectors (a damaged file lost them): only they are written."""


class Ingestor:
    """Brings files or uploaded bytes into the store for one scope and reports what changed."""

    def __init__(
        self, store: CorpusStore, reader: ArticleReader, chunker: ChunkEmbedder, group_chunks: int
    ) -> None:
        self._store = store
        self._reader = reader
        self._chunker = chunker
        self._group_chunks = group_chunks

    def ingest_paths(
        self, paths: Sequence[Path], scope: str, progress: ProgressCallback | None = None,
        overrides: dict[str, str] | None = None,
    ) -> IngestReport:
        """`overrides` (title, published, url ...) win over what each file says of itself."""
        targets, errors = discover(paths)
        report = IngestReport(errors=errors)
        seen: dict[str, Path] = {}
        group: list[_Staged] = []
        for done, target in enumerate(targets):
            if progress is not None:
                progress(str(target.path), done, len(targets))
            try:
                document = self._reader.read_path(target.path, overrides)
                if document.doc_id in seen:
                    raise DocumentError(
                        f"document id {document.doc_id!r} is already used by {seen[document.doc_id]}"
                    )
                staged = self._stage(document, scope, report)
                seen[document.doc_id] = target.path
            except DocumentError as exc:
                report.errors.append({"path": str(target.path), "error": str(exc)})
                continue
            if staged is not None:
                group.append(staged)
            if sum(len(s.nodes) for s in group) >= self._group_chunks:
                self._commit(group, report)
                group = []
        self._commit(group, report)
        if progress is not None:
            progress("", len(targets), len(targets))
        self._remove_vanished(ingested_folders(paths, targets), seen, scope, report)
        return report

    def ingest_document(self, document: SourceDocument, scope: str, report: IngestReport) -> None:
        staged = self._stage(document, scope, report)
        if staged is not None:
            self._commit([staged], report)

    def _stage(self, document: SourceDocument, scope: str, report: IngestReport) -> _Staged | None:
        """The document chunked, or None (counted as unchanged) when its live version is this one.
        A live version whose sentence vectors are missing (a damaged file was replaced) is unchanged
        too, but chunked again to embed them: the stored vectors are what spares every question
        embedding its candidate sentences."""
        current = self._store.get(scope, document.doc_id)
        _refuse_another_files_id(current, document)
        report.articles.append(document.meta)
        if current is not None and current.live and current.content_hash == document.content_hash:
            report.unchanged += 1
            if self._store.sentences.has_version(current.key, current.content_hash):
                return None
            return _Staged(current, self._chunker.nodes_for(document, scope), replaces_live=True, restores_sentences=True)
        record = DocumentRecord(
            scope=scope, meta=document.meta, content_hash=document.content_hash, path=document.path, text=document.text
        )
        replaces_live = current is not None and current.live
        return _Staged(record, self._chunker.nodes_for(document, scope), replaces_live)

    def _commit(self, group: Sequence[_Staged], report: IngestReport) -> None:
        if not group:
            return
        sentences = self._chunker.embed([(staged.record.text, staged.nodes) for staged in group])
        versions = [DocumentVersion(s.record, s.nodes, vectors) for s, vectors in zip(group, sentences, strict=True)]
        self._store.write_versions([v for s, v in zip(group, versions, strict=True) if not s.restores_sentences])
        restored = [v for s, v in zip(group, versions, strict=True) if s.restores_sentences]
        if restored:
            self._store.sentences.restore(restored, self._store.get_many)
            log.info("stored the sentence vectors of %d unchanged documents again", len(restored))
        for staged in group:
            if staged.restores_sentences:
                continue
            if staged.replaces_live:
                report.updated += 1
            else:
                report.added += 1
            report.chunks += len(staged.nodes)

    def _remove_vanished(self, folders: set[Path], ingested: Mapping[str, Path], scope: str, report: IngestReport) -> None:
        """Documents once ingested from these folders whose file is gone are removed, and so are those
        whose file was just ingested under another id (ids of non-Latin names changed, a front-matter
        id may): the file's document moved, and would otherwise be indexed twice."""
        ids_of = {str(path): doc_id for doc_id, path in ingested.items()}
        records = self._store.documents([scope])
        moved = [r for r in records if ids_of.get(r.path, r.doc_id) != r.doc_id]
        for record in moved + (vanished(records, folders) if folders else []):
            if self._store.remove(scope, record.doc_id):
                report.removed += 1


def _refuse_another_files_id(current: DocumentRecord | None, document: SourceDocument) -> None:
    """Refuse `document` when the live document with its id came from another file: two names can
    map to one id (`Report!.md` and `report.md`), and replacing it would silently lose that file's
    document. The same name (an upload again, a file changed in place) updates it, and so does a file
    whose predecessor is gone (renamed or moved); a record without a name (an upload stored before
    uploads kept theirs) cannot tell, and is updated as it always was."""
    if current is None or not current.live or not current.path or not document.path or current.path == document.path:
        return
    previous = Path(current.path)
    if previous.is_absolute() and Path(document.path).is_absolute() and not previous.exists():
        return
    raise DocumentError(
        f"document id {document.doc_id!r} is already used by {current.path}: "
        "rename the file, or remove that document first to replace it"
    )
