"""What a reader is shown while an LLM writes (`AnswerService.ask_stream`): the extractive answer
before the model's first token, then only sentences that passed the citation check, each as soon as
it is complete, in order; a sentence the check refuses is never in any of it. The model is scripted
(tests/support/scripted_llm.py) behind a real OpenAI-compatible HTTP stream."""

import asyncio

import pytest

from retrieval.models.answers import AnswerUpdate, CitedAnswer
from tests.support.scripted_llm import S1_SHOWN, S3_SHOWN, UNSUPPORTED, ScriptedLLM, hostile_script

pytestmark = pytest.mark.slow

QUESTION = "Who denied the request?"


def shown(answer: CitedAnswer) -> str:
    """Everything a reader sees of an answer: its text, its quotes and its provenance."""
    return "\n".join([answer.answer, *(citation.quote for citation in answer.citations), answer.provenance])


def test_the_extractive_answer_first_then_checked_sentences_in_order_and_never_a_refused_one(llm_service_factory):
    llm = ScriptedLLM(hostile_script(first_shown="extractive"))
    try:
        service = llm_service_factory(llm_backend="openai", llm_base_url=llm.url)
        frames: list[tuple[AnswerUpdate | CitedAnswer, str]] = []

        async def read() -> None:
            async for event in service.ask_stream(QUESTION):
                text = shown(event if isinstance(event, CitedAnswer) else event.answer)
                frames.append((event, text))
                llm.saw(text)

        asyncio.run(read())
    finally:
        llm.close()
    assert llm.missed == [], "a reader was not shown this before the model went on"
    events, texts = [event for event, _ in frames], [text for _, text in frames]
    first, final = events[0], events[-1]
    assert isinstance(first, AnswerUpdate) and first.stage == "extractive" and first.answer.citations
    assert all(isinstance(event, AnswerUpdate) and event.stage == "checked" for event in events[1:-1])
    assert not any(UNSUPPORTED in text for text in texts)
    assert next(i for i, t in enumerate(texts) if S1_SHOWN in t) < next(i for i, t in enumerate(texts) if S3_SHOWN in t)
    assert isinstance(final, CitedAnswer) and (final.backend, final.fallback_reason) == ("openai", "")
    assert final.check is not None and (final.check.claims, final.check.kept, final.check.unsupported) == (3, 2, 1)
    assert final.answer.index(S1_SHOWN) < final.answer.index(S3_SHOWN)
    for citation in final.citations:
        assert service.document_text(citation.doc_id)[citation.start : citation.end] == citation.quote
