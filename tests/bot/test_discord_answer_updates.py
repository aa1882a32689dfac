"""What Discord shows while an LLM writes, through the real discord.py client in emulated Discord:
the extractive answer, with its citations, posted before the model's first token; then, in edits of
the same message within the rate limit, only sentences that passed the citation check, each as soon
as it is complete; a sentence the check refused is in no message, edit or gateway event. The model
is scripted behind a real OpenAI-compatible stream (tests/support/scripted_llm.py)."""

from collections.abc import Iterator

import pytest

from bot.wording import still_writing
from tests.support.discord import body_text
from tests.support.scripted_llm import S1_SHOWN, S3_SHOWN, UNSUPPORTED, ScriptedLLM, hostile_script

pytestmark = pytest.mark.slow


@pytest.fixture
def scripted_llm() -> Iterator[ScriptedLLM]:
    llm = ScriptedLLM(hostile_script(first_shown=still_writing("extractive")))
    yield llm
    llm.close()


@pytest.fixture
def bot_overrides(scripted_llm: ScriptedLLM) -> dict:
    return {"llm_backend": "openai", "llm_base_url": scripted_llm.url, "llm_model": "scripted"}


@pytest.mark.simcord(settle_timeout=180)
async def test_the_extractive_answer_first_then_checked_sentences_and_never_a_refused_one(world, scripted_llm):
    env, _, guilds = world
    channel, member = guilds["A"]["channel"], guilds["A"]["member"]
    frames: list[dict] = []

    def watch(event: str, payload: dict) -> None:
        if event in ("MESSAGE_CREATE", "MESSAGE_UPDATE"):
            frames.append(payload)
            scripted_llm.saw(body_text(payload))

    env.backend.subscribers.append(watch)
    result = await member.slash(channel, "ask", question="Who denied the request?")

    assert scripted_llm.missed == [], "Discord did not show this before the model went on"
    shown = [body_text(frame) for frame in frames if frame.get("embeds")]
    first = next(frame for frame in frames if frame.get("embeds"))
    assert first["embeds"][-1]["footer"]["text"].startswith("extractive · ")
    assert still_writing("extractive") in first["embeds"][-1]["footer"]["text"] and first["embeds"][0]["fields"]
    sent = [body_text(request.json) for request in env.http_requests if isinstance(request.json, dict)]
    assert not any(UNSUPPORTED in text for text in shown + sent), "a refused sentence reached Discord"
    assert next(i for i, t in enumerate(shown) if S1_SHOWN in t) < next(i for i, t in enumerate(shown) if S3_SHOWN in t)
    final = result.response
    assert final.embeds[-1].footer.text.startswith("openai · 2 of 3 sentences verified")
    assert S1_SHOWN in final.embeds[0].description and S3_SHOWN in final.embeds[0].description
    assert [message.id for message in channel.history()] == [final.id], "one message, edited in place"
