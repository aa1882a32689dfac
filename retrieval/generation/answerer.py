"""LLM answers and summaries: excerpts, prompt, stream, check citations.

Nothing the model writes leaves this module unchecked. While it writes, each time a sentence is
complete the answer so far goes through the `CitationChecker`, and what passed is streamed
(`CheckedSoFar`); at the end the whole answer is checked (`LLMDraft`). The caller decides what to
do when nothing survives (fall back to the extractive backend), told why by `LLMDraft.problem`.
"""

import asyncio
import contextlib
import datetime as dt
import re
import threading
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass

from llama_index.core.llms import ChatMessage

from retrieval.answer.candidates import Candidate
from retrieval.generation import prompts
from retrieval.generation.backends import ChatBackend
from retrieval.generation.citations import CheckedAnswer, CitationChecker
from retrieval.generation.claims import finished_sentences
from retrieval.generation.errors import LLMError
from retrieval.generation.excerpts import Excerpt, ExcerptBuilder
from retrieval.generation.reader import ReaderChoice, parse_choice
from retrieval.index.bm25 import BM25Index
from retrieval.language.questions import question_words, refers_back
from retrieval.language.vocabulary import analyse
from retrieval.models.answers import LLMUsage
from retrieval.search.retriever import Retrieval
from retrieval.settings import RetrievalSettings
from retrieval.text.markers import MARKER

_PROMPT_MARGIN_TOKENS = 64
# A "rewrite" that merely repeats a line of the prompt back.
_PROMPT_ECHO = re.compile(r"^(conversation|user|assistant|standalone question|question)\b.*:?$|.*:$", re.I)

# "The sources do not mention …", "the passages don't say …": a model declining to answer.
_DECLINES = re.compile(
    r"\b(sources?|passages?|articles?|texts?|context|information)\b[^.]{0,40}?\b(do|does|did)\s*(not|n[’']t)\s+"
    r"(answer|mention|say|state|provide|contain|specify|include|give)",
    re.IGNORECASE,
)

NO_SENTENCE = "the model wrote no sentence"
FOUND_NO_ANSWER = "the model found no answer in the sources"
UNSUPPORTED = "no sentence the model wrote is supported by the sources"
RESTATED = "the model only restated the question"


@dataclass(frozen=True)
class CheckedSoFar:
    """The sentences of an answer still being written that passed the citation check so far."""

    checked: CheckedAnswer
    backend: str


@dataclass(frozen=True)
class LLMDraft:
    """What the model wrote, what of it survived the citation check, and what writing it cost."""

    raw: str
    checked: CheckedAnswer
    usage: LLMUsage
    backend: str

    @property
    def problem(self) -> str:
        """Why nothing can be shown ("" when something can)."""
        if self.checked.citations:
            return ""
        if _DECLINES.search(self.raw):
            return FOUND_NO_ANSWER
        report = self.checked.report
        if report.claims == 0:
            return NO_SENTENCE
        if report.restated == report.claims:
            return RESTATED
        return UNSUPPORTED


_Event = CheckedSoFar | LLMDraft | Exception
"""What the task writing an answer hands the reader: an update, the draft, or what ended it."""


