"""The buttons under every answer: Sources (the full passages, only to whoever clicks), 👍, and 👎,
which opens a short form asking why; under a private answer, also Share to channel, which posts it
to the channel as it is, once.

The custom ids are fixed, so the view is persistent: buttons keep working after a restart. The
answer is found by the clicked message's id *and* the guild it was clicked in.
"""

import discord

from bot.rendering import passage_messages
from bot.storage import FEEDBACK_REASONS, BotStore, StoredAnswer

SOURCES_ID = "citebot:sources"
SHARE_ID = "citebot:share"
VOTE_UP_ID = "citebot:vote:up"
VOTE_DOWN_ID = "citebot:vote:down"
REASON_ID = "citebot:feedback:reason"
DETAILS_ID = "citebot:feedback:details"
DETAILS_MAX_CHARS = 300
THANKS = "Thanks, feedback recorded."


class FeedbackForm(discord.ui.Modal, title="What was wrong with this answer?"):
    """Opened by 👎, whose vote is already stored: the reason and the details are optional, so
    closing the form loses nothing but the reason."""

    def __init__(self, store: BotStore, answer: StoredAnswer) -> None:
        super().__init__(timeout=600)
        self._store = store
        self._answer = answer
        self.reason: discord.ui.Select[FeedbackForm] = discord.ui.Select(
            custom_id=REASON_ID,
            placeholder="Pick a reason (optional)",
            options=[discord.SelectOption(label=label, value=value) for value, label in FEEDBACK_REASONS.items()],
            min_values=0,
            max_values=1,
            required=False,
        )
        self.details: discord.ui.TextInput[FeedbackForm] = discord.ui.TextInput(
            custom_id=DETAILS_ID,
            style=discord.TextStyle.paragraph,
            placeholder="What should it have said? (optional)",
            max_length=DETAILS_MAX_CHARS,
            required=False,
        )
        self.add_item(discord.ui.Label(text="Reason", component=self.reason))
        self.add_item(discord.ui.Label(text="Details", component=self.details))

    async def on_submit(self, interaction: discord.Interaction) -> None:
        reason = self.reason.values[0] if self.reason.values else ""
        details = " ".join(self.details.value.split())
        if not self._store.record_reason(
            self._answer.guild_id, self._answer.message_id, interaction.user.id, reason, details
        ):
            await interaction.response.send_message("Your 👎 on that answer is gone, so the reason was not kept.",
                                                    ephemeral=True)
            return
        await interaction.response.send_message(THANKS, ephemeral=True)


class AnswerView(discord.ui.View):
    def __init__(self, store: BotStore) -> None:
        super().__init__(timeout=None)
        self._store = store

    def _stored(self, interaction: discord.Interaction) -> StoredAnswer | None:
        """The answer the clicked message shows; answers in DMs are stored under guild 0."""
        if interaction.message is None:
            return None
        return self._store.answer(interaction.guild_id or 0, interaction.message.id)

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
        if await self._vote(interaction, 1) is not None:
            await interaction.response.send_message(THANKS, ephemeral=True)

    @discord.ui.button(emoji="👎", style=discord.ButtonStyle.secondary, custom_id=VOTE_DOWN_ID)
    async def vote_down(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        voted = await self._vote(interaction, -1)
        if voted is not None:
            await interaction.response.send_modal(FeedbackForm(self._store, voted))

    async def _vote(self, interaction: discord.Interaction, vote: int) -> StoredAnswer | None:
        """Record the vote; the answer voted on, or None (and the user told) when it is unknown here."""
        stored = self._stored(interaction)
        if stored is None or not self._store.record_vote(stored.guild_id, stored.message_id, interaction.user.id, vote):
            await interaction.response.send_message("I can't find that answer any more.", ephemeral=True)
            return None
        return stored


class PrivateAnswerView(AnswerView):
    """The buttons under a private answer: those of every answer, and Share to channel."""

    @discord.ui.button(label="Share to channel", style=discord.ButtonStyle.primary, custom_id=SHARE_ID)
    async def share(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        """Post the answer, its messages as the asker saw them, to the channel with the buttons of a
        public answer (Sources and votes), and take the Share button off the private one. Once:
        a second click, or one from another copy of the view, is told it was shared."""
        stored = self._stored(interaction)
        channel = interaction.channel
        if stored is None or not stored.payload.get("messages") or not isinstance(channel, discord.abc.Messageable):
            await interaction.response.send_message("I no longer have this answer to share.", ephemeral=True)
            return
        if not self._store.mark_shared(stored.guild_id, stored.message_id):
            await interaction.response.send_message("This answer was already shared to the channel.", ephemeral=True)
            return
        await interaction.response.edit_message(view=AnswerView(self._store))
        try:
            posted = await _post_shared(channel, stored, interaction.user.display_name, AnswerView(self._store))
        except discord.HTTPException:
            self._store.unmark_shared(stored.guild_id, stored.message_id)
            await interaction.edit_original_response(view=self)
            await interaction.followup.send("I can't post in this channel, so the answer stays private.", ephemeral=True)
            return
        payload = {key: value for key, value in stored.payload.items() if key != "messages"}
        for message in posted:
            self._store.save_answer(message.id, stored.guild_id, message.channel.id, None, stored.question,
                                    stored.answer, payload)


async def _post_shared(
    channel: discord.abc.Messageable, stored: StoredAnswer, sharer: str, view: AnswerView
) -> list[discord.Message]:
    """The stored messages of an answer posted to `channel`, the buttons under the last, pinging no one."""
    pages = stored.payload["messages"]
    posted = []
    for index, page in enumerate(pages):
        posted.append(await channel.send(
            content=f"Shared by {discord.utils.escape_mentions(sharer)}" if index == 0 else None,
            embeds=[discord.Embed.from_dict(embed) for embed in page],
            view=view if index == len(pages) - 1 else discord.utils.MISSING,
            allowed_mentions=discord.AllowedMentions.none(),
        ))
    return posted
