"""`/summary document:` (autocomplete) or `/summary topic:`: a cited summary.

The summary itself is posted for the channel to read, so the command defers publicly; whatever the
user got wrong (an unknown document, an empty or overlong topic) is checked first and answered
ephemerally, before the public "thinking…" message exists.
"""

import asyncio
from functools import partial

import discord
from discord import app_commands
from discord.ext import commands

from bot.autocomplete import document_choices
from bot.client import BotServices, Citebot, visible_scopes
from bot.rendering import summary_messages
from retrieval import DocumentNotFound, clean_question


class Summary(commands.Cog):
    def __init__(self, services: BotServices) -> None:
        self.services = services

    @app_commands.command(name="summary", description="Summarise one document, or what the articles say about a topic.")
    @app_commands.describe(document="A document to summarise", topic="A topic to summarise across the articles")
    async def summary(self, interaction: discord.Interaction, document: str | None = None, topic: str | None = None) -> None:
        if bool(document) == bool(topic):
            await interaction.response.send_message("Give either a document or a topic (one of them).", ephemeral=True)
            return
        scopes = visible_scopes(interaction.guild_id)
        answers = self.services.answers
        if document:
            visible = {info.doc_id for info in await asyncio.to_thread(answers.sources, scopes)}
            if document not in visible:
                raise DocumentNotFound(document)
            summarize = partial(answers.summarize_document, document, scopes)
        else:
            subject = clean_question(topic or "", self.services.settings.max_question_chars)
            summarize = partial(answers.summarize_topic, subject, scopes)
        await interaction.response.defer(thinking=True)
        async with self.services.gate.slot():
            result = await asyncio.to_thread(summarize)
        for embeds in summary_messages(result):
            await interaction.followup.send(embeds=embeds)

    @summary.autocomplete("document")
    async def document_autocomplete(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        sources = await asyncio.to_thread(self.services.answers.sources, visible_scopes(interaction.guild_id))
        return document_choices(sources, current)


async def setup(bot: Citebot) -> None:
    await bot.add_cog(Summary(bot.services))
