"""The real discord.py bot from `create_bot`, driven end to end through SimCord's emulated Discord:
gateway events and REST calls with Discord's payload shapes, no network, no token."""

import socket

import discord
import pytest
from simcord import interactions as simcord_interactions
from simcord.backend.models.message import AllowedMentions
from simcord.results import InteractionResult

from bot.client import guild_scope
from bot.exts.ask.views import DETAILS_ID, REASON_ID, SOURCES_ID, VOTE_DOWN_ID, VOTE_UP_ID
from bot.rendering import (
    DESCRIPTION_LIMIT,
    EMBED_TOTAL_LIMIT,
    EMBEDS_PER_MESSAGE,
    FIELD_VALUE_LIMIT,
    inline,
)
from retrieval.documents import ArticleReader
from retrieval.extractive import NOT_COVERED
from retrieval.sentences import MAX_SENTENCE_CHARS
from retrieval.web import url_document_id
from tests.support.discord import (
    HARBOUR,
    answer_to,
    ask_by_mention,
    assert_harbour_invisible_to,
    converse_in_thread,
    quotes,
    upload,
    upload_harbour_and_ask,
)
from tests.support.files import ARTICLE, HTML, make_pdf
from tests.support.loopback import LoopbackServer
from tests.support.services import CORPUS
from tests.support.snapshots import index_state

pytestmark = pytest.mark.slow


def corpus_text(doc_id: str) -> str:
    return " ".join(ArticleReader(10**7).read_path(CORPUS / f"{doc_id}.md").text.split())


def callback_types(env, since: int = 0) -> list[int]:
    """The types of the interaction responses the bot sent after request number `since`."""
    return [
        entry.json["type"]
        for entry in env.http_requests[since:]
        if entry.method == "POST" and entry.path.endswith("/callback") and isinstance(entry.json, dict)
    ]


def assert_within_limits(embeds: list[discord.Embed]) -> None:
    assert len(embeds) <= EMBEDS_PER_MESSAGE
    assert sum(len(e) for e in embeds) <= EMBED_TOTAL_LIMIT
    for embed in embeds:
        assert len(embed.description or "") <= DESCRIPTION_LIMIT
        assert all(len(f.value) <= FIELD_VALUE_LIMIT for f in embed.fields)


async def reply_without_ping(env, actor, channel, target: discord.Message, content: str) -> None:
    """A reply with the client's @ mention switched off (`allowed_mentions.replied_user` false): what
    Discord's client sends when the asker clicks "@ ON" off before replying."""
    env.backend.create_message(
        channel.id, actor.id, content,
        reference={"channel_id": str(target.channel.id), "message_id": str(target.id)},
        allowed_mentions=AllowedMentions(replied_user=False),
    )
    await env.settle()


# Asking ------------------------------------------------------------------------------------------


async def test_ask_defers_then_answers_with_verbatim_quotes(world):
    env, _, guilds = world
    a = guilds["A"]
    result = await a["member"].slash(a["channel"], "ask", question="Who denied the request?")
    assert callback_types(env)[0] == 5, "deferred (DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE) first"
    embeds = result.response.embeds
    assert "Liu Pengyu" in embeds[0].description and "Peskov" in embeds[0].description
    found = quotes(embeds)
    assert found
    corpus = corpus_text("us-warns-allies-china-willing-to-support-russia") + corpus_text(
        "china-open-to-supplying-arms-to-russia"
    )
    assert all(quote in corpus for quote in found)
    assert embeds[-1].footer.text.startswith("extractive")
    assert " · as of 2022-03-14 · " in embeds[-1].footer.text, "the newest cited article's date"
    message = a["channel"].last_message
    assert {c.custom_id for row in message.components for c in row.children} == {SOURCES_ID, VOTE_UP_ID, VOTE_DOWN_ID}


async def test_a_mention_is_answered_in_a_thread_named_after_the_question(world):
    env, _, guilds = world
    a = guilds["A"]
    asked = await a["member"].send(a["channel"], f"<@{env.bot.user.id}> How long did the **meeting** in Rome last?")
    [thread] = a["channel"].threads
    assert thread.id == asked.id and thread.name == "How long did the meeting in Rome last?"
    answer = thread.last_message
    assert answer.author.id == env.bot.user.id and "eight hours" in answer.embeds[0].description
    assert env.bot.services.store.answer(a["guild"].id, answer.id).channel_id == thread.id


@pytest.mark.parametrize("bot_overrides", [{"answer_in_threads": False}])
async def test_with_threads_off_a_mention_is_answered_in_a_reply(world):
    env, _, guilds = world
    a = guilds["A"]
    asked = await a["member"].send(a["channel"], f"<@{env.bot.user.id}> How long did the meeting in Rome last?")
    reply = a["channel"].last_message
    assert a["channel"].threads == []
    assert reply.author.id == env.bot.user.id and reply.reference.message_id == asked.id
    assert "eight hours" in reply.embeds[0].description


