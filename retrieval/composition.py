"""The retrieval layer's composition root: `build_service` wires every part of an `AnswerService`
from the one settings object. Nothing else constructs collaborators; tests and benches pass their
own store, embedder or fetcher where they need to share or fake one (the embedder, loaded once per
test session; a fetcher allowed to reach a loopback test server)."""

from typing import TYPE_CHECKING

from retrieval.documents import ArticleReader
from retrieval.extractive import ExtractiveAnswerer, ExtractiveSummarizer
from retrieval.generation.answerer import LazyLLM, LLMAnswerer
from retrieval.generation.backends import build_backend
from retrieval.generation.citations import CitationChecker
from retrieval.generation.excerpts import ExcerptBuilder
from retrieval.ingest import ChunkEmbedder, Ingestor
from retrieval.ranking import SentenceRanker
from retrieval.recency import RecencyPrior, SentenceRecency
from retrieval.retriever import FusionSettings, PassageRetriever
from retrieval.service import AnswerService
from retrieval.settings import RetrievalSettings
from retrieval.snapshots import SnapshotKeeper
from retrieval.store import CorpusStore
from retrieval.web import FetchLimits, WebFetcher

if TYPE_CHECKING:
    from retrieval.embedding import LateChunkingEmbedding


def build_embed_model(settings: RetrievalSettings) -> "LateChunkingEmbedding":
    """The embedder (the packaged MiniLM by default) on the CPU, in bfloat16 where the CPU has it."""
    from retrieval.embedding import LateChunkingEmbedding, native_bfloat16

    precision = settings.embed_precision
    bfloat16 = precision == "bfloat16" or (precision == "auto" and native_bfloat16())
    return LateChunkingEmbedding(settings.embed_model, settings.embed_batch_size, device="cpu", bfloat16=bfloat16)


def fusion_settings(settings: RetrievalSettings) -> FusionSettings:
    return FusionSettings(
        top_k=settings.top_k, depth=settings.retrieval_depth, rrf_k=settings.rrf_k, bm25_weight=settings.fusion_bm25_weight,
        recency=RecencyPrior(settings.recency_weight, settings.recency_days),
    )


def build_service(
    settings: RetrievalSettings,
    *,
    store: CorpusStore | None = None,
    embed_model: "LateChunkingEmbedding | None" = None,
    fetcher: WebFetcher | None = None,
) -> AnswerService:
    """The service for these settings. Opening it finishes or rolls back any write a crash
    interrupted (`CorpusStore.recover`) before the first snapshot is read."""
    store = store or CorpusStore.connect(settings)
    embed_model = embed_model or build_embed_model(settings)
    fetcher = fetcher or WebFetcher(
        FetchLimits(settings.fetch_max_bytes, settings.fetch_timeout, settings.fetch_max_redirects,
                    settings.fetch_allow_loopback)
    )
    reader = ArticleReader(settings.max_document_bytes, settings.max_document_chars)
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
    return AnswerService(
        settings=settings,
        store=store,
        snapshots=SnapshotKeeper(store, settings.data_dir / "bm25", settings.data_dir / "bm25.lock"),
        retriever=PassageRetriever(store, embed_model, fusion_settings(settings)),
        ingestor=ingestor,
        reader=reader,
        fetcher=fetcher,
        ranker=ranker,
        answerer=ExtractiveAnswerer(ranker, settings.answer_max_sentences, settings.answer_min_score,
                                    settings.answer_shortlist),
        summarizer=ExtractiveSummarizer(ranker, settings.summary_sentences, settings.answer_min_score),
        citation_checker=checker,
        llm=LazyLLM(llm_answerer),
    )
