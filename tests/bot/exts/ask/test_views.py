"""The buttons under an answer (bot/exts/ask/views.py): Sources, and the votes with the 👎 feedback form."""

import pytest

from bot.exts.ask.views import DETAILS_ID, REASON_ID, SOURCES_ID, VOTE_DOWN_ID, VOTE_UP_ID
from tests.bot.exts.helpers import votes
from tests.support.discord import quotes

pytestmark = pytest.mark.slow


async def test_sources_and_votes_work_on_an_answer_in_a_dm(world):
    """An answer asked in a DM is stored under guild 0; the buttons looked it up only in a guild
    and told the asker they no longer had its sources."""
    env, _, _ = world
    user = env.create_user("dm-asker")
    result = await user.slash("ask", question="Who denied the request?")
    assert "Liu Pengyu" in result.response.embeds[0].description
    sources = await user.click(result.response, custom_id=SOURCES_ID)
    assert sources.ephemeral and sources.response.embeds, sources.response.content
    voted = await user.click(result.response, custom_id=VOTE_UP_ID)
    assert "recorded" in voted.response.content
    assert [(f.message_id, f.user_id, f.vote) for f in env.bot.services.store.feedback(0)] == [
        (result.response.id, user.id, 1)
    ]


async def test_sources_button_shows_full_passages_ephemerally(world):
    env, _, guilds = world
    a = guilds["A"]
    await a["member"].slash(a["channel"], "ask", question="Who denied the request?")
    result = await a["member"].click(a["channel"].last_message, custom_id=SOURCES_ID)
    assert result.ephemeral
    embeds = result.response.embeds
    assert len(embeds) >= 2 and all(len(e.description) > 200 for e in embeds)


async def test_thumbs_up_is_stored_per_guild(world):
    env, _, guilds = world
    a = guilds["A"]
    await a["member"].slash(a["channel"], "ask", question="Who denied the request?")
    message = a["channel"].last_message
    result = await a["member"].click(message, custom_id=VOTE_UP_ID)
    assert result.ephemeral and "recorded" in result.response.content
    assert votes(env, a) == [(message.id, a["member"].id, 1, "Who denied the request?")]
    assert votes(env, guilds["B"]) == []
    await a["member"].click(message, custom_id=VOTE_DOWN_ID)
    assert [vote for _, _, vote, _ in votes(env, a)] == [-1]


async def test_thumbs_down_asks_why_and_keeps_the_reason_with_the_answer_and_citations(world):
    env, _, guilds = world
    a, b = guilds["A"], guilds["B"]
    answer = await a["member"].slash(a["channel"], "ask", question="Who denied the request?")
    message = a["channel"].last_message
    shown = await a["member"].click(message, custom_id=VOTE_DOWN_ID)
    assert shown.modal is not None and shown.modal["title"] == "What was wrong with this answer?"
    store = env.bot.services.store
    [before_reason] = store.feedback(a["guild"].id)
    assert before_reason.vote == -1 and before_reason.reason == "", "the 👎 counts even if the form is closed"
    submitted = await a["member"].submit_modal(shown, {REASON_ID: ["unsupported"], DETAILS_ID: "  [2] is about\nsomething else "})
    assert submitted.ephemeral and submitted.response.content == "Thanks, feedback recorded."
    [kept] = store.feedback(a["guild"].id)
    assert (kept.vote, kept.reason, kept.details) == (-1, "unsupported", "[2] is about something else")
    assert kept.question == "Who denied the request?" and "Liu Pengyu" in kept.answer
    assert [c["quote"] for c in kept.citations] == quotes(answer.response.embeds)
    assert store.feedback(b["guild"].id) == []

    other = await a["admin"].click(message, custom_id=VOTE_DOWN_ID)
    await a["admin"].submit_modal(other, {})
    assert sorted((f.user_id, f.reason) for f in store.feedback(a["guild"].id)) == sorted(
        [(a["member"].id, "unsupported"), (a["admin"].id, "")]
    ), "both parts of the form are optional"
    await a["member"].click(message, custom_id=VOTE_UP_ID)
    changed = [f for f in store.feedback(a["guild"].id) if f.user_id == a["member"].id]
    assert [(f.vote, f.reason, f.details) for f in changed] == [(1, "", "")], "a changed vote drops the old reason"
