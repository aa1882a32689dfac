"""/summary (bot/exts/summary/summary.py): of a document or a topic, with document autocomplete."""

import pytest

from tests.bot.exts.helpers import callback_types, corpus_text
from tests.support.discord import quotes

pytestmark = pytest.mark.slow


async def test_a_summary_of_an_unknown_document_is_refused_before_anything_is_public(world):
    env, _, guilds = world
    a = guilds["A"]
    since = len(env.http_requests)
    result = await a["member"].slash(a["channel"], "summary", document="no-such-document")
    assert result.ephemeral and result.response.content.startswith("No document `no-such-document`")
    assert result.followups == []
    assert callback_types(env, since) == [4], "answered at once, ephemerally: no public 'thinking…' first"
    too_long = await a["member"].slash(a["channel"], "summary", topic="harbour " * 200)
    assert too_long.ephemeral and "the limit is 1,000" in too_long.response.content


async def test_summary_with_autocomplete(world):
    env, _, guilds = world
    a = guilds["A"]
    choices = await a["member"].autocomplete(a["channel"], "summary", "document", "china")
    values = [c["value"] for c in choices]
    assert "china-open-to-supplying-arms-to-russia" in values and len(choices) <= 25
    result = await a["member"].slash(a["channel"], "summary", document="china-open-to-supplying-arms-to-russia")
    embeds = result.response.embeds
    assert embeds[0].title.startswith("China")
    footer = embeds[-1].footer.text
    assert footer.startswith("summary · extractive · as of 2022-03-14 · ") and footer.endswith(" s"), (
        "who wrote it, how recent, how long: as an answer's footer says"
    )
    assert all(q in corpus_text("china-open-to-supplying-arms-to-russia") for q in quotes(embeds))
    topic = await a["member"].slash(a["channel"], "summary", topic="the meeting in Rome")
    assert quotes(topic.response.embeds)
    both = await a["member"].slash(a["channel"], "summary")
    assert both.ephemeral and "either" in both.response.content
