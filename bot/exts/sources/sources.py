"""`/sources`: the documents this guild can see (the shared corpus and its own uploads), paginated."""

import asyncio
from collections.abc import Sequence

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import BotServices, Citebot, guild_scope, visible_scopes
from bot.rendering import SOURCES_PER_PAGE, sources_page
from retrieval import SourceInfo


class SourcesPager(discord.ui.View):
    """◀ / ▶ through the pages; only the person who asked can turn them."""

    def __init__(self, sources: Sequence[SourceInfo], owner_id: int, scope: str) -> None:
        super().__init__(timeout=300)
        self._sources = sources
        self._owner_id = owner_id
        self._scope = scope
        self.page = 0
        self.pages = max(1, -(-len(sources) // SOURCES_PER_PAGE))
        self._sync_buttons()

    def embed(self) -> discord.Embed:
        return sources_page(self._sources, self.page, self._scope)

    def _sync_buttons(self) -> None:
        self.previous.disabled = self.page == 0
        self.next.disabled = self.page >= self.pages - 1

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id != self._owner_id:
            await interaction.response.send_message("Run /sources yourself to page through the list.", ephemeral=True)
            return False
        return True

    async def _turn(self, interaction: discord.Interaction, step: int) -> None:
        self.page = min(max(self.page + step, 0), self.pages - 1)
        self._sync_buttons()
        await interaction.response.edit_message(embed=self.embed(), view=self)

    @discord.ui.button(label="◀", style=discord.ButtonStyle.secondary)
    async def previous(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await self._turn(interaction, -1)

    @discord.ui.button(label="▶", style=discord.ButtonStyle.secondary)
    async def next(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await self._turn(interaction, 1)


class Sources(commands.Cog):
    def __init__(self, services: BotServices) -> None:
        self.services = services

    @app_commands.command(name="sources", description="List the documents I can answer from here.")
    async def sources(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        infos = await asyncio.to_thread(self.services.answers.sources, visible_scopes(interaction.guild_id))
        scope = guild_scope(interaction.guild_id) if interaction.guild_id else ""
        pager = SourcesPager(infos, interaction.user.id, scope)
        await interaction.followup.send(embed=pager.embed(), view=pager if pager.pages > 1 else discord.utils.MISSING)


async def setup(bot: Citebot) -> None:
    await bot.add_cog(Sources(bot.services))
