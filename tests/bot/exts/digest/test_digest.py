"""/digest, /digest-schedule, /digest-unschedule (bot/exts/digest/digest.py) through SimCord with the
real client, over dated uploads; SimCord's clock starts on 2026-01-01 00:00 UTC."""

import datetime as dt
import re

import discord
import pytest

from bot import create_bot
from tests.support.discord import quotes, upload
from tests.support.news import BRIDGE_CLOSED, BRIDGE_REPAIRS, CHEESE_FAIR

pytestmark = pytest.mark.slow

# Newest story first: the bridge (its newest report today), then the fair (yesterday).
DATED = ((BRIDGE_CLOSED, "2025-12-30"), (CHEESE_FAIR, "2025-12-31"), (BRIDGE_REPAIRS, "2026-01-01"))


async def upload_dated(guild: dict) -> None:
    for article, day in DATED:
        added = await upload(guild["admin"], guild["channel"], f"{article.doc_id}.md", article.markdown(day))
        assert added.response.content.startswith("✅ Added"), added.response.content


def stories(embeds: list[discord.Embed]) -> list[discord.Embed]:
    """The embeds that open a story (a title and a cited text), after the digest's heading."""
    return [embed for embed in embeds[1:] if embed.title]


def bot_posts(env, channel) -> list[discord.Message]:
    return [m for m in channel.history() if m.author.id == env.bot.user.id]


def assert_every_sentence_cited(embeds: list[discord.Embed], texts: dict[str, str]) -> None:
    for story in stories(embeds):
        markers = re.findall(r"\[(\d+)\]", story.description)
        sentences = [s for s in re.split(r"(?<=\])\s+", story.description.strip()) if s]
        assert markers and len(sentences) == len(markers), story.description
    shown = quotes(embeds[1:])
    assert shown and all(any(q in text for text in texts.values()) for q in shown), "every quote is stored text"


async def test_a_digest_groups_the_new_articles_by_story_newest_first_with_citations(world):
    env, _, guilds = world
    a, b = guilds["A"], guilds["B"]
    await upload_dated(a)
    result = await a["member"].slash(a["channel"], "digest", since="3d")
    embeds = [embed for message in [result.response, *result.followups] for embed in message.embeds]
    assert embeds[0].title == "What's new since 2025-12-29 00:00 UTC"
    assert embeds[0].description == "3 new articles, 2 stories"
    opened = stories(embeds)
    assert [e.title for e in opened] == [BRIDGE_REPAIRS.title, CHEESE_FAIR.title], "one story per event, newest first"
    assert opened[0].footer.text == "2026-01-01 · 2 articles" or any(
        e.footer.text == "2026-01-01 · 2 articles" for e in embeds), "the bridge's two reports are one story"
    texts = {article.doc_id: article.body for article, _ in DATED}
    assert_every_sentence_cited(embeds, texts)
    cited_titles = " ".join(field.value for e in embeds for field in e.fields)
    assert "Valdora closes the Marrow Bridge" in cited_titles and "Marrow Bridge repairs" in cited_titles
    elsewhere = await b["member"].slash(b["channel"], "digest", since="3d")
    shown = [embed for message in [elsewhere.response, *elsewhere.followups] for embed in message.embeds]
    assert shown[0].description == "No new articles." and len(shown) == 1, "guild B never sees guild A's uploads"


async def test_by_default_a_digest_covers_what_came_since_the_last_one(world):
    env, _, guilds = world
    a = guilds["A"]
    await upload_dated(a)
    first = await a["member"].slash(a["channel"], "digest")
    assert first.response.embeds[0].title == "What's new since 2025-12-31 00:00 UTC", "24 h back the first time"
    await env.advance_time(3600)
    second = await a["member"].slash(a["channel"], "digest")
    assert second.response.embeds[0].title == "What's new since 2026-01-01 00:00 UTC", "then since the last digest"
    wrong = await a["member"].slash(a["channel"], "digest", since="next year sometime")
    assert wrong.ephemeral and wrong.response.content.startswith("❌ 'next year sometime' is not a time")