async def test_where_the_bot_may_not_open_threads_it_replies(world):
    env, _, guilds = world
    a = guilds["A"]
    quiet = a["guild"].create_text_channel(
        "no-threads", overwrites={env.bot.user: discord.PermissionOverwrite(create_public_threads=False)}
    )
    asked = await a["member"].send(quiet, f"<@{env.bot.user.id}> How long did the meeting in Rome last?")
    assert quiet.threads == []
    reply = answer_to(quiet, asked)
    assert reply.reference.message_id == asked.id and "eight hours" in reply.embeds[0].description


async def test_mentions_and_markup_are_taken_out_of_the_question(world):
    env, _, guilds = world
    a = guilds["A"]
    answer = await ask_by_mention(env, a["member"], a["channel"], "@everyone @here <@123> **Who** denied the request?")
    assert "Liu Pengyu" in answer.embeds[0].description and "Peskov" in answer.embeds[0].description
    assert env.bot.services.store.answer(a["guild"].id, answer.id).question == "Who denied the request?"
    result = await a["member"].slash(a["channel"], "ask", question="<:ship:123> `Who denied the request?` <#42>")
    assert "Liu Pengyu" in result.response.embeds[0].description


@pytest.mark.parametrize("bot_overrides", [{"message_content_intent": True}])
async def test_a_question_in_an_ask_channel_is_answered_in_its_own_thread(world, bot_service):
    env, _, guilds = world
    a = guilds["A"]
    questions = a["guild"].create_text_channel("questions")
    bot_service.settings.ask_channel_ids.append(questions.id)
    asked = await a["member"].send(questions, "How long did the meeting in Rome last?")
    [thread] = questions.threads
    assert thread.id == asked.id and thread.name == "How long did the meeting in Rome last?"
    assert "eight hours" in thread.last_message.embeds[0].description
    assert a["channel"].threads == [], "other channels are not ask channels"


# Follow-ups: replies and threads --------------------------------------------------------------------


@pytest.mark.parametrize("bot_overrides", [{"answer_in_threads": False}])
async def test_a_reply_to_an_answer_is_a_follow_up(world):
    env, _, guilds = world
    a = guilds["A"]
    first = await ask_by_mention(env, a["member"], a["channel"], "Who denied the request?")
    await a["member"].send(a["channel"], "and what did the Kremlin spokesman say?", reply_to=first)
    follow_up = a["channel"].last_message
    assert follow_up.id != first.id and follow_up.author.id == env.bot.user.id
    assert any("Peskov" in quote for quote in quotes(follow_up.embeds))
    stored = env.bot.services.store.answer(a["guild"].id, follow_up.id)
    assert stored.parent_id == first.id


@pytest.mark.parametrize("bot_overrides", [{"answer_in_threads": False}])
async def test_a_reply_without_the_ping_is_explained_once_without_message_content(world):
    env, _, guilds = world
    a = guilds["A"]
    assert not env.bot.intents.message_content
    first = await ask_by_mention(env, a["member"], a["channel"], "Who denied the request?")
    await reply_without_ping(env, a["member"], a["channel"], first, "and what did the Kremlin spokesman say?")
    notice = a["channel"].last_message
    assert notice.author.id == env.bot.user.id and notice.content.startswith("I can't read messages that don't mention me")
    assert notice.embeds == [] and not notice.mentions
    await reply_without_ping(env, a["member"], a["channel"], first, "and what did Peskov say?")
    assert a["channel"].last_message.author.id == a["member"].id, "said once, not to every reply"
    await a["member"].send(a["channel"], "and what did the Kremlin spokesman say?", reply_to=first)
    follow_up = a["channel"].last_message
    assert follow_up.author.id == env.bot.user.id and any("Peskov" in q for q in quotes(follow_up.embeds))
    other = await ask_by_mention(env, a["admin"], a["channel"], "How long did the meeting in Rome last?")
    await reply_without_ping(env, a["admin"], a["channel"], other, "and where?")
    assert a["channel"].last_message.content.startswith("I can't read"), "each user is told once"


@pytest.mark.parametrize("bot_overrides", [{"answer_in_threads": False, "message_content_intent": True}])
async def test_with_message_content_a_reply_without_the_ping_is_a_follow_up(world):
    env, _, guilds = world
    a = guilds["A"]
    assert env.bot.intents.message_content
    first = await ask_by_mention(env, a["member"], a["channel"], "Who denied the request?")
    await reply_without_ping(env, a["member"], a["channel"], first, "and what did the Kremlin spokesman say?")
    follow_up = a["channel"].last_message
    assert follow_up.author.id == env.bot.user.id and any("Peskov" in q for q in quotes(follow_up.embeds))
    assert env.bot.services.store.answer(a["guild"].id, follow_up.id).parent_id == first.id


