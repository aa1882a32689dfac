"""Owner-only command sync from Discord: `@citebot sync` (this guild) or `@citebot sync global`.

Commands are synced on request, never on start (Discord rate-limits syncing); `citebot sync` does
the same from a terminal.
"""

import discord
from discord.ext import commands


class Sync(commands.Cog):
    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot

    @commands.command(name="sync", hidden=True)
    @commands.is_owner()
    async def sync(self, ctx: commands.Context, scope: str = "guild") -> None:
        if scope == "global" or ctx.guild is None:
            synced = await self.bot.tree.sync()
            where = "globally (may take up to an hour to appear)"
        else:
            self.bot.tree.copy_global_to(guild=discord.Object(ctx.guild.id))
            synced = await self.bot.tree.sync(guild=discord.Object(ctx.guild.id))
            where = "to this server"
        await ctx.reply(f"Synced {len(synced)} commands {where}.", mention_author=False)


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(Sync(bot))
