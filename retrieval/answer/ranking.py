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

from retrieval.answer.candidates import Candidate, ScoredSentence, lexical_recall, support_score
from retrieval.answer.selection import Selection
from retrieval.answer.sentence_embedder import SentenceEmbedder
from retrieval.answer.tuning import ANSWER_KIND_BONUS, MIN_WORDS, RESCORED, SPECIFIC_BONUS, WEAK_ANSWER
from retrieval.index.bm25 import BM25Index
from retrieval.index.sentence_vectors import SentenceVectorSource, unit
from retrieval.language.answer_kinds import ANYWHERE, counted_noun, counts, expected_answer, form_terms, offers_answer
from retrieval.language.directives import is_directive
from retrieval.language.vocabulary import analyse, analyse_many
from retrieval.models.answers import Passage
from retrieval.models.records import DocumentRecord, record_key
from retrieval.search.recency import SentenceRecency
from retrieval.text.sentences import bounded, sentence_spans


class SentenceRanker:
    """Scores and selects sentences for a query.

    Sentence vectors come from the `SentenceEmbedder`: those stored at ingest rank every candidate
    for free, and the best `RESCORED` of a question are then embedded on their own and scored
    again (docs/quality.md, "Sentence vectors from the chunk's forward pass"). Thread-safe: the
    embedder's and the span cache are bounded LRU caches behind locks.
    """

    def __init__(
        self, embed_model: BaseEmbedding, vectors: SentenceVectorSource | None = None, cache_size: int = 50_000,
        span_cache_size: int = 1024, recency: SentenceRecency | None = None,
    ) -> None:
        self._embed_model = embed_model
        self._recency = recency or SentenceRecency(weight=0.0, days=1.0)
        self._vectors = vectors
        self._embedder = SentenceEmbedder(embed_model, vectors, cache_size)
        self._lock = threading.Lock()
        self._spans: LRUCache[tuple[str, str], list[tuple[int, int]]] = LRUCache(maxsize=span_cache_size)

    @property
    def cached_embeddings(self) -> int:
        """How many computed sentence embeddings the cache holds now (at most `cache_size`)."""
        return self._embedder.cached_embeddings

    def spans(self, record: DocumentRecord) -> list[tuple[int, int]]:
        """The record's sentences: those stored at ingest with their vectors, else found now (a
        version stored without them, or a store on a Chroma server with no file of this data dir's).
        Stored ones spare a question NLTK, whose import was 0.6 s of a cold `citebot ask`, and
        Punkt's pass over every candidate article; they are the spans ingest found, so a version
        keeps its sentences until it is ingested again, except that a stored span longer than a
        sentence may be (one an ingest stored before `MAX_SENTENCE_CHARS` existed) is cut as ingest
        cuts one now; its pieces have no stored vector and are embedded when they are candidates."""
        cache_key = (record.key, record.content_hash)
        with self._lock:
            cached = self._spans.get(cache_key)
        if cached is not None:
            return cached
        stored = self._vectors.sentence_spans(record.key, record.content_hash) if self._vectors is not None else []
        found = (
            [piece for start, end in stored for piece in bounded(record.text, start, end)]
            if stored else sentence_spans(record.text)
        )
        spans = [(s.start, s.end) for s in found]
        with self._lock:
            self._spans[cache_key] = spans
        return spans

    def candidates_from_passages(
        self, passages: Sequence[Passage], records: dict[str, DocumentRecord]
    ) -> list[Candidate]:
        """Sentences overlapping the retrieved passages, each once, in passage rank order, except
        directives (`directives.is_directive`: instructions to a model, claims to be a source)."""
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
                if candidate.key not in seen and not is_directive(candidate.text):
                    seen.add(candidate.key)
                    found.append(candidate)
        return found

    def sentence_before(self, candidate: Candidate) -> str:
        """The sentence before `candidate` in its document ("" for the first)."""
        before = [(start, end) for start, end in self.spans(candidate.record) if end <= candidate.start]
        return candidate.record.text[before[-1][0] : before[-1][1]] if before else ""

    def candidates_from_document(self, record: DocumentRecord) -> list[Candidate]:
        """Every sentence of the document except directives (`directives.is_directive`)."""
        candidates = [Candidate(record, start, end, 0) for start, end in self.spans(record)]
        return [c for c in candidates if not is_directive(c.text)]

    def query_embedding(self, query: str) -> list[float]:
        return self._embed_model.get_query_embedding(query)

    def embed(self, candidates: Sequence[Candidate], stored: bool = True) -> np.ndarray:
        """Unit-length vectors of the candidates: stored with their document at ingest where there
        is one, else computed. `stored=False` computes every one (the vector of the sentence alone),
        as the citation check does, whose threshold was measured that way."""
        return self._embedder.embed(candidates, stored)

    def score(self, focus: "Focus", candidates: Sequence[Candidate], bm25: BM25Index) -> list[ScoredSentence]:
        """Candidates scored for `focus.query`, best first: all of them with their stored vectors,
        then the best `focus.rescored` again with their own (`Focus` says what each field does)."""
        if not candidates:
            return []
        analysed = analyse_many([focus.query] + [c.text for c in candidates])
        query_terms = set(analysed[0]) - form_terms(focus.asked_form)
        terms = [set(t) for t in analysed[1:]]
        order: Sequence[int] = range(len(candidates))
        wants = expected_answer(focus.asked_form)
        continuations = _continuations(candidates, terms, query_terms, wants)
        if focus.shortlist is not None:
            wide = set(analyse(focus.shortlist_for)) if focus.shortlist_for else query_terms
            lexical = [lexical_recall(wide, t, bm25) for t in terms]
            order = sorted(
                (i for i in order if lexical[i] > 0),
                key=lambda i: (-lexical[i], candidates[i].passage_rank, candidates[i].start),
            )[: focus.shortlist]
            order += [i for i in continuations if i not in order]
        kept = [candidates[i] for i in order]
        if not kept:
            return []
        recency = dict(
            zip((c.key for c in kept), self._recency.factors(focus.query, [c.record.published for c in kept]), strict=True)
        )
        scoring = _Scoring(
            unit(np.asarray(focus.embedding, dtype=np.float32)), query_terms, bm25, wants, recency,
            frozenset(candidates[i].key for i in continuations), counted_noun(focus.asked_form),
        )
        kept_terms = [terms[i] for i in order]
        if focus.rescored is None:
            return scoring.ranked(kept, kept_terms, self.embed(kept, stored=False))
        scored = scoring.ranked(kept, kept_terms, self.embed(kept))
        # Stored vectors ranked every candidate; the best few are scored again with their own.
        terms_of = {candidate.key: t for candidate, t in zip(kept, kept_terms, strict=True)}
        best = [item.candidate for item in scored[: focus.rescored]]
        return scoring.ranked(best, [terms_of[c.key] for c in best], self.embed(best, stored=False)) + scored[focus.rescored :]

    def best_for_query(
        self, focus: "Focus", passages: Sequence[Passage], records: dict[str, DocumentRecord], bm25: BM25Index,
        selection: Selection,
    ) -> list[ScoredSentence]:
        """The retrieved passages' best sentences for `focus`: scored, then chosen by `selection`'s
        maximal marginal relevance."""
        return selection.diverse(self.score(focus, self.candidates_from_passages(passages, records), bm25))


