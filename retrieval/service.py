"""`AnswerService`: the one object the CLI and the bot talk to.

It is built once from settings (`AnswerService.from_settings`, the composition root of the retrieval
layer) and owns the store, the embedder, the BM25 index, the extractive backends and, when one is
configured, the LLM backend (built on first use) with its citation checker. Reads work on an
immutable snapshot (BM25 index + live document hashes) swapped atomically after every write, so
questions can be answered from several threads while an ingest runs.

The service does not assume it is the only writer: other processes may share its Chroma server.
Before each read it compares the store's corpus generation (one small record) with its snapshot's
and, when they differ, re-reads the live hashes and rebuilds the BM25 index if they changed.
"""

import asyncio
import contextlib
import threading
import time
import unicodedata
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from filelock import FileLock
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.node_parser import SentenceSplitter
from llama_index.core.schema import QueryBundle, TextNode

from retrieval.bm25 import BM25Index, fingerprint
from retrieval.documents import ArticleReader, DocumentError
from retrieval.extractive import ExtractiveAnswerer, ExtractiveSummarizer
from retrieval.generation.answerer import LLMAnswerer, PartialAnswer
from retrieval.generation.backends import LLMError, build_backend
from retrieval.generation.citations import CitationChecker
from retrieval.generation.excerpts import Excerpt, ExcerptBuilder, whole_passages
from retrieval.ingest import ChunkEmbedder, Ingestor, ProgressCallback
from retrieval.models import (
    CheckReport,
    Citation,
    CitedAnswer,
    DocumentSummary,
    Draft,
    IngestReport,
    LLMUsage,
    Passage,
    SourceInfo,
)
from retrieval.questions import strip_chat_markup
from retrieval.ranking import Candidate, SentenceRanker
from retrieval.retriever import HybridRetriever
from retrieval.settings import RetrievalSettings
from retrieval.store import CorpusStore, DocumentRecord, record_key
from retrieval.web import FetchError, FetchLimits, WebFetcher, url_document_id

SHARED_SCOPE = "shared"
"""Documents every reader can see: the shipped corpus and whatever the CLI ingests."""

Turn = tuple[str, str]
"""One earlier (question, answer) exchange of a conversation."""


class QuestionError(ValueError):
    """A question that cannot be asked as it is (empty, too long); the message is user-facing."""


class DocumentNotFound(LookupError):
    """No live document with that id in the scopes the caller can see."""

    def __init__(self, doc_id: str) -> None:
        super().__init__(f"No document with id {doc_id!r}. `sources` lists the ids.")
        self.doc_id = doc_id


@dataclass(frozen=True)
class _Snapshot:
    bm25: BM25Index
    live: dict[str, str]
    generation: str


def build_embed_model(settings: RetrievalSettings) -> BaseEmbedding:
    """The sentence-transformers embedder (local path by default), on CPU unless told otherwise."""
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding

    return HuggingFaceEmbedding(
        model_name=settings.embed_model, embed_batch_size=settings.embed_batch_size, device="cpu"
    )


async def _last(stream: AsyncIterator[PartialAnswer | CitedAnswer]) -> CitedAnswer:
    final = None
    async for event in stream:
        final = event
    assert isinstance(final, CitedAnswer)
    return final


def _summary(subject: str, draft: Draft, started: float) -> DocumentSummary:
    return DocumentSummary(
        subject=subject,
        summary=draft.text,
        abstained=draft.abstained,
        backend=draft.backend,
        citations=draft.citations,
        timings_ms={"total": (time.perf_counter() - started) * 1000},
        fallback_reason=draft.fallback_reason,
        check=draft.check,
        llm_usage=draft.llm_usage,
    )


