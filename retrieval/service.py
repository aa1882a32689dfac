"""`AnswerService`: the one object the CLI and the bot talk to.

It is built once from settings (`AnswerService.from_settings`, the composition root of the retrieval
layer) and owns the store, the embedder, the BM25 index and the extractive backends. Reads work on
an immutable snapshot (BM25 index + live document hashes) swapped atomically after every write, so
questions can be answered from several threads while an ingest runs.
"""

import threading
import time
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.node_parser import SentenceSplitter
from llama_index.core.schema import QueryBundle

from retrieval.bm25 import BM25Index, fingerprint
from retrieval.documents import ArticleReader, DocumentError
from retrieval.extractive import BACKEND_NAME, ExtractiveAnswerer, ExtractiveSummarizer
from retrieval.ingest import ChunkEmbedder, Ingestor, ProgressCallback
from retrieval.models import CitedAnswer, DocumentSummary, IngestReport, Passage, SourceInfo
from retrieval.ranking import SentenceRanker
from retrieval.retriever import HybridRetriever
from retrieval.settings import RetrievalSettings
from retrieval.store import CorpusStore, DocumentRecord, record_key

SHARED_SCOPE = "shared"
"""Documents every reader can see: the shipped corpus and whatever the CLI ingests."""


class QuestionError(ValueError):
    """A question that cannot be asked as it is (empty, too long); the message is user-facing."""


class DocumentNotFound(LookupError):
    """No live document with that id in the scopes the caller can see."""


@dataclass(frozen=True)
class _Snapshot:
    bm25: BM25Index
    live: dict[str, str]


def build_embed_model(settings: RetrievalSettings) -> BaseEmbedding:
    """The sentence-transformers embedder (local path by default), on CPU unless told otherwise."""
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding

    return HuggingFaceEmbedding(
        model_name=settings.embed_model, embed_batch_size=settings.embed_batch_size, device="cpu"
    )


def clean_question(question: str, max_chars: int) -> str:
    """Strip control characters and surrounding space; reject what cannot be a question."""
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in question)
    text = " ".join(text.split())
    if not text:
        raise QuestionError("The question is empty: ask something about the articles.")
    if len(text) > max_chars:
        raise QuestionError(
            f"The question is {len(text):,} characters long; the limit is {max_chars:,}."
        )
    return text


