"""Measure the citation checker's support score on labelled (claim, passage) pairs and pick the
threshold that separates supported from unsupported claims best.

    .venv/bin/python -m bench.calibrate_citations [--json]

The pairs (harness/data/citation_support.jsonl) name a claim, a phrase locating the cited passage in
the corpus, and whether that passage supports the claim; they are scored by harness.citation_pairs,
which the tests share. Results go to bench/results/.
"""

import argparse
import json
import tempfile
from itertools import pairwise
from pathlib import Path

from harness.citation_pairs import ScoredPair, accuracy, score_pairs
from retrieval.composition import build_service
from retrieval.settings import RetrievalSettings

REPO = Path(__file__).resolve().parent.parent


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
