"""/feed add|list|remove, the polling loop's work and /refresh (bot/exts/feeds/feeds.py) through
SimCord with the real discord.py client, against a news site on 127.0.0.1 (tests/support/feed_site.py)."""

from collections.abc import Iterator

import pytest

from bot.client import guild_scope
from bot.rendering import inline
from retrieval.ingest.web import url_document_id
from tests.support.discord import quotes
from tests.support.feed_site import FeedSite, article_html

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("bot_overrides", [{"fetch_allow_loopback": True}])]

HARBOUR = ["The harbour master of Valdora, Ottavio Brambilla, resigned on Friday after the storm damaged the pier."]
FERRY = ["The ferry to Isola Bassa resumed service on Monday with a new captain, Marta Lucchesi, at the helm."]
BRIDGE = ["Engineers closed the Sant'Elmo bridge on Tuesday after finding cracks in two of its steel cables."]
SUCCESSOR = ["The council named Lucia Ferrante harbour master of Valdora on Monday, after a vote of nine to two."]
CAPTAIN = "Who is the captain of the ferry to Isola Bassa?"


@pytest.fixture
def site() -> Iterator[FeedSite]:
    site = FeedSite()
    yield site
    site.close()


def assert_no_payload_pings(env) -> None:
    """Every message the bot sent or edited carries `allowed_mentions: {"parse": []}`."""
    bodies = [entry.json.get("data") or {} if entry.path.endswith("/callback") else entry.json
              for entry in env.http_requests if isinstance(entry.json, dict)]
    posted = [body for body in bodies if "content" in body or "embeds" in body]
    assert posted
    assert all(body.get("allowed_mentions", {}).get("parse") == [] for body in posted), posted


async def test_a_feed_gains_two_entries_between_polls_and_exactly_those_are_answerable_here_only(world, site):
    env, _, guilds = world
    a, b = guilds["A"], guilds["B"]
    cog = env.bot.get_cog("Feeds")
    assert cog.polling.is_running() and cog.polling.minutes == 30, "the loop polls every FEED_POLL_MINUTES"
    assert not cog.refreshing.is_running(), "REFRESH_HOURS is 0 (off) by default"
    site.publish("harbour", "Valdora harbour master resigns", "Fri, 09 Feb 2024 10:00:00 GMT", HARBOUR)
    added = await a["admin"].slash(a["channel"], "feed add", url=site.feed_url)
    assert added.ephemeral and added.response.content.startswith(
        f"✅ Subscribed to *Coast News* (feed 1, {inline(site.feed_url)}): 1 article ingested now")

    site.publish("ferry", "Ferry resumes service", "Mon, 12 Feb 2024 08:30:00 GMT", FERRY)
    site.publish("bridge", "Bridge closed", "Tue, 13 Feb 2024 10:00:00 GMT", BRIDGE)
    await cog.poll_every_feed()
    own = {s.doc_id: s.published for s in env.bot.services.answers.sources([guild_scope(a["guild"].id)])}
    assert own == {url_document_id(site.article_url(slug)): day for slug, day in
                   (("harbour", "2024-02-09"), ("ferry", "2024-02-12"), ("bridge", "2024-02-13"))}
    answer = await a["member"].slash(a["channel"], "ask", question=CAPTAIN)
    assert any("Marta Lucchesi" in quote for quote in quotes(answer.response.embeds))
    header = answer.response.embeds[0].fields[0].value.split("\n")[0]
    assert header == f"[Ferry resumes service]({site.article_url('ferry')}) · 2024-02-12"

    elsewhere = await b["member"].slash(b["channel"], "ask", question=CAPTAIN)
    assert not any("Marta" in quote for quote in quotes(elsewhere.response.embeds))
    assert "Marta" not in elsewhere.response.embeds[0].description
    listing = await b["member"].slash(b["channel"], "sources")
    assert "ferry" not in listing.response.embeds[0].description.lower()
    none_here = await b["admin"].slash(b["channel"], "feed list")
    assert none_here.response.content.startswith("This server is subscribed to no feed.")

    articles_fetched = len(site.served) - len(site.requests_to("/feed.xml"))
    await cog.poll_every_feed()
    assert site.requests_to("/feed.xml")[-1].status == 304
    assert len(site.served) - len(site.requests_to("/feed.xml")) == articles_fetched, "nothing new fetched"
    shown = await a["admin"].slash(a["channel"], "feed list")
    assert shown.ephemeral
    assert "**1** · *Coast News* · " in shown.response.content and "0 new articles · 3 articles in all" in shown.response.content
    assert "last error" not in shown.response.content
    assert_no_payload_pings(env)


