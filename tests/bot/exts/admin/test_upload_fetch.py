"""URL uploads that a slow web server holds up never hold up a question: the bot fetches on threads of
its own (FETCH_CONCURRENCY), a bounded number of uploads wait for one (FETCH_QUEUE), and the rest are
refused at once. Through SimCord with interactions emitted as Discord sends them: `slash` waits for
all the bot's work to settle, and the held uploads would never let it."""

import asyncio
import os
import threading
from collections.abc import Callable, Iterator

import pytest
from discord import app_commands
from simcord import interactions as simcord_interactions
from simcord.results import InteractionResult

from bot.client import guild_scope
from bot.exts.admin.documents import FETCHES_FULL
from bot.rendering import inline
from tests.support.files import ARTICLE
from tests.support.loopback import LoopbackServer

pytestmark = pytest.mark.slow

THREADS, QUEUE = 2, 1
DEFAULT_EXECUTOR_THREADS = min(32, (os.cpu_count() or 1) + 4)
"""The threads of the loop's default executor, which `asyncio.to_thread` (questions) runs on."""
UPLOADS = max(DEFAULT_EXECUTOR_THREADS, THREADS + QUEUE + 1)
"""Enough slow uploads to hold every one of those threads, were uploads run there."""
ANSWER_WITHIN = 60.0
"""Seconds a question may take on a slow shared machine; the held uploads last until released."""


@pytest.fixture
def held_site() -> Iterator[tuple[LoopbackServer, threading.Event]]:
    """Serves ARTICLE at any path, one byte every half second until the event is set, then the rest
    at once: a page a slow server takes many minutes to send."""
    release = threading.Event()

    def held_article() -> Iterator[bytes]:
        for sent in range(len(ARTICLE)):
            if release.wait(0.5):
                yield ARTICLE[sent:]
                return
            yield ARTICLE[sent:sent + 1]

    server = LoopbackServer(lambda method, path, body: (200, {"Content-Type": "text/html; charset=utf-8"}, held_article()))
    yield server, release
    release.set()
    server.close()


def invoke(env, command: app_commands.AppCommand, actor, channel, **options: str) -> InteractionResult:
    """Sends a slash command the way Discord does, without waiting for the bot to settle."""
    data = {"id": str(command.id), "name": command.name, "type": 1,
            "options": [{"name": name, "type": 3, "value": value} for name, value in options.items()]}
    record, payload = simcord_interactions.base_payload(
        env.backend, type=2, channel_id=channel.id, guild_id=actor.guild.id, user_id=actor.id, data=data,
    )
    env.backend.emit("INTERACTION_CREATE", payload)
    return InteractionResult(env, record)


async def until(condition: Callable[[], bool], seconds: float) -> bool:
    """Whether `condition` holds within `seconds`, the bot running meanwhile."""
    async def poll() -> None:
        while not condition():
            await asyncio.sleep(0.05)

    try:
        await asyncio.wait_for(poll(), seconds)
    except TimeoutError:
        return False
    return True


def shown(result: InteractionResult) -> str:
    return result.response.content if result.response is not None else ""


@pytest.mark.simcord(settle_timeout=120)
@pytest.mark.parametrize("bot_overrides", [{"fetch_allow_loopback": True, "fetch_timeout": 600.0,
                                            "fetch_concurrency": THREADS, "fetch_queue": QUEUE}])
async def test_slow_url_uploads_never_delay_an_answer(world, held_site):
    env, commands, guilds = world
    server, release = held_site
    a, b = guilds["A"], guilds["B"]
    urls = [f"{server.url}/slow/{n}" for n in range(UPLOADS)]
    uploads = {url: invoke(env, commands["upload"], a["admin"], a["channel"], url=url) for url in urls}
    assert await until(lambda: all(map(shown, uploads.values())) and len(server.requests) >= THREADS, 30)

    question = invoke(env, commands["ask"], b["member"], b["channel"], question="Who denied the request?")
    answered = await until(lambda: question.response is not None and bool(question.response.embeds), ANSWER_WITHIN)
    assert answered, f"the question waited behind {UPLOADS} slow URL uploads"
    assert "Liu Pengyu" in question.response.embeds[0].description
    assert len(server.requests) == THREADS, "only FETCH_CONCURRENCY pages are fetched at once"
    refused = [url for url in urls if shown(uploads[url]) == f"❌ {inline(url)} was not added: {FETCHES_FULL}."]
    assert len(refused) == UPLOADS - THREADS - QUEUE, "uploads beyond the queue are refused at once"
    assert all(uploads[url].ephemeral for url in refused)
    taken = [url for url in urls if url not in refused]
    fetching = [url for url in taken if shown(uploads[url]) == f"⏳ Fetching and indexing {inline(url)}…"]
    queued = [url for url in taken if shown(uploads[url]) == (
        f"⏳ You're in the queue: I'll fetch and index {inline(url)} as soon as a fetcher is free.")]
    assert (len(fetching), len(queued)) == (THREADS, QUEUE), "the taken uploads are under way, the queued one told so"

    release.set()
    await env.settle()
    assert all(shown(uploads[url]).startswith("✅ Added") for url in taken)
    assert len(env.bot.services.answers.sources([guild_scope(a["guild"].id)])) == THREADS + QUEUE
