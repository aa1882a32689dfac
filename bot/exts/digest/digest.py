"""`/digest [since:]`: what is new in this server's articles, story by story, each a short cited
summary; `/digest-schedule channel: time:` (admins) posts it there once a day, and
`/digest-unschedule` stops that. (Discord cannot run `/digest` itself once it has subcommands, hence
the two names.)

The schedule and the day of its last post are in the bot's SQLite (`bot.schedules`), so a restarted
bot neither posts that day's digest twice nor misses the next. A `discord.ext.tasks` loop checks the
schedules every minute against discord's clock (`discord.utils.utcnow`: SimCord's simulated one in
the tests). A failure of one post is logged and stored for the admin; it never stops the loop.
"""

import asyncio
import datetime as dt
import logging

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot.client import BotServices, Citebot, visible_scopes
from bot.exts.admin.documents import is_corpus_admin
from bot.rendering import digest_messages
from bot.schedules import DigestSchedules, Schedule, parse_time_of_day
from bot.since import parse_since
from retrieval import Digest

log = logging.getLogger(__name__)

DEFAULT_SINCE = dt.timedelta(hours=24)
_ADMINS_ONLY = "Only server admins (Manage Server, or an admin role) can schedule the digest."


def heading(since: dt.datetime) -> str:
    return f"What's new since {since:%Y-%m-%d %H:%M} UTC"


class DigestCog(commands.Cog):
    def __init__(self, bot: Citebot, schedules: DigestSchedules) -> None:
        self.bot = bot
        self.services: BotServices = bot.services
        self.schedules = schedules

    async def cog_load(self) -> None:
        self.post_due.start()

    async def cog_unload(self) -> None:
        self.post_due.cancel()
        self.schedules.close()

    @app_commands.command(name="digest", description="What is new in the articles, story by story, with citations.")
    @app_commands.describe(since="From when: 24h, 3d, 2026-01-05, yesterday (default: the last digest, else 24 h)")
    @app_commands.guild_only()
    async def digest(self, interaction: discord.Interaction, since: str | None = None) -> None:
        assert interaction.guild_id is not None
        now = interaction.created_at
        try:
            start = parse_since(since, now) if since else await self._default_since(interaction.guild_id, now)
        except ValueError as exc:
            await interaction.response.send_message(f"❌ {exc}.", ephemeral=True)
            return
        await interaction.response.defer(thinking=True)
        made = await self._make(interaction.guild_id, start, now)
        for embeds in digest_messages(made, heading(start)):
            await interaction.followup.send(embeds=embeds)

    @app_commands.command(name="digest-schedule", description="Post the digest in a channel once a day (admins).")
    @app_commands.describe(channel="Where to post it", time="When, HH:MM in UTC, e.g. 08:00")
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)
    @is_corpus_admin(_ADMINS_ONLY)
    async def schedule(self, interaction: discord.Interaction, channel: discord.TextChannel, time: str) -> None:
        assert interaction.guild is not None
        try:
            post_at = parse_time_of_day(time)
        except ValueError as exc:
            await interaction.response.send_message(f"❌ {exc}.", ephemeral=True)
            return
        problem = _cannot_post(channel)
        if problem:
            await interaction.response.send_message(f"❌ Not scheduled: {problem}.", ephemeral=True)
            return
        before = await asyncio.to_thread(self.schedules.scheduled, interaction.guild.id)
        failed = f"\nThe last scheduled digest was not posted: {before[0].problem}." if before and before[0].problem else ""
        await asyncio.to_thread(self.schedules.schedule, interaction.guild.id, channel.id, post_at)
        await interaction.response.send_message(
            f"✅ The digest will be posted in {channel.mention} every day at {post_at} UTC.{failed}", ephemeral=True
        )

    @app_commands.command(name="digest-unschedule", description="Stop the daily digest (admins).")
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)
    @is_corpus_admin(_ADMINS_ONLY)
    async def unschedule(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        stopped = await asyncio.to_thread(self.schedules.unschedule, interaction.guild_id)
        text = "✅ The daily digest is stopped." if stopped else "There is no daily digest to stop."
        await interaction.response.send_message(text, ephemeral=True)

    @tasks.loop(minutes=1)
    async def post_due(self) -> None:
        """Post every digest that is due (`Schedule.due`), each on its own: one failing never stops
        the others or the loop."""
        now = discord.utils.utcnow()
        for schedule in await asyncio.to_thread(self.schedules.scheduled):
            if not schedule.due(now):
                continue
            try:
                await self._post(schedule, now)
            except Exception:
                log.exception("the scheduled digest of guild %s failed", schedule.guild_id)
                await asyncio.to_thread(
                    self.schedules.record_problem, schedule.guild_id, now.date().isoformat(),
                    "the digest could not be made (the error is in the bot's log)",
                )

    @post_due.before_loop
    async def _ready(self) -> None:
        """The loop starts with the bot's connection, which a first check needs (`get_channel`)."""
        await self.bot.wait_until_ready()

    async def _post(self, schedule: Schedule, now: dt.datetime) -> None:
        day = now.date().isoformat()
        channel = self.bot.get_channel(schedule.channel_id)
        problem = "the channel is gone" if not isinstance(channel, discord.TextChannel) else _cannot_post(channel)
        if problem or not isinstance(channel, discord.TextChannel):
            log.warning("the scheduled digest of guild %s was not posted: %s", schedule.guild_id, problem)
            await asyncio.to_thread(self.schedules.record_problem, schedule.guild_id, day, problem)
            return
        start = await self._default_since(schedule.guild_id, now)
        made = await self._make(schedule.guild_id, start, now, posted_day=day)
        try:
            for embeds in digest_messages(made, heading(start)):
                await channel.send(embeds=embeds)
        except discord.Forbidden as exc:
            await asyncio.to_thread(self.schedules.record_problem, schedule.guild_id, day,
                                    f"Discord refused the post ({exc.text or 'missing permissions'})")

    async def _default_since(self, guild_id: int, now: dt.datetime) -> dt.datetime:
        """Since this guild's last digest, else `DEFAULT_SINCE` back."""
        last = await asyncio.to_thread(self.schedules.last_digest, guild_id)
        return last if last is not None and last < now else now - DEFAULT_SINCE

    async def _make(self, guild_id: int, since: dt.datetime, now: dt.datetime, posted_day: str = "") -> Digest:
        async with self.services.gate.slot():
            made = await asyncio.to_thread(self.services.answers.digest, since, visible_scopes(guild_id), now)
        await asyncio.to_thread(self.schedules.record_digest, guild_id, now, posted_day)
        return made


def _cannot_post(channel: discord.TextChannel) -> str:
    """Why the bot may not post a digest in `channel` ("" when it may)."""
    allowed = channel.permissions_for(channel.guild.me)
    missing = [name for name, ok in (("View Channel", allowed.view_channel), ("Send Messages", allowed.send_messages),
                                     ("Embed Links", allowed.embed_links)) if not ok]
    return f"I need {', '.join(missing)} in {channel.mention}" if missing else ""


async def setup(bot: Citebot) -> None:
    await bot.add_cog(DigestCog(bot, DigestSchedules(bot.services.settings.bot_database)))
