"""The extractive backend: answers and summaries made only of the corpus's own sentences.

No LLM is involved, so nothing can be invented: every sentence of an answer is a verbatim span of a
stored document and carries the `[n]` of the citation that quotes it.
"""

from collections.abc import Sequence
from dataclasses import replace

from retrieval.answer.candidates import Candidate, ScoredSentence
from retrieval.answer.citing import cite
from retrieval.answer.ranking import Focus, SentenceRanker
from retrieval.answer.selection import Selection
from retrieval.answer.tuning import CONTEXT_WEIGHT, RELATIVE_FLOOR, TRADE_OFF
from retrieval.language.answer_kinds import AnswerSentence, missing_answer
from retrieval.models.answers import Draft, FollowUp
from retrieval.search.retriever import Retrieval
from retrieval.text.markers import spoken_form

BACKEND_NAME = "extractive"


NOT_COVERED = "The corpus does not cover this: none of the indexed articles answers it."
NOT_MENTIONED = "The corpus does not cover this: none of the closest articles mentions {names}."
NO_SUCH_ANSWER = "The corpus does not cover this: the closest passages give no {kind} for it."
NOTHING_TO_QUOTE = "This document has no sentence that can be quoted as a summary."


class ExtractiveAnswerer:
    """Picks the retrieved sentences that best answer the question, or abstains."""

    def __init__(self, ranker: SentenceRanker, max_sentences: int, min_score: float, shortlist: int) -> None:
        self._ranker = ranker
        self._max_sentences = max_sentences
        self._min_score = min_score
        self._shortlist = shortlist

    def answer(self, found: Retrieval, follow_up: FollowUp | None = None, lead: Candidate | None = None) -> Draft:
        """The chosen sentences, cited; an abstention when none is good enough, or when the question
        asks for a number, a duration, a date or a name and none of them gives one. `lead`: the
        sentence a reader chose (`reading_list`), which opens the answer; the ranking's own sentences
        follow, all of them (one more than `max_sentences` when the reader chose another): a reader
        adds its choice and never displaces the ranking's (news-dev, docs/citations.md)."""
        chosen = self._choose(found, follow_up)
        if not chosen:
            return not_covered(found)
        missing = self._missing(follow_up.question if follow_up is not None else found.query, chosen)
        if missing is not None:
            return Draft(NO_SUCH_ANSWER.format(kind=missing), [], abstained=True, backend=BACKEND_NAME)
        sentences = [s.candidate for s in answering_first(chosen)]
        if lead is not None:
            sentences = [lead, *(s for s in sentences if s.key != lead.key)]
        text, citations = cite(sentences)
        return Draft(text, citations, abstained=False, backend=BACKEND_NAME)

    def reading_list(self, found: Retrieval, follow_up: FollowUp | None, size: int) -> list[Candidate]:
        """The `size` best sentences for the question asked (a follow-up's own), no two alike: what a
        reader chooses among (`retrieval.generation.reader`)."""
        asked = follow_up.question if follow_up is not None else found.query
        embedding = found.embedding if asked == found.query else self._ranker.query_embedding(asked)
        focus = Focus(asked, embedding, self._shortlist, shortlist_for=found.query)
        listed: list[Candidate] = []
        for scored in self._ranker.score(focus, self._ranker.candidates_from_passages(found.passages, found.records),
                                         found.bm25):
            if all(spoken_form(scored.candidate.text) != spoken_form(c.text) for c in listed):
                listed.append(scored.candidate)
            if len(listed) == size:
                break
        return listed

    def _choose(self, found: Retrieval, follow_up: FollowUp | None) -> list[ScoredSentence]:
        """The best sentences for the question. For a follow-up: those answering its own question
        (then, if nothing answers that, the joined one), in the order they answer it in the
        conversation's context (`in_context`), leaving out sentences the conversation has already
        quoted, unless nothing new comes near the best answer or the new ones lack what the question
        asks for ("when was he elected?" after "October 30 - Lula … is elected"): then the best
        answers are chosen again, quoted before or not."""
        if follow_up is None:
            return self._ranker.best_for_query(
                Focus(found.query, found.embedding, shortlist=self._shortlist), found.passages, found.records, found.bm25,
                Selection(self._max_sentences, self._min_score, RELATIVE_FLOOR, TRADE_OFF, new_document_bonus=0.0),
            )
        candidates = self._ranker.candidates_from_passages(found.passages, found.records)

        def scored_for(query: str, embedding: Sequence[float]) -> list[ScoredSentence]:
            focus = Focus(query, embedding, self._shortlist, shortlist_for=found.query, asked=follow_up.question)
            return self._ranker.score(focus, candidates, found.bm25)

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
            fresh = Selection(self._max_sentences, 0.0, relative_floor=0.0, trade_off=TRADE_OFF, new_document_bonus=0.0)
            chosen = fresh.diverse(new)
            if chosen and self._missing(follow_up.question, chosen) is None:
                return chosen
            again = Selection(self._max_sentences, self._min_score, RELATIVE_FLOOR).greedy(scored)
            return again if not chosen or self._missing(follow_up.question, again) is None else chosen
        return []

    def _missing(self, question: str, chosen: Sequence[ScoredSentence]) -> str | None:
        """What `question` asks for that `chosen` does not give (`answer_kinds.missing_answer`)."""
        return missing_answer(
            question, [AnswerSentence(s.candidate.text, self._ranker.sentence_before(s.candidate)) for s in chosen]
        )


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


