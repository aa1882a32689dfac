"""The LLM server dies while the bot streams its answer: the asker still gets a cited answer (the
extractive fallback, saying why), and the bot keeps answering. Real llama.cpp server, emulated Discord."""

import pytest

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


def streamed_edits(env) -> list[str]:
    return [e.json["content"] for e in env.http_requests
            if e.method == "PATCH" and isinstance(e.json, dict) and (e.json.get("content") or "").startswith("✍️")]


@pytest.mark.simcord(settle_timeout=180)
async def test_llm_server_killed_mid_answer_gives_the_fallback_and_the_bot_keeps_serving(simcord_env, doomed_server):
    env = simcord_env
    await env.bot.tree.sync()
    guild = env.create_guild()
    channel = guild.create_text_channel("general")
    member = guild.add_member(env.create_user("reader"))

    def kill_on_first_streamed_text(event: str, payload: dict) -> None:
        if (event == "MESSAGE_UPDATE" and (payload.get("content") or "").startswith("✍️")
                and doomed_server.process.poll() is None):
            doomed_server.process.kill()

    env.backend.subscribers.append(kill_on_first_streamed_text)
    result = await member.slash(channel, "ask", question=QUESTION)
    assert streamed_edits(env), "the model had started writing when its server died"
    assert doomed_server.process.poll() is not None
    final = result.response
    assert not final.content and final.embeds, "the streamed text was replaced by the answer"
    assert "Liu Pengyu" in final.embeds[0].description and final.embeds[0].fields
    footer = final.embeds[-1].footer.text
    assert footer.startswith(f"extractive · LLM not used: the connection to the LLM at {doomed_server.url} broke mid-answer") \
        or footer.startswith(f"extractive · LLM not used: cannot reach the LLM at {doomed_server.url}")
    assert [m.id for m in channel.history()] == [final.id], "one message, edited in place"

    streamed_before = len(streamed_edits(env))
    follow = await member.slash(channel, "ask", question="How long did the meeting in Rome last?")
    assert "eight hours" in follow.response.embeds[0].description
    assert follow.response.embeds[-1].footer.text.startswith(
        f"extractive · LLM not used: cannot reach the LLM at {doomed_server.url} (is the server running?)")
    assert len(streamed_edits(env)) == streamed_before
    sources = await member.slash(channel, "sources")
    assert sources.response.embeds
