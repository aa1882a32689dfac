"""The extractive backend: answers and summaries made only of the corpus's own sentences.

No LLM is involved, so nothing can be invented: every sentence of an answer is a verbatim span of a
stored document and carries the `[n]` of the citation that quotes it.
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import replace

import numpy as np

from retrieval.answer_types import missing_answer
from retrieval.models import Citation, DocumentRecord, Draft, FollowUp
from retrieval.ranking import SENTENCE_END, Candidate, ScoredSentence, SentenceRanker, select_diverse
from retrieval.recency import publication_day
from retrieval.retriever import Retrieval

BACKEND_NAME = "extractive"
# A citation marker as answers write them: `[1]`, `[2, 3]`. A document's own (or planted) markers are
# taken out of the answer text, so every marker a reader sees names one of the answer's citations.
MARKER = re.compile(r"\[\s*(\d+(?:\s*[,;]\s*\d+)*)\s*\]")

RELATIVE_FLOOR = 0.7
"""An answer's further sentences score at least this share of its best one's."""
TRADE_OFF = 0.8
"""`select_diverse`'s weight of a sentence's score against its similarity to the sentences already
chosen: news articles repeat a question's framing in many sentences, and the one naming the answer
scores a little lower than those paraphrases (news-dev accuracy 0.432 -> 0.453, docs/quality.md)."""
CONTEXT_WEIGHT = 0.5
"""A follow-up's new sentences that answer its own words well enough (`RELATIVE_FLOOR` of the best)
are ordered this much by how they answer the conversation (its questions joined) and the rest by
the follow-up's own words: after "Who denied the request?", "and what did the Kremlin spokesman
say?" opened with "The Russian campaign … continues at a slower pace than the Kremlin expected"
before Peskov's "resounding 'no'" (docs/quality.md, "Follow-ups")."""

NOT_COVERED = "The corpus does not cover this: none of the indexed articles answers it."
NOT_MENTIONED = "The corpus does not cover this: none of the closest articles mentions {names}."
NO_SUCH_ANSWER = "The corpus does not cover this: the closest passages give no {kind} for it."
NOTHING_TO_QUOTE = "This document has no sentence that can be quoted as a summary."


def without_markers(text: str) -> str:
    """`text` on one line with its `[n]` markers removed, and no space left before punctuation."""
    text = " ".join(MARKER.sub(" ", text).split())
    text = re.sub(r"\s+([.,;:!?])", r"\1", text)
    # "… on Monday 14 March, [1]." leaves a comma before the full stop.
    return re.sub(r"[,;:]+([.!?])", r"\1", text)


def spoken_form(text: str) -> str:
    """`text` as it reads in an answer, lower-cased: how a sentence already given is recognised."""
    return without_markers(text).lower()


def cite(sentences: Sequence[Candidate]) -> tuple[str, list[Citation]]:
    """Answer text with one `[n]` per sentence, and the citations quoting those sentences."""
    parts: list[str] = []
    citations: list[Citation] = []
    for n, sentence in enumerate(sentences, start=1):
        record = sentence.record
        text = without_markers(sentence.text)
        # A headline-like quote gets a full stop in the answer text (never in the quote) so the
        # answer's sentences, and the markers after them, stay apart.
        if not SENTENCE_END.search(text):
            text += "."
        parts.append(f"{text} [{n}]")
        citations.append(
            Citation(
                n=n,
                doc_id=record.doc_id,
                title=record.title,
                quote=sentence.text,
                start=sentence.start,
                end=sentence.end,
                published=record.published,
                url=record.url,
                scope=record.scope,
            )
        )
    return " ".join(parts), citations


