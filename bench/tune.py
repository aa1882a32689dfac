"""Tuning retrieval and the extractive answerer on half of the seed questions, judged on the other half.

    .venv/bin/python -m bench.tune [--questions harness/data/qa_seed.jsonl]

The question set is split once, reproducibly (seed 5, answerable and unanswerable questions split
separately), into a tuning half and a held-out half. Starting from the shipped defaults, each knob
in turn takes the value that scores best on the tuning half (ties keep the current value); the
held-out half is only read at the end, to decide whether the tuned settings are kept. The score is
the mean of answer correctness, citation coverage and abstention; MRR breaks ties.

Every row is printed and written to bench/results/tune.json; docs/quality.md reports it.
"""

import argparse
import json
import random
import tempfile
from pathlib import Path

from retrieval.composition import build_embed_model, build_service
from retrieval.evaluation import EvalReport, Evaluator, QAItem, load_questions
from retrieval.index.store import CorpusStore
from retrieval.settings import RetrievalSettings

REPO = Path(__file__).resolve().parent.parent

KNOBS: dict[str, list] = {
    "chunk_size": [128, 192, 256, 384, 512],
    "top_k": [3, 5, 8],
    "rrf_k": [10, 30, 60, 100],
    "fusion_bm25_weight": [0.5, 1.0, 1.5, 2.0],
    "answer_max_sentences": [2, 3, 4],
    "answer_min_score": [0.30, 0.35, 0.40, 0.45],
    "answer_shortlist": [8, 16, 32, 200],
}
"""Knobs in the order they are tuned (retrieval first, then sentence selection) and values tried."""


def split(items: list[QAItem], seed: int = 5) -> tuple[list[QAItem], list[QAItem]]:
    rng = random.Random(seed)
    tuning, held_out = [], []
    for group in ([i for i in items if not i.unanswerable], [i for i in items if i.unanswerable]):
        shuffled = sorted(group, key=lambda i: i.id)
        rng.shuffle(shuffled)
        half = (len(shuffled) + 1) // 2
        tuning += shuffled[:half]
        held_out += shuffled[half:]
    return tuning, held_out


def objective(report: EvalReport) -> tuple[float, float]:
    totals = report.totals
    quality = [totals[m] or 0.0 for m in ("correct", "citation_coverage", "abstention_correct")]
    return round(sum(quality) / len(quality), 4), totals["mrr"] or 0.0


class Bench:
    """Evaluates settings; one ingested index per chunk size, reused by every other knob."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self._embed_model = build_embed_model(RetrievalSettings(_env_file=None))
        self._stores: dict[tuple[int, int], CorpusStore] = {}

    def evaluate(self, values: dict, items: list[QAItem]) -> EvalReport:
        chunking = (values["chunk_size"], values.get("chunk_overlap", 32))
        data = self._root / f"chunks-{chunking[0]}-{chunking[1]}"
        settings = RetrievalSettings(_env_file=None, data_dir=data, corpus_dir=REPO / "corpus", **values)
        if chunking not in self._stores:
            self._stores[chunking] = CorpusStore.embedded(data)
        service = build_service(settings, store=self._stores[chunking], embed_model=self._embed_model)
        service.ensure_corpus()
        return Evaluator(service).run(items)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=Path, default=REPO / "harness" / "data" / "qa_seed.jsonl")
    args = parser.parse_args()
    tuning, held_out = split(load_questions(args.questions))
    defaults = RetrievalSettings(_env_file=None)
    current = {knob: getattr(defaults, knob) for knob in KNOBS}
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        bench = Bench(Path(tmp))
        best = objective(bench.evaluate(current, tuning))
        baseline_tuning = best
        for knob, options in KNOBS.items():
            for option in options:
                trial = {**current, knob: option}
                score = best if option == current[knob] else objective(bench.evaluate(trial, tuning))
                rows.append({"knob": knob, "value": option, "tuning_score": score[0], "tuning_mrr": round(score[1], 4)})
                print(json.dumps(rows[-1]), flush=True)
                if score > best:
                    best, current = score, trial
        tuned = current
        baseline_values = {knob: getattr(defaults, knob) for knob in KNOBS}
        held_out_baseline = bench.evaluate(baseline_values, held_out)
        held_out_tuned = bench.evaluate(tuned, held_out)
    result = {
        "split": {"tuning": [i.id for i in tuning], "held_out": [i.id for i in held_out]},
        "defaults": baseline_values,
        "tuned": tuned,
        "tuning_half": {"defaults": baseline_tuning[0], "tuned": best[0]},
        "held_out_half": {
            "defaults": {"score": objective(held_out_baseline)[0], **held_out_baseline.totals},
            "tuned": {"score": objective(held_out_tuned)[0], **held_out_tuned.totals},
        },
        "trials": rows,
    }
    out = REPO / "bench" / "results" / "tune.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: result[k] for k in ("defaults", "tuned", "tuning_half", "held_out_half")}, indent=2))


if __name__ == "__main__":
    main()
