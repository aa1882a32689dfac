"""Helpers for the bot's tests in SimCord's emulated Discord (the `world` fixture is in
tests/bot/conftest.py): asking, uploading, reading answers, and the harbour document one guild uploads
and another must never see."""

import discord
from simcord.results import InteractionResult

from bot.wording import still_writing

HARBOUR = b"""---
title: Harbour master resigns
---
The harbour master of Valdora, Ottavio Brambilla, resigned on Friday after the storm damaged the northern pier.
The council will appoint an interim harbour master next week.
"""


def quotes(embeds: list[discord.Embed]) -> list[str]:
    """The quoted passages of an answer's citation fields (a document's first field has its title
    on a line above the quote)."""
    return [field.value.rsplit("\n", 1)[-1].strip("“”") for embed in embeds for field in embed.fields]


def answer_to(channel, asked: discord.Message) -> discord.Message | None:
    """The bot's last message about `asked`: in the thread opened from it, or a reply to it."""
    opened = [thread for thread in channel.threads if thread.id == asked.id]
    if opened:
        return opened[0].last_message
    last = channel.last_message
    replied = last.reference is not None and last.reference.message_id == asked.id
    return last if replied and last.author.id != asked.author.id else None


async def ask_by_mention(env, actor, channel, question: str) -> discord.Message:
    """Mention the bot with `question`; the bot's answer, wherever it went (thread or reply)."""
    asked = await actor.send(channel, f"<@{env.bot.user.id}> {question}")
    answer = answer_to(channel, asked)
    assert answer is not None and answer.author.id == env.bot.user.id, "the bot answered"
    return answer


async def converse_in_thread(env, actor, channel, questions: list[str]) -> list[discord.Message]:
    """Ask the first question by mention, then the others in the thread the answer opened; the
    bot's answer to each, in order."""
    answers = [await ask_by_mention(env, actor, channel, questions[0])]
    [thread] = channel.threads
    for question in questions[1:]:
        await actor.send(thread, question)
        answers.append(thread.last_message)
    assert all(answer.author.id == env.bot.user.id for answer in answers), "the bot answered every turn"
    return answers


async def upload(actor, channel, filename: str, data: bytes, **options) -> InteractionResult:
    return await actor.slash(channel, "upload", file=(filename, data), **options)


# Isolation between guilds ------------------------------------------------------------------------


async def upload_harbour_and_ask(guild: dict) -> None:
    """Guild uploads HARBOUR and gets answers quoting it."""
    added = await upload(guild["admin"], guild["channel"], "harbour.txt", HARBOUR)
    assert added.response.content.startswith("✅ Added `harbour`")
    answer = await guild["member"].slash(guild["channel"], "ask", question="Who resigned as harbour master of Valdora?")
    assert any("Ottavio Brambilla" in q for q in quotes(answer.response.embeds))


async def assert_harbour_invisible_to(guild: dict) -> None:
    """Another guild's HARBOUR upload reaches this guild through no answer, list or autocomplete."""
    answer = await guild["member"].slash(guild["channel"], "ask", question="Who resigned as harbour master of Valdora?")
    assert not any("Ottavio" in q for q in quotes(answer.response.embeds))
    assert "Ottavio" not in answer.response.embeds[0].description
    sources = await guild["member"].slash(guild["channel"], "sources")
    assert "harbour" not in sources.response.embeds[0].description
    assert await guild["member"].autocomplete(guild["channel"], "summary", "document", "harb") == []
    assert await guild["admin"].autocomplete(guild["channel"], "remove", "document", "harb") == []


async def assert_every_request_gets(env, guild: dict, message: str) -> None:
    """/ask, a mention, /sources and an /upload each get `message` alone (a store that cannot be
    used), with no answer embed."""
    asked = await guild["member"].slash(guild["channel"], "ask", question="Who denied the request?")
    assert asked.response.content == message and not asked.response.embeds
    mentioned = await ask_by_mention(env, guild["member"], guild["channel"], "How long did the meeting in Rome last?")
    assert mentioned.content == message
    listed = await guild["member"].slash(guild["channel"], "sources")
    assert listed.response.content == message
    refused = await upload(guild["admin"], guild["channel"], "harbour.txt", HARBOUR)
    assert refused.response.content == f"❌ `harbour.txt` was not added. {message}"


def sent_while_writing(env) -> list[dict]:
    """The bodies of every message the bot posted or edited while an LLM wrote (their footers say
    so), in order."""
    notes = (still_writing("extractive"), still_writing("checked"))
    return [
        request.json for request in env.http_requests
        if request.method in ("POST", "PATCH") and isinstance(request.json, dict)
        and any(note in ((embed.get("footer") or {}).get("text") or "")
                for embed in request.json.get("embeds") or [] for note in notes)
    ]


def body_text(body: dict) -> str:
    """Everything a message body shows: its content, and its embeds' titles, texts, fields and footers."""
    parts = [body.get("content") or ""]
    for embed in body.get("embeds") or []:
        parts += [embed.get("title") or "", embed.get("description") or "", (embed.get("footer") or {}).get("text") or ""]
        parts += [f"{field.get('name', '')} {field.get('value', '')}" for field in embed.get("fields") or []]
    return "\n".join(parts)
