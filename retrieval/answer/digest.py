"""The digest of what is new: the articles of a time window grouped by story (`stories`), each story
summarised by its own sentences nearest what its articles say together, cited, newest story first.
Made only of stored sentences, like every extractive answer."""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from retrieval.answer.candidates import Candidate, ScoredSentence
from retrieval.answer.citing import cite
from retrieval.answer.extractive import BACKEND_NAME
from retrieval.answer.ranking import SentenceRanker
from retrieval.answer.selection import Selection
from retrieval.answer.stories import centroid, group_by_story
from retrieval.answer.summary import newest_first, quotable_in_summary
from retrieval.models.answers import Draft
from retrieval.models.digest import Story
from retrieval.models.records import DocumentRecord
from retrieval.text.dates import publication_day


def article_day(record: DocumentRecord) -> dt.date:
    """The day an article is news: its publication day, or the day it was ingested when undated."""
    day = publication_day(record.published)
    return dt.date.fromordinal(day) if day is not None else dt.datetime.fromtimestamp(record.ingested_at, dt.UTC).date()


def is_new(record: DocumentRecord, since: dt.datetime, until: dt.datetime) -> bool:
    """Whether `record` is news between `since` and `until` (aware instants). Dates are days, so an
    article of `since`'s own day counts only if it was ingested after `since`: a daily digest then
    shows an article once, however late in its day it came."""
    if publication_day(record.published) is None:
        return since.timestamp() <= record.ingested_at <= until.timestamp()
    day = article_day(record)
    after = day > since.date() or (day == since.date() and record.ingested_at >= since.timestamp())
    return after and day <= until.date()


@dataclass(frozen=True)
class Article:
    """An article as the digest sees it: its quotable sentences and their stored vectors."""

    record: DocumentRecord
    candidates: list[Candidate]
    embeddings: np.ndarray

    @property
    def centroid(self) -> np.ndarray:
        return centroid(self.embeddings)


class DigestWriter:
    """Stories of at most `sentences` sentences each, at most `max_stories` of them."""

    def __init__(self, ranker: SentenceRanker, sentences: int, max_stories: int) -> None:
        self._ranker = ranker
        self._sentences = sentences
        self._max_stories = max_stories

    def stories(self, records: Sequence[DocumentRecord]) -> list[Story]:
        """`records` grouped by story (`group_by_story` over their centroids, from the sentence
        vectors stored at ingest), newest story first (then the one with more articles)."""
        articles = [article for record in records if (article := self.article(record)) is not None]
        groups = group_by_story([article.centroid for article in articles])
        stories = [self._story([articles[i] for i in group]) for group in groups]
        stories.sort(key=lambda story: (story.day, len(story.doc_ids)), reverse=True)
        return stories[: self._max_stories]

    def article(self, record: DocumentRecord) -> Article | None:
        """`record`'s quotable sentences (`quotable_in_summary`) with their stored vectors, or None
        when it has none; its `centroid` is what `stories` groups by (bench/story_grouping.py)."""
        candidates = [c for c in self._ranker.candidates_from_document(record) if quotable_in_summary(c)]
        if not candidates:
            return None
        return Article(record, candidates, self._ranker.embed(candidates))

    def _story(self, articles: list[Article]) -> Story:
        """The story's sentences nearest its centroid, no two alike and from as many of its articles
        as fit (`Selection.diverse`), newest article first; titled by its newest article."""
        together = centroid(np.stack([article.centroid for article in articles]))
        scored = sorted(
            (ScoredSentence(c, float(e @ together), e)
             for article in articles for c, e in zip(article.candidates, article.embeddings, strict=True)),
            key=lambda s: (-s.score, s.candidate.record.key, s.candidate.start),
        )
        chosen = Selection(self._sentences, min_score=0.0, relative_floor=0.0).diverse(scored)
        text, citations = cite(newest_first(s.candidate for s in chosen))
        newest = max(articles, key=lambda article: (article_day(article.record), article.record.ingested_at)).record
        return Story(
            title=newest.title, day=article_day(newest).isoformat(),
            doc_ids=tuple(article.record.doc_id for article in articles),
            draft=Draft(text, citations, abstained=False, backend=BACKEND_NAME),
        )
