"""The bot in SimCord's emulated Discord when its embedded Chroma database is damaged under it: every
request gets the table's message instead of "something went wrong", the operator's log
names the file, and the bot keeps running."""

import logging
from pathlib import Path

import pytest

from bot.user_errors import STORE_DAMAGED
from retrieval.index.chroma import CHROMA_FILE
from tests.support.damage import damage
from tests.support.discord import assert_every_request_gets

pytestmark = pytest.mark.slow

DAMAGED = f"🛠️ {STORE_DAMAGED}"


async def test_requests_on_a_damaged_database_get_a_clear_reply_and_the_log_names_the_file(
    world, bot_service, caplog: pytest.LogCaptureFixture
):
    env, _, guilds = world
    a = guilds["A"]
    first = await a["member"].slash(a["channel"], "ask", question="Who denied the request?")
    assert "Liu Pengyu" in first.response.embeds[0].description

    database = Path(bot_service.settings.data_dir) / "chroma" / CHROMA_FILE
    damage(database, "garbage")
    await assert_every_request_gets(env, a, DAMAGED)

    logged = [r for r in caplog.records if r.levelno >= logging.WARNING and str(database) in r.getMessage()]
    assert logged and all(r.levelno == logging.WARNING and r.exc_info is None for r in logged), "no traceback"
    assert not env.bot.is_closed()
