"""Asking: `/ask` (`private:True` for an answer only the asker sees), a message that mentions the
bot, every message in `ASK_CHANNEL_IDS`, and follow-ups: a reply to one of the bot's answers, or any
message in a thread the bot opened for an answer.

A message question is answered in a new thread named after it when `ANSWER_IN_THREADS` is on and the
bot may open threads there, otherwise in a reply. The conversation a follow-up continues is the
thread (the answers posted in it) or the chain of replies, kept per guild.

The cog parses the request, waits for a slot in the question gate, and renders what the answer
service gives into one message: with an LLM, the extractive answer at once, then the LLM's checked
sentences as they pass (edits at most every 1.5 s), then the final answer with its citations and
buttons. No edit ever holds model text the citation check has not passed.
"""

import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import BotServices, Citebot, visible_scopes
from bot.exts.ask.updates import UpdateThrottle
from bot.exts.ask.views import AnswerView, PrivateAnswerView
from bot.exts.core.errors import describe
from bot.rendering import abstention_message, answer_messages, passages_payload, trim, update_message
from bot.storage import StoredAnswer
from retrieval import CitedAnswer

if TYPE_CHECKING:
    from discord.abc import MessageableChannel
from retrieval import QuestionError, Turn, clean_question, strip_chat_markup

log = logging.getLogger(__name__)

MAX_TURNS = 3
THREAD_NAME_LIMIT = 100
CONTENT_WITHHELD_NOTICE = "content-withheld"
CONTENT_WITHHELD = (
    "I only see the messages that mention me. To ask me a follow-up, start it with my @ mention, or "
    "reply to my answer with the @ mention switched on. (I'll say this once.)"
)

QUEUED = "⏳ You're in the queue: I'll answer as soon as a slot is free."
# How long a reply telling someone what was wrong with their message question stays up, when their
# DMs are closed and a reply is the only way to tell them.
PRIVATE_REPLY_SECONDS = 30


class Responder:
    """Where an answer goes. The first message is posted once and then edited in place (queue
    notice, streamed text, final answer); an answer too long for one message continues in more."""

    def __init__(self, post_first: Callable[..., Awaitable[discord.Message]],
                 post_more: Callable[..., Awaitable[discord.Message]]) -> None:
        self._post_first = post_first
        self._post_more = post_more
        self.first: discord.Message | None = None

    async def show(self, **kwargs: Any) -> discord.Message:
        if self.first is None:
            self.first = await self._post_first(**kwargs)
        else:
            await self.first.edit(**kwargs)
        return self.first

    async def add(self, **kwargs: Any) -> discord.Message:
        return await self._post_more(**kwargs)


def _replying_to(message: discord.Message) -> Responder:
    """Answers posted as a reply to `message` (continued in its channel when they need more messages)."""

    async def reply(**kwargs: Any) -> discord.Message:
        return await message.reply(mention_author=False, **kwargs)

    return Responder(reply, message.channel.send)


@dataclass(frozen=True)
class Conversation:
    """Where a message question is answered, and the conversation it continues."""

    channel: "MessageableChannel"
    responder: Responder
    history: list[Turn]
    parent_id: int | None


