"""A candidate sentence of a retrieved document (located by offsets, so its quote is always the
stored text) and the one support score shared by the extractive ranking and the citation check, so
that a threshold measured for one means the same for the other (docs/citations.md)."""

import math
import re
from dataclasses import dataclass

import numpy as np

from retrieval.answer.tuning import SEMANTIC_WEIGHT
from retrieval.index.bm25 import BM25Index
from retrieval.models.records import DocumentRecord, OfRecord

# A sentence's closing punctuation, possibly followed by closing quotes or brackets. A line without
# one is a headline, a caption or a page stamp: a title, not a statement.
SENTENCE_END = re.compile(r"[.!?…][\"”’')\]]*$")


@dataclass(frozen=True)
class Candidate(OfRecord):
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

    @property
    def is_question(self) -> bool:
        """A sentence asking, not telling ("Has Earth's inner core stopped spinning?"): a subhead or a
        rhetorical question, which restates a question better than any answer does."""
        return self.text.strip().rstrip("\"”’')]").endswith("?")


@dataclass(frozen=True)
class ScoredSentence:
    candidate: Candidate
    score: float
    embedding: np.ndarray
    offers_answer: bool = False
    """Whether the sentence holds a phrase of the kind the question asks for (`language.answer_kinds`)."""


def lexical_recall(query_terms: set[str], terms: set[str], bm25: BM25Index) -> float:
    """The share of the query's IDF weight that `terms` contain: rare names count more than common words.
    Summed exactly (`math.fsum`): a plain sum over a set depends on its iteration order, which
    changes with the process's string hashing, and tied sentences then swapped places from one run
    to the next."""
    total = math.fsum(bm25.idf(t) for t in query_terms)
    return math.fsum(bm25.idf(t) for t in query_terms & terms) / total if total else 0.0


def support_score(semantic: float, query_terms: set[str], terms: set[str], bm25: BM25Index) -> float:
    """How well a text (sentence, span) supports a query (a question, or a claim to check).

    The one score of both the extractive answerer's sentence ranking and the citation check, so the
    threshold measured for one means the same for the other (docs/citations.md).
    """
    return SEMANTIC_WEIGHT * semantic + (1 - SEMANTIC_WEIGHT) * lexical_recall(query_terms, terms, bm25)