def clean_question(question: str, max_chars: int) -> str:
    """Strip chat markup (mentions, emoji, Markdown, terminal escapes), control characters and
    surrounding space; reject what cannot be a question."""
    text = strip_chat_markup(question)
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)
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

    def __init__(
        self, settings: RetrievalSettings, store: CorpusStore, embed_model: BaseEmbedding,
        fetcher: WebFetcher | None = None,
    ) -> None:
        self.settings = settings
        self._fetcher = fetcher or WebFetcher(
            FetchLimits(settings.fetch_max_bytes, settings.fetch_timeout, settings.fetch_max_redirects,
                        settings.fetch_allow_loopback)
        )
        self._store = store
        self._embed_model = embed_model
        self._bm25_dir = settings.data_dir / "bm25"
        # Processes sharing a data dir (a bot and a CLI ingest) must not save the BM25 cache at once.
        self._bm25_lock = FileLock(settings.data_dir / "bm25.lock")
        splitter = SentenceSplitter(chunk_size=settings.chunk_size, chunk_overlap=settings.chunk_overlap)
        self._reader = ArticleReader(settings.max_document_bytes, settings.max_document_chars)
        self._ingestor = Ingestor(
            store, self._reader, ChunkEmbedder(splitter, embed_model), settings.ingest_group_chunks
        )
        ranker = self._ranker = SentenceRanker(embed_model, settings.sentence_cache_size)
        self._answerer = ExtractiveAnswerer(
            ranker, settings.answer_max_sentences, settings.answer_min_score, settings.answer_shortlist
        )
        self._summarizer = ExtractiveSummarizer(ranker, settings.summary_sentences, settings.answer_min_score)
        self.citation_checker = CitationChecker(ranker, embed_model, settings.citation_min_support)
        self._excerpts = ExcerptBuilder(ranker, settings.llm_source_tokens)
        self._llm_answerer: LLMAnswerer | None = None
        self._llm_problem = ""
        self._llm_lock = threading.Lock()
        self._write_lock = threading.RLock()
        self._snapshot_lock = threading.Lock()
        self._store.recover()
        self._snapshot = self._load_snapshot(self._store.generation(), None)

    @classmethod
    def from_settings(cls, settings: RetrievalSettings) -> "AnswerService":
        return cls(settings, CorpusStore.connect(settings), build_embed_model(settings))

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

    def ingest_url(self, url: str, scope: str = SHARED_SCOPE, overrides: dict[str, str] | None = None) -> IngestReport:
        """Fetch a web article (see `retrieval.web` for what is refused) and ingest it with its URL, so
        citations link to it; its id comes from the URL, so fetching it again updates it. A URL that
        cannot be fetched or read is reported in `errors`, nothing else changes."""
        report = IngestReport()
        try:
            page = self._fetcher.fetch(url)
        except FetchError as exc:
            report.errors.append({"path": url, "error": str(exc)})
            return report
        doc_id = url_document_id(page.url)
        fields = {"id": doc_id, **(overrides or {}), "url": page.url}
        return self.ingest_bytes(page.body, doc_id + page.suffix, scope, fields)

    def remove(self, doc_id: str, scope: str = SHARED_SCOPE) -> bool:
        """Delete a document and its chunks from Chroma and BM25; False if it did not exist."""
        with self._write_lock:
            removed = self._store.remove(scope, doc_id)
            self._refresh()
            return removed

    def ensure_corpus(self, progress: ProgressCallback | None = None) -> IngestReport | None:
        """Ingest the corpus folder when the index is empty (first run); None when not needed."""
        if self._current_snapshot().live or not self.settings.corpus_dir.is_dir():
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
                author=r.author,
            )
            for r in self._store.documents(scopes)
        ]

    def ask(
        self, question: str, scopes: Sequence[str] = (SHARED_SCOPE,), history: Sequence[Turn] = ()
    ) -> CitedAnswer:
        """A cited answer from the documents in `scopes`, or an abstention (blocking)."""
        return asyncio.run(_last(self.ask_stream(question, scopes, history)))

    async def ask_stream(
        self, question: str, scopes: Sequence[str] = (SHARED_SCOPE,), history: Sequence[Turn] = ()
    ) -> AsyncIterator[PartialAnswer | CitedAnswer]:
        """Partial LLM text as it arrives (LLM backends only), then the final `CitedAnswer`.

        `history` holds earlier (question, answer) turns of the conversation: an LLM rewrites the
        follow-up into a standalone query, the extractive backend widens the query with the last
        question. A failing LLM never fails the request: the extractive backend answers and
        `backend` says why.
        """
        started = time.perf_counter()
        question = clean_question(question, self.settings.max_question_chars)
        snapshot = await asyncio.to_thread(self._current_snapshot)
        llm, llm_problem = await asyncio.to_thread(self._llm)
        query = question
        if history:
            query = f"{history[-1][0]} {question}"
            if llm is not None:
                with contextlib.suppress(LLMError):
                    query = await llm.rewrite_follow_up(history, question)
        embedding = await asyncio.to_thread(self._embed_model.get_query_embedding, query)
        passages, records = await asyncio.to_thread(self._retrieve, query, embedding, scopes, snapshot)
        retrieved = time.perf_counter()
        draft: Draft | None = None
        check: CheckReport | None = None
        usage: LLMUsage | None = None
        if llm is not None and passages:
            try:
                async for event in llm.stream_answer(query, embedding, passages, records, snapshot.bm25):
                    if isinstance(event, PartialAnswer):
                        yield event
                        continue
                    check, usage, llm_problem = event.checked.report, event.usage, event.problem
                    if not llm_problem:
                        draft = Draft(event.checked.text, event.checked.citations, False, llm.backend.name,
                                      check=check, llm_usage=usage)
            except LLMError as exc:
                llm_problem = str(exc)
        if draft is None:
            extractive = await asyncio.to_thread(
                self._answerer.answer, query, embedding, passages, records, snapshot.bm25
            )
            draft = replace(extractive, fallback_reason=llm_problem, check=check, llm_usage=usage)
        finished = time.perf_counter()
        yield CitedAnswer(
            question=question,
            answer=draft.text,
            abstained=draft.abstained,
            backend=draft.backend,
            citations=draft.citations,
            passages=passages,
            timings_ms={
                "retrieve": (retrieved - started) * 1000,
                "answer": (finished - retrieved) * 1000,
                "total": (finished - started) * 1000,
            },
            fallback_reason=draft.fallback_reason,
            check=draft.check,
            llm_usage=draft.llm_usage,
        )

    def summarize_document(self, doc_id: str, scopes: Sequence[str] = (SHARED_SCOPE,)) -> DocumentSummary:
        """A cited summary of one document: the LLM's (map-reduce) when configured, else extractive."""
        started = time.perf_counter()
        record = self._find_document(doc_id, scopes)
        snapshot = self._current_snapshot()
        passages = [
            self._passage(record, chunk.chunk_id, chunk.start, chunk.end, 0.0)
            for chunk in sorted(snapshot.bm25.chunks, key=lambda c: c.start)
            if (chunk.scope, chunk.doc_id) == (record.scope, record.doc_id)
        ]
        sources = whole_passages(self._ranker, passages, {record.key: record})
        draft = self._llm_summary(record.title, sources, snapshot, lambda: self._summarizer.summarize_document(record))
        return _summary(record.title, draft, started)

    def summarize_topic(self, topic: str, scopes: Sequence[str] = (SHARED_SCOPE,)) -> DocumentSummary:
        """What the documents in `scopes` say about `topic`, cited; abstains when they say nothing."""
        started = time.perf_counter()
        topic = clean_question(topic, self.settings.max_question_chars)
        snapshot = self._current_snapshot()
        embedding = self._embed_model.get_query_embedding(topic)
        passages, records = self._retrieve(topic, embedding, scopes, snapshot)
        extractive = self._summarizer.summarize_topic(topic, embedding, passages, records, snapshot.bm25)
        if extractive.abstained:
            return _summary(topic, extractive, started)
        sources = whole_passages(self._ranker, passages, records)
        return _summary(topic, self._llm_summary(topic, sources, snapshot, lambda: extractive), started)

    def citation_support(self, claim: str, citation: Citation) -> float:
        """How well a citation's quote supports `claim`: the citation checker's measured score."""
        record = self._store.get(citation.scope or SHARED_SCOPE, citation.doc_id)
        if record is None or not record.live:
            return 0.0
        quote = Excerpt(record, (Candidate(record, citation.start, citation.end, 0),))
        return self.citation_checker.support(claim, quote, self._current_snapshot().bm25).score

    @property
    def sentence_cache_entries(self) -> int:
        """Sentence embeddings cached now; bounded by SENTENCE_CACHE_SIZE (bench/soak.py checks it)."""
        return self._ranker.cached_embeddings

    def document_text(self, doc_id: str, scopes: Sequence[str] = (SHARED_SCOPE,)) -> str:
        """The stored (cleaned) text that citation offsets point into."""
        return self._find_document(doc_id, scopes).text

    # Internals ----------------------------------------------------------------------------------

    def _find_document(self, doc_id: str, scopes: Sequence[str]) -> DocumentRecord:
        for scope in scopes:
            record = self._store.get(scope, doc_id)
            if record is not None and record.live:
                return record
        raise DocumentNotFound(doc_id)

    def load_llm(self) -> str:
        """Build the configured LLM backend now rather than on the first question; returns why it
        cannot be used ("" when it can, or when the extractive backend is configured).

        The bot calls this (in a thread) before it connects: loading llama-cpp-python holds the GIL
        for over a second, which would stall the event loop if it happened mid-session.
        """
        return self._llm()[1]

    def _llm(self) -> tuple[LLMAnswerer | None, str]:
        """The LLM answerer, built on first use; or None and why not (empty: extractive configured)."""
        if self.settings.llm_backend == "extractive":
            return None, ""
        with self._llm_lock:
            if self._llm_answerer is None and not self._llm_problem:
                try:
                    backend = build_backend(self.settings)
                    if backend is not None:
                        self._llm_answerer = LLMAnswerer(
                            backend, self.citation_checker, self._excerpts, self.settings
                        )
                except LLMError as exc:
                    self._llm_problem = str(exc)
        return self._llm_answerer, self._llm_problem

    def _llm_summary(
        self, subject: str, sources: Sequence[Excerpt], snapshot: _Snapshot, extractive: Callable[[], Draft]
    ) -> Draft:
        """The LLM's checked summary, or the extractive one (built only then) with the reason why."""
        llm, problem = self._llm()
        check: CheckReport | None = None
        usage: LLMUsage | None = None
        if llm is not None and sources:
            try:
                drafted = asyncio.run(llm.summarize(subject, sources, snapshot.bm25))
                check, usage, problem = drafted.checked.report, drafted.usage, drafted.problem
                if not problem:
                    return Draft(drafted.checked.text, drafted.checked.citations, False, llm.backend.name,
                                 check=check, llm_usage=usage)
            except LLMError as exc:
                problem = str(exc)
        return replace(extractive(), fallback_reason=problem, check=check, llm_usage=usage)

    @staticmethod
    def _passage(record: DocumentRecord, chunk_id: str, start: int, end: int, score: float) -> Passage:
        return Passage(
            chunk_id=chunk_id,
            scope=record.scope,
            doc_id=record.doc_id,
            title=record.title,
            text=record.text[start:end],
            score=score,
            start=start,
            end=end,
            published=record.published,
            url=record.url,
        )

    def _retrieve(
        self, query: str, embedding: list[float], scopes: Sequence[str], snapshot: _Snapshot
    ) -> tuple[list[Passage], dict[str, DocumentRecord]]:
        retriever = HybridRetriever(
            self._store, snapshot.bm25, snapshot.live, scopes, self.settings.top_k, self.settings.rrf_k,
            self.settings.fusion_bm25_weight,
        )
        hits = retriever.retrieve(QueryBundle(query_str=query, embedding=embedding))
        records = self._store.get_many(
            record_key(h.node.metadata["scope"], h.node.metadata["article_id"]) for h in hits
        )
        passages = []
        for hit in hits:
            node = hit.node
            key = record_key(node.metadata["scope"], node.metadata["article_id"])
            record = records.get(key)
            if record is None or record.content_hash != snapshot.live.get(key) or not isinstance(node, TextNode):
                continue
            start, end = node.start_char_idx, node.end_char_idx
            if start is not None and end is not None:
                passages.append(self._passage(record, node.node_id, start, end, hit.score or 0.0))
        return passages, records

    def _current_snapshot(self) -> _Snapshot:
        """The snapshot of the corpus as it is now, whoever changed it: one generation read when
        nothing changed, a reload (BM25 rebuilt only if the live versions differ) when it did."""
        generation = self._store.generation()
        if generation == self._snapshot.generation:
            return self._snapshot
        with self._snapshot_lock:
            if generation != self._snapshot.generation:
                self._snapshot = self._load_snapshot(generation, self._snapshot)
            return self._snapshot

    def _load_snapshot(self, generation: str, previous: _Snapshot | None) -> _Snapshot:
        """The snapshot for `generation`, which must have been read before the live hashes are."""
        live = self._store.live_hashes()
        expected = fingerprint(live)
        if previous is not None and previous.bm25.fingerprint == expected:
            return _Snapshot(previous.bm25, live, generation)
        with self._bm25_lock:
            bm25 = BM25Index.load(self._bm25_dir, expected)
            if bm25 is None:
                bm25 = BM25Index(self._store.live_chunks(live), expected)
                bm25.save(self._bm25_dir)
        return _Snapshot(bm25, live, generation)

    def _refresh(self) -> None:
        """After this process's own write, which started a new generation."""
        self._current_snapshot()
