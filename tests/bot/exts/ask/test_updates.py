"""The throttle of the edits that show an answer while an LLM writes (bot/exts/ask/updates.py), on a
real event loop: a burst at once, then one edit per interval, the newest update winning, in order."""

import asyncio

import discord

from bot.exts.ask.updates import UpdateThrottle

INTERVAL = 0.2


def update(n: int) -> list[discord.Embed]:
    return [discord.Embed(description=f"update {n}")]


async def test_a_burst_is_shown_at_once_then_the_newest_update_at_the_interval():
    shown: list[str] = []

    async def show(embeds: list[discord.Embed]) -> None:
        shown.append(embeds[0].description or "")

    throttle = UpdateThrottle(show, interval=INTERVAL, burst=2)
    for n in range(1, 5):
        await throttle.offer(update(n))
    assert shown == ["update 1", "update 2"], "the burst at once; 3 waits and 4 replaces it"
    await asyncio.sleep(INTERVAL * 2.5)
    assert shown == ["update 1", "update 2", "update 4"]
    await throttle.offer(update(5))
    await throttle.offer(update(6))
    await throttle.close()
    await asyncio.sleep(INTERVAL * 2)
    assert shown[-1] != "update 6", "what waits when the final answer comes is dropped"


async def test_a_waiting_update_is_shown_even_when_no_other_follows():
    """A checked sentence reaches the reader within the interval, though the model goes quiet."""
    shown: list[str] = []

    async def show(embeds: list[discord.Embed]) -> None:
        shown.append(embeds[0].description or "")

    throttle = UpdateThrottle(show, interval=INTERVAL, burst=1)
    await throttle.offer(update(1))
    await throttle.offer(update(2))
    assert shown == ["update 1"]
    await asyncio.sleep(INTERVAL * 3)
    assert shown == ["update 1", "update 2"]
    await throttle.close()
