"""What citebot remembers of the feeds it polls, in SQLite under the data directory: each scope's
subscriptions, the validators the feed's server sent last (for a conditional poll), how the last
poll went, every entry already ingested, so that no entry is ingested twice, and how many polls
failed to take each entry not yet ingested.

Every read and write names the scope, so one server can neither see nor remove another's feed."""

import threading
import time
from pathlib import Path

from retrieval.index.sqlite_file import open_sqlite
from retrieval.ingest.web import Validators
from retrieval.models.feeds import FeedStatus

FEEDS_FILE = "feeds.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feeds (
    feed_id INTEGER PRIMARY KEY AUTOINCREMENT,
    scope TEXT NOT NULL,
    url TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT '',
    added_at REAL NOT NULL,
    etag TEXT NOT NULL DEFAULT '',
    last_modified TEXT NOT NULL DEFAULT '',
    polled_at REAL,
    new_items INTEGER NOT NULL DEFAULT 0,
    total_items INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    UNIQUE (scope, url)
);
CREATE TABLE IF NOT EXISTS feed_entries (
    feed_id INTEGER NOT NULL REFERENCES feeds (feed_id) ON DELETE CASCADE,
    entry_key TEXT NOT NULL,
    link TEXT NOT NULL,
    doc_id TEXT NOT NULL,
    ingested_at REAL NOT NULL,
    PRIMARY KEY (feed_id, entry_key)
);
CREATE INDEX IF NOT EXISTS feed_entries_by_link ON feed_entries (feed_id, link);
CREATE TABLE IF NOT EXISTS feed_failures (
    feed_id INTEGER NOT NULL REFERENCES feeds (feed_id) ON DELETE CASCADE,
    entry_key TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    PRIMARY KEY (feed_id, entry_key)
);
"""
_STATUS_FIELDS = ("feed_id", "scope", "url", "title", "added_at", "polled_at", "new_items", "total_items", "last_error")
_STATUS = ", ".join(_STATUS_FIELDS)


def _status(row: tuple) -> FeedStatus:
    return FeedStatus(**dict(zip(_STATUS_FIELDS, row, strict=True)))


class FeedStore:
    """Subscriptions and seen entries; one connection guarded by a lock (calls are sub-millisecond)."""

    def __init__(self, path: Path) -> None:
        self._db = open_sqlite(path, _SCHEMA)
        self._db.execute("PRAGMA foreign_keys=ON")
        self._lock = threading.Lock()

    def add(self, scope: str, url: str, title: str) -> FeedStatus | None:
        """Subscribe `scope` to the feed at `url`; None when it already is."""
        with self._lock:
            inserted = self._db.execute(
                "INSERT OR IGNORE INTO feeds (scope, url, title, added_at) VALUES (?, ?, ?, ?)",
                (scope, url, title, time.time()),
            )
        return self.find(scope, url) if inserted.rowcount == 1 else None

    def find(self, scope: str, feed: str) -> FeedStatus | None:
        """The subscription of `scope` named by its URL or its id."""
        column = "feed_id" if feed.isdigit() else "url"
        with self._lock:
            row = self._db.execute(
                f"SELECT {_STATUS} FROM feeds WHERE scope = ? AND {column} = ?", (scope, feed)
            ).fetchone()
        return None if row is None else _status(row)

    def feeds(self, scopes: list[str] | None = None) -> list[FeedStatus]:
        """The subscriptions of `scopes` (every scope when None), in the order they were added."""
        query = f"SELECT {_STATUS} FROM feeds"
        if scopes is not None:
            query += f" WHERE scope IN ({', '.join('?' * len(scopes))})"
        with self._lock:
            rows = self._db.execute(query + " ORDER BY feed_id", scopes or ()).fetchall()
        return [_status(row) for row in rows]

    def remove(self, feed: FeedStatus) -> None:
        """Unsubscribe; the articles already ingested stay documents of the scope."""
        with self._lock:
            self._db.execute("DELETE FROM feeds WHERE feed_id = ? AND scope = ?", (feed.feed_id, feed.scope))

    def validators(self, feed: FeedStatus) -> Validators:
        with self._lock:
            row = self._db.execute("SELECT etag, last_modified FROM feeds WHERE feed_id = ?", (feed.feed_id,)).fetchone()
        return Validators() if row is None else Validators(*row)

    def seen(self, feed: FeedStatus, entry_key: str, link: str) -> bool:
        """Whether this entry (by its id, or its link: a feed may give an old entry a new id) was ingested."""
        with self._lock:
            row = self._db.execute(
                "SELECT 1 FROM feed_entries WHERE feed_id = ? AND (entry_key = ? OR (link != '' AND link = ?))",
                (feed.feed_id, entry_key, link),
            ).fetchone()
        return row is not None

    def mark_seen(self, feed: FeedStatus, entry_key: str, link: str, doc_id: str) -> None:
        """Record an entry as done: ingested as `doc_id` ("" for an entry that has no article to fetch)."""
        with self._lock:
            self._db.execute(
                "INSERT OR IGNORE INTO feed_entries VALUES (?, ?, ?, ?, ?)",
                (feed.feed_id, entry_key, link, doc_id, time.time()),
            )

    def record_failure(self, feed: FeedStatus, entry_key: str) -> int:
        """One more poll that failed to take this entry; how many have."""
        with self._lock:
            self._db.execute(
                "INSERT INTO feed_failures VALUES (?, ?, 1) "
                "ON CONFLICT (feed_id, entry_key) DO UPDATE SET attempts = attempts + 1",
                (feed.feed_id, entry_key),
            )
            row = self._db.execute(
                "SELECT attempts FROM feed_failures WHERE feed_id = ? AND entry_key = ?", (feed.feed_id, entry_key)
            ).fetchone()
        return int(row[0])

    def record_poll(self, feed: FeedStatus, new_items: int, error: str, validators: Validators | None) -> FeedStatus:
        """How a poll went; `validators` are kept for the next (conditional) poll only when the poll
        took every new entry of this version of the feed (None: keep those of the last complete poll)."""
        with self._lock:
            self._db.execute(
                "UPDATE feeds SET polled_at = ?, new_items = ?, total_items = total_items + ?, last_error = ? "
                "WHERE feed_id = ?",
                (time.time(), new_items, new_items, error, feed.feed_id),
            )
            if validators is not None:
                self._db.execute(
                    "UPDATE feeds SET etag = ?, last_modified = ? WHERE feed_id = ?",
                    (validators.etag, validators.last_modified, feed.feed_id),
                )
        return self.find(feed.scope, str(feed.feed_id)) or feed

    def close(self) -> None:
        with self._lock:
            self._db.close()