class ExtractiveAnswerer:
    """Picks the retrieved sentences that best answer the question, or abstains."""

    def __init__(self, ranker: SentenceRanker, max_sentences: int, min_score: float, shortlist: int) -> None:
        self._ranker = ranker
        self._max_sentences = max_sentences
        self._min_score = min_score
        self._shortlist = shortlist

    def answer(self, found: Retrieval, follow_up: FollowUp | None = None) -> Draft:
        """The chosen sentences, cited; an abstention when none is good enough, or when the question
        asks for a number, a duration, a date or a name and none of them gives one."""
        chosen = self._choose(found, follow_up)
        if not chosen:
            return not_covered(found)
        asked = follow_up.question if follow_up is not None else found.query
        missing = missing_answer(asked, [s.candidate.text for s in chosen])
        if missing is not None:
            return Draft(NO_SUCH_ANSWER.format(kind=missing), [], abstained=True, backend=BACKEND_NAME)
        text, citations = cite([s.candidate for s in answering_first(chosen)])
        return Draft(text, citations, abstained=False, backend=BACKEND_NAME)

    def _choose(self, found: Retrieval, follow_up: FollowUp | None) -> list[ScoredSentence]:
        """The best sentences for the question. For a follow-up: those answering its own question
        (then, if nothing answers that, the joined one), in the order they answer it in the
        conversation's context (`in_context`), leaving out sentences the conversation has already
        quoted, unless nothing new comes near the best answer: then that is the only answer, and it
        is quoted again."""
        if follow_up is None:
            return self._ranker.best_for_query(
                found.query, found.embedding, found.passages, found.records, found.bm25, limit=self._max_sentences,
                min_score=self._min_score, relative_floor=RELATIVE_FLOOR, trade_off=TRADE_OFF, shortlist=self._shortlist,
            )
        candidates = self._ranker.candidates_from_passages(found.passages, found.records)

        def scored_for(query: str, embedding: Sequence[float]) -> list[ScoredSentence]:
            return self._ranker.score(
                query, embedding, candidates, found.bm25, shortlist=self._shortlist, shortlist_for=found.query,
                asked=follow_up.question,
            )

        joined = scored_for(found.query, found.embedding)
        passes = [joined]
        if follow_up.question != found.query:
            passes.insert(0, scored_for(follow_up.question, self._ranker.query_embedding(follow_up.question)))
        for scored in passes:
            if not scored or scored[0].score < self._min_score:
                continue
            floor = max(self._min_score, RELATIVE_FLOOR * scored[0].score)
            new = [
                s for s in scored
                if s.score >= floor and not any(spoken_form(s.candidate.text) in said for said in follow_up.said_before)
            ]
            if scored is not joined:
                new = in_context(new, joined, CONTEXT_WEIGHT)
            return select_diverse(
                new, self._max_sentences, 0.0, relative_floor=0.0, trade_off=TRADE_OFF, new_document_bonus=0.0
            ) or SentenceRanker.select(scored, self._max_sentences, self._min_score, RELATIVE_FLOOR)
        return []


def in_context(own: Sequence[ScoredSentence], context: Sequence[ScoredSentence], weight: float) -> list[ScoredSentence]:
    """`own` rescored as `(1 - weight)` of its score and `weight` of the same sentence's score in
    `context` (0 where `context` did not score it), best first."""
    in_conversation = {item.candidate.key: item.score for item in context}
    rescored = [
        replace(item, score=(1 - weight) * item.score + weight * in_conversation.get(item.candidate.key, 0.0))
        for item in own
    ]
    return sorted(rescored, key=lambda item: -item.score)


def not_covered(found: Retrieval) -> Draft:
    """The abstention for a question (or topic) nothing retrieved answers, naming what it asks about
    that no retrieved article mentions, when there is such a thing."""
    if not found.unmentioned:
        return Draft(NOT_COVERED, [], abstained=True, backend=BACKEND_NAME)
    names = found.unmentioned
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
    return Draft(NOT_MENTIONED.format(names=listed), [], abstained=True, backend=BACKEND_NAME)


def answering_first(chosen: Sequence[ScoredSentence]) -> list[ScoredSentence]:
    """The chosen sentences, those holding the kind of phrase the question asks for first, each
    group in its order: "How long did the talks … go on?" opens with "The meeting … lasted more than
    eight hours", not with the better-matching sentence that only names the talks."""
    return sorted(chosen, key=lambda s: not s.offers_answer)


class ExtractiveSummarizer:
    """A document's summary is its sentences closest to its overall meaning (the centroid); a topic's is
    the retrieved sentences that say most about it, from several articles (`select_diverse`)."""

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
        chosen = SentenceRanker.select(scored, self._sentences, min_score=0.0, relative_floor=0.0)
        in_order = sorted((s.candidate for s in chosen), key=lambda c: c.start)
        text, citations = cite(in_order)
        return Draft(text, citations, abstained=False, backend=BACKEND_NAME)

    def summarize_topic(self, found: Retrieval) -> Draft:
        """The retrieved sentences that say most about the topic, chosen for coverage
        (`select_diverse`), newest article first."""
        candidates = [c for c in self._ranker.candidates_from_passages(found.passages, found.records) if quotable_in_summary(c)]
        scored = self._ranker.score(found.query, found.embedding, candidates, found.bm25, rescored=None)
        chosen = select_diverse(scored, self._sentences, self._min_score, relative_floor=0.6)
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
