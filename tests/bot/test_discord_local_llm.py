"""The local model's worker is killed while the bot answers through it: the asker gets the extractive
answer saying why, the bot lives on, and the next question gets a fresh worker. The bot's real
client in emulated Discord, the real model in its real worker process, a real SIGKILL."""

import os

import pytest

from tests.support.processes import SignalWhenBusy, workers

pytestmark = pytest.mark.slow


@pytest.fixture
def workers_before() -> set[int]:
    return workers(os.getpid())


@pytest.fixture
def bot_overrides(tiny_gguf_path, workers_before) -> dict:
    return {"llm_backend": "llamacpp", "llm_gguf_path": tiny_gguf_path, "llm_chat_format": "gemma",
            "llm_temperature": 0.0, "llm_max_tokens": 256}


@pytest.mark.simcord(settle_timeout=180)
async def test_the_local_model_killed_mid_answer_gives_the_fallback_and_a_fresh_worker(world, workers_before):
    _, _, guilds = world
    channel, member = guilds["A"]["channel"], guilds["A"]["member"]
    started = workers(os.getpid()) - workers_before
    assert len(started) == 1, "the bot started its model's worker before connecting"
    [worker] = started

    kill = SignalWhenBusy(worker)
    killed = await member.slash(channel, "ask", question="Who denied the request?")
    assert kill.fired.is_set(), "the worker was killed in the middle of the answer"
    embeds = killed.response.embeds
    assert "Liu Pengyu" in embeds[0].description and embeds[0].fields
    assert embeds[-1].footer.text.startswith("extractive · LLM not used: the local model stopped (killed: SIGKILL)")

    after = await member.slash(channel, "ask", question="What military equipment did Russia request?")
    assert after.response.embeds and "the local model stopped" not in after.response.embeds[-1].footer.text
    [fresh] = workers(os.getpid()) - workers_before
    assert fresh != worker
