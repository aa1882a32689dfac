"""What the service returns: passages, citations, drafts, answers and summaries, the updates of an
answer being written, and ingest reports, with the JSON shapes the CLI prints. Plain data: no
module here imports Chroma or a model."""

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from retrieval.models.article import ArticleMeta, DescribesArticle
from retrieval.models.checks import CheckReport
from retrieval.text.dates import publication_day


@dataclass(frozen=True)
class FollowUp:
    """A later turn of a conversation, as the answerer needs it. Search looks for the earlier
    question joined to this one (that is where "he" or "the request" is named), but the answer is
    ranked for `question`, the turn's own (or its standalone rewrite), and does not quote again
    what the conversation already said (`said_before`, in `retrieval.text.markers.spoken_form`)
    unless nothing else answers."""

    question: str
    said_before: tuple[str, ...]


@dataclass(frozen=True)
class Passage(DescribesArticle):
    """A retrieved chunk, in rank order; `start`/`end` locate `text` in its document's stored text."""

    chunk_id: str
    scope: str
    meta: ArticleMeta
    text: str
    score: float
    start: int
    end: int

    def to_json(self) -> dict[str, Any]:
        return {
            "doc_id": self.doc_id,
            "title": self.title,
            "text": self.text,
            "score": round(self.score, 6),
            "start": self.start,
            "end": self.end,
        }


@dataclass(frozen=True)
class Citation(DescribesArticle):
    """Citation `[n]`: `quote` is exactly `document_text[start:end]` of document `doc_id`."""

    n: int
    meta: ArticleMeta
    quote: str
    start: int
    end: int
    scope: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "doc_id": self.doc_id,
            "title": self.title,
            "url": self.url,
            "published": self.published,
            "quote": self.quote,
            "start": self.start,
            "end": self.end,
        }


@dataclass(frozen=True)
class ShortAnswer:
    """The name, place, number or date an answer opens with: exactly `document_text[start:end]` of
    the document citation `[n]` quotes, inside that quote."""

    text: str
    n: int
    start: int
    end: int

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "n": self.n, "start": self.start, "end": self.end}


@dataclass(frozen=True)
class LLMUsage:
    """What one LLM answer cost: tokens read and written, and when the first word arrived."""

    prompt_tokens: int
    completion_tokens: int
    first_token_s: float
    total_s: float
    check_s: float = 0.0
    """Time spent in the citation check, sentence by sentence while the model wrote and at the end."""

    def to_json(self) -> dict[str, Any]:
        return {k: round(v, 3) if isinstance(v, float) else v for k, v in asdict(self).items()}


def provenance(backend: str, fallback_reason: str, check: "CheckReport | None") -> str:
    """Who wrote an answer, in words for a footer: the backend, how many of the LLM's sentences
    the citation check verified, or why the LLM's answer was not used."""
    if fallback_reason:
        return f"{backend} · LLM not used: {fallback_reason}"
    if check is not None:
        moved = f", {check.reattributed} re-cited" if check.reattributed else ""
        return f"{backend} · {check.kept} of {check.claims} sentences verified{moved}"
    return backend


@dataclass(frozen=True)
class Draft:
    """What one answerer (extractive or LLM) made of a question, before timings and passages.

    `backend` names who wrote `text`; when an LLM was configured but could not answer, the
    extractive backend's draft carries the reason in `fallback_reason`. `check` is the citation
    check's report on the LLM's answer, whichever backend's text is shown.
    """

    text: str
    citations: list[Citation]
    abstained: bool
    backend: str
    fallback_reason: str = ""
    check: CheckReport | None = None
    llm_usage: LLMUsage | None = None
    short_answer: ShortAnswer | None = None
    """The answer's words as a reader LLM chose them, cut from its first citation's quote (None: the
    rule finds them, `retrieval.answer.short_answer`)."""


