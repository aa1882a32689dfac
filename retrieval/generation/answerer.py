"""LLM answers and summaries: prompt, stream, check citations.

Whatever the model writes is streamed as unchecked partial text, then only the sentences that pass
the `CitationChecker` reach the final answer. The caller decides what to do when nothing survives
(fall back to the extractive backend).
"""

import asyncio
import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from llama_index.core.llms import ChatMessage

from retrieval.bm25 import BM25Index, analyse
from retrieval.generation import prompts
from retrieval.generation.backends import ChatBackend, LLMError
from retrieval.generation.citations import MARKER, CheckedAnswer, CitationChecker
from retrieval.models import Passage
from retrieval.settings import RetrievalSettings
from retrieval.store import DocumentRecord

_PROMPT_MARGIN_TOKENS = 64
# A "rewrite" that merely repeats a line of the prompt back.
_PROMPT_ECHO = re.compile(r"^(conversation|user|assistant|standalone question|question)\b.*:?$|.*:$", re.I)


@dataclass(frozen=True)
class PartialAnswer:
    """The model's text so far, before the citation check; for live display only."""

    text: str


class LLMAnswerer:
    """Runs one backend for answers, follow-up rewrites and map-reduce summaries."""

    def __init__(self, backend: ChatBackend, checker: CitationChecker, settings: RetrievalSettings) -> None:
        self.backend = backend
        self._checker = checker
        self._settings = settings

    async def stream_answer(
        self, question: str, passages: Sequence[Passage], records: dict[str, DocumentRecord], bm25: BM25Index
    ) -> AsyncIterator[PartialAnswer | CheckedAnswer]:
        """Partial texts as tokens arrive, then the checked answer. Raises `LLMError`."""
        fitted = self.fit(passages, lambda ps: prompts.answer_messages(question, ps))
        text = ""
        async for text in self._stream_text(prompts.answer_messages(question, fitted)):
            yield PartialAnswer(text)
        yield await asyncio.to_thread(self._checker.check, text, fitted, records, bm25)

    async def rewrite_follow_up(self, history: Sequence[tuple[str, str]], follow_up: str) -> str:
        """A standalone version of `follow_up`; raises `LLMError` when the model gives nothing usable."""
        text = await self.complete(prompts.rewrite_messages(history, follow_up))
        line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
        line = line.removeprefix("Standalone question:").strip().strip('"')
        context_terms = set(analyse(" ".join([follow_up, *(q for q, _ in history)])))
        usable = (
            0 < len(line) <= 300
            and not MARKER.search(line)
            and not _PROMPT_ECHO.match(line)
            and bool(set(analyse(line)) & context_terms)
        )
        if not usable:
            raise LLMError("the LLM did not rewrite the follow-up into a usable question")
        return line

    async def summarize(
        self, subject: str, passages: Sequence[Passage], records: dict[str, DocumentRecord], bm25: BM25Index
    ) -> CheckedAnswer:
        """Map-reduce when the passages do not fit one prompt; markers keep global passage numbers."""
        sentences = self._settings.summary_sentences
        groups = self._groups(passages, lambda ps, first: prompts.summary_messages(subject, ps, sentences, first))
        partials = []
        for first, group in groups:
            partials.append(await self.complete(prompts.summary_messages(subject, group, sentences, first)))
        text = partials[0] if len(partials) == 1 else await self.complete(
            prompts.reduce_messages(subject, partials, sentences)
        )
        return await asyncio.to_thread(self._checker.check, text, list(passages), records, bm25)

    async def complete(self, messages: Sequence[ChatMessage]) -> str:
        text = ""
        async for text in self._stream_text(messages):
            pass
        return text

    async def _stream_text(self, messages: Sequence[ChatMessage]) -> AsyncIterator[str]:
        """Accumulated text, bounded by LLM_TIMEOUT for the whole request."""
        text = ""
        try:
            async with asyncio.timeout(self._settings.llm_timeout):
                async for delta in self.backend.stream_chat(messages):
                    text += delta
                    yield text
        except TimeoutError:
            raise LLMError(f"the LLM did not finish within LLM_TIMEOUT={self._settings.llm_timeout:g} s") from None
        if not text.strip():
            raise LLMError("the LLM returned an empty completion")

    def _budget(self) -> int:
        return self._settings.llm_context_window - self._settings.llm_max_tokens - _PROMPT_MARGIN_TOKENS

    def _tokens(self, messages: Sequence[ChatMessage]) -> int:
        return sum(self.backend.count_tokens(m.content or "") + 8 for m in messages)

    def fit(self, passages: Sequence[Passage], build) -> list[Passage]:
        """The best-ranked passages whose prompt fits the context window."""
        fitted = list(passages)
        while fitted and self._tokens(build(fitted)) > self._budget():
            fitted.pop()
        if not fitted:
            raise LLMError("the prompt exceeds the model's context window even with one passage; raise LLM_CONTEXT_WINDOW")
        return fitted

    def _groups(self, passages: Sequence[Passage], build) -> list[tuple[int, list[Passage]]]:
        """Consecutive groups that each fit one prompt, with the number of their first passage."""
        groups: list[tuple[int, list[Passage]]] = []
        current: list[Passage] = []
        first = 1
        for number, passage in enumerate(passages, start=1):
            if current and self._tokens(build(current + [passage], first)) > self._budget():
                groups.append((first, current))
                current, first = [], number
            current.append(passage)
        if current:
            if self._tokens(build(current, first)) > self._budget():
                raise LLMError("one passage alone exceeds the model's context window; raise LLM_CONTEXT_WINDOW")
            groups.append((first, current))
        return groups