class Ask(commands.Cog):
    def __init__(self, bot: commands.Bot, services: BotServices) -> None:
        self.bot = bot
        self.services = services
        self.view = AnswerView(services.store)
        self.private_view = PrivateAnswerView(services.store)
        bot.add_view(self.view)
        bot.add_view(self.private_view)

    @app_commands.command(name="ask", description="Ask the articles a question; the answer cites its sources.")
    @app_commands.describe(question="What you want to know", private="Only you see the answer (for a quick check)")
    async def ask(self, interaction: discord.Interaction, question: str, private: bool = False) -> None:
        guild_id = interaction.guild_id or 0
        clean_question(question, self.services.settings.max_question_chars)
        retry = self.services.gate.retry_after(guild_id, interaction.user.id)
        if retry:
            await interaction.response.send_message(f"Slow down: ask again in {retry:.0f} s.", ephemeral=True)
            return
        await interaction.response.defer(thinking=True, ephemeral=private)

        async def more(**kwargs: Any) -> discord.Message:
            return await interaction.followup.send(wait=True, ephemeral=private, **kwargs)

        responder = Responder(interaction.edit_original_response, more)
        await self._answer(question, interaction.guild_id, interaction.channel_id or 0, responder, [], None,
                           interaction.created_at.date(), private)

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot or self.bot.user is None:
            return
        guild_id = message.guild.id if message.guild else 0
        store = self.services.store
        parent = None
        if message.reference is not None and message.reference.message_id is not None:
            parent = store.answer(guild_id, message.reference.message_id)
        in_answer_thread = isinstance(message.channel, discord.Thread) and store.is_answer_thread(
            guild_id, message.channel.id
        )
        mentioned = self.bot.user in message.mentions
        in_ask_channel = message.channel.id in self.services.settings.ask_channel_ids
        if not (mentioned or parent is not None or in_answer_thread or in_ask_channel):
            return
        question = " ".join(strip_chat_markup(message.content).split())
        first_word = question.split(" ", 1)[0].lower() if question else ""
        if mentioned and self.bot.get_command(first_word) is not None:
            return
        if not question:
            await self._without_question(message, mentioned)
            return
        try:
            clean_question(question, self.services.settings.max_question_chars)
        except QuestionError as exc:
            await self._tell_privately(message, str(exc))
            return
        retry = self.services.gate.retry_after(guild_id, message.author.id)
        if retry:
            await self._tell_privately(message, f"Slow down: ask again in {retry:.0f} s.")
            return
        conversation: Conversation | None = None
        try:
            conversation = await self._conversation(message, question, parent, in_answer_thread)
            async with conversation.channel.typing():
                await self._answer(question, message.guild.id if message.guild else None, conversation.channel.id,
                                   conversation.responder, conversation.history, conversation.parent_id,
                                   message.created_at.date())
        except Exception as exc:  # the event boundary: the asker gets a reply, the error is logged
            responder = conversation.responder if conversation is not None else _replying_to(message)
            await responder.show(content=describe(exc), embeds=[], view=None)

    async def _without_question(self, message: discord.Message, mentioned: bool) -> None:
        """A message that reached the bot with no question in it. Without the Message Content intent
        Discord withholds the text of replies that do not ping the bot and of thread messages that do
        not mention it: the author is told once, privately and in plain words, how to ask, never a
        canned line on every message, nor in front of a channel that may not see the message as
        addressed to the bot."""
        withheld = not message.content and not mentioned and not self.bot.intents.message_content
        if withheld:
            guild_id = message.guild.id if message.guild else 0
            if self.services.store.first_notice(guild_id, message.author.id, CONTENT_WITHHELD_NOTICE):
                await self._tell_privately(message, CONTENT_WITHHELD)
        elif mentioned:
            await message.reply("Ask me something about the articles, e.g. “who denied the request?”",
                                mention_author=False)

    async def _conversation(
        self, message: discord.Message, question: str, parent: StoredAnswer | None, in_answer_thread: bool
    ) -> Conversation:
        """Where a message question is answered and what was said before it: in an answer thread,
        the thread (its memory is the answers posted there); for a reply to an answer, the chain of
        replies; otherwise a new thread named after the question when the bot may open one, else a
        reply."""
        store = self.services.store
        guild_id = message.guild.id if message.guild else 0
        if in_answer_thread:
            latest = store.latest_answer(guild_id, message.channel.id)
            parent_id = latest.message_id if latest is not None else None
        else:
            parent_id = parent.message_id if parent is not None else None
        if parent_id is not None:
            history = store.conversation(guild_id, parent_id, MAX_TURNS)
            return Conversation(message.channel, _replying_to(message), history, parent_id)
        if in_answer_thread:
            return Conversation(message.channel, _replying_to(message), [], None)
        thread = await self._open_thread(message, question)
        if thread is not None:
            return Conversation(thread, Responder(thread.send, thread.send), [], None)
        return Conversation(message.channel, _replying_to(message), [], None)

    async def _open_thread(self, message: discord.Message, question: str) -> discord.Thread | None:
        """A public thread from the question's message, named after the question; None where
        threads are off or the bot may not open one (then the answer is a reply)."""
        channel = message.channel
        if not (self.services.settings.answer_in_threads and isinstance(channel, discord.TextChannel)):
            return None
        permissions = channel.permissions_for(channel.guild.me)
        if not (permissions.create_public_threads and permissions.send_messages_in_threads):
            return None
        try:
            thread = await message.create_thread(name=trim(question, THREAD_NAME_LIMIT))
        except discord.HTTPException as exc:
            log.warning("could not open a thread for a question, replying instead: %s", exc)
            return None
        self.services.store.save_thread(channel.guild.id, thread.id)
        return thread

    async def _tell_privately(self, message: discord.Message, text: str) -> None:
        """What the author of a message question got wrong, told to them alone. A message cannot be
        answered ephemerally, so this goes by DM; only when their DMs are closed is it a reply, one
        that deletes itself."""
        try:
            await message.author.send(f"{text} (about {message.jump_url})")
        except discord.Forbidden:
            await message.reply(text, mention_author=False, delete_after=PRIVATE_REPLY_SECONDS)

    async def _answer(
        self, question: str, guild_id: int | None, channel_id: int, responder: Responder,
        history: list[Turn], parent_id: int | None, asked_on: dt.date, private: bool = False,
    ) -> None:
        """Answer `question` as of `asked_on`, the day (UTC) of the message or command that asked it:
        its "this week", and the last day of the articles it may be answered from. A `private`
        answer keeps its messages, which Share to channel posts as they are."""
        scopes = visible_scopes(guild_id)
        final: CitedAnswer | None = None
        if self.services.gate.busy:
            await responder.show(content=QUEUED)
        updates = UpdateThrottle(lambda embeds: responder.show(content=None, embeds=embeds, view=None))
        async with self.services.gate.slot():
            try:
                async for event in self.services.answers.ask_stream(question, scopes, history, asked_on):
                    if isinstance(event, CitedAnswer):
                        final = event
                    else:
                        await updates.offer(update_message(event))
            finally:
                await updates.close()
        assert final is not None
        payload: dict[str, Any]
        if final.abstained:
            posted = [await responder.show(content=None, embeds=[abstention_message(final)], view=None)]
            payload = {"passages": [], "backend": final.backend}
        else:
            pages = answer_messages(final)
            posted = await self._post_answer(pages, responder, self.private_view if private else self.view)
            payload = {
                "passages": passages_payload(final.passages),
                "backend": final.backend,
                "citations": [citation.to_json() for citation in final.citations],
            }
            if private:
                payload["messages"] = [[embed.to_dict() for embed in page] for page in pages]
        for message in posted:
            self.services.store.save_answer(
                message.id, guild_id or 0, channel_id, parent_id, final.question, final.answer, payload,
                abstained=final.abstained, unmentioned=final.unmentioned, created_at=message.created_at.timestamp(),
            )

    async def _post_answer(
        self, messages: list[list[discord.Embed]], responder: Responder, view: AnswerView
    ) -> list[discord.Message]:
        """The answer over as many messages as Discord's limits need; the buttons go under the last."""
        last = len(messages) - 1
        posted = [await responder.show(content=None, embeds=messages[0], view=view if last == 0 else discord.utils.MISSING)]
        for index, embeds in enumerate(messages[1:], start=1):
            posted.append(await responder.add(embeds=embeds, view=view if index == last else discord.utils.MISSING))
        return posted


async def setup(bot: Citebot) -> None:
    await bot.add_cog(Ask(bot, bot.services))
