"""`citebot eval`: answer quality measured on a labelled question set.

Each JSONL line is `{"id", "question", "answers", "evidence", "unanswerable"}`, and optionally
`"type"` (who, when, how_long, what_kind ...: what kind of answer the question wants), by which
correctness and abstention are also reported, and `"asked_on"` (an ISO day: the question is asked
as of that day; an id that starts with a day, `20230106_0` as in RealTime QA, gives it too). `answers` lists
what a correct answer must contain: every entry is required, and an entry may itself be a list of
acceptable alternatives (`[["Liu Pengyu"], ["Peskov", "Peskow"]]`: both people, either spelling).
`evidence` holds sentences (or parts of one) of the corpus that support the answer.

Per question and averaged over the set: retrieval recall@k and MRR (a retrieved passage contains
the evidence), answer correctness, citation validity (every quote is the verbatim span of its
document at its offsets), citation coverage (ALCE-style recall: the cited quotes contain the
evidence), citation precision (each `[n]` supports the sentence that carries it, by the citation
checker's measured support score) and abstention (abstains exactly on the unanswerable ones).
"""

import datetime as dt
import json
import re
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from retrieval.answer.candidates import Candidate
from retrieval.generation.claims import split_claims
from retrieval.generation.excerpts import Excerpt
from retrieval.models.answers import Citation, CitedAnswer
from retrieval.models.records import SHARED_SCOPE
from retrieval.service import AnswerService, DocumentNotFound

METRICS = ("recall_at_k", "mrr", "correct", "short_answer_correct", "citation_validity", "citation_coverage",
           "citation_precision", "abstention_correct")


class EvalFileError(ValueError):
    """The question file cannot be read; the message names the line."""


@dataclass(frozen=True)
class QAItem:
    id: str
    question: str
    answers: list[list[str]]
    evidence: list[str]
    unanswerable: bool
    kind: str = ""
    asked_on: dt.date | None = None


_DAY_ID = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:_|$)")


def _asked_on(raw: dict[str, Any]) -> dt.date | None:
    """The day a question line is asked on: its `asked_on`, else the day its id starts with."""
    if raw.get("asked_on"):
        return dt.date.fromisoformat(str(raw["asked_on"]))
    match = _DAY_ID.match(str(raw["id"]))
    return dt.date(int(match[1]), int(match[2]), int(match[3])) if match else None


@dataclass
class QuestionResult:
    id: str
    question: str
    kind: str
    unanswerable: bool
    abstained: bool
    backend: str
    recall_at_k: float | None
    mrr: float | None
    correct: float | None
    short_answer_correct: float | None
    citation_validity: float | None
    citation_coverage: float | None
    citation_precision: float | None
    abstention_correct: float
    answer: str = ""
    asked_on: str = ""
    short_answer: str = ""


@dataclass
class EvalReport:
    results: list[QuestionResult]
    totals: dict[str, float | None] = field(default_factory=dict)

    @property
    def by_type(self) -> dict[str, dict[str, float | int | None]]:
        """Per question type: how many, and the mean correctness (answerable) and abstention."""
        table: dict[str, dict[str, float | int | None]] = {}
        for kind in sorted({r.kind for r in self.results if r.kind}):
            rows = [r for r in self.results if r.kind == kind]
            table[kind] = {"questions": len(rows), "correct": _mean([r.correct for r in rows]),
                           "abstention_correct": _mean([r.abstention_correct for r in rows])}
        return table

    def to_json(self) -> dict[str, Any]:
        return {"questions": len(self.results), "totals": self.totals, "by_type": self.by_type,
                "results": [asdict(r) for r in self.results]}


def normalise(text: str) -> str:
    """Case, quotes, dashes and spacing folded, so matching ignores typography."""
    text = text.lower().replace("“", '"').replace("”", '"').replace("’", "'").replace("‘", "'")
    text = re.sub(r"[–—]", "-", text)
    return " ".join(text.split())


