"""/sources (bot/exts/sources/sources.py): the documents a guild can ask about, page by page."""

import pytest

from bot.client import guild_scope

pytestmark = pytest.mark.slow


async def test_sources_are_paginated(world):
    env, _, guilds = world
    a = guilds["A"]
    service = env.bot.services.answers
    for i in range(11):
        service.ingest_bytes(f"Bulletin {i}: the ferry timetable changed on day {i}.".encode(), f"bulletin-{i:02d}.txt",
                             guild_scope(a["guild"].id))
    result = await a["member"].slash(a["channel"], "sources")
    page_one = result.response.embeds[0]
    assert page_one.footer.text.startswith("page 1 of 2 · 13 documents")
    await a["member"].click(a["channel"].last_message, label="▶")
    page_two = a["channel"].last_message.embeds[0]
    assert page_two.footer.text.startswith("page 2 of 2")
    assert page_one.description != page_two.description
    b_sources = await guilds["B"]["member"].slash(guilds["B"]["channel"], "sources")
    assert "bulletin" not in b_sources.response.embeds[0].description
    assert b_sources.response.embeds[0].footer.text == "page 1 of 1 · 2 documents"
