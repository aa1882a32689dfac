"""Per-user cooldowns and the queue in front of the answer service; the bounded pool of URL uploads."""

import asyncio
import time
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager

from retrieval import AnswerService, IngestReport


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


FETCHES_FULL = "too many web articles are being fetched right now; try again in a minute"


class UrlUploads:
    """The `/upload url:` ingests under way, on `threads` threads of their own.

    A web server decides how long its page takes, up to FETCH_TIMEOUT. On the default executor, which
    `asyncio.to_thread` shares with every guild's questions, a few slow pages would hold all its
    threads and every answer would wait; here they hold only these. `queue` more uploads wait for a
    thread, and any beyond are refused at once: waiting behind a full queue would take minutes.
    """

    def __init__(self, answers: AnswerService, threads: int, queue: int) -> None:
        self._answers = answers
        self._threads = threads
        self._places = threads + queue
        self._taken = 0
        self._executor = ThreadPoolExecutor(threads, thread_name_prefix="citebot-fetch")

    @property
    def busy(self) -> bool:
        """True when an upload started now would wait for a thread."""
        return self._taken >= self._threads

    def start(self, url: str, scope: str, overrides: dict[str, str]) -> asyncio.Future[IngestReport] | None:
        """The ingest of `url` into `scope`, started or queued; None when the queue is full."""
        if self._taken >= self._places:
            return None
        self._taken += 1
        job = asyncio.get_running_loop().run_in_executor(self._executor, self._answers.ingest_url, url, scope, overrides)
        job.add_done_callback(self._release)
        return job

    def _release(self, job: asyncio.Future[IngestReport]) -> None:
        self._taken -= 1

    def close(self) -> None:
        """Drop the uploads still waiting; those being fetched end by their deadline."""
        self._executor.shutdown(wait=False, cancel_futures=True)
