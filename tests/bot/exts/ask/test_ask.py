"""/ask and questions by mention (bot/exts/ask/ask.py): answers, threads, follow-ups, private answers and limits."""

import datetime as dt
import re

import discord
import pytest
from simcord import interactions as simcord_interactions
from simcord.backend.models.message import AllowedMentions
from simcord.results import InteractionResult

from bot.exts.ask.views import SHARE_ID, SOURCES_ID, VOTE_DOWN_ID, VOTE_UP_ID
from bot.rendering import DESCRIPTION_LIMIT, EMBED_TOTAL_LIMIT, EMBEDS_PER_MESSAGE, FIELD_VALUE_LIMIT
from retrieval.answer.extractive import NOT_COVERED
from retrieval.text.sentences import MAX_SENTENCE_CHARS
from tests.bot.exts.helpers import callback_types, corpus_text, votes
from tests.support.discord import HARBOUR, answer_to, ask_by_mention, converse_in_thread, quotes, upload

pytestmark = pytest.mark.slow


def button_ids(rows) -> set[str]:
    """The custom ids of a message's buttons, from discord.py's action rows or a response's raw JSON."""
    return {
        (button["custom_id"] if isinstance(button, dict) else button.custom_id)
        for row in rows for button in (row["components"] if isinstance(row, dict) else row.children)
    }


def assert_within_limits(embeds: list[discord.Embed]) -> None:
    assert len(embeds) <= EMBEDS_PER_MESSAGE
    assert sum(len(e) for e in embeds) <= EMBED_TOTAL_LIMIT
    for embed in embeds:
        assert len(embed.description or "") <= DESCRIPTION_LIMIT
        assert all(len(f.value) <= FIELD_VALUE_LIMIT for f in embed.fields)


async def reply_without_ping(env, actor, channel, target: discord.Message, content: str):
    """A reply with the client's @ mention switched off (`allowed_mentions.replied_user` false): what
    Discord's client sends when the asker clicks "@ ON" off before replying. Returns the message."""
    created = env.backend.create_message(
        channel.id, actor.id, content,
        reference={"channel_id": str(target.channel.id), "message_id": str(target.id)},
        allowed_mentions=AllowedMentions(replied_user=False),
    )
    await env.settle()
    return created


# Asking ------------------------------------------------------------------------------------------


async def test_ask_defers_then_answers_with_verbatim_quotes(world):
    env, _, guilds = world
    a = guilds["A"]
    result = await a["member"].slash(a["channel"], "ask", question="Who denied the request?")
    assert callback_types(env)[0] == 5, "deferred (DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE) first"
    embeds = result.response.embeds
    assert "Liu Pengyu" in embeds[0].description and "Peskov" in embeds[0].description
    assert re.match(r"\*\*(Liu Pengyu|Dmitry Peskov)\*\* \[\d\]\n\n", embeds[0].description), "the short answer, bold, opens it"
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


# Follow-ups: replies and threads -----------------------------------------------------------------


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
    replied = await reply_without_ping(env, a["member"], a["channel"], first, "and what did the Kremlin spokesman say?")
    assert a["channel"].last_message.author.id == a["member"].id, "nothing posted in the channel"
    notice = a["member"].user.dm_channel.last_message
    assert notice.author.id == env.bot.user.id and notice.content.startswith("I only see the messages that mention me.")
    assert "Message Content" not in notice.content and "intent" not in notice.content, "no developer-portal words"
    assert str(replied.id) in notice.content and notice.embeds == [] and not notice.mentions
    await reply_without_ping(env, a["member"], a["channel"], first, "and what did Peskov say?")
    assert a["member"].user.dm_channel.last_message.id == notice.id, "said once, not to every reply"
    await a["member"].send(a["channel"], "and what did the Kremlin spokesman say?", reply_to=first)
    follow_up = a["channel"].last_message
    assert follow_up.author.id == env.bot.user.id and any("Peskov" in q for q in quotes(follow_up.embeds))
    other = await ask_by_mention(env, a["admin"], a["channel"], "How long did the meeting in Rome last?")
    await reply_without_ping(env, a["admin"], a["channel"], other, "and where?")
    told = a["admin"].user.dm_channel.last_message
    assert told.content.startswith("I only see the messages that mention me."), "each user is told once"


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


@pytest.mark.parametrize("bot_overrides", [{"message_content_intent": True}])
async def test_and_the_us_in_a_thread_asks_the_previous_question_about_the_us(world):
    """The held-out Discord trial's misreading: "the US" after a question about Russia was taken for
    a name the question already had ("us" is in "russia")."""
    env, _, guilds = world
    _, us = await converse_in_thread(env, guilds["A"]["member"], guilds["A"]["channel"],
                                     ["What did Russia ask China for?", "and the US?"])
    assert us.embeds[0].title == "Answering: What did the US ask China for?"


