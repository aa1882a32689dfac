"""The one place app-command errors become replies: friendly for what users can fix, logged for the rest."""

import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.rendering import inline
from retrieval.service import DocumentNotFound, QuestionError
from retrieval.store import StoreUnavailable

log = logging.getLogger(__name__)

STORE_UNAVAILABLE = "📡 The document store is unreachable right now, so I can't do that. Please try again in a minute."


class NotAdmin(app_commands.CheckFailure):
    """Raised by the admin check; the message is shown to the user."""


def describe(error: Exception) -> str:
    """The user-facing line for an error raised while handling a command."""
    if isinstance(error, app_commands.CommandInvokeError):
        error = error.original
    if isinstance(error, DocumentNotFound):
        return f"No document {inline(error.doc_id)} here: /sources lists the documents I can use."
    if isinstance(error, (QuestionError, NotAdmin)):
        return str(error)
    if isinstance(error, StoreUnavailable):
        log.warning("document store unavailable: %s", error)
        return STORE_UNAVAILABLE
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Slow down: try again in {error.retry_after:.0f} s."
    if isinstance(error, app_commands.NoPrivateMessage):
        return "This command works in a server only."
    if isinstance(error, app_commands.CheckFailure):
        return "You are not allowed to use this command."
    log.error("unhandled error in an app command", exc_info=error)
    return "Something went wrong on my side; the error has been logged. Please try again."


async def reply(interaction: discord.Interaction, text: str) -> None:
    """Answer ephemerally, whether or not the interaction was already acknowledged."""
    if interaction.response.is_done():
        await interaction.followup.send(text, ephemeral=True)
    else:
        await interaction.response.send_message(text, ephemeral=True)


class ErrorHandler(commands.Cog):
    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot
        bot.tree.error(self.on_app_command_error)

    async def on_app_command_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        await reply(interaction, describe(error))


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(ErrorHandler(bot))
