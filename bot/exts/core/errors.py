"""The one place app-command errors become replies: friendly for what users can fix, logged for the rest."""

import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot import user_errors
from bot.rendering import inline

log = logging.getLogger(__name__)

STORE_UNAVAILABLE = f"📡 {user_errors.STORE_UNAVAILABLE}"


class NotAdmin(app_commands.CheckFailure):
    """Raised by the admin check; the message is shown to the user."""


def describe(error: Exception) -> str:
    """The user-facing line for an error raised while handling a command."""
    if isinstance(error, app_commands.CommandInvokeError):
        error = error.original
    problem = user_errors.explain(error, sources_command="/sources", quote=inline)
    if problem is not None:
        if problem.detail:
            log.warning("%s: %s", type(error).__name__, problem.detail)
        return f"{problem.icon} {problem.message}" if problem.icon else problem.message
    if isinstance(error, NotAdmin):
        return str(error)
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
