"""Sentence ranking shared by the extractive answerer and summariser.

A candidate sentence is scored by how much of the question's weighted vocabulary it contains (IDF
from the BM25 index, so rare names count more than common words) and by embedding similarity to the
question; sentences that only restate what an already chosen sentence says are skipped, so a
question with several answers ("who denied the request?") gets each of them.
"""

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from cachetools import LRUCache
from llama_index.core.base.embeddings.base import BaseEmbedding

from retrieval.answer_types import expected_answer, offers_answer
from retrieval.bm25 import BM25Index, analyse, analyse_many
from retrieval.models import DocumentRecord, Passage, record_key
from retrieval.sentences import sentence_spans

# A sentence's closing punctuation, possibly followed by closing quotes or brackets. A line without
# one is a headline, a caption or a page stamp: a title, not a statement.
SENTENCE_END = re.compile(r"[.!?…][\"”’')\]]*$")
# A sentence addressed to a model ("ignore previous instructions", "reply only ..."): retrieved text is
# data, so such a sentence is never picked as an answer, a summary line or a citation's support.
# "Reply/say ... only" counts only as an imperative, so reporting ("officials say only two ...") stays.
INSTRUCTION = re.compile(
    r"\b(ignore|disregard|forget|override)\b[^.]{0,40}\b(instructions?|prompts?|rules?|context)\b"
    r"|\b(system prompt|developer message|jailbreak)\b"
    r"|\byou are (now )?(an? )?(ai|assistant|chatbot|language model|llm)\b"
    r"|(^\W*|\b(please|must|should|just)\s+)(reply|respond|answer|say|write|output)\b[^.]{0,20}\b(only|exactly|instead)\b",
    re.IGNORECASE,
)
SEMANTIC_WEIGHT = 0.6
"""Share of embedding similarity in `support_score`; the rest is IDF-weighted word recall."""
_ANSWER_TYPE_BONUS = 0.15
_MIN_WORDS = 6


@dataclass(frozen=True)
class Candidate:
    """A sentence of a stored document, located by offsets into that document's text."""

    record: DocumentRecord
    start: int
    end: int
    passage_rank: int

    @property
    def text(self) -> str:
        return self.record.text[self.start : self.end]

    @property
    def key(self) -> tuple[str, int, int]:
        return (self.record.key, self.start, self.end)

    @property
    def is_statement(self) -> bool:
        """A full sentence rather than a headline fragment (see `SENTENCE_END`)."""
        return bool(SENTENCE_END.search(self.text))


@dataclass(frozen=True)
class ScoredSentence:
    candidate: Candidate
    score: float
    embedding: np.ndarray


def lexical_recall(query_terms: set[str], terms: set[str], bm25: BM25Index) -> float:
    """The share of the query's IDF weight that `terms` contain: rare names count more than common words."""
    total = sum(bm25.idf(t) for t in query_terms)
    return sum(bm25.idf(t) for t in query_terms & terms) / total if total else 0.0


def support_score(semantic: float, query_terms: set[str], terms: set[str], bm25: BM25Index) -> float:
    """How well a text (sentence, span) supports a query (a question, or a claim to check).

    The one score of both the extractive answerer's sentence ranking and the citation check, so the
    threshold measured for one means the same for the other (docs/citations.md).
    """
    return SEMANTIC_WEIGHT * semantic + (1 - SEMANTIC_WEIGHT) * lexical_recall(query_terms, terms, bm25)