@pytest.mark.parametrize("bot_overrides", [{"message_content_intent": True}])
async def test_he_in_a_thread_is_the_person_the_previous_answer_gave(world):
    """The held-out Discord trial's misreading: "What did he say about Ukraine?" after "Who denied
    the request?" quoted an unnamed British official; "he" is Liu Pengyu, whom the answer gave."""
    env, _, guilds = world
    _, ukraine = await converse_in_thread(env, guilds["A"]["member"], guilds["A"]["channel"],
                                          ["Who denied the request?", "What did he say about Ukraine?"])
    first_quote = quotes(ukraine.embeds)[0]
    assert "Liu Pengyu" in first_quote and "situation in Ukraine" in first_quote
    assert not any("British" in quote for quote in quotes(ukraine.embeds))


async def test_without_message_content_an_answer_thread_takes_follow_ups_by_mention(world):
    env, _, guilds = world
    a = guilds["A"]
    first = await ask_by_mention(env, a["member"], a["channel"], "Who denied the request?")
    [thread] = a["channel"].threads
    await a["member"].send(thread, "and what did the Kremlin spokesman say?")
    assert thread.last_message.author.id == a["member"].id, "nothing posted in the thread"
    notice = a["member"].user.dm_channel.last_message
    assert notice.author.id == env.bot.user.id and notice.content.startswith("I only see the messages that mention me.")
    await a["member"].send(thread, "and what about Peskov?")
    assert a["member"].user.dm_channel.last_message.id == notice.id, "said once"
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


# Private answers, abstentions and limits ---------------------------------------------------------


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
    assert button_ids(result.response.components) >= {SOURCES_ID, VOTE_UP_ID}
    sources = await a["member"].click(result.response, custom_id=SOURCES_ID)
    assert sources.ephemeral and sources.response.embeds
    voted = await a["member"].click(result.response, custom_id=VOTE_UP_ID)
    assert "recorded" in voted.response.content
    assert votes(env, a) == [(result.response.id, a["member"].id, 1, "Who denied the request?")]


async def test_a_private_answer_shared_to_the_channel_is_posted_once_with_its_sources_and_votes(world):
    env, _, guilds = world
    a = guilds["A"]
    result = await a["member"].slash(a["channel"], "ask", question="Who denied the request?", private=True)
    assert button_ids(result.response.components) == {SOURCES_ID, VOTE_UP_ID, VOTE_DOWN_ID, SHARE_ID}
    shared = await a["member"].click(result.response, custom_id=SHARE_ID)
    [public] = a["channel"].history(viewer=a["admin"])
    assert public.embeds[0].description == result.response.embeds[0].description, "the same answer"
    assert [f.value for f in public.embeds[0].fields] == [f.value for f in result.response.embeds[0].fields]
    assert public.content == "Shared by memberA" and not public.mentions
    assert button_ids(public.components) == {SOURCES_ID, VOTE_UP_ID, VOTE_DOWN_ID}
    assert button_ids(shared.response.components) == {SOURCES_ID, VOTE_UP_ID, VOTE_DOWN_ID}, "the Share button is gone"
    sources = await a["admin"].click(public, custom_id=SOURCES_ID)
    assert sources.ephemeral and sources.response.embeds, "the shared answer's sources work for anyone"
    voted = await a["admin"].click(public, custom_id=VOTE_UP_ID)
    assert "recorded" in voted.response.content
    assert not env.bot.services.store.mark_shared(a["guild"].id, result.response.id), "recorded as shared: once"
    assert [m.id for m in a["channel"].history(viewer=a["member"]) if not m.flags.ephemeral] == [public.id]


async def test_a_share_the_bot_may_not_post_leaves_the_answer_private_and_shareable(world):
    env, _, guilds = world
    a = guilds["A"]
    result = await a["member"].slash(a["channel"], "ask", question="Who denied the request?", private=True)
    env.inject_error("POST", "/channels/*/messages", status=403, code=50013, message="Missing Permissions", times=1)
    refused = await a["member"].click(result.response, custom_id=SHARE_ID)
    told = [f.content for f in refused.followups]
    assert told == ["I can't post in this channel, so the answer stays private."]
    assert [m for m in a["channel"].history(viewer=a["admin"]) if not m.flags.ephemeral] == []
    assert env.bot.services.store.mark_shared(a["guild"].id, result.response.id), "not recorded as shared"


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


# Citations and safety ----------------------------------------------------------------------------


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


# Three days of virtual time run the bot's periodic tasks hundreds of times: about 3.5 s of the
# default 5 s settle budget on a quiet machine, and over it on a loaded CI runner (seen once).
@pytest.mark.simcord(settle_timeout=60)
async def test_a_question_is_asked_as_of_its_message_s_day(world):
    """An article published after the day of the asking message did not exist when it was asked:
    an answer then does not quote it, and one asked after its publication day does."""
    env, _, guilds = world
    a = guilds["A"]
    published = (env.now() + dt.timedelta(days=2)).date()
    added = await upload(a["admin"], a["channel"], "harbour.txt", HARBOUR, published=published.isoformat())
    assert added.response.content.startswith("✅ Added `harbour`")
    question = "Who resigned as harbour master of Valdora?"
    before = await a["member"].slash(a["channel"], "ask", question=question)
    assert not any("Ottavio" in q for q in quotes(before.response.embeds))
    await env.advance_time(3 * 24 * 3600)
    after = await a["member"].slash(a["channel"], "ask", question=question)
    assert any("Ottavio Brambilla" in q for q in quotes(after.response.embeds))