async def test_feed_commands_are_for_admins_and_mistakes_are_one_private_line(world, site):
    env, commands, guilds = world
    a, b = guilds["A"], guilds["B"]
    site.put_page("harbour", article_html("Valdora harbour master resigns", HARBOUR))
    a["guild"].set_command_permissions(commands["feed"], {a["member"]: True})
    refused = await a["member"].slash(a["channel"], "feed add", url=site.feed_url)
    assert refused.ephemeral and "Only server admins" in refused.response.content
    cases = {
        "ftp://example.com/feed": f"❌ {inline('ftp://example.com/feed')} was not added: only http:// and https:// URLs "
                                  "are fetched, not ftp:.",
        site.article_url("harbour"): "❌ The feed was not added: cannot read the feed: the URL serves text/html, "
                                     "not an RSS or Atom feed.",
        "http://169.254.169.254/feed": "❌ The feed was not added: cannot read the feed: refused: 169.254.169.254 is a "
                                       "cloud metadata address; only public web addresses are fetched.",
    }
    for url, message in cases.items():
        result = await a["admin"].slash(a["channel"], "feed add", url=url)
        assert result.ephemeral and result.response.content == message
    await a["admin"].slash(a["channel"], "feed add", url=site.feed_url)
    twice = await a["admin"].slash(a["channel"], "feed add", url=site.feed_url)
    assert twice.response.content == f"❌ The feed was not added: already subscribed to {site.feed_url} here."
    assert await b["admin"].autocomplete(b["channel"], "feed remove", "feed", "") == []
    foreign = await b["admin"].slash(b["channel"], "feed remove", feed="1")
    assert foreign.ephemeral and foreign.response.content == "❌ No feed `1` is subscribed here. `/feed list` shows them."
    removed = await a["admin"].slash(a["channel"], "feed remove", feed="1")
    assert removed.ephemeral and removed.response.content.startswith(f"🗑️ Unsubscribed from {inline(site.feed_url)}")
    assert env.bot.services.answers.feeds.subscriptions() == []
    assert_no_payload_pings(env)


async def test_refresh_keeps_unchanged_pages_replaces_changed_ones_and_reports_vanished_ones(world, site):
    env, _, guilds = world
    a = guilds["A"]
    site.put_page("harbour", article_html("Valdora harbour master", HARBOUR))
    url = site.article_url("harbour")
    doc_id = url_document_id(url)
    await a["admin"].slash(a["channel"], "upload", url=url)
    assert [c["value"] for c in await a["admin"].autocomplete(a["channel"], "refresh", "document", "valdora")] == [doc_id]

    same = await a["admin"].slash(a["channel"], "refresh", document=doc_id)
    assert same.ephemeral and same.response.content == f"✅ `{doc_id}` is unchanged."
    site.put_page("harbour", article_html("Valdora harbour master", SUCCESSOR))
    changed = await a["admin"].slash(a["channel"], "refresh", document=doc_id)
    assert changed.response.content == f"🔄 `{doc_id}` changed: the new version replaced the old one."
    answer = await a["member"].slash(a["channel"], "ask", question="Who is the new harbour master of Valdora?")
    assert any("Lucia Ferrante" in quote for quote in quotes(answer.response.embeds))
    assert "Ottavio" not in env.bot.services.answers.document_text(doc_id, [guild_scope(a["guild"].id)])

    del site.pages["harbour"]
    gone = await a["admin"].slash(a["channel"], "refresh")
    assert gone.ephemeral and gone.response.content == (
        f"⚠️ `{doc_id}`: the page is gone (the server answered HTTP 404 Not Found). "
        "The document is kept; /remove it if it should go.")
    assert [s.doc_id for s in env.bot.services.answers.sources([guild_scope(a["guild"].id)])] == [doc_id]
    listed = await a["admin"].slash(a["channel"], "feed list")
    assert f"• `{doc_id}`: the server answered HTTP 404 Not Found" in listed.response.content
    unknown = await a["admin"].slash(a["channel"], "refresh", document="nope")
    assert unknown.ephemeral and unknown.response.content == (
        "❌ No web document `nope` here: only documents fetched from a URL can be refreshed.")
    assert_no_payload_pings(env)
