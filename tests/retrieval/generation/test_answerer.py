"""How the answerer reads a model's follow-up rewrite, with a backend that replies with fixed text."""

import asyncio
from collections.abc import AsyncIterator, Sequence

import pytest
from llama_index.core.llms import ChatMessage

from retrieval.generation.answerer import LLMAnswerer
from retrieval.generation.backends import LLMError
from retrieval.settings import RetrievalSettings

HISTORY = [("Who is the Kremlin spokesman?", "The Kremlin spokesman is Dmitry Peskov. [1]")]
FOLLOW_UP = "What did he answer when asked about the request?"


class FixedReply:
    """A chat backend whose every reply is `text`: what a model wrote, replayed."""

    name = "fixed"

    def __init__(self, text: str) -> None:
        self.text = text

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    async def stream_chat(self, messages: Sequence[ChatMessage]) -> AsyncIterator[str]:
        yield self.text


def rewrite(reply: str) -> str:
    answerer = LLMAnswerer(FixedReply(reply), None, None, RetrievalSettings(_env_file=None))  # type: ignore[arg-type]
    return asyncio.run(answerer.rewrite_follow_up(HISTORY, FOLLOW_UP))


def test_a_rewrite_that_resolves_the_reference_is_used():
    assert rewrite("What did Dmitry Peskov answer when asked about the request?") == (
        "What did Dmitry Peskov answer when asked about the request?"
    )


def test_a_rewrite_that_asks_something_else_is_refused():
    """Qwen2.5-Coder-1.5B turned "What did he answer …" into "Who did Dmitry Peskov answer …"."""
    with pytest.raises(LLMError):
        rewrite("Who did Dmitry Peskov answer when asked about the request?")


def test_a_rewrite_that_echoes_the_prompt_or_cites_is_refused():
    for reply in ("Standalone question:", "What did Peskov answer [1]?", "What is the weather like?"):
        with pytest.raises(LLMError):
            rewrite(reply)
