"""Fifty questions at once through the emulated Discord: every one answered once, in its own guild,
and everyone who waited for a slot told so. Throughput and latency are measured by `bench.load`."""

import asyncio
from contextlib import AsyncExitStack

import discord
import pytest

from harness.load import HARBOUR_MASTERS, HARBOUR_QUESTION, LoadWorld, LoopLagMonitor

pytestmark = pytest.mark.slow

QUESTIONS = 50
SLOTS = 2


@pytest.mark.simcord(settle_timeout=300)
@pytest.mark.parametrize("bot_overrides", [{"max_concurrent_questions": SLOTS, "ask_cooldown_seconds": 30.0}])
async def test_fifty_concurrent_questions_are_all_answered_once_in_their_guild(simcord_env, monkeypatch, record_property):
    env = simcord_env
    world = await LoadWorld.build(env, QUESTIONS)
    service = env.bot.services.answers
    answering, peak = 0, 0
    real_ask_stream = service.ask_stream

    async def counted_ask_stream(*args, **kwargs):
        nonlocal answering, peak
        answering += 1
        peak = max(peak, answering)
        try:
            async for event in real_ask_stream(*args, **kwargs):
                yield event
        finally:
            answering -= 1

    monkeypatch.setattr(service, "ask_stream", counted_ask_stream)
    monitor = LoopLagMonitor()
    await monitor.start()
    async with AsyncExitStack() as busy:
        # Two long answers hold both slots until every question has arrived, so each one has to wait.
        for _ in range(SLOTS):
            await busy.enter_async_context(env.bot.services.gate.slot())
        world.ask_all()

        async def all_queued() -> None:
            while not all(q.queued_at is not None for q in world.questions):
                await asyncio.sleep(0.01)

        await asyncio.wait_for(all_queued(), timeout=240)
    await env.settle()
    await monitor.stop()
    for name, value in monitor.figures().items():
        record_property(name, value)
    print(f"event loop during {QUESTIONS} concurrent questions: {monitor.figures()}")

    assert peak == SLOTS
    answers = world.answers()
    assert set(answers) == {q.key for q in world.questions}, "no message that answers nothing"
    for question in world.questions:
        messages = answers[question.key]
        assert len(messages) == 1, f"{question.kind} {question.text!r}: {len(messages)} answers"
        answer = messages[0]
        asked_in = answer.channel.parent_id if isinstance(answer.channel, discord.Thread) else answer.channel.id
        assert asked_in == question.channel_id and answer.guild.id == question.guild_id
        assert not answer.content and answer.embeds, "the queue notice was replaced by the answer"
        assert answer.embeds[0].fields, f"{question.text!r} was answered with citations"
        assert answer.embeds[-1].footer.text.startswith("extractive")
        if question.text == HARBOUR_QUESTION:
            quoted = " ".join(field.value for embed in answer.embeds for field in embed.fields)
            assert HARBOUR_MASTERS[question.guild] in quoted
            assert not any(master in quoted for name, master in HARBOUR_MASTERS.items() if name != question.guild)
    kinds = {(q.kind, q.guild) for q in world.questions}
    assert kinds == {("slash", "A"), ("slash", "B"), ("mention", "A"), ("mention", "B")}
