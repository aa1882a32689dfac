"""Admin commands: `/upload` a document (a file, or a web article by URL) into this guild's corpus,
`/remove` one of its uploads.

Admin means the Manage Server permission or a role in ADMIN_ROLE_IDS, checked here in code:
`default_permissions` only decides who sees the command by default, and server owners can change it.
Uploads go to the guild's own scope, so no other guild can retrieve, list or summarise them.
"""

import asyncio
from collections.abc import Callable
from pathlib import PurePath
from typing import TypeVar

import discord
from discord import app_commands
from discord.ext import commands

from bot.autocomplete import document_choices
from bot.client import BotServices, Citebot, guild_scope
from bot.exts.core.errors import NotAdmin, describe, reply
from bot.limits import FETCHES_FULL
from bot.rendering import inline, plain
from bot.wording import known_date, plural, short_title
from retrieval import SUPPORTED_SUFFIXES, FetchError, IngestReport, StoreUnavailable, check_url, normalised_date, upload_name

T = TypeVar("T")

def is_corpus_admin(
    refusal: str = "Only server admins (Manage Server, or an admin role) can change the documents.",
) -> Callable[[T], T]:
    """Admin rights checked in code: Manage Server or a role in ADMIN_ROLE_IDS; `refusal` is what others are told."""

    async def predicate(interaction: discord.Interaction[Citebot]) -> bool:
        member = interaction.user
        if not isinstance(member, discord.Member):
            raise NotAdmin("Documents are managed inside a server.")
        admin_roles = set(interaction.client.services.settings.admin_role_ids)
        if member.guild_permissions.manage_guild or admin_roles & {role.id for role in member.roles}:
            return True
        raise NotAdmin(refusal)

    return app_commands.check(predicate)


def describe_report(report: IngestReport, name: str) -> str:
    """The upload's outcome, with what was read from the document (its title and date), so an
    admin sees at once whether a fetched page was read as the article they meant."""
    if report.errors:
        return f"❌ {inline(name)} was not added: {report.errors[0]['error']}."
    article = report.articles[0]
    date = known_date(article.published)
    read = f"*{plain(short_title(article.title))}*" + (f", published {date}" if date else ", no publication date found")
    if report.unchanged:
        return f"✅ `{article.doc_id}` is unchanged ({read}): this content is already indexed."
    verb = "Updated" if report.updated else "Added"
    return f"✅ {verb} `{article.doc_id}`: {read}; {plural(report.chunks, 'chunk')} indexed. Ask about it with /ask."


def own_scope(interaction: discord.Interaction) -> str:
    """The scope of the guild a (guild-only) command runs in."""
    if interaction.guild_id is None:
        raise NotAdmin("Documents are managed inside a server.")
    return guild_scope(interaction.guild_id)


