"""Owner-only command sync from Discord: `@citebot sync` (this guild) or `@citebot sync global`.

Commands are synced on request, never on start (Discord rate-limits syncing); `citebot sync` does
the same from a terminal.
"""

from discord.ext import commands

from bot.client import sync_commands
from bot.wording import plural


class Sync(commands.Cog):
    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot

    @commands.command(name="sync", hidden=True)
    @commands.is_owner()
    async def sync(self, ctx: commands.Context, scope: str = "guild") -> None:
        guild_id = None if scope == "global" or ctx.guild is None else ctx.guild.id
        synced = await sync_commands(self.bot, guild_id)
        where = "globally (may take up to an hour to appear)" if guild_id is None else "to this server"
        await ctx.reply(f"Synced {plural(len(synced), 'command')} {where}.", mention_author=False)


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(Sync(bot))
