"""`/gaps [days:]` (admins, ephemeral): this server's questions of the last days that the articles
did not answer (abstained) or whose answers got 👎, grouped by what they asked about (`bot.gaps`),
so an admin knows what to upload."""

import asyncio
import datetime as dt

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import BotServices, Citebot
from bot.exts.admin.documents import is_corpus_admin
from bot.gaps import Gap, coverage_gaps
from bot.rendering import COLOUR, DESCRIPTION_LIMIT, inline, plain, trim
from bot.wording import plural

SHOWN_QUESTIONS = 3


def gaps_embed(gaps: list[Gap], days: int) -> discord.Embed:
    """The gaps, most asked first, each with up to `SHOWN_QUESTIONS` of its questions as typed."""
    lines = []
    for gap in gaps:
        parts = [f"{gap.abstained} unanswered" if gap.abstained else "", f"{gap.downvoted} 👎" if gap.downvoted else ""]
        lines.append(f"**{plain(gap.subject)}** · {plural(gap.count, 'question')} ({', '.join(p for p in parts if p)})")
        lines += [f"  {inline(question)}" for question in gap.questions[:SHOWN_QUESTIONS]]
    body = "\n".join(lines) or f"No question of the last {plural(days, 'day')} went unanswered or got 👎."
    embed = discord.Embed(title=f"Coverage gaps · last {plural(days, 'day')}", description=trim(body, DESCRIPTION_LIMIT),
                          colour=COLOUR)
    return embed.set_footer(text="What people asked that the articles do not cover: upload articles about it.")


class Gaps(commands.Cog):
    def __init__(self, services: BotServices) -> None:
        self.services = services

    @app_commands.command(name="gaps", description="What people asked that the articles do not answer (admins).")
    @app_commands.describe(days="How many days back (default: GAPS_DAYS)")
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)
    @is_corpus_admin("Only server admins (Manage Server, or an admin role) can see the coverage gaps.")
    async def gaps(self, interaction: discord.Interaction, days: app_commands.Range[int, 1, 365] | None = None) -> None:
        assert interaction.guild_id is not None
        days = days or self.services.settings.gaps_days
        since = (interaction.created_at - dt.timedelta(days=days)).timestamp()
        asked = await asyncio.to_thread(self.services.store.gaps, interaction.guild_id, since)
        await interaction.response.send_message(embed=gaps_embed(coverage_gaps(asked), days), ephemeral=True)


async def setup(bot: Citebot) -> None:
    await bot.add_cog(Gaps(bot.services))