async def test_a_scheduled_digest_is_posted_once_a_day_and_again_after_a_restart(world):
    env, commands, guilds = world
    a = guilds["A"]
    await upload_dated(a)
    news = a["guild"].create_text_channel("news")
    a["guild"].set_command_permissions(commands["digest-schedule"], {a["member"]: True})
    refused = await a["member"].slash(a["channel"], "digest-schedule", channel=news, time="09:00")
    assert refused.ephemeral and refused.response.content == (
        "Only server admins (Manage Server, or an admin role) can schedule the digest."), "checked in code"
    bad_time = await a["admin"].slash(a["channel"], "digest-schedule", channel=news, time="25:00")
    assert bad_time.ephemeral and "not a time of day" in bad_time.response.content
    scheduled = await a["admin"].slash(a["channel"], "digest-schedule", channel=news, time="09:00")
    assert scheduled.ephemeral and scheduled.response.content == (
        f"✅ The digest will be posted in <#{news.id}> every day at 09:00 UTC.")
    await env.advance_time(8 * 3600 + 58 * 60)
    assert bot_posts(env, news) == [], "not before its time"
    await env.advance_time(3 * 60)
    posted = bot_posts(env, news)
    first_at = posted[0].created_at
    assert (first_at.date(), first_at.hour, first_at.minute) == (dt.date(2026, 1, 1), 9, 0), "at its time, to the minute"
    assert posted[0].embeds[0].title == f"What's new since {first_at - dt.timedelta(hours=24):%Y-%m-%d %H:%M} UTC"
    assert stories(posted[0].embeds)[0].title == BRIDGE_REPAIRS.title
    await env.advance_time(6 * 3600)
    assert len(bot_posts(env, news)) == len(posted), "once a day"

    restarted = create_bot(env.bot.services.settings, env.bot.services.answers)
    await env.restart_bot(restarted)
    await env.advance_time(3600)
    assert len(bot_posts(env, news)) == len(posted), "a restart the same day does not post it again"
    await env.advance_time(18 * 3600)
    again = bot_posts(env, news)[len(posted):]
    assert again and again[0].embeds[0].title == f"What's new since {first_at:%Y-%m-%d %H:%M} UTC", "since the last one"
    assert (again[0].created_at.date(), again[0].created_at.hour, again[0].created_at.minute) == (dt.date(2026, 1, 2), 9, 0)
    await env.advance_time(3 * 3600)
    assert len(bot_posts(env, news)) == len(posted) + len(again), "once that day too"
    sent = [r.json for r in env.http_requests if r.method == "POST" and r.path == f"/channels/{news.id}/messages"]
    assert len(sent) == len(posted) + len(again)
    assert all(body["allowed_mentions"]["parse"] == [] for body in sent), "a digest pings no one"


async def test_a_digest_is_not_scheduled_where_the_bot_may_not_post(world):
    env, _, guilds = world
    a = guilds["A"]
    closed = a["guild"].create_text_channel(
        "closed", overwrites={env.bot.user: discord.PermissionOverwrite(send_messages=False)})
    refused = await a["admin"].slash(a["channel"], "digest-schedule", channel=closed, time="09:00")
    assert refused.ephemeral
    assert refused.response.content == f"❌ Not scheduled: I need Send Messages, Embed Links in <#{closed.id}>."
    nothing = await a["admin"].slash(a["channel"], "digest-unschedule")
    assert nothing.ephemeral and nothing.response.content == "There is no daily digest to stop."
    await a["admin"].slash(a["channel"], "digest-schedule", channel=a["channel"], time="00:30")
    stopped = await a["admin"].slash(a["channel"], "digest-unschedule")
    assert stopped.response.content == "✅ The daily digest is stopped."
    await env.advance_time(3600)
    assert not [m for m in a["channel"].history() if m.author.id == env.bot.user.id and m.embeds
                and m.embeds[0].title.startswith("What's new")]


async def test_a_scheduled_digest_the_bot_may_no_longer_post_records_why_for_the_admin(world):
    """Permissions taken away after scheduling: nothing is posted, nothing crashes, the loop goes on,
    and the admin is told why when scheduling again."""
    env, _, guilds = world
    a = guilds["A"]
    closed = a["guild"].create_text_channel(
        "closed", overwrites={env.bot.user: discord.PermissionOverwrite(send_messages=False)})
    schedules = env.bot.get_cog("DigestCog").schedules
    schedules.schedule(a["guild"].id, closed.id, "01:00")
    await env.advance_time(2 * 3600)
    assert bot_posts(env, closed) == []
    [schedule] = schedules.scheduled(a["guild"].id)
    assert schedule.problem == f"I need Send Messages, Embed Links in <#{closed.id}>"
    again = await a["admin"].slash(a["channel"], "digest-schedule", channel=a["channel"], time="03:00")
    assert again.response.content.endswith(
        f"The last scheduled digest was not posted: I need Send Messages, Embed Links in <#{closed.id}>.")
    await env.advance_time(2 * 3600)
    assert [m.embeds[0].title for m in bot_posts(env, a["channel"]) if m.embeds][-1].startswith("What's new since")
