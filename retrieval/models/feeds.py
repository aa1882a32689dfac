"""What the service returns about the web sources it watches: a feed subscription and how its last
poll went, what one poll did, and what a refresh of web documents found. Plain data."""

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

from retrieval.models.article import ArticleMeta


def _iso(timestamp: float | None) -> str | None:
    return None if timestamp is None else dt.datetime.fromtimestamp(timestamp, dt.UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class FeedStatus:
    """A feed one scope is subscribed to, and how its last poll went (`polled_at` None: never)."""

    feed_id: int
    scope: str
    url: str
    title: str
    added_at: float
    polled_at: float | None = None
    new_items: int = 0
    """Articles the last poll ingested."""
    total_items: int = 0
    """Articles ingested from this feed since it was added."""
    last_error: str = ""
    """Why the last poll, or one of its entries, failed; "" when it went well."""

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.feed_id, "scope": self.scope, "url": self.url, "title": self.title,
            "added_at": _iso(self.added_at), "polled_at": _iso(self.polled_at), "new_items": self.new_items,
            "total_items": self.total_items, "last_error": self.last_error,
        }


@dataclass(frozen=True)
class EntryFailure:
    """A feed entry that could not be ingested: tried again at the next poll, unless it was given up
    (after `FEED_ENTRY_ATTEMPTS` failed polls, or having no article to fetch)."""

    link: str
    error: str
    given_up: bool = False


@dataclass(frozen=True)
class FeedPoll:
    """What one poll of one feed did: the articles it ingested, the entries that failed, whether the
    server answered `304 Not Modified`, or why the feed itself could not be read (`error`)."""

    feed: FeedStatus
    ingested: list[ArticleMeta] = field(default_factory=list)
    failures: list[EntryFailure] = field(default_factory=list)
    not_modified: bool = False
    error: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "feed": self.feed.to_json(),
            "ingested": [{"doc_id": a.doc_id, "title": a.title, "published": a.published, "url": a.url}
                         for a in self.ingested],
            "failures": [{"link": f.link, "error": f.error, "given_up": f.given_up} for f in self.failures],
            "not_modified": self.not_modified,
            "error": self.error,
        }


RefreshStatus = Literal["not-modified", "unchanged", "updated", "vanished", "failed"]
"""not-modified: the server said so (304), nothing was downloaded; unchanged: downloaded, same content,
nothing written; updated: the new version replaced the old; vanished: 404/410, the document is kept;
failed: any other fetch or read error, the document is kept."""


@dataclass(frozen=True)
class RefreshOutcome:
    doc_id: str
    url: str
    status: RefreshStatus
    detail: str = ""
    """What the server answered, for vanished and failed pages."""


@dataclass(frozen=True)
class RefreshReport:
    """What a refresh of a scope's web documents found, one outcome per document."""

    scope: str
    outcomes: list[RefreshOutcome] = field(default_factory=list)

    def with_status(self, status: RefreshStatus) -> list[RefreshOutcome]:
        return [outcome for outcome in self.outcomes if outcome.status == status]

    def to_json(self) -> dict[str, Any]:
        return {
            "scope": self.scope,
            "documents": [{"doc_id": o.doc_id, "url": o.url, "status": o.status, "detail": o.detail}
                          for o in self.outcomes],
        }
