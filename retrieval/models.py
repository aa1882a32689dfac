"""The answer service's results: plain data with the JSON shapes the CLI prints."""

from dataclasses import asdict, dataclass, field
from typing import Any


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
class CitedAnswer:
    """An answer whose every claim carries a `[n]` marker naming one of `citations`."""

    question: str
    answer: str
    abstained: bool
    backend: str
    citations: list[Citation]
    passages: list[Passage]
    timings_ms: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.answer,
            "abstained": self.abstained,
            "backend": self.backend,
            "citations": [c.to_json() for c in self.citations],
            "passages": [p.to_json() for p in self.passages],
            "timings_ms": {k: round(v, 1) for k, v in self.timings_ms.items()},
        }


@dataclass(frozen=True)
class DocumentSummary:
    """Short cited summary of one document or of what the corpus says about a topic."""

    subject: str
    summary: str
    abstained: bool
    backend: str
    citations: list[Citation]
    timings_ms: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "summary": self.summary,
            "abstained": self.abstained,
            "backend": self.backend,
            "citations": [c.to_json() for c in self.citations],
            "timings_ms": {k: round(v, 1) for k, v in self.timings_ms.items()},
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
