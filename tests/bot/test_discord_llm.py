"""The bot with a streaming LLM backend (Qwen behind a real llama.cpp server on 127.0.0.1) in emulated
Discord: the answer must come from the LLM, streamed into one message edited in place."""

import time

import pytest

from tests.support.services import LLM_API_KEY

pytestmark = pytest.mark.slow


@pytest.fixture
def bot_overrides(qwen_server) -> dict:
    return {"llm_backend": "openai", "llm_base_url": qwen_server.url, "llm_api_key": LLM_API_KEY,
            "llm_model": "qwen", "llm_temperature": 0.0, "llm_timeout": 120.0}


@pytest.mark.simcord(settle_timeout=180)
async def test_the_llms_streamed_answer_is_edited_in_place_then_checked(simcord_env):
    env = simcord_env
    await env.bot.tree.sync()
    guild = env.create_guild()
    channel = guild.create_text_channel("general")
    member = guild.add_member(env.create_user("reader"))
    started = time.monotonic()
    result = await member.slash(channel, "ask", question="Who did Jake Sullivan meet in Rome?")
    elapsed = time.monotonic() - started
    edits = [e.json["content"] for e in env.http_requests
             if e.method == "PATCH" and isinstance(e.json, dict) and (e.json.get("content") or "").startswith("✍️")]
    assert edits, "partial text is shown while the model writes"
    assert len(edits) <= elapsed / 1.5 + 1, "at most one edit per 1.5 s"
    assert all(len(text) <= 2000 for text in edits)
    final = result.response
    assert not final.content and final.embeds
    footer = final.embeds[-1].footer.text
    assert footer.startswith("openai · ") and "sentences verified" in footer, footer
    assert "Yang Jiechi" in final.embeds[0].description
    assert [m.id for m in channel.history()] == [final.id], "one message, edited in place"
