"""The citation-pair scorer: the citation checker's support score for each labelled (claim, passage)
pair of harness/data/citation_support.jsonl, where a pair names a claim, a phrase locating the cited
passage in the shipped corpus, and whether that passage supports the claim. `bench.calibrate_citations`
picks the best threshold from these scores; tests/retrieval/generation/test_citations.py checks that
the configured threshold judges the pairs as well as required."""

import json
from dataclasses import dataclass
from pathlib import Path

from retrieval.generation.citations import CitationChecker
from retrieval.generation.excerpts import whole_passages
from retrieval.models.answers import Passage
from retrieval.search.retriever import passage_of
from retrieval.service import AnswerService

PAIRS = Path(__file__).resolve().parent / "data" / "citation_support.jsonl"


@dataclass(frozen=True)
class ScoredPair:
    claim: str
    supported: bool
    score: float


def passage_containing(service: AnswerService, phrase: str) -> Passage:
    for chunk in service.snapshots.latest.bm25.chunks:
        record = service.store.get(chunk.scope, chunk.doc_id)
        if record is not None and phrase in record.text[chunk.start : chunk.end]:
            return passage_of(record, chunk.chunk_id, chunk.start, chunk.end, 0.0)
    raise LookupError(f"no chunk contains {phrase!r}")


def score_pairs(service: AnswerService, checker: CitationChecker, path: Path = PAIRS) -> list[ScoredPair]:
    scored = []
    for line in path.read_text(encoding="utf-8").splitlines():
        pair = json.loads(line)
        passage = passage_containing(service, pair["evidence"])
        records = service.store.get_many([f"{passage.scope}/{passage.doc_id}"])
        (source,) = whole_passages(service._ranker, [passage], records)
        score = checker.support(pair["claim"], source, service.snapshots.latest.bm25).score
        scored.append(ScoredPair(pair["claim"], pair["supported"], score))
    return scored


def accuracy(pairs: list[ScoredPair], threshold: float) -> float:
    return sum((p.score >= threshold) == p.supported for p in pairs) / len(pairs)