@pytest.mark.parametrize("bot_overrides", [{"message_content_intent": True}])
async def test_with_message_content_every_message_in_an_answer_thread_is_a_follow_up(world):
    env, _, guilds = world
    a = guilds["A"]
    first = await ask_by_mention(env, a["member"], a["channel"], "Who denied the request?")
    [thread] = a["channel"].threads
    await a["admin"].send(thread, "and what did the Kremlin spokesman say?")
    follow_up = thread.last_message
    assert follow_up.author.id == env.bot.user.id and any("Peskov" in q for q in quotes(follow_up.embeds))
    store = env.bot.services.store
    assert store.answer(a["guild"].id, follow_up.id).parent_id == first.id
    assert store.conversation(a["guild"].id, follow_up.id, 3) == [
        ("Who denied the request?", store.answer(a["guild"].id, first.id).answer),
        ("and what did the Kremlin spokesman say?", store.answer(a["guild"].id, follow_up.id).answer),
    ]
    assert len(a["channel"].threads) == 1, "a follow-up opens no new thread"


@pytest.mark.parametrize("bot_overrides", [{"message_content_intent": True}])
async def test_a_three_turn_thread_answers_each_question_without_repeating_itself(world):
    env, _, guilds = world
    a = guilds["A"]
    asked, warned, denied = await converse_in_thread(
        env, a["member"], a["channel"], ["What did Russia ask China for?", "and what did the US warn?", "who denied it?"]
    )
    assert "military support" in asked.embeds[0].description
    assert "consequences" in warned.embeds[0].description
    assert "military support" not in warned.embeds[0].description
    assert "Liu Pengyu" in denied.embeds[0].description
    given = set(quotes(asked.embeds))
    assert not given & set(quotes(warned.embeds))
    assert not (given | set(quotes(warned.embeds))) & set(quotes(denied.embeds))


@pytest.mark.parametrize("bot_overrides", [{"message_content_intent": True}])
async def test_a_thread_keeps_the_subject_a_follow_up_two_turns_back_named(world):
    """"Who attended it?" is about the meeting that only the thread's first question names."""
    env, _, guilds = world
    questions = ["When was the meeting in Rome?", "How long did it last?", "Who attended it?"]
    answers = await converse_in_thread(env, guilds["A"]["member"], guilds["A"]["channel"], questions)
    _, lasted, attended = (answer.embeds[0].description for answer in answers)
    assert "eight hours" in lasted
    assert "Jake Sullivan" in attended and "Yang Jiechi" in attended


@pytest.mark.parametrize("bot_overrides", [{"message_content_intent": True}])
async def test_and_beijing_in_a_thread_asks_the_previous_question_about_beijing(world):
    env, _, guilds = world
    questions = ["What did the Kremlin deny?", "and Beijing?"]
    kremlin, beijing = await converse_in_thread(env, guilds["A"]["member"], guilds["A"]["channel"], questions)
    assert "Peskov" in kremlin.embeds[0].description
    assert "denied by China" in beijing.embeds[0].description and "Peskov" not in beijing.embeds[0].description
    assert beijing.embeds[0].title == "Answering: What did Beijing deny?" and kremlin.embeds[0].title is None


async def test_without_message_content_an_answer_thread_takes_follow_ups_by_mention(world):
    env, _, guilds = world
    a = guilds["A"]
    first = await ask_by_mention(env, a["member"], a["channel"], "Who denied the request?")
    [thread] = a["channel"].threads
    await a["member"].send(thread, "and what did the Kremlin spokesman say?")
    notice = thread.last_message
    assert notice.author.id == env.bot.user.id and notice.content.startswith("I can't read messages that don't mention me")
    await a["member"].send(thread, "and what about Peskov?")
    assert thread.last_message.author.id == a["member"].id, "said once"
    await a["member"].send(thread, f"<@{env.bot.user.id}> and what did the Kremlin spokesman say?")
    follow_up = thread.last_message
    assert follow_up.author.id == env.bot.user.id and any("Peskov" in q for q in quotes(follow_up.embeds))
    assert env.bot.services.store.answer(a["guild"].id, follow_up.id).parent_id == first.id
    assert len(a["channel"].threads) == 1


async def test_a_reply_chain_from_another_guild_is_not_followed(world):
    env, _, guilds = world
    a, b = guilds["A"], guilds["B"]
    answer_in_a = await ask_by_mention(env, a["member"], a["channel"], "Who denied the request?")
    assert env.bot.services.store.conversation(b["guild"].id, answer_in_a.id, 3) == []
    assert env.bot.services.store.answer(b["guild"].id, answer_in_a.id) is None


