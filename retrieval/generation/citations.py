"""The citation check every LLM answer goes through before anyone sees it.

An LLM's `[n]` markers are claims about where a sentence came from; small models invent them and
injected passages try to steer them. The checker keeps a sentence only when each marker it keeps
names a retrieved passage and that passage supports the sentence (IDF-weighted word recall plus
embedding similarity, thresholded at a value measured on labelled pairs, see docs/citations.md). The
surviving sentences are renumbered and each citation quotes, verbatim and by offsets, the sentence
of the passage that supports the claim best. Passage sentences that read as instructions to a model
never count as support, so an answer that obeys an injected instruction cannot cite it.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding

from retrieval.bm25 import BM25Index, analyse_many
from retrieval.extractive import MARKER, cite, without_markers
from retrieval.models import Citation, Passage
from retrieval.ranking import Candidate, SentenceRanker
from retrieval.sentences import sentence_spans
from retrieval.store import DocumentRecord

_LEADING_MARKERS = re.compile(r"^(\s*\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\])+")
_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")


@dataclass(frozen=True)
class CheckReport:
    """What the check did to one answer, for the output and for measuring backends."""

    sentences: int
    kept: int
    uncited: int
    unsupported: int
    invalid_markers: int

    @property
    def dropped(self) -> int:
        return self.uncited + self.unsupported


@dataclass(frozen=True)
class CheckedAnswer:
    text: str
    citations: list[Citation]
    report: CheckReport


@dataclass(frozen=True)
class _Claim:
    text: str
    markers: list[int]


def split_claims(answer: str) -> list[_Claim]:
    """Sentences of an LLM answer with the markers they carry.

    Markers that open a sentence ("… request. [1] Russia …") belong to the sentence before, when
    that one has none of its own: models often put the citation after the full stop.
    """
    pieces = [answer[s.start : s.end] for s in sentence_spans(answer)]
    claims: list[_Claim] = []
    for piece in pieces:
        leading = _LEADING_MARKERS.match(piece)
        if leading and claims and not claims[-1].markers:
            claims[-1] = _Claim(claims[-1].text, _numbers(leading.group()))
            piece = piece[leading.end() :]
        text = without_markers(piece)
        if any(ch.isalnum() for ch in text):
            claims.append(_Claim(text, _numbers(piece)))
    return claims


def _numbers(text: str) -> list[int]:
    found: list[int] = []
    for group in MARKER.findall(text):
        for number in re.split(r"[,;]", group):
            if int(number) not in found:
                found.append(int(number))
    return found


class CitationChecker:
    """Keeps the supported, correctly cited sentences of an LLM answer; drops the rest."""

    def __init__(self, ranker: SentenceRanker, embed_model: BaseEmbedding, min_support: float,
                 semantic_weight: float = 0.5) -> None:
        self._ranker = ranker
        self._embed_model = embed_model
        self.min_support = min_support
        self._semantic_weight = semantic_weight

    def support(
        self, claim: str, passage: Passage, records: dict[str, DocumentRecord], bm25: BM25Index,
        claim_embedding: np.ndarray | None = None,
    ) -> tuple[float, Candidate | None]:
        """How well `passage` supports `claim` (0..1), and its sentence that supports it best."""
        candidates = self._ranker.candidates_from_passages([passage], records)
        if not candidates:
            return 0.0, None
        if claim_embedding is None:
            claim_embedding = _unit(self._embed_model.get_text_embedding(claim))
        semantic = self._ranker.embed(candidates) @ claim_embedding
        analysed = analyse_many([claim] + [c.text for c in candidates])
        claim_terms = set(analysed[0])
        weight = sum(bm25.idf(t) for t in claim_terms) or 1.0
        sentence_terms = [set(terms) for terms in analysed[1:]]
        passage_terms = set().union(*sentence_terms)
        lexical = sum(bm25.idf(t) for t in claim_terms & passage_terms) / weight if claim_terms else 0.0
        per_sentence = [
            self._semantic_weight * float(sem)
            + (1 - self._semantic_weight) * (sum(bm25.idf(t) for t in claim_terms & terms) / weight if claim_terms else 0.0)
            for sem, terms in zip(semantic, sentence_terms)
        ]
        best = int(np.argmax(per_sentence))
        score = self._semantic_weight * float(np.max(semantic)) + (1 - self._semantic_weight) * lexical
        passage_text = " ".join(c.text for c in candidates)
        if any(number not in passage_text for number in _DIGITS.findall(claim)):
            score = min(score, self.min_support - 0.01)
        return score, candidates[best]

    def check(
        self, answer: str, passages: Sequence[Passage], records: dict[str, DocumentRecord], bm25: BM25Index
    ) -> CheckedAnswer:
        claims = split_claims(answer)
        embeddings = (
            [_unit(v) for v in self._embed_model.get_text_embedding_batch([c.text for c in claims])]
            if claims else []
        )
        kept: list[tuple[str, list[Candidate]]] = []
        uncited = unsupported = invalid = 0
        seen_claims: set[str] = set()
        for claim, embedding in zip(claims, embeddings):
            valid = [n for n in claim.markers if 1 <= n <= len(passages)]
            invalid += len(claim.markers) - len(valid)
            if not valid:
                uncited += 1
                continue
            quotes = []
            for n in valid:
                score, quote = self.support(claim.text, passages[n - 1], records, bm25, embedding)
                if quote is not None and score >= self.min_support:
                    quotes.append(quote)
            if not quotes:
                unsupported += 1
                continue
            if claim.text.lower() in seen_claims:
                continue
            seen_claims.add(claim.text.lower())
            kept.append((claim.text, quotes))
        text, citations = _renumber(kept)
        report = CheckReport(len(claims), len(kept), uncited, unsupported, invalid)
        return CheckedAnswer(text, citations, report)


def _renumber(kept: Sequence[tuple[str, list[Candidate]]]) -> tuple[str, list[Citation]]:
    """Answer text with citations numbered by first use; one citation per distinct quote."""
    order: list[Candidate] = []
    parts = []
    for claim, quotes in kept:
        numbers = []
        for quote in quotes:
            if quote.key not in [c.key for c in order]:
                order.append(quote)
            numbers.append([c.key for c in order].index(quote.key) + 1)
        markers = "".join(f"[{n}]" for n in sorted(set(numbers)))
        parts.append(f"{claim.rstrip()} {markers}")
    _, citations = cite(order)
    return " ".join(parts), citations


def _unit(vector: Sequence[float]) -> np.ndarray:
    array = np.asarray(vector, dtype=np.float32)
    norm = float(np.linalg.norm(array))
    return array / norm if norm else array
