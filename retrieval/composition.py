"""The retrieval layer's composition root: `build_service` wires every part of an `AnswerService`
from the one settings object, and `build_catalog` the model-free `Catalog` that `citebot sources`
and a re-run of `citebot ingest` use. Nothing else constructs collaborators; tests and benches pass
their own store, embedder or fetcher where they need to share or fake one (the embedder, loaded once
per test session; a fetcher allowed to reach a loopback test server).

Importing this module loads only the store and the settings: the parts of the service import
llama-index and the embedder's libraries, and a cold `citebot sources` should not even read the
file readers', so each builder imports what it builds when it is called.
"""

from typing import TYPE_CHECKING

from retrieval.catalog import Catalog
from retrieval.index.store import CorpusStore
from retrieval.settings import RetrievalSettings

if TYPE_CHECKING:
    from retrieval.index.embedding import LateChunkingEmbedding
    from retrieval.ingest.discovery import UnchangedCheck
    from retrieval.ingest.editor import CorpusEditor
    from retrieval.ingest.feeds.poller import FeedPoller
    from retrieval.ingest.feeds.store import FeedStore
    from retrieval.ingest.readers import ArticleReader
    from retrieval.ingest.refresh import Refresher
    from retrieval.ingest.web import WebFetcher
    from retrieval.search.retriever import FusionSettings
    from retrieval.service import AnswerService


def build_embed_model(settings: RetrievalSettings) -> "LateChunkingEmbedding":
    """The embedder (the packaged MiniLM by default) on the CPU, in bfloat16 where the CPU has it."""
    from retrieval.index.embedding import LateChunkingEmbedding, native_bfloat16

    precision = settings.embed_precision
    bfloat16 = precision == "bfloat16" or (precision == "auto" and native_bfloat16())
    return LateChunkingEmbedding(settings.embed_model, settings.embed_batch_size, device="cpu", bfloat16=bfloat16)


def fusion_settings(settings: RetrievalSettings) -> "FusionSettings":
    from retrieval.search.recency import RecencyPrior
    from retrieval.search.retriever import FusionSettings

    return FusionSettings(
        top_k=settings.top_k, depth=settings.retrieval_depth, rrf_k=settings.rrf_k, bm25_weight=settings.fusion_bm25_weight,
        recency=RecencyPrior(settings.recency_weight, settings.recency_days),
    )


def build_fetcher(settings: RetrievalSettings) -> "WebFetcher":
    """The guarded URL fetcher (docs/security.md) within these settings' limits; feeds get it with
    their own size limit."""
    from retrieval.ingest.web import FetchLimits, WebFetcher

    return WebFetcher(FetchLimits(settings.fetch_max_bytes, settings.fetch_timeout, settings.fetch_max_redirects,
                                  settings.fetch_allow_loopback))


