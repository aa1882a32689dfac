"""The one table of errors a user can act on, and the three surfaces that show it."""

from pathlib import Path

import pytest

from bot.exts.core.errors import STORE_UNAVAILABLE, describe
from bot.rendering import inline
from bot.user_errors import (
    EXIT_NOT_FOUND,
    EXIT_STORE_DAMAGED,
    EXIT_STORE_UNAVAILABLE,
    EXIT_USAGE,
    STORE_DAMAGED,
    explain,
)
from retrieval.index.chroma import EMBEDDED, StoreDamaged, StoreUnavailable
from retrieval.service import DocumentNotFound, QuestionError

DAMAGED = StoreDamaged(Path("/srv/citebot/data/chroma/chroma.sqlite3"), EMBEDDED, "database disk image is malformed")


def test_each_error_a_user_can_fix_has_a_message_and_an_exit_code():
    question = explain(QuestionError("The question is empty."), sources_command="/sources")
    assert question is not None and (question.message, question.detail, question.exit_code) == (
        "The question is empty.", "", EXIT_USAGE)
    missing = explain(DocumentNotFound("no-such"), sources_command="`citebot sources`")
    assert missing is not None and missing.exit_code == EXIT_NOT_FOUND
    assert missing.message == "No document 'no-such' here: `citebot sources` lists the documents I can use."
    store = explain(StoreUnavailable("cannot reach the Chroma server at 10.0.0.5:8000"), sources_command="/sources")
    assert store is not None and store.exit_code == EXIT_STORE_UNAVAILABLE
    assert "10.0.0.5" not in store.message and store.detail == "cannot reach the Chroma server at 10.0.0.5:8000"


def test_a_damaged_store_names_the_file_and_the_way_back_to_the_operator_only():
    """A StoreUnavailable too, but 'try again in a minute' would be wrong: it needs a restore."""
    damaged = explain(DAMAGED, sources_command="`citebot sources`")
    assert damaged is not None and (damaged.message, damaged.exit_code) == (STORE_DAMAGED, EXIT_STORE_DAMAGED)
    assert "/srv" not in damaged.message
    assert damaged.detail == (
        "/srv/citebot/data/chroma/chroma.sqlite3 is damaged: database disk image is malformed. Stop citebot, then "
        "restore /srv/citebot/data/chroma from a backup, or delete that folder and ingest the documents again; "
        "README: Backup and recovery"
    )
    server = explain(StoreDamaged(None, "the Chroma server at http://10.0.0.5:8000", "file is not a database"),
                     sources_command="/sources")
    assert server is not None and server.detail.startswith(
        "the Chroma server at http://10.0.0.5:8000 is damaged: file is not a database. Stop citebot, then restore "
        "the Chroma server's data from a backup")


def test_bugs_are_not_in_the_table():
    assert explain(KeyError("x"), sources_command="/sources") is None


@pytest.mark.parametrize(
    ("error", "shown"),
    [
        (DocumentNotFound("a`b"), f"No document {inline('a`b')} here: /sources lists the documents I can use."),
        (StoreUnavailable("cannot reach the Chroma server at 10.0.0.5:8000"), STORE_UNAVAILABLE),
        (DAMAGED, f"🛠️ {STORE_DAMAGED}"),
        (QuestionError("The question is empty."), "The question is empty."),
    ],
    ids=["not-found", "store", "damaged-store", "question"],
)
def test_discord_shows_the_table_message_escaped_and_never_the_operator_detail(error: Exception, shown: str):
    assert describe(error) == shown


def test_feed_and_refresh_mistakes_have_a_message_and_an_exit_code():
    from retrieval import FeedError, NoWebDocument, UnknownFeed

    unknown = explain(UnknownFeed("7"), sources_command="/sources", quote=inline)
    assert unknown is not None and (unknown.message, unknown.exit_code) == ("No feed `7` is subscribed here.", EXIT_NOT_FOUND)
    refused = explain(FeedError("cannot read the feed: the server answered HTTP 404 Not Found"), sources_command="/sources")
    assert refused is not None and refused.exit_code == EXIT_USAGE
    assert refused.message == "The feed was not added: cannot read the feed: the server answered HTTP 404 Not Found."
    page = explain(NoWebDocument("notes"), sources_command="/sources")
    assert page is not None and page.exit_code == EXIT_NOT_FOUND
    assert page.message == "No web document 'notes' here: only documents fetched from a URL can be refreshed."
