"""The bot with CHROMA_HOST set: the real discord.py client in SimCord's emulated Discord, its corpus on
a real `chroma run` server. Asking, uploading, removing and guild isolation work as embedded; a server
that dies mid-session (between requests, or inside an upload) gets the asker a clear message, and the
bot answers again once it is back."""

import pytest

from bot.client import guild_scope
from bot.exts.core.errors import STORE_UNAVAILABLE
from harness.chroma_server import ChromaServer
from tests.support.discord import (
    assert_every_request_gets,
    assert_harbour_invisible_to,
    quotes,
    upload,
    upload_harbour_and_ask,
)

pytestmark = pytest.mark.slow


@pytest.fixture
def bot_overrides(chroma_settings: dict) -> dict:
    return chroma_settings


async def test_ask_upload_isolation_and_remove_on_a_chroma_server(world, bot_service, tmp_path):
    env, _, guilds = world
    a, b = guilds["A"], guilds["B"]
    assert bot_service.settings.chroma_host == "127.0.0.1"
    assert not (tmp_path / "bot-data" / "chroma").exists(), "the corpus is on the server, not embedded"

    answer = await a["member"].slash(a["channel"], "ask", question="Who denied the request?")
    assert "Liu Pengyu" in answer.response.embeds[0].description

    await upload_harbour_and_ask(a)
    await assert_harbour_invisible_to(b)

    prompt = await a["admin"].slash(a["channel"], "remove", document="harbour")
    done = await a["admin"].click(prompt.response, label="Remove")
    assert "Removed `harbour`" in done.response.content
    assert bot_service.sources([guild_scope(a["guild"].id)]) == []
    after = await a["member"].slash(a["channel"], "ask", question="Who resigned as harbour master of Valdora?")
    assert not any("Ottavio" in q for q in quotes(after.response.embeds))


class TestServerRestart:
    @pytest.fixture
    def bot_overrides(self, restartable_chroma_server: ChromaServer) -> dict:
        return restartable_chroma_server.create_database("corpus")

    async def test_requests_while_chroma_is_down_get_a_clear_reply_and_the_bot_recovers(
        self, world, restartable_chroma_server: ChromaServer, monkeypatch: pytest.MonkeyPatch
    ):
        env, _, guilds = world
        a = guilds["A"]
        first = await a["member"].slash(a["channel"], "ask", question="Who denied the request?")
        assert "Liu Pengyu" in first.response.embeds[0].description

        restartable_chroma_server.kill()
        await assert_every_request_gets(env, a, STORE_UNAVAILABLE)

        restartable_chroma_server.start()
        again = await a["member"].slash(a["channel"], "ask", question="Who denied the request?")
        assert "Liu Pengyu" in again.response.embeds[0].description
        await upload_harbour_and_ask(a)

        store = env.bot.services.answers.store
        write_versions = store.write_versions

        def die_before_the_write(*args, **kwargs):
            """The server dies mid-upload: the file was read and embedded, nothing written yet."""
            restartable_chroma_server.kill()
            return write_versions(*args, **kwargs)

        monkeypatch.setattr(store, "write_versions", die_before_the_write)
        cut_off = await upload(a["admin"], a["channel"], "wind.txt", b"The council approved the Kestrel wind farm.")
        assert cut_off.response.content == f"❌ `wind.txt` was not added. {STORE_UNAVAILABLE}"
        monkeypatch.undo()
        restartable_chroma_server.start()
        assert [s.doc_id for s in env.bot.services.answers.sources([guild_scope(a["guild"].id)])] == ["harbour"]
        retried = await upload(a["admin"], a["channel"], "wind.txt", b"The council approved the Kestrel wind farm.")
        assert retried.response.content.startswith("✅ Added `wind`")