def build_service(
    settings: RetrievalSettings,
    *,
    store: CorpusStore | None = None,
    embed_model: "LateChunkingEmbedding | None" = None,
    fetcher: "WebFetcher | None" = None,
) -> "AnswerService":
    """The service for these settings. Opening it finishes or rolls back any write a crash
    interrupted (`CorpusStore.recover`) before the first snapshot is read."""
    from retrieval.answer.digest import DigestWriter
    from retrieval.answer.extractive import ExtractiveAnswerer
    from retrieval.answer.ranking import SentenceRanker
    from retrieval.answer.summary import ExtractiveSummarizer
    from retrieval.generation.answerer import LazyLLM, LLMAnswerer
    from retrieval.generation.backends import build_backend
    from retrieval.generation.citations import CitationChecker
    from retrieval.generation.excerpts import ExcerptBuilder
    from retrieval.index.snapshots import SnapshotKeeper
    from retrieval.ingest.editor import CorpusEditor
    from retrieval.ingest.ingestor import ChunkEmbedder, Ingestor
    from retrieval.search.recency import SentenceRecency
    from retrieval.search.retriever import PassageRetriever
    from retrieval.service import AnswerService

    store = store or CorpusStore.connect(settings)
    embed_model = embed_model or build_embed_model(settings)
    fetcher = fetcher or build_fetcher(settings)
    reader = _reader(settings)
    chunker = ChunkEmbedder(settings.chunk_size, settings.chunk_overlap, embed_model)
    ingestor = Ingestor(store, reader, chunker, settings.ingest_group_chunks)
    ranker = SentenceRanker(
        embed_model, store.sentences, settings.sentence_cache_size,
        recency=SentenceRecency(settings.answer_recency_weight, settings.recency_days),
    )
    checker = CitationChecker(ranker, embed_model, settings.citation_min_support)
    excerpts = ExcerptBuilder(ranker, settings.llm_source_tokens)

    def llm_answerer() -> LLMAnswerer | None:
        backend = build_backend(settings)
        return None if backend is None else LLMAnswerer(backend, checker, excerpts, settings)

    store.recover()
    snapshots = SnapshotKeeper(store, settings.data_dir / "bm25", settings.data_dir / "bm25.lock")
    editor = CorpusEditor(settings.corpus_dir, store, snapshots, ingestor, reader, fetcher)
    return AnswerService(
        settings=settings,
        store=store,
        snapshots=snapshots,
        retriever=PassageRetriever(store, embed_model, fusion_settings(settings)),
        editor=editor,
        feeds=_feed_poller(settings, fetcher, editor),
        refresher=_refresher(settings, store, fetcher, editor),
        ranker=ranker,
        answerer=ExtractiveAnswerer(ranker, settings.answer_max_sentences, settings.answer_min_score,
                                    settings.answer_shortlist),
        summarizer=ExtractiveSummarizer(ranker, settings.summary_sentences, settings.answer_min_score),
        digests=DigestWriter(ranker, settings.digest_sentences, settings.digest_max_stories),
        citation_checker=checker,
        llm=LazyLLM(llm_answerer),
    )


def build_catalog(settings: RetrievalSettings, *, store: CorpusStore | None = None) -> Catalog:
    """The documents of these settings' store, read without the model."""
    store = store or CorpusStore.connect(settings)

    def unchanged_check() -> "UnchangedCheck":
        from retrieval.ingest.discovery import UnchangedCheck

        return UnchangedCheck(store, _reader(settings))

    return Catalog(store, unchanged_check)


def build_feed_store(settings: RetrievalSettings) -> "FeedStore":
    """The feeds these settings' data dir subscribes to, read without the model (`citebot feed list`)."""
    from retrieval.ingest.feeds.store import FEEDS_FILE, FeedStore

    return FeedStore(settings.data_dir / FEEDS_FILE)


def _feed_poller(settings: RetrievalSettings, fetcher: "WebFetcher", editor: "CorpusEditor") -> "FeedPoller":
    """Feeds are fetched by the same guarded fetcher, with a size limit of their own."""
    from retrieval.ingest.feeds.poller import FeedPoller

    return FeedPoller(build_feed_store(settings), fetcher.limited_to(settings.feed_max_bytes), editor,
                      settings.feed_max_entries, settings.feed_entry_attempts)


def _refresher(settings: RetrievalSettings, store: CorpusStore, fetcher: "WebFetcher", editor: "CorpusEditor") -> "Refresher":
    """Web documents are fetched again by the same guarded fetcher; their validators and last
    outcome are kept beside the store."""
    from retrieval.ingest.page_state import PAGES_FILE, PageStates
    from retrieval.ingest.refresh import Refresher

    return Refresher(store, fetcher, editor, PageStates(settings.data_dir / PAGES_FILE))


def _reader(settings: RetrievalSettings) -> "ArticleReader":
    from retrieval.ingest.readers import ArticleReader

    return ArticleReader(settings.max_document_bytes, settings.max_document_chars)
