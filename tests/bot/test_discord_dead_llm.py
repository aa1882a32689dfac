"""The LLM server dies while the model writes the bot's answer: the asker, shown the extractive answer
meanwhile, gets it as the final answer, saying why, and the bot keeps answering. Real llama.cpp
server, emulated Discord."""

import pytest

from tests.support.discord import body_text, sent_while_writing
from tests.support.processes import SignalWhenBusy
from tests.support.services import LLM_API_KEY

pytestmark = pytest.mark.slow

QUESTION = "Who denied the request?"


@pytest.fixture
def doomed_server(start_llama_server):
    return start_llama_server()


@pytest.fixture
def bot_overrides(doomed_server) -> dict:
    return {"llm_backend": "openai", "llm_base_url": doomed_server.url, "llm_api_key": LLM_API_KEY,
            "llm_model": "gemma", "llm_temperature": 0.0, "llm_max_tokens": 256}


@pytest.mark.simcord(settle_timeout=180)
async def test_llm_server_killed_mid_answer_gives_the_fallback_and_the_bot_keeps_serving(world, doomed_server):
    env, _, guilds = world
    channel, member = guilds["A"]["channel"], guilds["A"]["member"]
    kill = SignalWhenBusy(doomed_server.process.pid)
    result = await member.slash(channel, "ask", question=QUESTION)
    assert kill.fired.is_set(), "the server died while the model wrote"
    [first, *_] = sent_while_writing(env)
    assert "Liu Pengyu" in body_text(first), "the extractive answer was shown while the model wrote"
    final = result.response
    assert not final.content and final.embeds, "the answer shown meanwhile was replaced by the final one"
    assert "Liu Pengyu" in final.embeds[0].description and final.embeds[0].fields
    footer = final.embeds[-1].footer.text
    assert footer.startswith(f"extractive · LLM not used: the connection to the LLM at {doomed_server.url} broke mid-answer") \
        or footer.startswith(f"extractive · LLM not used: cannot reach the LLM at {doomed_server.url}")
    assert [m.id for m in channel.history()] == [final.id], "one message, edited in place"

    follow = await member.slash(channel, "ask", question="How long did the meeting in Rome last?")
    assert "eight hours" in follow.response.embeds[0].description
    assert follow.response.embeds[-1].footer.text.startswith(
        f"extractive · LLM not used: cannot reach the LLM at {doomed_server.url} (is the server running?)")
    sources = await member.slash(channel, "sources")
    assert sources.response.embeds
