"""Feeds and refresh: admins subscribe their server to RSS/Atom feeds (`/feed add|list|remove`) and
fetch its web documents again (`/refresh`); the bot polls every feed each FEED_POLL_MINUTES and
refreshes every web document each REFRESH_HOURS (0: never on its own).

Everything here fetches pages, which a web server may take up to FETCH_TIMEOUT to send, so it runs on
one thread of its own: never on the default executor that every guild's questions share, and never
two polls at once (the loop and a command cannot ingest one entry twice). What goes wrong in a loop
is logged and recorded on the feed (shown by /feed list); it never stops the bot or the loop.
"""

import asyncio
import functools
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot.autocomplete import document_choices
from bot.client import BotServices, Citebot, guild_scope
from bot.exts.admin.documents import is_corpus_admin, own_scope
from bot.exts.core.errors import describe
from bot.exts.feeds.rendering import describe_feeds, describe_refresh, describe_subscription
from bot.rendering import inline
from retrieval import FeedError, FetchError, NoWebDocument, StoreUnavailable, UnknownFeed, check_url

log = logging.getLogger(__name__)
R = TypeVar("R")


class Feeds(commands.Cog):
    feed = app_commands.Group(
        name="feed", description="RSS and Atom feeds whose new articles this server's corpus takes in.",
        guild_only=True, default_permissions=discord.Permissions(manage_guild=True),
    )

    def __init__(self, services: BotServices) -> None:
        self.services = services
        self._worker = ThreadPoolExecutor(1, thread_name_prefix="citebot-feeds")
        settings = services.settings
        self.polling = tasks.loop(minutes=settings.feed_poll_minutes or 1)(self.poll_every_feed)
        self.refreshing = tasks.loop(hours=settings.refresh_hours or 1)(self.refresh_every_document)

    async def cog_load(self) -> None:
        if self.services.settings.feed_poll_minutes:
            self.polling.start()
        if self.services.settings.refresh_hours:
            self.refreshing.start()

    async def cog_unload(self) -> None:
        self.polling.cancel()
        self.refreshing.cancel()
        self._worker.shutdown(wait=False, cancel_futures=True)

    async def _in_worker(self, work: Callable[..., R], *args: object) -> R:
        return await asyncio.get_running_loop().run_in_executor(self._worker, functools.partial(work, *args))

    async def poll_every_feed(self) -> None:
        """What the polling loop runs: every feed of every server, one after another."""
        try:
            polls = await self._in_worker(self.services.answers.feeds.poll_all)
            log.info("polled %d feeds: %d new articles", len(polls), sum(len(p.ingested) for p in polls))
        except Exception:
            log.exception("polling the feeds failed; trying again at the next poll")

    async def refresh_every_document(self) -> None:
        """What the refresh loop runs: every web document of every server fetched again."""
        try:
            reports = await self._in_worker(self.services.answers.refresher.refresh_all)
            log.info("refreshed the web documents of %d scopes", len(reports))
        except Exception:
            log.exception("refreshing the web documents failed; trying again at the next refresh")

    @feed.command(name="add", description="Subscribe this server to an RSS or Atom feed; its articles are ingested now.")
    @app_commands.describe(url="The feed's URL (http or https)")
    @is_corpus_admin()
    async def add(self, interaction: discord.Interaction, url: str) -> None:
        try:
            check_url(url)
        except FetchError as exc:
            await interaction.response.send_message(f"❌ {inline(url)} was not added: {exc}.", ephemeral=True)
            return
        scope = own_scope(interaction)
        await interaction.response.defer(thinking=True, ephemeral=True)
        progress = await interaction.followup.send(f"⏳ Reading the feed {inline(url)} and fetching its articles…",
                                                   ephemeral=True, wait=True)
        try:
            poll = await self._in_worker(self.services.answers.feeds.subscribe, url, scope)
        except (FeedError, StoreUnavailable) as exc:
            await progress.edit(content=f"❌ {describe(exc)}")
            return
        await progress.edit(content=describe_subscription(poll))

    @feed.command(name="list", description="The feeds of this server, with their last poll and last error.")
    @is_corpus_admin()
    async def list_feeds(self, interaction: discord.Interaction) -> None:
        scope = own_scope(interaction)
        feeds = await asyncio.to_thread(self.services.answers.feeds.subscriptions, [scope])
        vanished = await asyncio.to_thread(self.services.answers.refresher.vanished, scope)
        await interaction.response.send_message(describe_feeds(feeds, vanished), ephemeral=True)

    @feed.command(name="remove", description="Unsubscribe this server from a feed (its articles stay).")
    @app_commands.describe(feed="The feed's id or URL (see /feed list)")
    @is_corpus_admin()
    async def remove(self, interaction: discord.Interaction, feed: str) -> None:
        try:
            removed = await asyncio.to_thread(self.services.answers.feeds.unsubscribe, feed, own_scope(interaction))
        except UnknownFeed as exc:
            await interaction.response.send_message(f"❌ {describe(exc)} `/feed list` shows them.", ephemeral=True)
            return
        await interaction.response.send_message(
            f"🗑️ Unsubscribed from {inline(removed.url)}; the articles it brought stay (`/remove` removes one).",
            ephemeral=True,
        )

    @remove.autocomplete("feed")
    async def remove_autocomplete(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        feeds = await asyncio.to_thread(self.services.answers.feeds.subscriptions, [guild_scope(interaction.guild_id)])
        needle = current.lower().strip()
        return [app_commands.Choice(name=f"{f.feed_id} · {f.title or f.url}"[:100], value=str(f.feed_id))
                for f in feeds if needle in f.url.lower() or needle in f.title.lower() or needle == str(f.feed_id)][:25]

    @app_commands.command(name="refresh", description="Fetch this server's web documents again (one, or all).")
    @app_commands.describe(document="A document fetched from a URL (default: all of them)")
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)
    @is_corpus_admin()
    async def refresh(self, interaction: discord.Interaction, document: str | None = None) -> None:
        scope = own_scope(interaction)
        await interaction.response.defer(thinking=True, ephemeral=True)
        try:
            report = await self._in_worker(self.services.answers.refresher.refresh, scope, document)
        except (NoWebDocument, StoreUnavailable) as exc:
            await interaction.followup.send(f"❌ {describe(exc)}", ephemeral=True)
            return
        await interaction.followup.send(describe_refresh(report), ephemeral=True)

    @refresh.autocomplete("document")
    async def refresh_autocomplete(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        web = await asyncio.to_thread(self.services.answers.refresher.documents, [guild_scope(interaction.guild_id)])
        return document_choices([record.source_info() for record in web], current)


async def setup(bot: Citebot) -> None:
    await bot.add_cog(Feeds(bot.services))
