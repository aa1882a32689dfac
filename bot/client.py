"""The bot: a `commands.Bot` carrying the services its cogs use, and `create_bot`, which builds it.

The bot itself holds no logic: it wires the answer service (constructed once, outside), the bot's
SQLite store, the question gate and the URL upload pool into the cogs under `bot/exts/`.
"""

import asyncio
import logging
from dataclasses import dataclass

import discord
from discord.ext import commands

from bot.limits import QuestionGate, UrlUploads
from bot.scopes import guild_scope as guild_scope  # where the cogs have always imported them from
from bot.scopes import visible_scopes as visible_scopes
from bot.settings import Settings
from bot.storage import BotStore
from retrieval import AnswerService

log = logging.getLogger(__name__)

EXTENSIONS = (
    "bot.exts.core.errors",
    "bot.exts.core.sync",
    "bot.exts.ask.ask",
    "bot.exts.summary.summary",
    "bot.exts.sources.sources",
    "bot.exts.admin.documents",
    "bot.exts.feeds.feeds",
    "bot.exts.digest.digest",
    "bot.exts.gaps.gaps",
)


@dataclass
class BotServices:
    settings: Settings
    answers: AnswerService
    store: BotStore
    gate: QuestionGate
    url_uploads: UrlUploads


class Citebot(commands.Bot):
    """discord.py's Bot plus `services`; cogs reach everything through it."""

    def __init__(self, services: BotServices, **options) -> None:
        super().__init__(**options)
        self.services = services

    async def setup_hook(self) -> None:
        problem = await asyncio.to_thread(self.services.answers.prepare)
        if problem:
            log.warning("the LLM backend is unavailable, answers will be extractive: %s", problem)
        for extension in EXTENSIONS:
            await self.load_extension(extension)

    async def close(self) -> None:
        await super().close()
        self.services.url_uploads.close()
        self.services.store.close()
        await asyncio.to_thread(self.services.answers.close)


class ShardedCitebot(Citebot, commands.AutoShardedBot):
    """`SHARDS=auto`: Discord tells the bot how many shards to run."""


async def sync_commands(bot: commands.Bot, guild_id: int | None) -> list[discord.app_commands.AppCommand]:
    """Register the slash commands: with Discord globally, or instantly in one guild."""
    if guild_id is None:
        return await bot.tree.sync()
    guild = discord.Object(guild_id)
    bot.tree.copy_global_to(guild=guild)
    return await bot.tree.sync(guild=guild)


def intents_for(settings: Settings) -> discord.Intents:
    """Mentions and pinging replies work without privileged intents. ASK_CHANNEL_IDS needs the
    Message Content intent, and MESSAGE_CONTENT_INTENT asks for it so that thread follow-ups without
    a mention and replies without the ping can be read."""
    intents = discord.Intents.default()
    intents.message_content = settings.message_content_intent or bool(settings.ask_channel_ids)
    return intents


def create_bot(settings: Settings, answers: AnswerService) -> commands.Bot:
    """The configured, unconnected bot for these settings and this answer service."""
    services = BotServices(
        settings=settings,
        answers=answers,
        store=BotStore(settings.bot_database),
        gate=QuestionGate(settings.max_concurrent_questions, settings.ask_cooldown_seconds),
        url_uploads=UrlUploads(answers, settings.fetch_concurrency, settings.fetch_queue),
    )
    cls = ShardedCitebot if settings.shards == "auto" else Citebot
    return cls(
        services,
        command_prefix=commands.when_mentioned,
        intents=intents_for(settings),
        allowed_mentions=discord.AllowedMentions.none(),
        help_command=None,
    )
