"""The retrieval layer's data: what the store keeps (`DocumentRecord`, `StoredChunk` and its
`ChunkLocation`) and what the service returns (answers, summaries, reports), with the JSON shapes
the CLI prints. Plain data: no module here imports Chroma or a model."""

import datetime as dt
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from retrieval.recency import publication_day

SHARED_SCOPE = "shared"
"""Documents every reader can see: the shipped corpus and whatever the CLI ingests."""


@dataclass(frozen=True)
class FollowUp:
    """A later turn of a conversation, as the answerer needs it. Search looks for the earlier
    question joined to this one (that is where "he" or "the request" is named), but the answer is
    ranked for `question`, the turn's own (or its standalone rewrite), and does not quote again
    what the conversation already said (`said_before`, in `retrieval.extractive.spoken_form`)
    unless nothing else answers."""

    question: str
    said_before: tuple[str, ...]


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk, in rank order; `start`/`end` locate `text` in its document's stored text."""

    chunk_id: str
    scope: str
    doc_id: str
    title: str
    text: str
    score: float
    start: int
    end: int
    published: str = ""
    url: str = ""

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
class Citation:
    """Citation `[n]`: `quote` is exactly `document_text[start:end]` of document `doc_id`."""

    n: int
    doc_id: str
    title: str
    quote: str
    start: int
    end: int
    published: str = ""
    url: str = ""
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
class ClaimCheck:
    """One sentence of an LLM answer as the citation check saw it.

    `outcome`: kept (a source it cites supports it), reattributed (kept, under the source that
    supports it instead of the one it cites), unsupported (no source supports it) or uncited (it
    cites nothing and no source supports it). `score` is the best support found, kept or not.
    """

    text: str
    markers: list[int]
    outcome: Literal["kept", "reattributed", "unsupported", "uncited", "restated"]
    score: float

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "markers": self.markers, "outcome": self.outcome, "score": round(self.score, 4)}


@dataclass(frozen=True)
class CheckReport:
    """What the citation check did to one LLM answer: how many sentences (claims) it read, kept and
    dropped, and why, claim by claim."""

    claims: int
    kept: int
    uncited: int
    unsupported: int
    invalid_markers: int
    reattributed: int = 0
    restated: int = 0
    checks: list[ClaimCheck] = field(default_factory=list)

    @property
    def dropped(self) -> int:
        return self.uncited + self.unsupported + self.restated

    def to_json(self) -> dict[str, Any]:
        counts = {k: v for k, v in asdict(self).items() if k != "checks"}
        return {**counts, "checks": [c.to_json() for c in self.checks]}


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

    @property
    def answer(self) -> str:
        return self.draft.text

    def to_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "asked_as": self.asked_as or None,
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


@dataclass(frozen=True)
class SourceInfo:
    """One document as `sources` lists it."""

    doc_id: str
    title: str
    published: str
    chunks: int
    scope: str
    url: str = ""
    source: str = ""
    author: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class IngestReport:
    """What an ingest run did; `errors` holds one entry per file that could not be indexed."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    chunks: int = 0
    errors: list[dict[str, str]] = field(default_factory=list)
    doc_ids: list[str] = field(default_factory=list)

    def absorb(self, other: "IngestReport") -> None:
        """Add what another run did to this report (one report for files and URLs ingested together)."""
        self.added += other.added
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.removed += other.removed
        self.chunks += other.chunks
        self.errors.extend(other.errors)
        self.doc_ids.extend(other.doc_ids)

    def to_json(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "removed": self.removed,
            "chunks": self.chunks,
            "errors": list(self.errors),
        }


def record_key(scope: str, doc_id: str) -> str:
    return f"{scope}/{doc_id}"


def chunk_id(scope: str, doc_id: str, content_hash: str, ordinal: int) -> str:
    return f"{scope}/{doc_id}/{content_hash[:16]}/{ordinal}"


@dataclass(frozen=True)
class DocumentRecord:
    """A document as the store knows it. `content_hash` is empty until a version is committed."""

    scope: str
    doc_id: str
    title: str
    content_hash: str
    published: str = ""
    source: str = ""
    url: str = ""
    path: str = ""
    author: str = ""
    chunks: int = 0
    ingested_at: float = 0.0
    pending_hash: str = ""
    stale_hash: str = ""
    text: str = ""

    @property
    def key(self) -> str:
        return record_key(self.scope, self.doc_id)

    @property
    def live(self) -> bool:
        return bool(self.content_hash)

    def metadata(self) -> dict[str, Any]:
        return {
            "scope": self.scope,
            "doc_id": self.doc_id,
            "title": self.title,
            "content_hash": self.content_hash,
            "published": self.published,
            "source": self.source,
            "url": self.url,
            "path": self.path,
            "author": self.author,
            "chunks": self.chunks,
            "ingested_at": self.ingested_at,
            "pending_hash": self.pending_hash,
            "stale_hash": self.stale_hash,
        }

    @classmethod
    def from_chroma(cls, metadata: Mapping[str, Any], text: str | None) -> "DocumentRecord":
        fields = {name: metadata.get(name, "") for name in cls.__dataclass_fields__ if name != "text"}
        fields["chunks"] = int(metadata.get("chunks") or 0)
        fields["ingested_at"] = float(metadata.get("ingested_at") or 0.0)
        return cls(**fields, text=text or "")

    def source_info(self) -> "SourceInfo":
        return SourceInfo(
            doc_id=self.doc_id, title=self.title, published=self.published, chunks=self.chunks, scope=self.scope,
            url=self.url, source=self.source, author=self.author,
        )


@dataclass(frozen=True)
class ChunkLocation:
    """Where a live chunk stands: its document and its span of the document's stored text. The BM25
    index keeps these and not the chunks' text, which the document records hold already: at 100k
    chunks the text was most of the index's memory and of the file saved after every upload."""

    chunk_id: str
    scope: str
    doc_id: str
    start: int
    end: int
    published: str = ""


@dataclass(frozen=True)
class StoredChunk:
    """A live chunk as the store returns it: where it stands, and its text.

    In Chroma metadata the document id is stored as `article_id`: llama-index's vector stores
    reserve `doc_id` for the id of the source node.
    """

    location: ChunkLocation
    text: str

    @classmethod
    def from_chroma(cls, chunk_id: str, metadata: Mapping[str, Any], text: str) -> "StoredChunk":
        location = ChunkLocation(
            chunk_id=chunk_id, scope=str(metadata["scope"]), doc_id=str(metadata["article_id"]),
            start=int(metadata["start"]), end=int(metadata["end"]), published=str(metadata.get("published") or ""),
        )
        return cls(location, text)
