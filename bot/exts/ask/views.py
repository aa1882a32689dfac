"""The buttons under every answer: Sources (the full passages, only to whoever clicks) and 👍 / 👎.

The custom ids are fixed, so the view is persistent: buttons keep working after a restart. The
answer is found by the clicked message's id *and* the guild it was clicked in.
"""

import discord

from bot.rendering import passage_messages
from bot.storage import BotStore

SOURCES_ID = "citebot:sources"
VOTE_UP_ID = "citebot:vote:up"
VOTE_DOWN_ID = "citebot:vote:down"


class AnswerView(discord.ui.View):
    def __init__(self, store: BotStore) -> None:
        super().__init__(timeout=None)
        self._store = store

    def _stored(self, interaction: discord.Interaction):
        if interaction.message is None or interaction.guild_id is None:
            return None
        return self._store.answer(interaction.guild_id, interaction.message.id)

    @discord.ui.button(label="Sources", style=discord.ButtonStyle.secondary, custom_id=SOURCES_ID)
    async def sources(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        stored = self._stored(interaction)
        if stored is None:
            await interaction.response.send_message("I no longer have the sources of this answer.", ephemeral=True)
            return
        messages = passage_messages(stored.payload["passages"])
        await interaction.response.send_message(embeds=messages[0], ephemeral=True)
        for embeds in messages[1:]:
            await interaction.followup.send(embeds=embeds, ephemeral=True)

    @discord.ui.button(emoji="👍", style=discord.ButtonStyle.secondary, custom_id=VOTE_UP_ID)
    async def vote_up(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await self._vote(interaction, 1)

    @discord.ui.button(emoji="👎", style=discord.ButtonStyle.secondary, custom_id=VOTE_DOWN_ID)
    async def vote_down(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await self._vote(interaction, -1)

    async def _vote(self, interaction: discord.Interaction, vote: int) -> None:
        stored = self._stored(interaction)
        if stored is None or not self._store.record_vote(stored.guild_id, stored.message_id, interaction.user.id, vote):
            await interaction.response.send_message("I can't find that answer any more.", ephemeral=True)
            return
        await interaction.response.send_message("Thanks, feedback recorded.", ephemeral=True)