async def test_a_private_ask_is_seen_by_the_asker_alone_and_keeps_its_buttons(world):
    env, _, guilds = world
    a = guilds["A"]
    since = len(env.http_requests)
    result = await a["member"].slash(a["channel"], "ask", question="Who denied the request?", private=True)
    deferral = [e.json for e in env.http_requests[since:] if e.path.endswith("/callback")][0]
    assert deferral["type"] == 5 and deferral["data"]["flags"] & 64, "deferred ephemerally"
    assert result.ephemeral and "Liu Pengyu" in result.response.embeds[0].description
    assert a["channel"].history(viewer=a["admin"]) == [], "the rest of the channel sees nothing"
    assert [m.id for m in a["channel"].history(viewer=a["member"])] == [result.response.id]
    sources = await a["member"].click(result.response, custom_id=SOURCES_ID)
    assert sources.ephemeral and sources.response.embeds
    voted = await a["member"].click(result.response, custom_id=VOTE_UP_ID)
    assert "recorded" in voted.response.content
    assert votes(env, a) == [(result.response.id, a["member"].id, 1, "Who denied the request?")]


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


async def test_an_abstention_is_shown_plainly_without_sources_votes_or_passages(world):
    env, _, guilds = world
    a = guilds["A"]
    result = await a["member"].slash(a["channel"], "ask", question="What is the boiling point of mercury?")
    [embed] = result.response.embeds
    assert embed.description.startswith(NOT_COVERED)
    assert embed.fields == [], "no passages quoted"
    hints = embed.description.split("Closest documents: ", 1)[1].split(", ")
    assert 1 <= len(hints) <= 3 and all(h.startswith("*") and h.endswith("*") for h in hints)
    assert a["channel"].last_message.components == [], "no Sources and no votes"
    reply = await ask_by_mention(env, a["member"], a["channel"], "What is the boiling point of mercury?")
    assert reply.embeds[0].description.startswith(NOT_COVERED) and reply.components == []


async def test_an_abstention_names_what_no_article_mentions(world):
    env, _, guilds = world
    a = guilds["A"]
    result = await a["member"].slash(a["channel"], "ask", question="What did Japan's foreign minister say about the request?")
    [embed] = result.response.embeds
    assert embed.description.startswith("The corpus does not cover this: none of the closest articles mentions Japan.")
    assert embed.fields == [] and a["channel"].last_message.components == []


async def test_sources_button_shows_full_passages_ephemerally(world):
    env, _, guilds = world
    a = guilds["A"]
    await a["member"].slash(a["channel"], "ask", question="Who denied the request?")
    result = await a["member"].click(a["channel"].last_message, custom_id=SOURCES_ID)
    assert result.ephemeral
    embeds = result.response.embeds
    assert len(embeds) >= 2 and all(len(e.description) > 200 for e in embeds)


def votes(env, guild: dict) -> list[tuple[int, int, int, str]]:
    """(message, user, vote, question) of every vote stored for this guild."""
    return [(f.message_id, f.user_id, f.vote, f.question) for f in env.bot.services.store.feedback(guild["guild"].id)]


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


@pytest.mark.parametrize("bot_overrides", [{"ask_cooldown_seconds": 60.0}])
async def test_cooldown_gives_a_friendly_reply(world):
    env, _, guilds = world
    a = guilds["A"]
    await a["member"].slash(a["channel"], "ask", question="Who denied the request?")
    second = await a["member"].slash(a["channel"], "ask", question="What did Russia ask for?")
    assert second.ephemeral and second.response.content.startswith("Slow down")
    other = await a["admin"].slash(a["channel"], "ask", question="What did Russia ask for?")
    assert other.response.embeds


@pytest.mark.parametrize(("question", "reply"), [("x" * 1200, "limit"), ("   ", "empty")])
async def test_bad_questions_get_a_clear_ephemeral_reply(world, question: str, reply: str):
    env, _, guilds = world
    a = guilds["A"]
    result = await a["member"].slash(a["channel"], "ask", question=question)
    assert result.ephemeral and reply in result.response.content


