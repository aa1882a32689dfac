"""How the answerer reads a model's follow-up rewrite, and what it tells the model, with a backend
that replies with fixed text."""

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Sequence

import pytest
from llama_index.core.llms import ChatMessage

from retrieval.answer.ranking import SentenceRanker
from retrieval.generation.answerer import LLMAnswerer
from retrieval.generation.errors import LLMError
from retrieval.generation.excerpts import whole_passages
from retrieval.models.records import record_key
from retrieval.service import AnswerService
from retrieval.settings import RetrievalSettings

HISTORY = [("Who is the Kremlin spokesman?", "The Kremlin spokesman is Dmitry Peskov. [1]")]
FOLLOW_UP = "What did he answer when asked about the request?"


class FixedReply:
    """A chat backend whose every reply is `text`: what a model wrote, replayed."""

    name = "fixed"

    def __init__(self, text: str) -> None:
        self.text = text
        self.requests: list[Sequence[ChatMessage]] = []

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    async def stream_chat(self, messages: Sequence[ChatMessage]) -> AsyncIterator[str]:
        self.requests.append(messages)
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


def test_a_rewrite_that_gives_the_follow_up_back_is_refused():
    """Qwen2.5-Coder-1.5B gave "Who collected his words?" back as it came: the joined questions
    (and the extractive answerer's reading of "his") do better than a question still saying "he"."""
    with pytest.raises(LLMError):
        rewrite(FOLLOW_UP.capitalize())


def test_a_rewrite_that_echoes_the_prompt_or_cites_is_refused():
    for reply in ("Standalone question:", "What did Peskov answer [1]?", "What is the weather like?"):
        with pytest.raises(LLMError):
            rewrite(reply)


def test_the_model_is_told_today_and_each_source_s_day(shared_service: AnswerService, embed_model):
    backend = FixedReply("China would be willing to supply arms to Russia [1].")
    answerer = LLMAnswerer(
        backend, shared_service.citation_checker, None, shared_service.settings,  # type: ignore[arg-type]
        today=lambda: dt.date(2022, 3, 20),
    )
    passages = shared_service.ask("Is China willing to supply arms to Russia?").passages
    records = shared_service.store.get_many(record_key(p.scope, p.doc_id) for p in passages)
    sources = whole_passages(SentenceRanker(embed_model), passages, records)
    draft = asyncio.run(answerer.summarize("China and Russia", sources, shared_service.snapshots.current().bm25))
    prompt = backend.requests[0][-1].content or ""
    assert prompt.startswith("Today's date is 2022-03-20;")
    assert "(2022-03-14)" in prompt, "the dated article's day follows its title"
    assert draft.checked.citations, "the reply quotes the corpus, so it passes the citation check"
