"""`AnswerService`: the one object the CLI and the bot talk to, a thin facade over parts that each
do one job (docs/architecture.md):

- `SnapshotKeeper` (retrieval/index/snapshots.py): the live documents and the BM25 index readers see;
- `PassageRetriever` (retrieval/search/retriever.py): query → `Retrieval` (passages, records, BM25);
- `ExtractiveAnswerer` / `ExtractiveSummarizer` and the `LazyLLM` answerer, combined by one
  fallback policy (`retrieval/generation/fallback.py`);
- `turn_of` (retrieval/language/follow_ups.py) and `standalone_query` (retrieval/conversation.py):
  what a follow-up asks;
- `CorpusEditor` (retrieval/ingest/editor.py) for writes: ingest, upload, fetch a URL, remove;
- `FeedPoller` (retrieval/ingest/feeds/poller.py) and `Refresher` (retrieval/ingest/refresh.py): the
  feeds a scope subscribes to, and its web documents fetched again.

`build_service` (retrieval/composition.py) wires them from settings. Reads work on an immutable
snapshot swapped after every write, so questions can be answered from several threads while an
ingest runs; other processes may write to the same store (see retrieval/index/snapshots.py).
"""

import asyncio
import datetime as dt
import time
import unicodedata
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

from retrieval.answer.digest import DigestWriter, is_new
from retrieval.answer.extractive import ExtractiveAnswerer
from retrieval.answer.ranking import SentenceRanker
from retrieval.answer.short_answer import short_answer
from retrieval.answer.summary import ExtractiveSummarizer
from retrieval.conversation import follow_up_of, standalone_query
from retrieval.generation.answerer import LazyLLM
from retrieval.generation.citations import CitationChecker
from retrieval.generation.excerpts import whole_passages
from retrieval.generation.fallback import drafts, read_drafts, summary_draft
from retrieval.index.snapshots import SnapshotKeeper
from retrieval.index.store import CorpusStore
from retrieval.ingest.editor import CorpusEditor
from retrieval.ingest.feeds.poller import FeedPoller
from retrieval.ingest.ingestor import ProgressCallback
from retrieval.ingest.refresh import Refresher
from retrieval.language.follow_ups import Turn, turn_of
from retrieval.language.questions import strip_chat_markup
from retrieval.models.answers import AnswerUpdate, CitedAnswer, DocumentSummary, Draft, IngestReport
from retrieval.models.digest import Digest
from retrieval.models.records import SHARED_SCOPE, DocumentRecord, SourceInfo
from retrieval.search.retriever import PassageRetriever, passage_of
from retrieval.search.subject_gate import require_named_subjects
from retrieval.settings import RetrievalSettings

__all__ = ["SHARED_SCOPE", "AnswerService", "DocumentNotFound", "QuestionError", "Turn", "clean_question"]

_WARM_UP_QUESTION = "What happened, and who said what about it?"
"""Answered once by `AnswerService.prepare` and thrown away: any question loads what every question needs."""


class QuestionError(ValueError):
    """A question that cannot be asked as it is (empty, too long); the message is user-facing."""


class DocumentNotFound(LookupError):
    """No live document with that id in the scopes the caller can see."""

    def __init__(self, doc_id: str) -> None:
        super().__init__(f"No document with id {doc_id!r}. `sources` lists the ids.")
        self.doc_id = doc_id


def clean_question(question: str, max_chars: int) -> str:
    """Strip chat markup (mentions, emoji, Markdown, terminal escapes), control characters and
    surrounding space; reject what cannot be a question."""
    text = strip_chat_markup(question)
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)
    text = " ".join(text.split())
    if not text:
        raise QuestionError("The question is empty: ask something about the articles.")
    if len(text) > max_chars:
        raise QuestionError(f"The question is {len(text):,} characters long; the limit is {max_chars:,}.")
    return text


