"""The bot with a streaming LLM backend (Qwen behind a real llama.cpp server on 127.0.0.1) in emulated
Discord: the extractive answer is shown while the model writes, then the LLM's checked answer, in one
message edited in place; the final answer must come from the LLM."""

import time

import pytest

from bot.exts.ask.updates import EDIT_BURST, EDIT_INTERVAL_SECONDS
from tests.support.discord import sent_while_writing
from tests.support.services import LLM_API_KEY

pytestmark = pytest.mark.slow


@pytest.fixture
def bot_overrides(qwen_server) -> dict:
    return {"llm_backend": "openai", "llm_base_url": qwen_server.url, "llm_api_key": LLM_API_KEY,
            "llm_model": "qwen", "llm_temperature": 0.0, "llm_timeout": 120.0}


@pytest.mark.simcord(settle_timeout=180)
async def test_the_extractive_answer_is_shown_then_the_llms_checked_one_in_the_same_message(world):
    env, _, guilds = world
    channel, member = guilds["A"]["channel"], guilds["A"]["member"]
    started = time.monotonic()
    result = await member.slash(channel, "ask", question="Who did Jake Sullivan meet in Rome?")
    elapsed = time.monotonic() - started
    shown = sent_while_writing(env)
    assert shown, "an answer is shown while the model writes"
    assert shown[0]["embeds"][-1]["footer"]["text"].startswith("extractive · "), "the extractive answer first"
    assert shown[0]["embeds"][0]["fields"], "with its citations"
    assert len(shown) <= EDIT_BURST + elapsed / EDIT_INTERVAL_SECONDS, "a burst, then at most one edit per 1.5 s"
    final = result.response
    assert not final.content and final.embeds
    footer = final.embeds[-1].footer.text
    assert footer.startswith("openai · ") and "sentences verified" in footer, footer
    assert "Yang Jiechi" in final.embeds[0].description
    assert [m.id for m in channel.history()] == [final.id], "one message, edited in place"