class ConfirmRemoval(discord.ui.View):
    def __init__(self, services: BotServices, doc_id: str, scope: str, owner_id: int) -> None:
        super().__init__(timeout=120)
        self._services, self._doc_id, self._scope, self._owner_id = services, doc_id, scope, owner_id

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        return interaction.user.id == self._owner_id

    async def on_error(self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item) -> None:
        """Button callbacks bypass the tree's error handler: same reply, same wording."""
        await reply(interaction, describe(error))

    @discord.ui.button(label="Remove", style=discord.ButtonStyle.danger)
    async def confirm(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        removed = await asyncio.to_thread(self._services.answers.remove, self._doc_id, self._scope)
        text = f"🗑️ Removed `{self._doc_id}` and all its passages." if removed else f"`{self._doc_id}` was already gone."
        self.stop()
        await interaction.response.edit_message(content=text, view=None)

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary)
    async def cancel(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        self.stop()
        await interaction.response.edit_message(content="Nothing removed.", view=None)


class Documents(commands.Cog):
    def __init__(self, services: BotServices) -> None:
        self.services = services

    @app_commands.command(
        name="upload", description="Add a document (.txt .md .html .pdf) or a web article (url:) to this server's corpus."
    )
    @app_commands.describe(
        file="The document",
        url="A web article to fetch; with a file, where the file was published",
        title="Title to show (default: from the document)",
        published="Publication date, e.g. 2023-01-05 (default: from the document)",
    )
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)
    @is_corpus_admin()
    async def upload(
        self, interaction: discord.Interaction, file: discord.Attachment | None = None, url: str | None = None,
        title: str | None = None, published: str | None = None,
    ) -> None:
        try:
            fields = {"title": title or "", "published": normalised_date(published) if published else ""}
        except ValueError as exc:
            await interaction.response.send_message(f"❌ Nothing was added: {exc}.", ephemeral=True)
            return
        if file is None:
            if url:
                await self._upload_url(interaction, url, fields)
            else:
                await interaction.response.send_message(
                    "❌ Attach a file, or give the `url:` of a web article to fetch.", ephemeral=True
                )
            return
        name = upload_name(file.filename)
        suffix = PurePath(name).suffix.lower()
        limit = self.services.settings.max_upload_bytes
        if suffix not in SUPPORTED_SUFFIXES:
            await interaction.response.send_message(
                f"❌ {inline(name)}: unsupported file type; upload one of {' '.join(SUPPORTED_SUFFIXES)}.", ephemeral=True
            )
            return
        if file.size > limit:
            await interaction.response.send_message(
                f"❌ {inline(name)} is {plural(file.size, 'byte')}; the upload limit is {plural(limit, 'byte')}.", ephemeral=True
            )
            return
        await interaction.response.defer(thinking=True, ephemeral=True)
        progress = await interaction.followup.send(f"⏳ Reading {inline(name)}…", ephemeral=True, wait=True)
        data = await file.read()
        await progress.edit(content=f"⏳ Indexing {inline(name)} ({plural(len(data), 'byte')})…")
        try:
            report = await asyncio.to_thread(
                self.services.answers.ingest_bytes, data, name, own_scope(interaction), {**fields, "url": url or ""},
            )
        except StoreUnavailable as exc:
            await progress.edit(content=f"❌ {inline(name)} was not added. {describe(exc)}")
            return
        await progress.edit(content=describe_report(report, name))

    async def _upload_url(self, interaction: discord.Interaction, url: str, fields: dict[str, str]) -> None:
        """Fetch a web article into this guild's corpus. What is wrong with the URL itself, or a full
        fetch queue, is said at once; what the fetch finds (a refused address, a page too large, a
        server past the deadline) comes back in the report."""
        try:
            check_url(url)
        except FetchError as exc:
            await interaction.response.send_message(f"❌ {inline(url)} was not added: {exc}.", ephemeral=True)
            return
        queued = self.services.url_uploads.busy
        job = self.services.url_uploads.start(url, own_scope(interaction), fields)
        if job is None:
            await interaction.response.send_message(f"❌ {inline(url)} was not added: {FETCHES_FULL}.", ephemeral=True)
            return
        await interaction.response.defer(thinking=True, ephemeral=True)
        progress = await interaction.followup.send(
            f"⏳ You're in the queue: I'll fetch and index {inline(url)} as soon as a fetcher is free." if queued
            else f"⏳ Fetching and indexing {inline(url)}…",
            ephemeral=True, wait=True,
        )
        try:
            report = await job
        except StoreUnavailable as exc:
            await progress.edit(content=f"❌ {inline(url)} was not added. {describe(exc)}")
            return
        await progress.edit(content=describe_report(report, url))

    @app_commands.command(name="remove", description="Remove a document this server uploaded.")
    @app_commands.describe(document="The uploaded document to remove")
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)
    @is_corpus_admin()
    async def remove(self, interaction: discord.Interaction, document: str) -> None:
        scope = own_scope(interaction)
        owned = {s.doc_id for s in await asyncio.to_thread(self.services.answers.sources, [scope])}
        if document not in owned:
            await interaction.response.send_message(f"This server has no uploaded document {inline(document)}.", ephemeral=True)
            return
        view = ConfirmRemoval(self.services, document, scope, interaction.user.id)
        await interaction.response.send_message(f"Remove `{document}` and all its passages?", view=view, ephemeral=True)

    @remove.autocomplete("document")
    async def remove_autocomplete(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        sources = await asyncio.to_thread(self.services.answers.sources, [guild_scope(interaction.guild_id)])
        return document_choices(sources, current)


async def setup(bot: Citebot) -> None:
    await bot.add_cog(Documents(bot.services))
