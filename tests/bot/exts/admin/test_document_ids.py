"""Uploads named in any script, through the real bot in SimCord's emulated Discord: each keeps a
readable id of its own that /sources lists, autocomplete offers, and /summary and /remove take; an
upload whose name maps to another upload's id is refused, and the same name updates its document."""

import pytest

from bot.client import guild_scope
from tests.support.discord import quotes, upload

pytestmark = pytest.mark.slow

STRIKE = "Dock workers in Valparaiso ended a nine-day strike on Thursday after the port authority agreed to a raise."
FERRY = "The ferry to the Solovetsky Islands resumed service on Sunday after the ice cleared from the bay."


async def test_uploads_named_in_other_scripts_are_listed_offered_summarised_and_removed(world):
    env, _, guilds = world
    a = guilds["A"]
    first = await upload(a["admin"], a["channel"], "新闻.md", f"# Harbour strike ends\n\n{STRIKE}\n".encode())
    second = await upload(a["admin"], a["channel"], "новости.md", f"# Ferry resumes\n\n{FERRY}\n".encode())
    assert first.response.content.startswith("✅ Added `新闻`")
    assert second.response.content.startswith("✅ Added `новости`")
    listing = (await a["member"].slash(a["channel"], "sources")).response.embeds[0].description
    assert "**新闻** · Harbour strike ends" in listing and "**новости** · Ferry resumes" in listing
    offered = await a["member"].autocomplete(a["channel"], "summary", "document", "НОВ")
    assert [(c["name"], c["value"]) for c in offered] == [("Ferry resumes (новости)", "новости")]
    summary = await a["member"].slash(a["channel"], "summary", document="新闻")
    assert summary.response.embeds[0].title == "Harbour strike ends"
    assert quotes(summary.response.embeds) and all(q in STRIKE for q in quotes(summary.response.embeds))
    assert [c["value"] for c in await a["admin"].autocomplete(a["channel"], "remove", "document", "新")] == ["新闻"]
    prompt = await a["admin"].slash(a["channel"], "remove", document="新闻")
    done = await a["admin"].click(prompt.response, label="Remove")
    assert "Removed `新闻`" in done.response.content
    assert [s.doc_id for s in env.bot.services.answers.sources([guild_scope(a["guild"].id)])] == ["новости"]


async def test_an_upload_cannot_take_the_id_of_another_upload(world):
    env, _, guilds = world
    a = guilds["A"]
    assert (await upload(a["admin"], a["channel"], "report.md", STRIKE.encode())).response.content.startswith(
        "✅ Added `report`"
    )
    clash = await upload(a["admin"], a["channel"], "Report!.md", FERRY.encode())
    assert clash.response.content == (
        "❌ `Report!.md` was not added: document id 'report' is already used by report.md: "
        "rename the file, or remove that document first to replace it."
    )
    updated = await upload(a["admin"], a["channel"], "report.md", STRIKE.replace("nine-day", "ten-day").encode())
    assert updated.response.content.startswith("✅ Updated `report`")
    text = env.bot.services.answers.document_text("report", [guild_scope(a["guild"].id)])
    assert "ten-day strike" in text
