"""What the bot remembers, in SQLite under the data directory: each answer it posted (for the
Sources button and for follow-ups), the threads it opened for answers, the one-time notices it gave,
and the 👍/👎 feedback on its answers. Every row carries its guild, and every read is filtered by the
guild asking, so nothing crosses between servers."""

import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
CREATE INDEX IF NOT EXISTS answers_by_channel ON answers (guild_id, channel_id, created_at);
"""


@dataclass(frozen=True)
class StoredAnswer:
    message_id: int
    guild_id: int
    channel_id: int
    parent_id: int | None
    question: str
    answer: str
    payload: dict[str, Any]


class BotStore:
    """Answers and feedback; one connection guarded by a lock (calls are sub-millisecond)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._lock = threading.Lock()

    def save_answer(
        self, message_id: int, guild_id: int, channel_id: int, parent_id: int | None,
        question: str, answer: str, payload: dict[str, Any],
    ) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO answers VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (message_id, guild_id, channel_id, parent_id, question, answer, json.dumps(payload), time.time()),
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
        return StoredAnswer(*row[:6], payload=json.loads(row[6]))

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
        """Store (or change) a user's vote on an answer of this guild; False if there is no such answer."""
        stored = self.answer(guild_id, message_id)
        if stored is None:
            return False
        with self._lock:
            self._db.execute(
                "INSERT INTO feedback VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (message_id, user_id) "
                "DO UPDATE SET vote = excluded.vote, created_at = excluded.created_at",
                (guild_id, message_id, user_id, vote, stored.question, stored.answer, time.time()),
            )
        return True

    def votes(self, guild_id: int) -> list[tuple[int, int, int, str]]:
        """(message_id, user_id, vote, question) of one guild, for reports and tests."""
        with self._lock:
            return self._db.execute(
                "SELECT message_id, user_id, vote, question FROM feedback WHERE guild_id = ? ORDER BY created_at",
                (guild_id,),
            ).fetchall()

    def close(self) -> None:
        with self._lock:
            self._db.close()