@dataclass(frozen=True)
class Focus:
    """What candidates are scored for: `query` and its vector `embedding`.

    With `shortlist`, only that many candidates sharing a term with `shortlist_for` (default: the
    query) are embedded and scored, the lexically best first: an extractive answer only quotes
    sentences that share a term with the question, and embedding every sentence of five fresh
    passages (about 50) was the hot spot of a question (docs/benchmarks.md, "Profile"). A follow-up
    shortlists by the whole conversation's terms ("what did the Kremlin say?" after a question about
    a denial) and is scored for its own words; `asked` (default: the query) is the question whose
    form says what kind of answer is wanted (`language.answer_kinds`), which for a follow-up is its
    own even when the joined question is what is scored. The best `rescored` by their stored
    vectors are scored again with their own (None: every candidate, for a topic summary, which picks
    by diversity among many good sentences and so compares more than the best few)."""

    query: str
    embedding: Sequence[float]
    shortlist: int | None = None
    shortlist_for: str | None = None
    asked: str | None = None
    rescored: int | None = RESCORED

    @property
    def asked_form(self) -> str:
        return self.asked or self.query


@dataclass(frozen=True)
class _Scoring:
    """What one `SentenceRanker.score` call scores sentences against."""

    query_vector: np.ndarray
    query_terms: set[str]
    bm25: BM25Index
    wants: re.Pattern[str] | None
    recency: dict[tuple[str, int, int], float]
    continuations: frozenset[tuple[str, int, int]]
    counted: str | None
    """The stem of what a "how many …?" question counts (`answer_kinds.counted_noun`)."""

    def _specific(self, text: str) -> bool:
        """Whether the answer `text` offers is of the specific kinds (`SPECIFIC_BONUS`)."""
        return self.wants in ANYWHERE or (self.counted is not None and counts(text, self.counted))

    def ranked(
        self, candidates: Sequence[Candidate], terms: Sequence[set[str]], embeddings: np.ndarray
    ) -> list[ScoredSentence]:
        scored = []
        for candidate, candidate_terms, embedding in zip(candidates, terms, embeddings, strict=True):
            value = support_score(float(embedding @ self.query_vector), self.query_terms, candidate_terms, self.bm25)
            continues = candidate.key in self.continuations
            offers = self.wants is not None and offers_answer(candidate.text, self.query_terms, self.wants, continues)
            if offers:
                value += SPECIFIC_BONUS if self._specific(candidate.text) else ANSWER_KIND_BONUS
            if len(candidate.text.split()) < MIN_WORDS:
                value *= WEAK_ANSWER
            if candidate.is_question:
                value *= WEAK_ANSWER
            value *= self.recency[candidate.key]
            scored.append(ScoredSentence(candidate, value, embedding, offers))
        return sorted(scored, key=lambda s: (-s.score, s.candidate.passage_rank, s.candidate.start))


def _continuations(
    candidates: Sequence[Candidate], terms: Sequence[set[str]], query_terms: set[str], wants: re.Pattern[str] | None
) -> list[int]:
    """Indexes of the candidates that share none of the question's words but follow, in their
    document, a candidate that does, and hold a phrase of the kind asked for (of
    `answer_kinds.ANYWHERE`): news names a subject in one sentence and tells of it in the next ("Jake
    Sullivan, and … Yang Jiechi, met this Monday in Rome …" then "The meeting took place in an
    armored hotel …, lasted more than eight hours"). A shortlist keeps them, and their phrase counts
    as an answer (`offers_answer`)."""
    if wants is None or wants not in ANYWHERE:
        return []
    return [
        i for i in range(1, len(candidates))
        if not terms[i] & query_terms and terms[i - 1] & query_terms and wants.search(candidates[i].text)
        and candidates[i - 1].record.key == candidates[i].record.key
        and not candidates[i].record.text[candidates[i - 1].end : candidates[i].start].strip()
    ]


