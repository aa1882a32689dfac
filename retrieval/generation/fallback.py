"""The one policy of who writes an answer or a summary, and what a reader sees while an LLM writes.

The LLM's draft is shown when some of it survived the citation check. Otherwise the extractive
backend's draft is, carrying why the LLM's was not shown (`fallback_reason`) and, when the model
did write something, the check's report and the model's usage: a user who sees an extractive
answer under a configured LLM can always tell why.

While an LLM writes an answer (`drafts`), the reader is never left waiting or shown unchecked
text: the extractive draft comes first, as soon as it exists (it is the corpus's own sentences),
then each version of the LLM's answer whose sentences passed the check so far, then the final one.

An LLM configured as a reader (`LLM_ROLE=reader`, `read_drafts`) writes nothing a reader sees: the
extractive draft comes first, then the same sentences led by the one the model chose, with the
words it named as the short answer, cut from that stored sentence, unless the rule that keeps
wrong phrases out of bold refuses them (`answer_kinds.refused_as_short_answer`: "Capitol" for "which
country …?", "100 seconds" in "moved from 100 seconds … to 90 seconds", "According"), when the
short answer is found in the quotes as for the extractive backend.
"""

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from retrieval.answer.candidates import Candidate
from retrieval.generation.answerer import CheckedSoFar, LazyLLM, LLMDraft, LLMStatus
from retrieval.generation.citations import CheckedAnswer
from retrieval.generation.completion import completed
from retrieval.generation.errors import LLMError
from retrieval.generation.excerpts import Excerpt
from retrieval.index.bm25 import BM25Index
from retrieval.language.answer_kinds import refused_as_short_answer
from retrieval.models.answers import Draft, LLMUsage, ShortAnswer
from retrieval.search.retriever import Retrieval


@dataclass(frozen=True)
class DraftUpdate:
    """A draft shown before the final one: the extractive answer while the LLM writes
    (`"extractive"`), or the LLM's sentences that passed the check so far (`"checked"`)."""

    draft: Draft
    stage: Literal["extractive", "checked"]


def settle(drafted: LLMDraft | None, problem: str, extractive: Callable[[], Draft]) -> Draft:
    """`drafted` is what the model wrote (None when it was not asked or failed, `problem` saying
    why; "" when the extractive backend is configured)."""
    if drafted is None:
        return replace(extractive(), fallback_reason=problem)
    if not drafted.problem:
        return checked_draft(drafted.checked, drafted.backend, drafted.usage)
    return replace(extractive(), fallback_reason=drafted.problem, check=drafted.checked.report, llm_usage=drafted.usage)


def checked_draft(checked: CheckedAnswer, backend: str, usage: LLMUsage | None = None) -> Draft:
    """The claims that passed the check, as the draft a reader sees."""
    return Draft(checked.text, checked.citations, False, backend, check=checked.report, llm_usage=usage)


async def drafts(
    evidence: Retrieval, llm: LLMStatus, question: str, extractive: Callable[[], Draft]
) -> AsyncIterator[DraftUpdate | Draft]:
    """The drafts of one answer, the final one last. Without an LLM to ask (none configured, or no
    passage to give it) that is the only one; with one, the extractive draft comes first, then the
    LLM's checked sentences each time they change, then its checked answer completed with the
    answers to `question` it left out (`completion.completed`)."""
    if llm.answerer is None or not evidence.passages:
        yield await asyncio.to_thread(settle, None, llm.problem, extractive)
        return
    first = await asyncio.to_thread(extractive)
    yield DraftUpdate(first, "extractive")
    drafted: LLMDraft | None = None
    problem = ""
    try:
        async for event in llm.answerer.stream_answer(evidence):
            if isinstance(event, CheckedSoFar):
                yield DraftUpdate(checked_draft(event.checked, event.backend), "checked")
            else:
                drafted = event
    except LLMError as exc:
        problem = str(exc)
    final = settle(drafted, problem, lambda: first)
    yield final if final.fallback_reason else completed(question, final, first)


async def read_drafts(
    evidence: Retrieval, llm: LLMStatus, question: str, extractive: Callable[[Candidate | None], Draft],
    reading_list: Callable[[], list[Candidate]],
) -> AsyncIterator[DraftUpdate | Draft]:
    """The drafts of one answer with the LLM as reader: the extractive draft at once, then the one
    `extractive(lead)` makes of the candidate the model chose from `reading_list()`; the first
    again, with the reason, when the model fails or chooses none. An abstention is final at once:
    there is nothing to choose from."""
    first = await asyncio.to_thread(extractive, None)
    if llm.answerer is None or first.abstained:
        yield replace(first, fallback_reason=llm.problem) if llm.answerer is None else first
        return
    yield DraftUpdate(first, "extractive")
    candidates = await asyncio.to_thread(reading_list)
    try:
        choice = await llm.answerer.choose(question, candidates, evidence.asked_on)
    except LLMError as exc:
        yield replace(first, fallback_reason=str(exc))
        return
    lead = candidates[choice.index]
    led = await asyncio.to_thread(extractive, lead)
    short = None
    if choice.phrase is not None and not refused_as_short_answer(question, lead.text, choice.phrase, evidence.texts):
        start, end = choice.phrase
        short = ShortAnswer(lead.text[start:end], 1, lead.start + start, lead.start + end)
    yield replace(led, backend=f"{llm.answerer.backend.name}-reader", short_answer=short)


def summary_draft(
    lazy_llm: LazyLLM, subject: str, sources: Sequence[Excerpt], bm25: BM25Index, extractive: Callable[[], Draft]
) -> Draft:
    """The LLM's checked summary, or the extractive one (built only then) with the reason why."""
    llm = lazy_llm.status()
    drafted: LLMDraft | None = None
    problem = llm.problem
    if llm.answerer is not None and sources:
        try:
            drafted = asyncio.run(llm.answerer.summarize(subject, sources, bm25))
        except LLMError as exc:
            problem = str(exc)
    return settle(drafted, problem, extractive)