class SentenceRanker:
    """Scores and selects sentences for a query; caches sentence embeddings per document version.

    One ranker serves every question of a bot, from several threads at once, for as long as the
    bot runs: its caches are bounded LRU caches behind one lock, and a call never reads back from
    the cache what it needs (it keeps its own vectors in a local dict), so an eviction caused by
    the same or another call cannot make it fail.
    """

    def __init__(self, embed_model: BaseEmbedding, cache_size: int = 50_000, span_cache_size: int = 1024) -> None:
        self._embed_model = embed_model
        self._lock = threading.Lock()
        self._cache: LRUCache[tuple[str, str, int, int], np.ndarray] = LRUCache(maxsize=cache_size)
        self._spans: LRUCache[tuple[str, str], list[tuple[int, int]]] = LRUCache(maxsize=span_cache_size)

    @property
    def cached_embeddings(self) -> int:
        """How many sentence embeddings the cache holds now (at most `cache_size`)."""
        with self._lock:
            return len(self._cache)

    def spans(self, record: DocumentRecord) -> list[tuple[int, int]]:
        cache_key = (record.key, record.content_hash)
        with self._lock:
            cached = self._spans.get(cache_key)
        if cached is not None:
            return cached
        spans = [(s.start, s.end) for s in sentence_spans(record.text)]
        with self._lock:
            self._spans[cache_key] = spans
        return spans

    def candidates_from_passages(
        self, passages: Sequence[Passage], records: dict[str, DocumentRecord]
    ) -> list[Candidate]:
        """Sentences overlapping the retrieved passages, each once, in passage rank order, except those
        addressed to a model (`INSTRUCTION`)."""
        seen: set[tuple[str, int, int]] = set()
        found: list[Candidate] = []
        for rank, passage in enumerate(passages):
            record = records.get(record_key(passage.scope, passage.doc_id))
            if record is None:
                continue
            for start, end in self.spans(record):
                if end <= passage.start or start >= passage.end:
                    continue
                candidate = Candidate(record, start, end, rank)
                if candidate.key not in seen and not INSTRUCTION.search(candidate.text):
                    seen.add(candidate.key)
                    found.append(candidate)
        return found

    def candidates_from_document(self, record: DocumentRecord) -> list[Candidate]:
        """Every sentence of the document except those addressed to a model (`INSTRUCTION`)."""
        candidates = [Candidate(record, start, end, 0) for start, end in self.spans(record)]
        return [c for c in candidates if not INSTRUCTION.search(c.text)]

    def query_embedding(self, query: str) -> list[float]:
        return self._embed_model.get_query_embedding(query)

    def embed(self, candidates: Sequence[Candidate]) -> np.ndarray:
        """Unit-length embeddings of the candidates, computed once per document version.

        The model runs outside the lock (it is the slow part); two threads missing the same
        sentence may both embed it, which costs time, never correctness.
        """
        if not candidates:
            return np.zeros((0, 0), dtype=np.float32)
        keys = [(c.record.key, c.record.content_hash, c.start, c.end) for c in candidates]
        vectors: dict[tuple[str, str, int, int], np.ndarray] = {}
        with self._lock:
            for key in keys:
                cached = self._cache.get(key)
                if cached is not None:
                    vectors[key] = cached
        missing = list(dict.fromkeys(k for k in keys if k not in vectors))
        if missing:
            texts = {k: c.text for k, c in zip(keys, candidates, strict=True)}
            computed = self._embed_model.get_text_embedding_batch([texts[k] for k in missing])
            fresh = {k: _unit(np.asarray(v, dtype=np.float32)) for k, v in zip(missing, computed, strict=True)}
            vectors.update(fresh)
            with self._lock:
                self._cache.update(fresh)
        return np.stack([vectors[k] for k in keys])

    def score(
        self,
        query: str,
        query_embedding: Sequence[float],
        candidates: Sequence[Candidate],
        bm25: BM25Index,
        shortlist: int | None = None,
        shortlist_for: str | None = None,
        asked: str | None = None,
    ) -> list[ScoredSentence]:
        """Candidates scored for `query`, best first.

        With `shortlist`, only that many candidates sharing a term with `shortlist_for` (default:
        the query) are embedded and scored, the lexically best first: an extractive answer only
        quotes sentences that share a term with the question, and embedding every sentence of five
        fresh passages (about 50) was the hot spot of a question (docs/benchmarks.md, "Profile").
        A follow-up shortlists by the whole conversation's terms ("what did the Kremlin say?" after
        a question about a denial) and is scored for its own words; `asked` (default: the query) is
        the question whose form says what kind of answer is wanted (`answer_types`), which for a
        follow-up is its own even when the joined question is what is scored.
        """
        if not candidates:
            return []
        analysed = analyse_many([query] + [c.text for c in candidates])
        query_terms = set(analysed[0])
        terms = [set(t) for t in analysed[1:]]
        order: Sequence[int] = range(len(candidates))
        if shortlist is not None:
            wide = set(analyse(shortlist_for)) if shortlist_for else query_terms
            lexical = [lexical_recall(wide, t, bm25) for t in terms]
            order = sorted(
                (i for i in order if lexical[i] > 0),
                key=lambda i: (-lexical[i], candidates[i].passage_rank, candidates[i].start),
            )[:shortlist]
        kept = [candidates[i] for i in order]
        if not kept:
            return []
        embeddings = self.embed(kept)
        semantic = embeddings @ _unit(np.asarray(query_embedding, dtype=np.float32))
        wants = expected_answer(asked or query)
        scored = []
        for i, candidate, sem, emb in zip(order, kept, semantic, embeddings, strict=True):
            value = support_score(float(sem), query_terms, terms[i], bm25)
            if wants is not None and offers_answer(candidate.text, query_terms, wants):
                value += _ANSWER_TYPE_BONUS
            if len(candidate.text.split()) < _MIN_WORDS:
                value *= 0.7
            scored.append(ScoredSentence(candidate, value, emb))
        return sorted(scored, key=lambda s: (-s.score, s.candidate.passage_rank, s.candidate.start))

    def best_for_query(
        self,
        query: str,
        query_embedding: Sequence[float],
        passages: Sequence[Passage],
        records: dict[str, DocumentRecord],
        bm25: BM25Index,
        limit: int,
        min_score: float,
        relative_floor: float,
        shortlist: int | None = None,
    ) -> list[ScoredSentence]:
        """The retrieved passages' best sentences for `query`: score, then `select`."""
        candidates = self.candidates_from_passages(passages, records)
        scored = self.score(query, query_embedding, candidates, bm25, shortlist=shortlist)
        return self.select(scored, limit, min_score, relative_floor)

    @staticmethod
    def select(
        scored: Sequence[ScoredSentence],
        limit: int,
        min_score: float,
        relative_floor: float = 0.7,
        max_similarity: float = 0.8,
    ) -> list[ScoredSentence]:
        """Greedy pick: good enough (absolute and relative to the best) and not a near-repeat."""
        chosen: list[ScoredSentence] = []
        for item in _good_enough(scored, min_score, relative_floor):
            if len(chosen) == limit:
                break
            if not _repeats(item, chosen, max_similarity):
                chosen.append(item)
        return chosen


