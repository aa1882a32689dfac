"""What a digest of the newest articles is: stories, each the articles that report one event and a
short cited summary of them, newest story first. Plain data, with the JSON shape the CLI prints."""

from dataclasses import dataclass, field
from typing import Any

from retrieval.models.answers import Citation, Draft


@dataclass(frozen=True)
class Story:
    """Articles about one event: the newest one's title and day (`day`: its publication day, or
    the day it was ingested when it has none; ISO), the ids of every article, and a summary whose
    every sentence is a stored sentence of one of them, cited."""

    title: str
    day: str
    doc_ids: tuple[str, ...]
    draft: Draft

    @property
    def summary(self) -> str:
        return self.draft.text

    @property
    def citations(self) -> list[Citation]:
        return self.draft.citations

    def to_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "day": self.day or None,
            "doc_ids": list(self.doc_ids),
            "summary": self.summary,
            "citations": [c.to_json() for c in self.citations],
        }


@dataclass(frozen=True)
class Digest:
    """What the articles published between `since` and `until` (ISO instants, UTC) say, story by
    story, the newest first; `articles` counts the articles read (a story holds one or more)."""

    since: str
    until: str
    stories: list[Story]
    articles: int
    timings_ms: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "since": self.since,
            "until": self.until,
            "articles": self.articles,
            "stories": [story.to_json() for story in self.stories],
            "timings_ms": {k: round(v, 1) for k, v in self.timings_ms.items()},
        }
