"""Errors the bot did not expect (bot/exts/core/errors.py): a clear reply, and the bot keeps serving."""

import pytest

from tests.support.discord import ask_by_mention

pytestmark = pytest.mark.slow


async def test_a_broken_index_gives_a_clear_reply_and_the_bot_keeps_serving(world):
    env, _, guilds = world
    a = guilds["A"]
    store = env.bot.services.answers.store
    store._client.delete_collection("citebot_chunks")
    broken = await ask_by_mention(env, a["member"], a["channel"], "Who denied the request?")
    assert "Something went wrong" in broken.content
    result = await a["member"].slash(a["channel"], "ask", question="Who denied the request?")
    assert "Something went wrong" in result.response.content
    env.errors.clear()
    sources = await a["member"].slash(a["channel"], "sources")
    assert sources.response.embeds
