"""Per-user cooldowns and the queue in front of the answer service."""

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class QuestionGate:
    """At most `concurrency` questions are answered at once; the rest wait their turn.

    The cooldown is per (guild, user), so one server's traffic never delays another's user.
    """

    def __init__(self, concurrency: int, cooldown_seconds: float) -> None:
        self._slots = asyncio.Semaphore(concurrency)
        self._cooldown = cooldown_seconds
        self._last: dict[tuple[int, int], float] = {}

    def retry_after(self, guild_id: int, user_id: int) -> float:
        """Seconds the user must still wait, or 0 (and the wait starts now)."""
        now = time.monotonic()
        last = self._last.get((guild_id, user_id))
        if last is not None and now - last < self._cooldown:
            return self._cooldown - (now - last)
        self._last[(guild_id, user_id)] = now
        return 0.0

    @property
    def busy(self) -> bool:
        """True when a new question would have to wait for a slot."""
        return self._slots.locked()

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        async with self._slots:
            yield