class AnswerService:
    """Ingest, remove, list, ask and summarise over the corpus, scope-aware throughout. Writes are
    the `editor`'s, the feeds a scope follows the `feeds`' (`FeedError`, `UnknownFeed`), and web
    documents fetched again the `refresher`'s (`NoWebDocument`): named here so that the bot and the
    CLI hold one object."""

    def __init__(
        self,
        settings: RetrievalSettings,
        store: CorpusStore,
        snapshots: SnapshotKeeper,
        retriever: PassageRetriever,
        editor: CorpusEditor,
        feeds: FeedPoller,
        refresher: Refresher,
        ranker: SentenceRanker,
        answerer: ExtractiveAnswerer,
        summarizer: ExtractiveSummarizer,
        citation_checker: CitationChecker,
        llm: LazyLLM,
        digests: DigestWriter,
    ) -> None:
        self.settings = settings
        self.store = store
        self.snapshots = snapshots
        self.citation_checker = citation_checker
        self.editor = editor
        self.feeds = feeds
        self.refresher = refresher
        self._retriever = retriever
        self._ranker = ranker
        self._answerer = answerer
        self._summarizer = summarizer
        self._llm = llm
        self._digests = digests

    # Writing: the editor's ------------------------------------------------------------------------

    def ingest(
        self, paths: Sequence[Path] | None = None, scope: str = SHARED_SCOPE, progress: ProgressCallback | None = None,
        overrides: dict[str, str] | None = None,
    ) -> IngestReport:
        return self.editor.ingest(paths, scope, progress, overrides)

    def ingest_bytes(
        self, data: bytes, filename: str, scope: str, overrides: dict[str, str] | None = None, source: str = ""
    ) -> IngestReport:
        return self.editor.ingest_bytes(data, filename, scope, overrides, source)

    def ingest_url(self, url: str, scope: str = SHARED_SCOPE, overrides: dict[str, str] | None = None) -> IngestReport:
        return self.editor.ingest_url(url, scope, overrides)

    def remove(self, doc_id: str, scope: str = SHARED_SCOPE) -> bool:
        return self.editor.remove(doc_id, scope)

    def ensure_corpus(self, progress: ProgressCallback | None = None) -> IngestReport | None:
        return self.editor.ensure_corpus(progress)

    # Reading ------------------------------------------------------------------------------------

    def sources(self, scopes: Sequence[str] = (SHARED_SCOPE,)) -> list[SourceInfo]:
        return [record.source_info() for record in self.store.documents(scopes)]

    def ask(
        self, question: str, scopes: Sequence[str] = (SHARED_SCOPE,), history: Sequence[Turn] = (),
        asked_on: dt.date | None = None,
    ) -> CitedAnswer:
        """A cited answer from the documents in `scopes`, or an abstention (blocking)."""

        async def last() -> CitedAnswer:
            final = None
            async for event in self.ask_stream(question, scopes, history, asked_on):
                final = event
            assert isinstance(final, CitedAnswer), "ask_stream ends with the answer"
            return final

        return asyncio.run(last())

    async def ask_stream(
        self, question: str, scopes: Sequence[str] = (SHARED_SCOPE,), history: Sequence[Turn] = (),
        asked_on: dt.date | None = None,
    ) -> AsyncIterator[AnswerUpdate | CitedAnswer]:
        """With an LLM: the extractive answer at once, the LLM's checked sentences as they pass,
        then the final `CitedAnswer` (`retrieval.generation.fallback.drafts`); without one, only the last.

        `history` holds earlier (question, answer) turns (`turn_of`, `standalone_query`). `asked_on`
        is the day of asking (default: today): "this week" is its week, and no article published
        after it is used (`retrieval/search/recency.py`).
        A question is answered only when a retrieved article mentions what it names
        (`require_named_subjects`). A failing LLM never fails the request: the extractive backend
        answers and `fallback_reason` says why."""
        started = time.perf_counter()
        question = clean_question(question, self.settings.max_question_chars)
        snapshot = await asyncio.to_thread(self.snapshots.current)
        llm = await asyncio.to_thread(self._llm.status)
        turn = turn_of(question, history)
        query = await standalone_query(turn.question, turn.follows, llm.answerer)
        follow_up = follow_up_of(turn, query)
        asked_on = asked_on or dt.date.today()
        found = await asyncio.to_thread(self._retriever.retrieve, query, scopes, snapshot, None, asked_on)
        evidence = require_named_subjects(found, follow_up.question if follow_up is not None else turn.question)
        retrieved = time.perf_counter()
        asked_as = turn.question if turn.question != question else ""
        asked = follow_up.question if follow_up is not None else turn.question
        if self.settings.llm_role == "reader":
            produced = read_drafts(
                evidence, llm, asked, lambda lead: self._answerer.answer(evidence, follow_up, lead),
                lambda: self._answerer.reading_list(evidence, follow_up, self.settings.llm_reader_candidates),
            )
        else:
            produced = drafts(evidence, llm, asked, lambda: self._answerer.answer(evidence, follow_up))
        async for drafted in produced:
            now = time.perf_counter()
            timings = {"retrieve": retrieved - started, "answer": now - retrieved, "total": now - started}
            draft = drafted if isinstance(drafted, Draft) else drafted.draft
            short = draft.short_answer or short_answer(asked, draft.citations, evidence.texts)
            answer = CitedAnswer(question, draft, found.passages, {name: s * 1000 for name, s in timings.items()},
                                 asked_as, asked_on.isoformat(), short, evidence.unmentioned)
            yield answer if isinstance(drafted, Draft) else AnswerUpdate(answer, drafted.stage)

    def summarize_document(self, doc_id: str, scopes: Sequence[str] = (SHARED_SCOPE,)) -> DocumentSummary:
        """A cited summary of one document: the LLM's (map-reduce) when configured, else extractive."""
        started = time.perf_counter()
        record = self._find_document(doc_id, scopes)
        snapshot = self.snapshots.current()
        passages = [
            passage_of(record, chunk.chunk_id, chunk.start, chunk.end, 0.0)
            for chunk in sorted(snapshot.bm25.chunks, key=lambda c: c.start)
            if (chunk.scope, chunk.doc_id) == (record.scope, record.doc_id)
        ]
        sources = whole_passages(self._ranker, passages, {record.key: record})
        draft = summary_draft(
            self._llm, record.title, sources, snapshot.bm25, lambda: self._summarizer.summarize_document(record)
        )
        return DocumentSummary(record.title, draft, _elapsed_ms(started))

    def summarize_topic(self, topic: str, scopes: Sequence[str] = (SHARED_SCOPE,)) -> DocumentSummary:
        """What `scopes` say about `topic`, cited, or an abstention; an LLM reads only the `TOP_K` best passages."""
        started = time.perf_counter()
        topic = clean_question(topic, self.settings.max_question_chars)
        snapshot = self.snapshots.current()
        found = require_named_subjects(
            self._retriever.retrieve(topic, scopes, snapshot, top_k=self.settings.summary_passages), topic
        )
        extractive = self._summarizer.summarize_topic(found)
        if extractive.abstained:
            return DocumentSummary(topic, extractive, _elapsed_ms(started))
        sources = whole_passages(self._ranker, found.passages[: self.settings.top_k], found.records)
        draft = summary_draft(self._llm, topic, sources, snapshot.bm25, lambda: extractive)
        return DocumentSummary(topic, draft, _elapsed_ms(started))

    def digest(
        self, since: dt.datetime, scopes: Sequence[str] = (SHARED_SCOPE,), until: dt.datetime | None = None
    ) -> Digest:
        """The articles of `scopes` that are news between `since` and `until` (aware instants;
        default: now), grouped by story, each story a short cited summary, the newest first
        (blocking). Extractive: every sentence is a stored one."""
        started = time.perf_counter()
        until = until or dt.datetime.now(dt.UTC)
        # Dates decide what is new; only the new documents' texts are read.
        new = [record.key for record in self.store.documents(scopes) if is_new(record, since, until)]
        found = self.store.get_many(new)
        records = [found[key] for key in new if key in found]
        stories = self._digests.stories(records)
        return Digest(since.isoformat(), until.isoformat(), stories, len(records), _elapsed_ms(started))

    @property
    def sentence_cache_entries(self) -> int:
        """Sentence embeddings cached now; bounded by SENTENCE_CACHE_SIZE (bench/soak.py checks it)."""
        return self._ranker.cached_embeddings

    def document_text(self, doc_id: str, scopes: Sequence[str] = (SHARED_SCOPE,)) -> str:
        """The stored (cleaned) text that citation offsets point into."""
        return self._find_document(doc_id, scopes).text

    def prepare(self) -> str:
        """Load now what the first question would otherwise wait for (the LLM backend: the local
        model's worker and its self-check; Chroma's vector segment, Punkt, the embedder's first
        passes: bench/cold_start.py) and return why the LLM cannot be used ("" when it can)."""
        problem = self._llm.status().problem
        found = self._retriever.retrieve(_WARM_UP_QUESTION, [SHARED_SCOPE], self.snapshots.current())
        self._answerer.answer(found, None)
        return problem

    def close(self) -> None:
        """Stop the local model's worker process, if one runs (it also ends when this process does)."""
        self._llm.close()

    # Internals ----------------------------------------------------------------------------------

    def _find_document(self, doc_id: str, scopes: Sequence[str]) -> DocumentRecord:
        for scope in scopes:
            record = self.store.get(scope, doc_id)
            if record is not None and record.live:
                return record
        raise DocumentNotFound(doc_id)

def _elapsed_ms(started: float) -> dict[str, float]:
    return {"total": (time.perf_counter() - started) * 1000}
