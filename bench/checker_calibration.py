"""How well the citation check separates true claims from false ones, on claims a real model wrote.

    .venv/bin/python -m bench.checker_calibration [--claims FILE.jsonl ...]

Reads claims a real model wrote, each with the best support score the check found for it (0 when
no span names all its names and numbers): by default those of the last `bench.llm_backends` run
(bench/results/llm_claims.jsonl) and those of the prompt variants tried on the seed questions
(bench/results/llm_claims_prompts.jsonl, docs/citations.md), and the hand labels of
harness/data/qwen_claims.jsonl (`supported`, `unsupported`, `conflated`). A claim written twice
counts once. The questions are split in two by a hash of their id: the threshold is chosen on the
tuning half (the lowest whose precision there is ≥ 0.9, so that recall is highest) and judged on
the held-out half, next to the configured CITATION_MIN_SUPPORT (docs/citations.md says why the
default sits above the chosen one).
Results: bench/results/checker_calibration.json, and the table in docs/citations.md.
"""

import argparse
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from retrieval.settings import RetrievalSettings

REPO = Path(__file__).resolve().parent.parent
CLAIMS = [REPO / "bench" / "results" / "llm_claims.jsonl", REPO / "bench" / "results" / "llm_claims_prompts.jsonl"]
LABELS = REPO / "harness" / "data" / "qwen_claims.jsonl"
RESULTS = REPO / "bench" / "results" / "checker_calibration.json"
THRESHOLDS = [round(0.50 + 0.025 * i, 3) for i in range(17)]
TARGET_PRECISION = 0.9


@dataclass(frozen=True)
class LabelledClaim:
    question_id: str
    claim: str
    score: float
    supported: bool

    @property
    def held_out(self) -> bool:
        return hashlib.sha256(self.question_id.encode()).digest()[0] % 2 == 1


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def labelled_claims(paths: list[Path]) -> list[LabelledClaim]:
    labels = {(row["question_id"], row["claim"]): row["label"] for row in read_jsonl(LABELS)}
    seen: set[tuple[str, str]] = set()
    found = []
    for row in (row for path in paths if path.is_file() for row in read_jsonl(path)):
        key = (row["question_id"], row["claim"])
        if key in labels and key not in seen:
            seen.add(key)
            found.append(LabelledClaim(row["question_id"], row["claim"], row["score"], labels[key] == "supported"))
    return found


def curve(claims: list[LabelledClaim], thresholds: list[float] = THRESHOLDS) -> list[dict]:
    rows = []
    positives = sum(c.supported for c in claims)
    for threshold in thresholds:
        kept = [c for c in claims if c.score >= threshold]
        true = sum(c.supported for c in kept)
        rows.append({
            "threshold": threshold,
            "kept": len(kept),
            "precision": round(true / len(kept), 3) if kept else None,
            "recall": round(true / positives, 3) if positives else None,
        })
    return rows


def choose(rows: list[dict]) -> float:
    qualifying = [r["threshold"] for r in rows if r["precision"] is not None and r["precision"] >= TARGET_PRECISION]
    return min(qualifying) if qualifying else THRESHOLDS[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--claims", nargs="+", type=Path, default=CLAIMS)
    claims = labelled_claims(parser.parse_args().claims)
    tuning = [c for c in claims if not c.held_out]
    held_out = [c for c in claims if c.held_out]
    tuning_curve, held_out_curve = curve(tuning), curve(held_out)
    threshold = choose(tuning_curve)
    configured = RetrievalSettings.model_fields["citation_min_support"].default
    result = {
        "claims": len(claims),
        "supported": sum(c.supported for c in claims),
        "tuning_claims": len(tuning),
        "held_out_claims": len(held_out),
        "chosen_threshold": threshold,
        "held_out_at_threshold": next(r for r in held_out_curve if r["threshold"] == threshold),
        "configured_threshold": configured,
        "held_out_at_configured": curve(held_out, [configured])[0],
        "tuning_at_configured": curve(tuning, [configured])[0],
        "tuning_curve": tuning_curve,
        "held_out_curve": held_out_curve,
    }
    RESULTS.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(f"{len(claims)} labelled claims ({result['supported']} supported); "
          f"tuning {len(tuning)}, held out {len(held_out)}; threshold {threshold}")
    print(f"configured CITATION_MIN_SUPPORT {configured}: tuning {result['tuning_at_configured']}, "
          f"held out {result['held_out_at_configured']}")
    print("threshold  tuning P/R (kept)      held-out P/R (kept)")
    for tune, held in zip(tuning_curve, held_out_curve, strict=True):
        print(f"{tune['threshold']:>9}  {tune['precision']!s:>5}/{tune['recall']!s:<5} ({tune['kept']:>3})    "
              f"{held['precision']!s:>5}/{held['recall']!s:<5} ({held['kept']:>3})")


if __name__ == "__main__":
    main()