def load_questions(path: Path) -> list[QAItem]:
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            answers = [[a] if isinstance(a, str) else list(a) for a in raw.get("answers", [])]
            items.append(QAItem(str(raw["id"]), raw["question"], answers, list(raw.get("evidence", [])),
                                bool(raw.get("unanswerable", False)), str(raw.get("type", "")), _asked_on(raw)))
        except (ValueError, KeyError, TypeError) as exc:
            raise EvalFileError(f"{path}:{number}: not a question line ({exc})") from None
    return items


def _mean(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(statistics.fmean(present), 4) if present else None


class Evaluator:
    """Asks every question through the service and scores what comes back."""

    def __init__(self, service: AnswerService, scopes: Sequence[str] = (SHARED_SCOPE,)) -> None:
        self._service = service
        self._scopes = list(scopes)

    def run(self, items: Sequence[QAItem]) -> EvalReport:
        results = [
            self.score(item, self._service.ask(item.question, self._scopes, asked_on=item.asked_on)) for item in items
        ]
        totals = {metric: _mean([getattr(r, metric) for r in results]) for metric in METRICS}
        return EvalReport(results, totals)

    def score(self, item: QAItem, answer: CitedAnswer) -> QuestionResult:
        evidence = [normalise(e) for e in item.evidence]
        answerable = not item.unanswerable
        recall = mrr = None
        if answerable and evidence:
            passages = [normalise(p.text) for p in answer.passages]
            recall = sum(any(e in p for p in passages) for e in evidence) / len(evidence)
            rank = next((i for i, p in enumerate(passages, start=1) if any(e in p for e in evidence)), None)
            mrr = 1 / rank if rank else 0.0
        correct = short_correct = None
        if answerable:
            text = normalise(answer.answer) if not answer.abstained else ""
            correct = float(all(any(normalise(alt) in text for alt in options) for options in item.answers))
        short = answer.short_answer.text if answer.short_answer is not None else ""
        if answerable and short and item.answers:
            said = normalise(short)
            short_correct = float(any(normalise(alt) in said or said in normalise(alt) for alt in item.answers[0]))
        validity = coverage = precision = None
        if answer.citations:
            validity = sum(self._verbatim(c) for c in answer.citations) / len(answer.citations)
            precision = self._precision(answer)
            if evidence:
                quotes = [normalise(c.quote) for c in answer.citations]
                coverage = sum(any(e in q or q in e for q in quotes) for e in evidence) / len(evidence)
        return QuestionResult(
            id=item.id, question=item.question, kind=item.kind, unanswerable=item.unanswerable, abstained=answer.abstained,
            backend=answer.backend, recall_at_k=recall, mrr=mrr, correct=correct, short_answer_correct=short_correct,
            citation_validity=validity,
            citation_coverage=coverage, citation_precision=precision,
            abstention_correct=float(answer.abstained == item.unanswerable), answer=answer.answer,
            asked_on=answer.asked_on, short_answer=short,
        )

    def _verbatim(self, citation: Citation) -> bool:
        try:
            text = self._service.document_text(citation.doc_id, [citation.scope or SHARED_SCOPE])
        except DocumentNotFound:
            return False
        return text[citation.start : citation.end] == citation.quote

    def _precision(self, answer: CitedAnswer) -> float | None:
        """Share of (sentence, marker) pairs whose cited quote supports the sentence."""
        by_number = {c.n: c for c in answer.citations}
        threshold = self._service.citation_checker.min_support
        pairs = supported = 0
        for claim in split_claims(answer.answer):
            for n in claim.markers:
                pairs += 1
                citation = by_number.get(n)
                if citation is not None:
                    supported += self._support(claim.text, citation) >= threshold
        return supported / pairs if pairs else None

    def _support(self, claim: str, citation: Citation) -> float:
        """How well a citation's quote supports `claim`: the citation checker's measured score."""
        service = self._service
        record = service.store.get(citation.scope or SHARED_SCOPE, citation.doc_id)
        if record is None or not record.live:
            return 0.0
        quote = Excerpt(record, (Candidate(record, citation.start, citation.end, 0),))
        return service.citation_checker.support(claim, quote, service.snapshots.current().bm25).score
