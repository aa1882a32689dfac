"""Measure the citation checker's support score on labelled (claim, passage) pairs and pick the
threshold that separates supported from unsupported claims best.

    .venv/bin/python -m bench.calibrate_citations [--json]

The pairs (tests/data/citation_support.jsonl) name a claim, a phrase locating the cited passage in
the corpus, and whether that passage supports the claim. Results go to bench/results/.
"""

import argparse
import json
import tempfile
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

from retrieval.composition import build_service
from retrieval.generation.citations import CitationChecker
from retrieval.generation.excerpts import whole_passages
from retrieval.models import Passage
from retrieval.retriever import passage_of
from retrieval.service import AnswerService
from retrieval.settings import RetrievalSettings

REPO = Path(__file__).resolve().parent.parent
PAIRS = REPO / "tests" / "data" / "citation_support.jsonl"


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


def best_threshold(pairs: list[ScoredPair]) -> float:
    """The midpoint between adjacent scores that maximises accuracy (the widest margin on ties)."""
    scores = sorted({round(p.score, 4) for p in pairs})
    cuts = [(a + b) / 2 for a, b in pairwise(scores)]
    return max(cuts, key=lambda t: (accuracy(pairs, t), -abs(t - 0.5)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data:
        service = build_service(RetrievalSettings(_env_file=None, data_dir=Path(data)))
        service.ingest()
        checker = service.citation_checker
        pairs = score_pairs(service, checker)
    threshold = best_threshold(pairs)
    result = {
        "pairs": len(pairs),
        "supported": sum(p.supported for p in pairs),
        "best_threshold": round(threshold, 3),
        "accuracy_at_best": accuracy(pairs, threshold),
        "configured_threshold": checker.min_support,
        "accuracy_at_configured": accuracy(pairs, checker.min_support),
        "scores": [{"claim": p.claim, "supported": p.supported, "score": round(p.score, 3)} for p in pairs],
    }
    (REPO / "bench" / "results").mkdir(parents=True, exist_ok=True)
    (REPO / "bench" / "results" / "citation_support.json").write_text(json.dumps(result, indent=2) + "\n")
    if args.json:
        print(json.dumps(result, indent=2))
        return
    for p in sorted(pairs, key=lambda p: p.score):
        flag = "" if (p.score >= checker.min_support) == p.supported else "  <- misjudged"
        print(f"{p.score:.3f}  {'supported  ' if p.supported else 'unsupported'}  {p.claim}{flag}")
    print(f"\nbest threshold {threshold:.3f}: accuracy {accuracy(pairs, threshold):.2%}; "
          f"configured {checker.min_support}: accuracy {accuracy(pairs, checker.min_support):.2%}")


if __name__ == "__main__":
    main()
