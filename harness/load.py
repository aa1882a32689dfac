"""The load world: two guilds of SimCord's emulated Discord, each having uploaded its own `harbour`
article naming a different harbour master (so an answer delivered to the wrong guild quotes the other
guild's text), and one user per question; `LoadWorld.ask_all` emits every question at once (`/ask` and
mentions, alternating between the guilds) and stamps each question's queue notice and final answer as
the gateway reports them, and `LoopLagMonitor` measures how late the event loop wakes a sleeping task.
`bench.load` measures throughput, latency and loop lag with it; tests/bot/test_load.py checks that every
question gets exactly one answer, in its own guild."""

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

import discord
from simcord import interactions as simcord_interactions
from simcord.backend.models import Interaction

from bot.client import guild_scope
from bot.exts.ask.ask import QUEUED
from harness.questions import QUESTIONS

HARBOUR_QUESTION = "Who resigned as harbour master of Valdora?"
HARBOUR_MASTERS = {"A": "Ottavio Brambilla", "B": "Lucia Ferrante"}
"""Each guild uploads its own `harbour` article naming a different harbour master."""


def harbour_article(name: str) -> bytes:
    return (
        f"---\ntitle: Harbour master resigns\n---\nThe harbour master of Valdora, {name}, resigned on Friday "
        "after the storm damaged the northern pier. The council will appoint an interim harbour master "
        "next week.\n"
    ).encode()


class LoopLagMonitor:
    """How late the event loop wakes a task that sleeps `interval` seconds, again and again.

    Anything that runs on the loop without yielding (model inference, a Chroma or SQLite call, a
    thread holding the GIL for long) delays the wake-up by as long as it runs; so does a machine
    whose CPUs are busy elsewhere. `loop_cpu` tells them apart: the loop thread's CPU time in each
    sample, which is about as long as the lag when code on the loop blocked it, and small when it
    waited for a CPU or for the GIL.
    """

    def __init__(self, interval: float = 0.01) -> None:
        self.interval = interval
        self.lags: list[float] = []
        self.loop_cpu: list[float] = []
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        """Starts sampling; returns once the first sleep is armed, so the caller's next step is covered."""
        self._task = asyncio.get_running_loop().create_task(self._run())
        await asyncio.sleep(0)

    async def _run(self) -> None:
        while True:
            before, cpu_before = time.perf_counter(), time.thread_time()
            await asyncio.sleep(self.interval)
            self.lags.append(max(0.0, time.perf_counter() - before - self.interval))
            self.loop_cpu.append(time.thread_time() - cpu_before)

    async def stop(self) -> None:
        assert self._task is not None
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)

    def figures(self) -> dict[str, float]:
        worst = max(range(len(self.lags)), key=self.lags.__getitem__)
        return {
            "loop_lag_max_ms": round(self.lags[worst] * 1000, 1),
            "loop_cpu_during_max_lag_ms": round(self.loop_cpu[worst] * 1000, 1),
            "loop_lag_p99_ms": round(sorted(self.lags)[int(0.99 * (len(self.lags) - 1))] * 1000, 1),
            "loop_lag_samples": len(self.lags),
        }


@dataclass
class Question:
    """One question as asked: by `/ask` (an interaction) or by mentioning the bot (a message)."""

    kind: str
    guild: str
    guild_id: int
    channel_id: int
    user_id: int
    text: str
    interaction: Interaction | None = None
    message_id: int | None = None
    asked_at: float = 0.0
    queued_at: float | None = None
    answered_at: float | None = None

    @property
    def key(self) -> int:
        """What the bot's messages for this question carry: the interaction id, or the id of the asking
        message (which they reply to, or which names the thread they are posted in: a thread opened
        from a message has that message's id)."""
        if self.interaction is not None:
            return self.interaction.id
        assert self.message_id is not None, "a question comes from an interaction or a message"
        return self.message_id


@dataclass
class LoadWorld:
    """Two guilds, each with a channel, its own harbour article and one user per question."""

    env: Any
    ask_command_id: int
    guilds: dict[str, dict[str, Any]]
    questions: list[Question] = field(default_factory=list)
    by_key: dict[int, Question] = field(default_factory=dict)

    @classmethod
    async def build(cls, env, count: int) -> "LoadWorld":
        commands = {c.name: c for c in await env.bot.tree.sync()}
        guilds = {}
        for name, master in HARBOUR_MASTERS.items():
            guild = env.create_guild(f"Guild {name}")
            channel = guild.create_text_channel("general")
            await asyncio.to_thread(
                env.bot.services.answers.ingest_bytes, harbour_article(master), "harbour.md", guild_scope(guild.id)
            )
            guilds[name] = {"guild": guild, "channel": channel}
        world = cls(env, commands["ask"].id, guilds)
        texts = [HARBOUR_QUESTION, *QUESTIONS]
        for i in range(count):
            name = "AB"[i % 2]
            guild = guilds[name]
            user = guild["guild"].add_member(env.create_user(f"user{i:02d}"))
            world.questions.append(Question(
                kind="slash" if (i // 2) % 2 == 0 else "mention", guild=name, guild_id=guild["guild"].id,
                channel_id=guild["channel"].id, user_id=user.id, text=texts[(i // 2) % len(texts)],
            ))
        env.backend.subscribers.append(world._observe)
        return world

    def _observe(self, event: str, payload: dict[str, Any]) -> None:
        """Stamps each question's queue notice and final answer as the gateway reports them."""
        if event not in ("MESSAGE_CREATE", "MESSAGE_UPDATE") or not payload.get("author", {}).get("bot"):
            return
        key = (payload.get("interaction_metadata") or {}).get("id") or (
            payload.get("message_reference") or {}).get("message_id") or payload.get("channel_id")
        question = self.by_key.get(int(key)) if key is not None else None
        if question is None:
            return
        now = time.perf_counter()
        if payload.get("content") == QUEUED and question.queued_at is None:
            question.queued_at = now
        if payload.get("embeds") and question.answered_at is None:
            question.answered_at = now

    def ask_all(self) -> None:
        """Emits every question at once: the bot sees them all before it answers any."""
        backend = self.env.backend
        for question in self.questions:
            question.asked_at = time.perf_counter()
            if question.kind == "slash":
                data = {"id": str(self.ask_command_id), "name": "ask", "type": 1,
                        "options": [{"name": "question", "type": 3, "value": question.text}]}
                question.interaction, payload = simcord_interactions.base_payload(
                    backend, type=2, channel_id=question.channel_id, guild_id=question.guild_id,
                    user_id=question.user_id, data=data,
                )
                backend.emit("INTERACTION_CREATE", payload)
            else:
                message = backend.create_message(
                    question.channel_id, question.user_id, f"<@{self.env.bot.user.id}> {question.text}"
                )
                question.message_id = message.id
        self.by_key = {q.key: q for q in self.questions}
        self.env._mark_mutation()

    def answers(self) -> dict[int, list[discord.Message]]:
        """The bot's answers per question key, from both channels' history (and the threads opened
        for mentions) after the run; the system messages announcing those threads are not answers."""
        found: dict[int, list[discord.Message]] = {q.key: [] for q in self.questions}
        for guild in self.guilds.values():
            for channel in (guild["channel"], *guild["channel"].threads):
                for message in channel.history():
                    if message.author.id != self.env.bot.user.id or message.type == discord.MessageType.thread_created:
                        continue
                    if message.interaction_metadata is not None:
                        key = message.interaction_metadata.id
                    elif message.reference is not None:
                        key = message.reference.message_id
                    else:
                        key = channel.id if channel.is_thread else None
                    found.setdefault(key, []).append(message)
        return found