class AnswerService:
    """Ingest, remove, list, ask and summarise over the corpus, scope-aware throughout."""

    def __init__(self, settings: RetrievalSettings, store: CorpusStore, embed_model: BaseEmbedding) -> None:
        self.settings = settings
        self._store = store
        self._embed_model = embed_model
        self._bm25_dir = settings.data_dir / "bm25"
        splitter = SentenceSplitter(chunk_size=settings.chunk_size, chunk_overlap=settings.chunk_overlap)
        self._reader = ArticleReader(settings.max_document_bytes)
        self._ingestor = Ingestor(store, self._reader, ChunkEmbedder(splitter, embed_model))
        ranker = SentenceRanker(embed_model)
        self._answerer = ExtractiveAnswerer(ranker, settings.answer_max_sentences, settings.answer_min_score)
        self._summarizer = ExtractiveSummarizer(ranker, settings.summary_sentences, settings.answer_min_score)
        self._write_lock = threading.RLock()
        self._store.recover()
        self._snapshot = self._load_snapshot()

    @classmethod
    def from_settings(cls, settings: RetrievalSettings) -> "AnswerService":
        store = CorpusStore.embedded(settings.data_dir / "chroma")
        return cls(settings, store, build_embed_model(settings))

    # Writing ------------------------------------------------------------------------------------

    def ingest(
        self,
        paths: Sequence[Path] | None = None,
        scope: str = SHARED_SCOPE,
        progress: ProgressCallback | None = None,
    ) -> IngestReport:
        """Ingest files and folders (default: the corpus folder) into `scope`."""
        with self._write_lock:
            report = self._ingestor.ingest_paths(list(paths or [self.settings.corpus_dir]), scope, progress)
            self._refresh()
            return report

    def ingest_bytes(
        self, data: bytes, filename: str, scope: str, overrides: dict[str, str] | None = None
    ) -> IngestReport:
        """Ingest one uploaded file; a bad file is reported in `errors`, nothing else changes."""
        report = IngestReport()
        with self._write_lock:
            try:
                document = self._reader.read_bytes(data, filename, overrides=overrides)
                self._ingestor.ingest_document(document, scope, report)
            except DocumentError as exc:
                report.errors.append({"path": filename, "error": str(exc)})
            self._refresh()
        return report

    def remove(self, doc_id: str, scope: str = SHARED_SCOPE) -> bool:
        """Delete a document and its chunks from Chroma and BM25; False if it did not exist."""
        with self._write_lock:
            removed = self._store.remove(scope, doc_id)
            self._refresh()
            return removed

    def ensure_corpus(self, progress: ProgressCallback | None = None) -> IngestReport | None:
        """Ingest the corpus folder when the index is empty (first run); None when not needed."""
        if self._snapshot.live or not self.settings.corpus_dir.is_dir():
            return None
        return self.ingest(progress=progress)

    # Reading ------------------------------------------------------------------------------------

    def sources(self, scopes: Sequence[str] = (SHARED_SCOPE,)) -> list[SourceInfo]:
        return [
            SourceInfo(
                doc_id=r.doc_id,
                title=r.title,
                published=r.published,
                chunks=r.chunks,
                scope=r.scope,
                url=r.url,
                source=r.source,
            )
            for r in self._store.documents(scopes)
        ]

    def ask(self, question: str, scopes: Sequence[str] = (SHARED_SCOPE,)) -> CitedAnswer:
        """A cited answer from the documents in `scopes`, or an abstention."""
        started = time.perf_counter()
        question = clean_question(question, self.settings.max_question_chars)
        snapshot = self._snapshot
        embedding = self._embed_model.get_query_embedding(question)
        passages, records = self._retrieve(question, embedding, scopes, snapshot)
        retrieved = time.perf_counter()
        answer, citations, abstained = self._answerer.answer(
            question, embedding, passages, records, snapshot.bm25
        )
        finished = time.perf_counter()
        return CitedAnswer(
            question=question,
            answer=answer,
            abstained=abstained,
            backend=BACKEND_NAME,
            citations=citations,
            passages=passages,
            timings_ms={
                "retrieve": (retrieved - started) * 1000,
                "answer": (finished - retrieved) * 1000,
                "total": (finished - started) * 1000,
            },
        )

    def summarize_document(self, doc_id: str, scopes: Sequence[str] = (SHARED_SCOPE,)) -> DocumentSummary:
        started = time.perf_counter()
        record = self._find_document(doc_id, scopes)
        text, citations = self._summarizer.summarize_document(record)
        return DocumentSummary(
            subject=record.title,
            summary=text,
            abstained=False,
            backend=BACKEND_NAME,
            citations=citations,
            timings_ms={"total": (time.perf_counter() - started) * 1000},
        )

    def summarize_topic(self, topic: str, scopes: Sequence[str] = (SHARED_SCOPE,)) -> DocumentSummary:
        started = time.perf_counter()
        topic = clean_question(topic, self.settings.max_question_chars)
        snapshot = self._snapshot
        embedding = self._embed_model.get_query_embedding(topic)
        passages, records = self._retrieve(topic, embedding, scopes, snapshot)
        text, citations, abstained = self._summarizer.summarize_topic(
            topic, embedding, passages, records, snapshot.bm25
        )
        return DocumentSummary(
            subject=topic,
            summary=text,
            abstained=abstained,
            backend=BACKEND_NAME,
            citations=citations,
            timings_ms={"total": (time.perf_counter() - started) * 1000},
        )

    def document_text(self, doc_id: str, scopes: Sequence[str] = (SHARED_SCOPE,)) -> str:
        """The stored (cleaned) text that citation offsets point into."""
        return self._find_document(doc_id, scopes).text

    # Internals ----------------------------------------------------------------------------------

    def _find_document(self, doc_id: str, scopes: Sequence[str]) -> DocumentRecord:
        for scope in scopes:
            record = self._store.get(scope, doc_id)
            if record is not None and record.live:
                return record
        raise DocumentNotFound(f"No document with id {doc_id!r}. `sources` lists the ids.")

    def _retrieve(
        self, query: str, embedding: list[float], scopes: Sequence[str], snapshot: _Snapshot
    ) -> tuple[list[Passage], dict[str, DocumentRecord]]:
        retriever = HybridRetriever(
            self._store, snapshot.bm25, snapshot.live, scopes, self.settings.top_k, self.settings.rrf_k
        )
        hits = retriever.retrieve(QueryBundle(query_str=query, embedding=embedding))
        records = self._store.get_many(
            record_key(h.node.metadata["scope"], h.node.metadata["article_id"]) for h in hits
        )
        passages = []
        for hit in hits:
            key = record_key(hit.node.metadata["scope"], hit.node.metadata["article_id"])
            record = records.get(key)
            if record is None or record.content_hash != snapshot.live.get(key):
                continue
            start, end = hit.node.start_char_idx, hit.node.end_char_idx
            passages.append(
                Passage(
                    chunk_id=hit.node.node_id,
                    scope=record.scope,
                    doc_id=record.doc_id,
                    title=record.title,
                    text=record.text[start:end],
                    score=hit.score or 0.0,
                    start=start,
                    end=end,
                    published=record.published,
                    url=record.url,
                )
            )
        return passages, records

    def _load_snapshot(self) -> _Snapshot:
        live = self._store.live_hashes()
        expected = fingerprint(live)
        bm25 = BM25Index.load(self._bm25_dir, expected)
        if bm25 is None:
            bm25 = BM25Index(self._store.live_chunks(), expected)
            bm25.save(self._bm25_dir)
        return _Snapshot(bm25, live)

    def _refresh(self) -> None:
        if fingerprint(self._store.live_hashes()) != self._snapshot.bm25.fingerprint:
            self._snapshot = self._load_snapshot()
