"""Helpers of the cog tests that more than one test module of tests/bot/exts uses."""

from retrieval.ingest.readers import ArticleReader
from tests.support.services import CORPUS


def corpus_text(doc_id: str) -> str:
    return " ".join(ArticleReader(10**7).read_path(CORPUS / f"{doc_id}.md").text.split())


def callback_types(env, since: int = 0) -> list[int]:
    """The types of the interaction responses the bot sent after request number `since`."""
    return [
        entry.json["type"]
        for entry in env.http_requests[since:]
        if entry.method == "POST" and entry.path.endswith("/callback") and isinstance(entry.json, dict)
    ]


def votes(env, guild: dict) -> list[tuple[int, int, int, str]]:
    """(message, user, vote, question) of every vote stored for this guild."""
    return [(f.message_id, f.user_id, f.vote, f.question) for f in env.bot.services.store.feedback(guild["guild"].id)]