def select_diverse(
    scored: Sequence[ScoredSentence],
    limit: int,
    min_score: float,
    relative_floor: float,
    trade_off: float = 0.6,
    new_document_bonus: float = 0.05,
    max_similarity: float = 0.8,
) -> list[ScoredSentence]:
    """Maximal marginal relevance (Carbonell and Goldstein, 1998) over the sentences good enough to
    quote (`select`'s floors): each pick maximises `trade_off`·score − (1 − `trade_off`)·its highest
    similarity to a sentence already picked, plus `new_document_bonus` when it comes from an article
    not quoted yet. A topic summary then covers the topic from several articles and sides instead of
    quoting four paraphrases of its strongest article: on 13 dev topics (bench/topic_summaries.py),
    2.9 articles per summary instead of 2.2, and its closest pair of sentences at 0.67 cosine instead
    of 0.71 (docs/quality.md, "Topic summaries").
    """
    pool = _good_enough(scored, min_score, relative_floor)
    chosen: list[ScoredSentence] = []

    def marginal(item: ScoredSentence) -> float:
        redundancy = max((float(item.embedding @ c.embedding) for c in chosen), default=0.0)
        unseen = all(c.candidate.record.key != item.candidate.record.key for c in chosen)
        return trade_off * item.score - (1 - trade_off) * redundancy + (new_document_bonus if unseen else 0.0)

    while pool and len(chosen) < limit:
        best = max(pool, key=marginal)
        pool.remove(best)
        if not _repeats(best, chosen, max_similarity):
            chosen.append(best)
    return chosen


def _good_enough(scored: Sequence[ScoredSentence], min_score: float, relative_floor: float) -> list[ScoredSentence]:
    """The sentences of `scored` (best first) at least `min_score` and `relative_floor` of the best;
    none when the best is below `min_score`."""
    if not scored or scored[0].score < min_score:
        return []
    floor = max(min_score, relative_floor * scored[0].score)
    return [item for item in scored if item.score >= floor]


def _repeats(item: ScoredSentence, chosen: Sequence[ScoredSentence], max_similarity: float) -> bool:
    """Whether `item` is a near-repeat of a sentence already chosen."""
    return any(float(item.embedding @ c.embedding) > max_similarity for c in chosen)


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else vector
