"""The extractive summariser: a document's or a topic's summary made only of its own sentences,
newest first, each cited."""

from collections.abc import Iterable

import numpy as np

from retrieval.answer.candidates import Candidate, ScoredSentence
from retrieval.answer.citing import cite
from retrieval.answer.extractive import BACKEND_NAME, NOTHING_TO_QUOTE, not_covered
from retrieval.answer.ranking import Focus, SentenceRanker
from retrieval.answer.selection import Selection
from retrieval.models.answers import Draft
from retrieval.models.records import DocumentRecord
from retrieval.search.retriever import Retrieval
from retrieval.text.dates import publication_day


class ExtractiveSummarizer:
    """A document's summary is its sentences closest to its overall meaning (the centroid); a topic's is
    the retrieved sentences that say most about it, from several articles (`Selection.diverse`)."""

    def __init__(self, ranker: SentenceRanker, sentences: int, min_score: float) -> None:
        self._ranker = ranker
        self._sentences = sentences
        self._min_score = min_score

    def summarize_document(self, record: DocumentRecord) -> Draft:
        every = self._ranker.candidates_from_document(record)
        candidates = [c for c in every if quotable_in_summary(c)] or every
        if not candidates:
            return Draft(NOTHING_TO_QUOTE, [], abstained=False, backend=BACKEND_NAME)
        embeddings = self._ranker.embed(candidates)
        centroid = embeddings.mean(axis=0)
        centroid /= float(np.linalg.norm(centroid)) or 1.0
        similarity = embeddings @ centroid
        scored = sorted(
            (
                ScoredSentence(c, float(s), e)
                for c, s, e in zip(candidates, similarity, embeddings, strict=True)
            ),
            key=lambda s: (-s.score, s.candidate.start),
        )
        chosen = Selection(self._sentences, min_score=0.0, relative_floor=0.0).greedy(scored)
        in_order = sorted((s.candidate for s in chosen), key=lambda c: c.start)
        text, citations = cite(in_order)
        return Draft(text, citations, abstained=False, backend=BACKEND_NAME)

    def summarize_topic(self, found: Retrieval) -> Draft:
        """The retrieved sentences that say most about the topic, chosen for coverage
        (`Selection.diverse`), newest article first."""
        candidates = [c for c in self._ranker.candidates_from_passages(found.passages, found.records) if quotable_in_summary(c)]
        scored = self._ranker.score(Focus(found.query, found.embedding, rescored=None), candidates, found.bm25)
        chosen = Selection(self._sentences, self._min_score, relative_floor=0.6).diverse(scored)
        if not chosen:
            return not_covered(found)
        text, citations = cite(newest_first(s.candidate for s in chosen))
        return Draft(text, citations, abstained=False, backend=BACKEND_NAME)


def quotable_in_summary(candidate: Candidate) -> bool:
    """A sentence that can stand in a summary: a full statement, not a headline fragment, a subhead
    asked as a question ("What was the biggest jackpot?") or the title repeated in the body, and of
    at least six words."""
    text = candidate.text.strip()
    return (
        candidate.is_statement
        and not candidate.is_question
        and len(text.split()) >= 6
        and text != candidate.record.title.strip()
    )


def newest_first(candidates: Iterable[Candidate]) -> list[Candidate]:
    """Sentences grouped by article, the newest article first (undated ones last), each article's in
    reading order: the newest evidence is what a reader sees first."""
    return sorted(
        candidates, key=lambda c: (-(publication_day(c.record.published) or 0), c.record.key, c.start)
    )
