"""What citebot remembers of each web document it refreshes, in SQLite under the data directory:
the validators its server sent last (so the next refresh asks conditionally and an unchanged page
costs one request and no body), and how the last refresh went (a page that vanished stays reported)."""

import threading
import time
from pathlib import Path

from retrieval.index.sqlite_file import open_sqlite
from retrieval.ingest.web import Validators
from retrieval.models.feeds import RefreshOutcome

PAGES_FILE = "pages.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS pages (
    scope TEXT NOT NULL,
    doc_id TEXT NOT NULL,
    url TEXT NOT NULL,
    etag TEXT NOT NULL DEFAULT '',
    last_modified TEXT NOT NULL DEFAULT '',
    checked_at REAL NOT NULL,
    status TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (scope, doc_id)
);
"""


class PageStates:
    """One row per refreshed web document; one connection guarded by a lock."""

    def __init__(self, path: Path) -> None:
        self._db = open_sqlite(path, _SCHEMA)
        self._lock = threading.Lock()

    def validators(self, scope: str, doc_id: str, url: str) -> Validators:
        """The validators last sent for this document's page (none when its URL has changed since)."""
        with self._lock:
            row = self._db.execute(
                "SELECT etag, last_modified FROM pages WHERE scope = ? AND doc_id = ? AND url = ?", (scope, doc_id, url)
            ).fetchone()
        return Validators() if row is None else Validators(*row)

    def record(self, scope: str, outcome: RefreshOutcome, validators: Validators | None) -> None:
        """How a refresh of one document went; `validators` of the version now stored (None: keep the last)."""
        kept = validators or self.validators(scope, outcome.doc_id, outcome.url)
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO pages VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (scope, outcome.doc_id, outcome.url, kept.etag, kept.last_modified, time.time(), outcome.status,
                 outcome.detail),
            )

    def vanished(self, scope: str) -> list[RefreshOutcome]:
        """The documents of `scope` whose page was gone at their last refresh."""
        with self._lock:
            rows = self._db.execute(
                "SELECT doc_id, url, detail FROM pages WHERE scope = ? AND status = 'vanished' ORDER BY doc_id", (scope,)
            ).fetchall()
        return [RefreshOutcome(doc_id, url, "vanished", detail) for doc_id, url, detail in rows]

    def close(self) -> None:
        with self._lock:
            self._db.close()
