"""Digest schedules and the last digest of each server, in the bot's SQLite file (`bot.sqlite`,
beside `BotStore`'s tables, on a connection of its own): a schedule survives restarts, and the day a
scheduled digest was last posted is stored, so a restarted bot neither posts twice nor skips a day.
Every read and write names its guild."""

import datetime as dt
import threading
from dataclasses import dataclass
from pathlib import Path

from retrieval import open_sqlite

_SCHEMA = """
CREATE TABLE IF NOT EXISTS digests (
    guild_id INTEGER PRIMARY KEY,
    channel_id INTEGER,
    post_at TEXT NOT NULL DEFAULT '',
    last_posted_day TEXT NOT NULL DEFAULT '',
    last_digest_at REAL,
    problem TEXT NOT NULL DEFAULT ''
);
"""


@dataclass(frozen=True)
class Schedule:
    """A server's daily digest: posted in `channel_id` once a day from `post_at` (HH:MM, UTC);
    `problem` says why the last attempt failed ("" when it did not)."""

    guild_id: int
    channel_id: int
    post_at: str
    last_posted_day: str
    problem: str

    def due(self, now: dt.datetime) -> bool:
        """Whether the digest is to be posted at `now` (aware, UTC): its time has come today and
        today's is not posted yet. A bot down at that time posts when it is back, that day."""
        return now.strftime("%H:%M") >= self.post_at and self.last_posted_day != now.date().isoformat()


def parse_time_of_day(text: str) -> str:
    """`9:30`, `09:30` as `09:30`; raises ValueError for anything else."""
    hours, _, minutes = text.strip().partition(":")
    if not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2 and int(hours) < 24 and int(minutes) < 60):
        raise ValueError(f"{text!r} is not a time of day: give HH:MM in UTC, e.g. 08:00")
    return f"{int(hours):02d}:{minutes}"


class DigestSchedules:
    """The `digests` table; one connection guarded by a lock (calls are sub-millisecond)."""

    def __init__(self, path: Path) -> None:
        self._db = open_sqlite(path, _SCHEMA)
        self._lock = threading.Lock()

    def schedule(self, guild_id: int, channel_id: int, post_at: str) -> None:
        """Post this guild's digest in `channel_id` daily at `post_at`; replaces its schedule. A day
        whose post failed may be posted again; one that was posted is not."""
        with self._lock:
            self._db.execute(
                "INSERT INTO digests (guild_id, channel_id, post_at) VALUES (?, ?, ?) ON CONFLICT (guild_id) "
                "DO UPDATE SET channel_id = excluded.channel_id, post_at = excluded.post_at, problem = '', "
                "last_posted_day = CASE WHEN problem = '' THEN last_posted_day ELSE '' END",
                (guild_id, channel_id, post_at),
            )

    def unschedule(self, guild_id: int) -> bool:
        """Stop this guild's daily digest; False when it had none."""
        with self._lock:
            changed = self._db.execute(
                "UPDATE digests SET channel_id = NULL, post_at = '', problem = '' "
                "WHERE guild_id = ? AND channel_id IS NOT NULL", (guild_id,),
            ).rowcount
        return changed == 1

    def scheduled(self, guild_id: int | None = None) -> list[Schedule]:
        """The schedules of one guild, or of all (what the loop checks)."""
        query = "SELECT guild_id, channel_id, post_at, last_posted_day, problem FROM digests WHERE channel_id IS NOT NULL"
        arguments: tuple[int, ...] = ()
        if guild_id is not None:
            query += " AND guild_id = ?"
            arguments = (guild_id,)
        with self._lock:
            rows = self._db.execute(query + " ORDER BY guild_id", arguments).fetchall()
        return [Schedule(*row) for row in rows]

    def last_digest(self, guild_id: int) -> dt.datetime | None:
        """When this guild's last digest (asked for or scheduled) was made."""
        with self._lock:
            row = self._db.execute("SELECT last_digest_at FROM digests WHERE guild_id = ?", (guild_id,)).fetchone()
        return None if row is None or row[0] is None else dt.datetime.fromtimestamp(row[0], dt.UTC)

    def record_digest(self, guild_id: int, at: dt.datetime, posted_day: str = "") -> None:
        """A digest of this guild was made at `at`; `posted_day`: the scheduled one of that day (UTC)."""
        with self._lock:
            self._db.execute(
                "INSERT INTO digests (guild_id, last_digest_at, last_posted_day) VALUES (?, ?, ?) ON CONFLICT (guild_id) "
                "DO UPDATE SET last_digest_at = excluded.last_digest_at, "
                "last_posted_day = CASE WHEN excluded.last_posted_day = '' THEN last_posted_day "
                "ELSE excluded.last_posted_day END, problem = CASE WHEN excluded.last_posted_day = '' THEN problem ELSE '' END",
                (guild_id, at.timestamp(), posted_day),
            )

    def record_problem(self, guild_id: int, day: str, problem: str) -> None:
        """The scheduled digest of `day` could not be posted: the admin sees why when scheduling it
        again (`/digest-schedule` says so), and it is not tried again until the next day."""
        with self._lock:
            self._db.execute(
                "UPDATE digests SET problem = ?, last_posted_day = ? WHERE guild_id = ?", (problem, day, guild_id)
            )

    def close(self) -> None:
        with self._lock:
            self._db.close()