class _Drafted:
    """What an answer and a summary share: a `Draft` and where it came from, read through."""

    draft: Draft

    @property
    def abstained(self) -> bool:
        return self.draft.abstained

    @property
    def backend(self) -> str:
        return self.draft.backend

    @property
    def citations(self) -> list[Citation]:
        return self.draft.citations

    @property
    def fallback_reason(self) -> str:
        return self.draft.fallback_reason

    @property
    def check(self) -> CheckReport | None:
        return self.draft.check

    @property
    def llm_usage(self) -> LLMUsage | None:
        return self.draft.llm_usage

    @property
    def provenance(self) -> str:
        return provenance(self.backend, self.fallback_reason, self.check)

    @property
    def as_of(self) -> str:
        """The newest publication day among the cited documents (ISO), "" when none is dated: news
        goes stale, so an answer says how recent its evidence is."""
        days = [day for c in self.citations if (day := publication_day(c.published)) is not None]
        return dt.date.fromordinal(max(days)).isoformat() if days else ""

    def _provenance_json(self) -> dict[str, Any]:
        return {
            "abstained": self.abstained,
            "backend": self.backend,
            "fallback_reason": self.fallback_reason,
            "check": self.check.to_json() if self.check is not None else None,
            "citations": [c.to_json() for c in self.citations],
            "as_of": self.as_of or None,
        }


@dataclass(frozen=True)
class CitedAnswer(_Drafted):
    """An answer whose every claim carries a `[n]` marker naming one of `citations`."""

    question: str
    draft: Draft
    passages: list[Passage]
    timings_ms: dict[str, float] = field(default_factory=dict)
    asked_as: str = ""
    """The question answered when it is not the one asked ("" when it is): a follow-up that only
    named something else, spelled out ("and Google?" answered as "How many employees is Google
    laying off?"), which the reader is shown so that the answer can be checked against it."""
    asked_on: str = ""
    """The day the question was asked (ISO): what its "this week" means, and the last day of the
    articles it was answered from."""
    short_answer: ShortAnswer | None = None
    """The phrase the question asks for, cut from the first citation that offers one
    (`retrieval.answer.short_answer`); None for an abstention or a question of another form."""
    unmentioned: tuple[str, ...] = ()
    """What the question names that none of the retrieved articles mentions (`search.subject_gate`):
    for an abstention, what the corpus lacks."""

    @property
    def answer(self) -> str:
        return self.draft.text

    def to_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "asked_as": self.asked_as or None,
            "asked_on": self.asked_on or None,
            "short_answer": self.short_answer.to_json() if self.short_answer is not None else None,
            "answer": self.answer,
            **self._provenance_json(),
            "passages": [p.to_json() for p in self.passages],
            "timings_ms": {k: round(v, 1) for k, v in self.timings_ms.items()},
            "llm_usage": self.llm_usage.to_json() if self.llm_usage is not None else None,
        }


@dataclass(frozen=True)
class AnswerUpdate:
    """An answer shown before the final `CitedAnswer` while an LLM writes: the extractive answer
    (`stage="extractive"`), then the LLM's sentences that passed the citation check so far
    (`"checked"`). Like the final answer, it holds no sentence that was not checked."""

    answer: CitedAnswer
    stage: Literal["extractive", "checked"]


@dataclass(frozen=True)
class DocumentSummary(_Drafted):
    """Short cited summary of one document or of what the corpus says about a topic."""

    subject: str
    draft: Draft
    timings_ms: dict[str, float] = field(default_factory=dict)

    @property
    def summary(self) -> str:
        return self.draft.text

    def to_json(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "summary": self.summary,
            **self._provenance_json(),
            "timings_ms": {k: round(v, 1) for k, v in self.timings_ms.items()},
            "llm_usage": self.llm_usage.to_json() if self.llm_usage is not None else None,
        }


@dataclass
class IngestReport:
    """What an ingest run did; `errors` holds one entry per file that could not be indexed."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    chunks: int = 0
    errors: list[dict[str, str]] = field(default_factory=list)
    articles: list[ArticleMeta] = field(default_factory=list)
    """The description of each document read (added, updated or unchanged), as its reader made it:
    what an upload's reply shows the admin was extracted (title, date)."""

    @property
    def doc_ids(self) -> list[str]:
        return [article.doc_id for article in self.articles]

    def absorb(self, other: "IngestReport") -> None:
        """Add what another run did to this report (one report for files and URLs ingested together)."""
        self.added += other.added
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.removed += other.removed
        self.chunks += other.chunks
        self.errors.extend(other.errors)
        self.articles.extend(other.articles)

    def to_json(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "removed": self.removed,
            "chunks": self.chunks,
            "errors": list(self.errors),
        }


