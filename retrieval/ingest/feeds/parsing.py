"""What a feed says, read by feedparser (RSS 0.9x–2.0, RDF, Atom; lenient with what real feeds get
wrong): its title, and each entry's key, link and publication day.

feedparser is only ever given the bytes the guarded fetcher fetched, never a URL or a path: given a
string, it would fetch or open it itself."""

import datetime as dt
import time
from dataclasses import dataclass
from typing import Any

from retrieval.ingest.web import FetchedPage


class FeedError(Exception):
    """A feed that cannot be subscribed to or found, in words meant for the admin who named it."""


class UnknownFeed(FeedError):
    """No subscription of this scope has that URL or id."""

    def __init__(self, feed: str) -> None:
        super().__init__(f"no feed {feed!r} is subscribed here; the feed list shows their URLs and ids")
        self.feed = feed


@dataclass(frozen=True)
class FeedEntry:
    """One entry: `key` is its id (its link when it has none), `link` the article's URL."""

    key: str
    link: str
    title: str
    published: str
    """The entry's publication (else update) day, ISO, in UTC; "" when it gives none."""


@dataclass(frozen=True)
class ParsedFeed:
    title: str
    entries: list[FeedEntry]
    """In the feed's own order."""


def parse_feed(page: FetchedPage) -> ParsedFeed:
    """The feed `page` holds, or a `FeedError` when it holds no RSS or Atom feed. Relative links are
    resolved against the URL the feed was served from. feedparser is imported here: 40 ms that a
    process answering questions never needs."""
    import feedparser

    parsed = feedparser.parse(
        page.body, response_headers={"content-location": page.url, "content-type": page.media_type}
    )
    if not parsed.get("version"):
        reason = f" ({' '.join(str(parsed.bozo_exception).split())})" if parsed.get("bozo") else ""
        raise FeedError(f"{page.url} is not an RSS or Atom feed{reason}")
    entries = [_entry(raw) for raw in parsed.entries]
    return ParsedFeed(" ".join(str(parsed.feed.get("title", "")).split()), [e for e in entries if e.key])


def _entry(raw: Any) -> FeedEntry:
    link = str(raw.get("link", "")).strip()
    key = str(raw.get("id", "")).strip() or link
    return FeedEntry(key, link, " ".join(str(raw.get("title", "")).split()), _day(raw))


def _day(raw: Any) -> str:
    parsed: time.struct_time | None = raw.get("published_parsed") or raw.get("updated_parsed")
    if parsed is None:
        return ""
    return dt.date(parsed.tm_year, parsed.tm_mon, parsed.tm_mday).isoformat()