class LLMAnswerer:
    """Runs one backend for answers, follow-up rewrites and map-reduce summaries."""

    def __init__(
        self,
        backend: ChatBackend,
        checker: CitationChecker,
        excerpts: ExcerptBuilder,
        settings: RetrievalSettings,
        today: Callable[[], dt.date] = dt.date.today,
    ) -> None:
        self.backend = backend
        self._checker = checker
        self._excerpts = excerpts
        self._settings = settings
        self._today = today

    async def stream_answer(self, found: Retrieval) -> AsyncIterator[CheckedSoFar | LLMDraft]:
        """The checked sentences so far each time the model completes one that changes them, then
        the checked draft. Raises `LLMError`.

        The model writes in a task of its own, bounded by LLM_TIMEOUT as a whole, so the time the
        caller spends showing each update (a Discord edit) neither pauses the model nor escapes the
        bound; leaving early stops the model."""
        excerpts = await asyncio.to_thread(self._excerpts.build, found, self.backend.count_tokens)
        if not excerpts:
            raise LLMError("no retrieved sentence shares a word with the question")
        today = found.asked_on
        fitted = self.fit(excerpts, lambda sources: prompts.answer_messages(found.query, sources, today))
        events: asyncio.Queue[_Event] = asyncio.Queue()
        writer = asyncio.create_task(self._write_and_check(found, fitted, today, events))
        try:
            while True:
                event = await events.get()
                if isinstance(event, Exception):
                    raise event
                yield event
                if isinstance(event, LLMDraft):
                    return
        finally:
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer

    async def _write_and_check(
        self, found: Retrieval, fitted: list[Excerpt], today: dt.date, events: "asyncio.Queue[_Event]"
    ) -> None:
        """Stream the model's answer into `events`: what passed the check each time a sentence is
        complete, then the draft; or the error that ended it."""
        question, bm25 = found.query, found.bm25
        messages = prompts.answer_messages(question, fitted, today)
        started = time.perf_counter()
        first_token: float | None = None
        text = checked_text = shown = ""
        checked: CheckedAnswer | None = None
        checking = 0.0
        try:
            async with asyncio.timeout(self._settings.llm_timeout):
                async for delta in self.backend.stream_chat(messages):
                    first_token = first_token or time.perf_counter()
                    text += delta
                    finished = finished_sentences(text)
                    if len(finished) > len(checked_text):
                        began = time.perf_counter()
                        checked = await asyncio.to_thread(self._checker.check, finished, fitted, bm25, question)
                        checking += time.perf_counter() - began
                        checked_text = finished
                        if checked.citations and checked.text != shown:
                            shown = checked.text
                            events.put_nowait(CheckedSoFar(checked, self.backend.name))
                done = time.perf_counter()
                if not text.strip():
                    raise LLMError("the LLM returned an empty completion")
                if checked is None or checked_text != text:
                    began = time.perf_counter()
                    checked = await asyncio.to_thread(self._checker.check, text, fitted, bm25, question)
                    checking += time.perf_counter() - began
        except TimeoutError:
            events.put_nowait(LLMError(f"the LLM did not finish within LLM_TIMEOUT={self._settings.llm_timeout:g} s"))
            return
        except Exception as exc:  # an LLMError, or a bug: raised where the caller reads the events
            events.put_nowait(exc)
            return
        usage = LLMUsage(
            prompt_tokens=self._tokens(messages),
            completion_tokens=self.backend.count_tokens(text),
            first_token_s=(first_token or done) - started,
            total_s=done - started,
            check_s=checking,
        )
        events.put_nowait(LLMDraft(text, checked, usage, self.backend.name))

    async def rewrite_follow_up(self, history: Sequence[tuple[str, str]], follow_up: str) -> str:
        """A standalone version of `follow_up`; raises `LLMError` when the model gives nothing usable."""
        text = await self.complete(prompts.rewrite_messages(history, follow_up))
        line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
        line = line.removeprefix("Standalone question:").strip().strip('"')
        context_terms = set(analyse(" ".join([follow_up, *(q for q, _ in history)])))
        rewritten = analyse(line)
        usable = (
            0 < len(line) <= 300
            and not MARKER.search(line)
            and not _PROMPT_ECHO.match(line)
            and bool(set(rewritten) & context_terms)
            # "What did he answer?" rewritten as "Who did Peskov answer?" asks something else.
            and question_words(line) >= question_words(follow_up)
            # "Who collected his words?" given back as it came resolves nothing.
            and not (refers_back(follow_up) and rewritten == analyse(follow_up))
        )
        if not usable:
            raise LLMError("the LLM did not rewrite the follow-up into a usable question")
        return line

    async def choose(self, question: str, candidates: Sequence[Candidate], today: dt.date) -> ReaderChoice:
        """Which of `candidates` answers `question`, as the reader (`retrieval.generation.reader`);
        raises `LLMError` when the model fails or names none."""
        reply = await self.complete(prompts.reader_messages(question, candidates, today))
        return parse_choice(reply, [c.text for c in candidates])

    async def summarize(self, subject: str, sources: Sequence[Excerpt], bm25: BM25Index) -> LLMDraft:
        """Map-reduce when the sources do not fit one prompt; markers keep global source numbers."""
        sentences = self._settings.summary_sentences
        today = self._today()
        groups = self._groups(
            sources, lambda group, first: prompts.summary_messages(subject, group, sentences, today, first)
        )
        requests = [prompts.summary_messages(subject, group, sentences, today, first) for first, group in groups]
        started = time.perf_counter()
        partials = [await self.complete(messages) for messages in requests]
        if len(partials) > 1:
            requests.append(prompts.reduce_messages(subject, partials, sentences))
            partials.append(await self.complete(requests[-1]))
        text = partials[-1]
        elapsed = time.perf_counter() - started
        usage = LLMUsage(
            prompt_tokens=sum(self._tokens(messages) for messages in requests),
            completion_tokens=sum(self.backend.count_tokens(partial) for partial in partials),
            first_token_s=elapsed,
            total_s=elapsed,
        )
        checked = await asyncio.to_thread(self._checker.check, text, list(sources), bm25)
        return LLMDraft(text, checked, usage, self.backend.name)

    async def complete(self, messages: Sequence[ChatMessage]) -> str:
        text = ""
        async for partial in self._stream_text(messages):
            text = partial
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

    def fit(self, sources: Sequence[Excerpt], build: Callable[[list[Excerpt]], list[ChatMessage]]) -> list[Excerpt]:
        """The best-ranked sources whose prompt fits the context window."""
        fitted = list(sources)
        while fitted and self._tokens(build(fitted)) > self._budget():
            fitted.pop()
        if not fitted:
            raise LLMError("the prompt exceeds the model's context window even with one source; raise LLM_CONTEXT_WINDOW")
        return fitted

    def _groups(
        self, sources: Sequence[Excerpt], build: Callable[[list[Excerpt], int], list[ChatMessage]]
    ) -> list[tuple[int, list[Excerpt]]]:
        """Consecutive groups that each fit one prompt, with the number of their first source."""
        groups: list[tuple[int, list[Excerpt]]] = []
        current: list[Excerpt] = []
        first = 1
        for number, source in enumerate(sources, start=1):
            if current and self._tokens(build(current + [source], first)) > self._budget():
                groups.append((first, current))
                current, first = [], number
            current.append(source)
        if current:
            if self._tokens(build(current, first)) > self._budget():
                raise LLMError("one source alone exceeds the model's context window; raise LLM_CONTEXT_WINDOW")
            groups.append((first, current))
        return groups


@dataclass(frozen=True)
class LLMStatus:
    answerer: LLMAnswerer | None
    problem: str
    """Why there is no answerer ("" when the extractive backend is configured)."""


class LazyLLM:
    """The configured LLM answerer, built on first use and once: loading a GGUF takes seconds. A
    backend that cannot be built (no model file, no llama-cpp-python) is not retried; its reason is
    kept and shown as the fallback reason of every answer."""

    def __init__(self, build: Callable[[], LLMAnswerer | None]) -> None:
        self._build = build
        self._lock = threading.Lock()
        self._status: LLMStatus | None = None

    def status(self) -> LLMStatus:
        with self._lock:
            if self._status is None:
                try:
                    self._status = LLMStatus(self._build(), "")
                except LLMError as exc:
                    self._status = LLMStatus(None, str(exc))
            return self._status

    def close(self) -> None:
        """Release what the backend holds (the local model's worker process), if it was built."""
        with self._lock:
            if self._status is not None and self._status.answerer is not None:
                self._status.answerer.backend.close()
