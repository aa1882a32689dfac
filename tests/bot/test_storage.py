"""`BotStore` on databases it did not create: one written by the citebot before feedback reasons
(and threads and notices) is brought up to date when opened, its rows kept."""

import json
import sqlite3
from pathlib import Path

import pytest

from bot.storage import BotStore

# The schema as citebot released it before answer threads, notices and 👎 reasons.
OLD_SCHEMA = """
CREATE TABLE answers (
    message_id INTEGER PRIMARY KEY, guild_id INTEGER NOT NULL, channel_id INTEGER NOT NULL, parent_id INTEGER,
    question TEXT NOT NULL, answer TEXT NOT NULL, payload TEXT NOT NULL, created_at REAL NOT NULL
);
CREATE TABLE feedback (
    guild_id INTEGER NOT NULL, message_id INTEGER NOT NULL, user_id INTEGER NOT NULL,
    vote INTEGER NOT NULL CHECK (vote IN (-1, 1)), question TEXT NOT NULL, answer TEXT NOT NULL,
    created_at REAL NOT NULL, PRIMARY KEY (message_id, user_id)
);
"""


@pytest.fixture
def old_database(tmp_path: Path) -> Path:
    path = tmp_path / "bot.sqlite"
    db = sqlite3.connect(path)
    db.executescript(OLD_SCHEMA)
    payload = json.dumps({"passages": [], "backend": "extractive"})
    db.execute("INSERT INTO answers VALUES (10, 1, 5, NULL, 'Who denied it?', 'Liu Pengyu denied it [1].', ?, 1.0)",
               (payload,))
    db.execute("INSERT INTO feedback VALUES (1, 10, 7, -1, 'Who denied it?', 'Liu Pengyu denied it [1].', 2.0)")
    db.commit()
    db.close()
    return path


def test_an_old_database_gains_the_new_columns_and_keeps_its_rows(old_database: Path):
    store = BotStore(old_database)
    [old] = store.feedback(1)
    assert (old.message_id, old.user_id, old.vote, old.question) == (10, 7, -1, "Who denied it?")
    assert (old.reason, old.details, old.citations) == ("", "", [])
    assert store.record_reason(1, 10, 7, "wrong", "It was Peskov.")
    assert [(f.reason, f.details) for f in store.feedback(1)] == [("wrong", "It was Peskov.")]
    assert store.first_notice(1, 7, "content-withheld") and not store.first_notice(1, 7, "content-withheld")
    store.save_thread(1, 99)
    assert store.is_answer_thread(1, 99) and not store.is_answer_thread(2, 99)
    store.close()
    reopened = BotStore(old_database)
    assert [(f.reason, f.details) for f in reopened.feedback(1)] == [("wrong", "It was Peskov.")]
    reopened.close()


def test_a_reason_needs_a_thumbs_down_in_that_guild(tmp_path: Path):
    store = BotStore(tmp_path / "bot.sqlite")
    citations = [{"n": 1, "doc_id": "d", "quote": "q"}]
    store.save_answer(10, 1, 5, None, "q?", "a [1].", {"passages": [], "backend": "extractive", "citations": citations})
    assert not store.record_reason(1, 10, 7, "wrong", ""), "no vote yet"
    store.record_vote(1, 10, 7, 1)
    assert not store.record_reason(1, 10, 7, "wrong", ""), "a 👍 takes no reason"
    store.record_vote(1, 10, 7, -1)
    assert not store.record_reason(2, 10, 7, "wrong", ""), "not from another guild"
    assert store.record_reason(1, 10, 7, "incomplete", "")
    assert [(f.vote, f.reason, f.citations) for f in store.feedback(1)] == [(-1, "incomplete", citations)]
    with pytest.raises(ValueError, match="unknown feedback reason"):
        store.record_reason(1, 10, 7, "spam", "")
    store.close()


def test_an_old_database_s_answers_count_as_answered_in_the_gaps(old_database: Path):
    """Answers stored before `abstained` existed read as answered; only their 👎 makes them a gap."""
    store = BotStore(old_database)
    [gap] = store.gaps(1, since=0.0)
    assert (gap.question, gap.abstained, gap.unmentioned, gap.downvotes) == ("Who denied it?", False, (), 1)
    store.save_answer(11, 1, 5, None, "What did Brazil say?", "The corpus does not cover this…", {},
                      abstained=True, unmentioned=("Brazil",), created_at=5.0)
    assert [(g.message_id, g.unmentioned) for g in store.gaps(1, since=3.0)] == [(11, ("Brazil",))], "newer than since"
    assert store.gaps(2, since=0.0) == [], "another guild's gaps are not this one's"
    store.close()