@pytest.mark.simcord(settle_timeout=120)
@pytest.mark.parametrize("bot_overrides", [{"max_concurrent_questions": 2}])
async def test_twenty_concurrent_asks_are_all_answered_and_queued_ones_told(world):
    env, commands, guilds = world
    a = guilds["A"]
    members = [a["guild"].add_member(env.create_user(f"user{i}")) for i in range(20)]
    records = []
    for member in members:
        data = {"id": str(commands["ask"].id), "name": "ask", "type": 1,
                "options": [{"name": "question", "type": 3, "value": "Who denied the request?"}]}
        record, payload = simcord_interactions.base_payload(
            env.backend, type=2, channel_id=a["channel"].id, guild_id=a["guild"].id, user_id=member.id, data=data
        )
        records.append(record)
        env.backend.emit("INTERACTION_CREATE", payload)
    await env.settle()
    results = [InteractionResult(env, record) for record in records]
    missing = [
        (r.response.content if r.response else None, [f.content for f in r.followups])
        for r in results
        if r.response is None or not r.response.embeds
    ]
    assert not missing, missing
    assert all("Liu Pengyu" in r.response.embeds[0].description for r in results)
    notices = [e for e in env.http_requests if e.method == "PATCH" and isinstance(e.json, dict)
               and "in the queue" in (e.json.get("content") or "")]
    assert len(notices) >= 10, "users beyond the concurrency limit are told they are queued"


# Errors are private ------------------------------------------------------------------------------


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


async def test_a_mistake_in_a_message_question_is_told_by_dm_not_in_the_channel(world):
    env, _, guilds = world
    a = guilds["A"]
    asked = await a["member"].send(a["channel"], f"<@{env.bot.user.id}> " + "Who denied the request? " * 60)
    assert a["channel"].last_message.id == asked.id, "nothing was posted in the channel"
    told = a["member"].user.dm_channel.last_message
    assert told.author.id == env.bot.user.id
    assert "the limit is 1,000" in told.content and str(asked.id) in told.content


async def test_with_dms_closed_the_mistake_is_a_reply_that_deletes_itself(world):
    env, _, guilds = world
    a = guilds["A"]
    env.inject_error("POST", "/channels/*/messages", status=403, code=50007,
                     message="Cannot send messages to this user", times=1)
    asked = await a["member"].send(a["channel"], f"<@{env.bot.user.id}> " + "Who denied the request? " * 60)
    reply = a["channel"].last_message
    assert reply.author.id == env.bot.user.id and reply.reference.message_id == asked.id
    assert "the limit is 1,000" in reply.content
    await env.advance_time(31)
    assert a["channel"].last_message.id == asked.id, "the reply deleted itself"


# Summaries and sources -----------------------------------------------------------------------------


async def test_summary_with_autocomplete(world):
    env, _, guilds = world
    a = guilds["A"]
    choices = await a["member"].autocomplete(a["channel"], "summary", "document", "china")
    values = [c["value"] for c in choices]
    assert "china-open-to-supplying-arms-to-russia" in values and len(choices) <= 25
    result = await a["member"].slash(a["channel"], "summary", document="china-open-to-supplying-arms-to-russia")
    embeds = result.response.embeds
    assert embeds[0].title.startswith("China")
    assert all(q in corpus_text("china-open-to-supplying-arms-to-russia") for q in quotes(embeds))
    topic = await a["member"].slash(a["channel"], "summary", topic="the meeting in Rome")
    assert quotes(topic.response.embeds)
    both = await a["member"].slash(a["channel"], "summary")
    assert both.ephemeral and "either" in both.response.content


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


# Admin ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "data", "question", "expected"),
    [
        ("harbour.txt", HARBOUR, "Who resigned as harbour master of Valdora?", "Ottavio Brambilla"),
        ("harbour.html", HTML.encode(), "How long will the breakwater repairs take?", "two months"),
        ("wind.pdf", make_pdf(["Wind farm approved", "The council approved the Kestrel wind farm on Friday."]),
         "Which wind farm did the council approve?", "Kestrel"),
    ],
    ids=["txt", "html", "pdf"],
)
async def test_admin_upload_then_ask_finds_it(world, filename: str, data: bytes, question: str, expected: str):
    env, _, guilds = world
    a = guilds["A"]
    result = await upload(a["admin"], a["channel"], filename, data)
    assert result.ephemeral
    assert result.response.content.startswith("✅ Added")
    edits = [e.json.get("content", "") for e in env.http_requests if e.method == "PATCH" and isinstance(e.json, dict)]
    assert any(text.startswith("⏳ Indexing") for text in edits), "progress shown while ingesting"
    answer = await a["member"].slash(a["channel"], "ask", question=question)
    assert any(expected in q for q in quotes(answer.response.embeds))
    again = await upload(a["admin"], a["channel"], filename, data)
    assert "unchanged" in again.response.content


