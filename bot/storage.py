"""What the bot remembers, in SQLite under the data directory: each answer it posted (for the
Sources button and for follow-ups), the threads it opened for answers, the one-time notices it gave,
and the 👍/👎 feedback on its answers (with the reason given for a 👎). Every row carries its guild,
and every read is filtered by the guild asking, so nothing crosses between servers.

A database written by an older citebot is brought up to date when it is opened: tables that are new
are created, and columns that are new are added to existing tables (old rows get their defaults)."""

import datetime as dt
import json
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TypeVar

from retrieval import open_sqlite

T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    message_id INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    channel_id INTEGER NOT NULL,
    parent_id INTEGER,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS feedback (
    guild_id INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    vote INTEGER NOT NULL CHECK (vote IN (-1, 1)),
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    created_at REAL NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    details TEXT NOT NULL DEFAULT '',
    citations TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (message_id, user_id)
);
CREATE TABLE IF NOT EXISTS threads (
    thread_id INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS notices (
    guild_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    notice TEXT NOT NULL,
    created_at REAL NOT NULL,
    PRIMARY KEY (guild_id, user_id, notice)
);
CREATE TABLE IF NOT EXISTS shares (
    message_id INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS answers_by_channel ON answers (guild_id, channel_id, created_at);
"""
# Columns added after a table was first released: (table, column, definition). A database created
# before them gets them by ALTER TABLE when it is opened.
_ADDED_COLUMNS = (
    ("feedback", "reason", "TEXT NOT NULL DEFAULT ''"),
    ("feedback", "details", "TEXT NOT NULL DEFAULT ''"),
    ("feedback", "citations", "TEXT NOT NULL DEFAULT '[]'"),
    ("answers", "abstained", "INTEGER NOT NULL DEFAULT 0"),
    ("answers", "unmentioned", "TEXT NOT NULL DEFAULT '[]'"),
)
# Why a 👎: what the feedback modal offers, by the value stored.
FEEDBACK_REASONS = {
    "wrong": "Wrong",
    "unsupported": "A citation does not support it",
    "incomplete": "Incomplete",
    "other": "Other",
}


@dataclass(frozen=True)
class StoredAnswer:
    message_id: int
    guild_id: int
    channel_id: int
    parent_id: int | None
    question: str
    answer: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class Feedback:
    """One user's vote on one answer, with what was asked and answered (and cited) at the time."""

    guild_id: int
    message_id: int
    user_id: int
    vote: int
    reason: str
    details: str
    question: str
    answer: str
    citations: list[dict[str, Any]]
    created_at: float

    def to_json(self) -> dict[str, Any]:
        """The JSON `citebot feedback --json` prints: the fields, with the time in ISO 8601 (UTC)."""
        return {**asdict(self), "created_at": dt.datetime.fromtimestamp(self.created_at, dt.UTC).isoformat()}


@dataclass(frozen=True)
class GapQuestion:
    """A question the articles did not answer well: it abstained (`unmentioned`: what it named that
    no retrieved article mentions), or its answer got `downvotes` 👎."""

    guild_id: int
    message_id: int
    question: str
    abstained: bool
    unmentioned: tuple[str, ...]
    downvotes: int
    created_at: float


def read_if_present(path: Path, read: Callable[["BotStore"], list[T]]) -> list[T]:
    """What `read` finds in the store at `path`, or nothing where the bot never ran: no file is made
    (`citebot feedback`, `citebot gaps`)."""
    if not path.exists():
        return []
    store = BotStore(path)
    try:
        return read(store)
    finally:
        store.close()


class BotStore:
    """Answers and feedback; one connection guarded by a lock (calls are sub-millisecond)."""

    def __init__(self, path: Path) -> None:
        self._db = open_sqlite(path, _SCHEMA)
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._add_missing_columns()
        self._lock = threading.Lock()

    def _add_missing_columns(self) -> None:
        for table, column, definition in _ADDED_COLUMNS:
            present = {row[1] for row in self._db.execute(f"PRAGMA table_info({table})")}
            if column not in present:
                self._db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")

    def save_answer(
        self, message_id: int, guild_id: int, channel_id: int, parent_id: int | None,
        question: str, answer: str, payload: dict[str, Any], *, abstained: bool = False,
        unmentioned: Sequence[str] = (), created_at: float | None = None,
    ) -> None:
        """`abstained` and `unmentioned` (`CitedAnswer`'s) are what `gaps` reads; `created_at`: when the
        message was posted (default: now)."""
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO answers (message_id, guild_id, channel_id, parent_id, question, answer, payload, "
                "created_at, abstained, unmentioned) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (message_id, guild_id, channel_id, parent_id, question, answer, json.dumps(payload),
                 time.time() if created_at is None else created_at, int(abstained), json.dumps(list(unmentioned))),
            )

    def answer(self, guild_id: int, message_id: int) -> StoredAnswer | None:
        """The answer posted as `message_id`, only if it was posted in `guild_id`."""
        with self._lock:
            row = self._db.execute(
                "SELECT message_id, guild_id, channel_id, parent_id, question, answer, payload "
                "FROM answers WHERE message_id = ? AND guild_id = ?",
                (message_id, guild_id),
            ).fetchone()
        if row is None:
            return None
        message_id, guild, channel_id, parent_id, question, answer, payload = row
        return StoredAnswer(message_id, guild, channel_id, parent_id, question, answer, json.loads(payload))

    def latest_answer(self, guild_id: int, channel_id: int) -> StoredAnswer | None:
        """The answer posted last in a channel (a thread) of `guild_id`: where its conversation ends."""
        with self._lock:
            row = self._db.execute(
                "SELECT message_id FROM answers WHERE guild_id = ? AND channel_id = ? "
                "ORDER BY created_at DESC, message_id DESC LIMIT 1",
                (guild_id, channel_id),
            ).fetchone()
        return None if row is None else self.answer(guild_id, row[0])

    def save_thread(self, guild_id: int, thread_id: int) -> None:
        """Remember a thread the bot opened for an answer: every message in it is a follow-up."""
        with self._lock:
            self._db.execute("INSERT OR IGNORE INTO threads VALUES (?, ?, ?)", (thread_id, guild_id, time.time()))

    def is_answer_thread(self, guild_id: int, thread_id: int) -> bool:
        with self._lock:
            row = self._db.execute(
                "SELECT 1 FROM threads WHERE thread_id = ? AND guild_id = ?", (thread_id, guild_id)
            ).fetchone()
        return row is not None

    def first_notice(self, guild_id: int, user_id: int, notice: str) -> bool:
        """True the first time `notice` is given to this user in this guild, False ever after: how the
        bot says something once instead of on every message."""
        with self._lock:
            inserted = self._db.execute(
                "INSERT OR IGNORE INTO notices VALUES (?, ?, ?, ?)", (guild_id, user_id, notice, time.time())
            ).rowcount
        return inserted == 1

    def mark_shared(self, guild_id: int, message_id: int) -> bool:
        """True the first time the private answer `message_id` is shared to its channel: it is shared once."""
        with self._lock:
            inserted = self._db.execute(
                "INSERT OR IGNORE INTO shares VALUES (?, ?, ?)", (message_id, guild_id, time.time())
            ).rowcount
        return inserted == 1

    def unmark_shared(self, guild_id: int, message_id: int) -> None:
        """Sharing failed (the bot may not post there): the answer can be shared again."""
        with self._lock:
            self._db.execute("DELETE FROM shares WHERE message_id = ? AND guild_id = ?", (message_id, guild_id))

    def conversation(self, guild_id: int, message_id: int, max_turns: int) -> list[tuple[str, str]]:
        """(question, answer) turns ending with `message_id`, oldest first, within one guild."""
        turns: list[tuple[str, str]] = []
        current: int | None = message_id
        while current is not None and len(turns) < max_turns:
            stored = self.answer(guild_id, current)
            if stored is None:
                break
            turns.append((stored.question, stored.answer))
            current = stored.parent_id
        return list(reversed(turns))

    def record_vote(self, guild_id: int, message_id: int, user_id: int, vote: int) -> bool:
        """Store (or change) a user's vote on an answer of this guild, with the question, the answer
        and its citations; a changed vote drops the reason given for the old one. False if there is no
        such answer."""
        stored = self.answer(guild_id, message_id)
        if stored is None:
            return False
        citations = json.dumps(stored.payload.get("citations", []), ensure_ascii=False)
        with self._lock:
            self._db.execute(
                "INSERT INTO feedback (guild_id, message_id, user_id, vote, question, answer, created_at, citations) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (message_id, user_id) DO UPDATE SET "
                "vote = excluded.vote, created_at = excluded.created_at, reason = '', details = ''",
                (guild_id, message_id, user_id, vote, stored.question, stored.answer, time.time(), citations),
            )
        return True

    def record_reason(self, guild_id: int, message_id: int, user_id: int, reason: str, details: str) -> bool:
        """Why the user voted 👎 on this guild's answer (a key of FEEDBACK_REASONS, or "") and what
        they added; False when they have no 👎 on it."""
        if reason and reason not in FEEDBACK_REASONS:
            raise ValueError(f"unknown feedback reason {reason!r}")
        with self._lock:
            updated = self._db.execute(
                "UPDATE feedback SET reason = ?, details = ? "
                "WHERE guild_id = ? AND message_id = ? AND user_id = ? AND vote = -1",
                (reason, details, guild_id, message_id, user_id),
            ).rowcount
        return updated == 1

    def feedback(self, guild_id: int | None = None) -> list[Feedback]:
        """The votes of one guild (or of every guild, for the operator's export), oldest first."""
        query = (
            "SELECT guild_id, message_id, user_id, vote, reason, details, question, answer, citations, created_at "
            "FROM feedback"
        )
        arguments: tuple[int, ...] = ()
        if guild_id is not None:
            query += " WHERE guild_id = ?"
            arguments = (guild_id,)
        with self._lock:
            rows = self._db.execute(query + " ORDER BY guild_id, created_at, message_id, user_id", arguments).fetchall()
        return [
            Feedback(
                guild_id=row[0], message_id=row[1], user_id=row[2], vote=row[3], reason=row[4], details=row[5],
                question=row[6], answer=row[7], citations=json.loads(row[8]), created_at=row[9],
            )
            for row in rows
        ]

    def gaps(self, guild_id: int | None, since: float) -> list[GapQuestion]:
        """The questions answered since `since` (of one guild, or of every guild for the operator)
        that abstained or got a 👎, newest first."""
        query = (
            "SELECT a.guild_id, a.message_id, a.question, a.abstained, a.unmentioned, a.created_at, "
            "COALESCE(SUM(f.vote = -1), 0) FROM answers a "
            "LEFT JOIN feedback f ON f.message_id = a.message_id AND f.guild_id = a.guild_id WHERE a.created_at >= ?"
        )
        arguments: tuple[float, ...] = (since,)
        if guild_id is not None:
            query += " AND a.guild_id = ?"
            arguments += (guild_id,)
        query += " GROUP BY a.message_id HAVING a.abstained = 1 OR SUM(f.vote = -1) > 0 ORDER BY a.created_at DESC"
        with self._lock:
            rows = self._db.execute(query, arguments).fetchall()
        return [
            GapQuestion(guild_id=row[0], message_id=row[1], question=row[2], abstained=bool(row[3]),
                        unmentioned=tuple(json.loads(row[4])), downvotes=row[6], created_at=row[5])
            for row in rows
        ]

    def close(self) -> None:
        with self._lock:
            self._db.close()
