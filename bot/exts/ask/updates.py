"""The edits that show an answer while an LLM writes it, within Discord's rate limit."""

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable

import discord

EDIT_INTERVAL_SECONDS = 1.5
"""One edit of the message per this many seconds, once a burst of `EDIT_BURST` is spent (Discord
lets a message be edited about five times in five seconds)."""
EDIT_BURST = 3
"""Edits that may follow each other at once: the extractive answer and the first checked sentences
show without waiting; a model that writes faster than a reader reads is then shown at the interval."""


class UpdateThrottle:
    """A token bucket of `burst` edits, one more each `interval`. An update is shown at once when an
    edit is left, else as soon as one is, unless a newer update replaced it meanwhile: a checked
    sentence is thus on screen within `interval` of being checked even if the model then goes
    quiet, and the edits reach Discord in the order the updates came."""

    def __init__(
        self, show: Callable[[list[discord.Embed]], Awaitable[object]],
        interval: float = EDIT_INTERVAL_SECONDS, burst: int = EDIT_BURST,
    ) -> None:
        self._show = show
        self._interval = interval
        self._burst = burst
        self._tokens = float(burst)
        self._filled = time.monotonic()
        self._pending: list[discord.Embed] | None = None
        self._later: asyncio.Task[None] | None = None

    async def offer(self, embeds: list[discord.Embed]) -> None:
        if self._later is None and self._wait() <= 0:
            await self._edit(embeds)
            return
        self._pending = embeds
        if self._later is None:
            self._later = asyncio.create_task(self._show_pending())

    async def close(self) -> None:
        """Drop what is still waiting: the final answer replaces it."""
        if self._later is not None:
            self._later.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._later

    def _wait(self) -> float:
        """Seconds until an edit is left (0 when one is)."""
        now = time.monotonic()
        self._tokens = min(self._burst, self._tokens + (now - self._filled) / self._interval)
        self._filled = now
        return 0.0 if self._tokens >= 1 else (1 - self._tokens) * self._interval

    async def _show_pending(self) -> None:
        """Show the newest waiting update each time an edit is left, until none is waiting."""
        try:
            while self._pending is not None:
                await asyncio.sleep(self._wait())
                if self._wait() <= 0:
                    embeds, self._pending = self._pending, None
                    await self._edit(embeds)
        finally:
            self._later = None

    async def _edit(self, embeds: list[discord.Embed]) -> None:
        self._tokens -= 1
        await self._show(embeds)