async def test_reupload_with_new_content_replaces(world):
    env, _, guilds = world
    a = guilds["A"]
    await upload(a["admin"], a["channel"], "harbour.txt", HARBOUR)
    changed = HARBOUR.replace(b"next week", b"on Monday, naming Lucia Ferrante")
    result = await upload(a["admin"], a["channel"], "harbour.txt", changed)
    assert result.response.content.startswith("✅ Updated `harbour`")
    answer = await a["member"].slash(a["channel"], "ask", question="Who will be the interim harbour master?")
    assert any("Lucia Ferrante" in q for q in quotes(answer.response.embeds))


async def test_upload_refused_for_non_admins_even_when_the_command_is_shown(world):
    env, commands, guilds = world
    a = guilds["A"]
    with pytest.raises(Exception, match="(?i)permission|not.*(visible|available)|cannot"):
        await upload(a["member"], a["channel"], "harbour.txt", HARBOUR)
    a["guild"].set_command_permissions(commands["upload"], {a["member"]: True})
    result = await upload(a["member"], a["channel"], "harbour.txt", HARBOUR)
    assert result.ephemeral and "Only server admins" in result.response.content
    assert env.bot.services.answers.sources([guild_scope(a["guild"].id)]) == []


async def test_admin_role_ids_grant_admin(world, bot_service):
    env, commands, guilds = world
    a = guilds["A"]
    editors = a["guild"].create_role("Editors")
    editor = a["guild"].add_member(env.create_user("editor"), roles=[editors])
    a["guild"].set_command_permissions(commands["upload"], {editors: True})
    bot_service.settings.admin_role_ids.append(editors.id)
    result = await upload(editor, a["channel"], "harbour.txt", HARBOUR)
    assert result.response.content.startswith("✅ Added")


@pytest.mark.parametrize("bot_overrides", [{"max_upload_bytes": 1000}])
@pytest.mark.parametrize(
    ("filename", "data", "message"),
    [
        ("big.txt", b"word " * 201, "1,005 bytes; the upload limit is 1,000 bytes"),
        ("sheet.xlsx", b"PK\x03\x04", "unsupported file type"),
        ("broken.pdf", b"%PDF-1.4 not really",
         "was not added: corrupt or unreadable PDF: the file is damaged or is not a PDF; export or download it again"),
        ("../../escape.md", b"Escaping text that should stay inside.", "✅ Added `escape`"),
    ],
    ids=["oversized", "unsupported", "corrupt", "path-traversal-name"],
)
async def test_bad_uploads_are_refused_clearly(world, filename: str, data: bytes, message: str, tmp_path):
    env, _, guilds = world
    a = guilds["A"]
    result = await upload(a["admin"], a["channel"], filename, data)
    assert result.ephemeral and message in result.response.content
    assert not (tmp_path.parent / "escape.md").exists()


@pytest.mark.parametrize("bot_overrides", [{"max_upload_bytes": 4000}])
async def test_exactly_the_upload_limit_is_accepted(world):
    env, _, guilds = world
    a = guilds["A"]
    limit = env.bot.services.settings.max_upload_bytes
    body = b"The tide gauge was recalibrated on Tuesday. " * (limit // 45)
    data = body + b"x" * (limit - len(body))
    result = await upload(a["admin"], a["channel"], "tide.txt", data)
    assert result.response.content.startswith("✅ Added")
    before = index_state(env.bot.services.answers)
    over = await upload(a["admin"], a["channel"], "tide2.txt", data + b"x")
    assert "upload limit" in over.response.content
    assert index_state(env.bot.services.answers) == before


async def test_upload_reports_counts_in_words_and_titles_untitled_files_sensibly(world):
    env, _, guilds = world
    a = guilds["A"]
    one = await upload(a["admin"], a["channel"], "harbour.txt", HARBOUR)
    assert one.response.content == "✅ Added `harbour`: 1 chunk indexed. Ask about it with /ask."
    await upload(a["admin"], a["channel"], "pier-notes.txt",
                 b"The northern pier of Valdora will reopen in May, the council said on Monday.\nRepairs continue.")
    await upload(a["admin"], a["channel"], "ferry.md", b"# Ferry resumes service\n\nThe ferry to the islands resumed on Sunday.")
    titles = {s.doc_id: s.title for s in env.bot.services.answers.sources([guild_scope(a["guild"].id)])}
    assert titles == {"harbour": "Harbour master resigns", "pier-notes": "pier-notes", "ferry": "Ferry resumes service"}
    listing = await a["member"].slash(a["channel"], "sources")
    assert "**ferry** · Ferry resumes service · 1 chunk · *uploaded here*" in listing.response.embeds[0].description
    assert "undated" not in listing.response.embeds[0].description


LONG_TITLED = b"""---
title: The harbour master of Valdora resigns after the storm that damaged the northern pier and the ferry landing
id: valdora-harbour-master-resignation-after-the-storm-of-february-coverage
url: https://news.example/valdora/harbour-master
---
The harbour master of Valdora, Ottavio Brambilla, resigned on Friday after the storm damaged the northern pier.
Brambilla said the storm had damaged the northern pier beyond repair.
"""


async def test_citations_name_each_document_once_with_a_short_linked_title(world):
    env, _, guilds = world
    a = guilds["A"]
    await upload(a["admin"], a["channel"], "long.md", LONG_TITLED)
    answer = await a["member"].slash(a["channel"], "ask", question="What did the storm damage in Valdora?")
    fields = [f for embed in answer.response.embeds for f in embed.fields]
    assert [f.name for f in fields] == ["[1]", "[2] · same article as [1]"]
    header, quote = fields[0].value.split("\n")
    assert quote.startswith("“The harbour master of Valdora, Ottavio Brambilla, resigned")
    assert fields[1].value == "“Brambilla said the storm had damaged the northern pier beyond repair.”"
    assert header.startswith("[The harbour master of Valdora resigns after the storm") and header.endswith(
        "…](https://news.example/valdora/harbour-master)"
    )
    assert all("undated" not in f.name + f.value for f in fields)
    assert sum("The harbour master of Valdora resigns" in f.name + f.value for f in fields) == 1
    choices = await a["member"].autocomplete(a["channel"], "summary", "document", "valdora")
    assert [c["value"] for c in choices] == ["valdora-harbour-master-resignation-after-the-storm-of-february-coverage"]
    assert choices[0]["name"].endswith("(valdora-harbour-master-resignation-after-the-storm-of-february-coverage)")
    assert len(choices[0]["name"]) <= 100


@pytest.fixture
def article_site():
    """A web server on 127.0.0.1 serving one article, the only web the URL upload tests reach."""
    server = LoopbackServer(lambda method, path, body: (
        (200, {"Content-Type": "text/html; charset=utf-8"}, ARTICLE) if path == "/valdora"
        else (404, {"Content-Type": "text/plain"}, b"not here")
    ))
    yield server
    server.close()


@pytest.mark.parametrize("bot_overrides", [{"fetch_allow_loopback": True}])
async def test_upload_url_fetches_a_web_article_that_citations_link_to(world, article_site):
    env, _, guilds = world
    a = guilds["A"]
    url = f"{article_site.url}/valdora"
    doc_id = url_document_id(url)
    result = await a["admin"].slash(a["channel"], "upload", url=url)
    assert result.ephemeral and result.response.content == f"✅ Added `{doc_id}`: 1 chunk indexed. Ask about it with /ask."
    shown = [e.json.get("content") or "" for e in env.http_requests if isinstance(e.json, dict)]
    assert f"⏳ Fetching and indexing {inline(url)}…" in shown, "progress shown while fetching"
    [info] = env.bot.services.answers.sources([guild_scope(a["guild"].id)])
    assert (info.title, info.url, info.published, info.author) == ("Valdora harbour master resigns", url, "2024-02-09",
                                                                   "Giulia Neri")
    answer = await a["member"].slash(a["channel"], "ask", question="Who resigned as harbour master of Valdora?")
    header = answer.response.embeds[0].fields[0].value.split("\n")[0]
    assert header == f"[Valdora harbour master resigns]({url}) · 2024-02-09"
    again = await a["admin"].slash(a["channel"], "upload", url=url)
    assert "unchanged" in again.response.content
    await assert_harbour_invisible_to(guilds["B"])


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://169.254.169.254/latest/meta-data/", "refused: 169.254.169.254 is a cloud metadata address"),
        ("http://127.0.0.1:9/valdora", "refused: 127.0.0.1 is a loopback address"),
        ("http://[fd00:ec2::254]/latest/meta-data/", "refused: fd00:ec2::254 is a cloud metadata address"),
        ("file:///etc/passwd", "only http:// and https:// URLs are fetched, not file:"),
        ("not a url at all", "only http:// and https:// URLs are fetched"),
    ],
    ids=["metadata", "loopback", "metadata-v6", "file", "garbage"],
)
async def test_upload_url_refuses_what_a_server_must_not_fetch(world, url: str, message: str, monkeypatch):
    env, _, guilds = world
    a = guilds["A"]
    before = index_state(env.bot.services.answers)

    attempts: list = []

    def no_connection(sock: socket.socket, address, *args, **kwargs):
        attempts.append(address)
        raise AssertionError(f"a connection to {address} was attempted")

    monkeypatch.setattr(socket.socket, "connect", no_connection)
    result = await a["admin"].slash(a["channel"], "upload", url=url)
    assert result.ephemeral and result.response.content.startswith(f"❌ {inline(url)} was not added: {message}")
    assert attempts == []
    assert index_state(env.bot.services.answers) == before


async def test_upload_takes_a_publication_date_and_refuses_what_is_not_one(world):
    env, _, guilds = world
    a = guilds["A"]
    refused = await upload(a["admin"], a["channel"], "harbour.txt", HARBOUR, published="soon")
    assert refused.ephemeral and refused.response.content == "❌ Nothing was added: 'soon' is not a date (try 2023-01-05)."
    assert env.bot.services.answers.sources([guild_scope(a["guild"].id)]) == []
    added = await upload(a["admin"], a["channel"], "harbour.txt", HARBOUR, published="Jan 5, 2023")
    assert added.response.content.startswith("✅ Added `harbour`")
    [source] = env.bot.services.answers.sources([guild_scope(a["guild"].id)])
    assert source.published == "2023-01-05"
    answer = await a["member"].slash(a["channel"], "ask", question="Who resigned as harbour master of Valdora?")
    assert " · as of 2023-01-05 · " in answer.response.embeds[-1].footer.text


async def test_upload_needs_a_file_or_a_url(world):
    env, _, guilds = world
    a = guilds["A"]
    result = await a["admin"].slash(a["channel"], "upload")
    assert result.ephemeral and result.response.content == "❌ Attach a file, or give the `url:` of a web article to fetch."


async def test_remove_with_confirmation(world):
    env, _, guilds = world
    a = guilds["A"]
    await upload(a["admin"], a["channel"], "harbour.txt", HARBOUR)
    choices = await a["admin"].autocomplete(a["channel"], "remove", "document", "harb")
    assert [c["value"] for c in choices] == ["harbour"]
    prompt = await a["admin"].slash(a["channel"], "remove", document="harbour")
    assert prompt.ephemeral and "Remove `harbour`" in prompt.response.content
    done = await a["admin"].click(prompt.response, label="Remove")
    assert "Removed `harbour`" in done.response.content
    assert env.bot.services.answers.sources([guild_scope(a["guild"].id)]) == []
    shared = await a["admin"].slash(a["channel"], "remove", document="china-open-to-supplying-arms-to-russia")
    assert "has no uploaded document" in shared.response.content


# Isolation and safety ------------------------------------------------------------------------------


async def test_uploads_are_invisible_to_other_guilds(world):
    env, _, guilds = world
    a, b = guilds["A"], guilds["B"]
    await upload_harbour_and_ask(a)
    await assert_harbour_invisible_to(b)
    summary_b = await b["member"].slash(b["channel"], "summary", document="harbour")
    assert "No document" in summary_b.response.content
    removal_b = await b["admin"].slash(b["channel"], "remove", document="harbour")
    assert "has no uploaded document" in removal_b.response.content
    assert env.bot.services.answers.sources([guild_scope(a["guild"].id)])


async def test_everyone_in_a_passage_pings_nobody(world):
    env, _, guilds = world
    a = guilds["A"]
    await upload(a["admin"], a["channel"], "alert.txt",
                 b"@everyone The harbour of Valdora closes at noon, the coast guard announced. <@&123> <@456>")
    reply = await ask_by_mention(env, a["member"], a["channel"], "When does the harbour of Valdora close?")
    assert any("@everyone" in q for q in quotes(reply.embeds))
    assert not reply.mention_everyone and reply.mentions == [] and reply.role_mentions == []
    posted = [e.json for e in env.http_requests if e.method == "POST" and isinstance(e.json, dict) and "embeds" in e.json]
    assert posted and all(p["allowed_mentions"]["parse"] == [] for p in posted)
    assert not any(p["allowed_mentions"].get("replied_user") for p in posted)


async def test_an_answer_of_overlong_sentences_is_delivered_in_quotes_of_at_most_600_characters(world):
    """Sentences of 1,800 characters: each quote is a verbatim piece of at most MAX_SENTENCE_CHARS,
    and every message is within Discord's limits (a quote over a field's 1,024, as an LLM's two
    adjacent sentences can be, is trimmed: tests/bot/test_rendering.py)."""
    env, _, guilds = world
    a = guilds["A"]
    long_sentences = " ".join(
        f"The Valdora lighthouse report section {i} notes that " + ("the beam rotated steadily and " * 60)
        + f"the keeper logged entry {i}." for i in range(4)
    )
    await upload(a["admin"], a["channel"], "lighthouse.txt", long_sentences.encode())
    result = await a["member"].slash(a["channel"], "ask", question="What does the Valdora lighthouse report note?")
    messages = [result.response, *result.followups]
    assert messages[0].embeds
    for message in messages:
        assert_within_limits(message.embeds)
    shown = [q for m in messages for q in quotes(m.embeds)]
    assert shown and all(0 < len(q) <= MAX_SENTENCE_CHARS and q in long_sentences for q in shown)


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
