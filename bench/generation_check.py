"""What noticing other processes' writes costs: the corpus-generation check before each read.

    .venv/bin/python -m bench.generation_check [--repeat N]

With the shipped corpus plus synthetic articles (200 by default) ingested, embedded and against a
`chroma run` server on 127.0.0.1, it times
(1) the check when nothing changed (one single-record get: what every question pays), (2) the reload
after a new generation with the same live versions (the live-hash read; BM25 kept), (3) the reload
after another service's commit (BM25 rebuilt from Chroma's chunks) and, for scale, (4) a whole
extractive `ask`, check included. Results: bench/results/generation_check.json.
"""

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from harness.chroma_server import ChromaServer
from harness.questions import QUESTIONS

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results" / "generation_check.json"


def summary_ms(samples: list[float]) -> dict:
    ordered = sorted(samples)
    return {"median_ms": round(statistics.median(ordered), 3),
            "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))], 3), "n": len(ordered)}


def timed_ms(action: Callable[[], object], repeat: int) -> dict:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return summary_ms(samples)


def filler(index: int) -> bytes:
    """A short synthetic article, so reload costs are measured on more than the shipped corpus."""
    return (f"---\ntitle: Council bulletin {index}\n---\nThe council of district {index} met on day {index % 28 + 1}. "
            f"It approved budget line {index * 7} and postponed the vote on road {index % 13}. "
            "Residents may comment until the end of the month.\n").encode()


def measure(settings, other_settings, embed_model, repeat: int, extra_documents: int) -> dict:
    from retrieval.composition import build_service
    from retrieval.index.store import CorpusStore

    service = build_service(settings, store=CorpusStore.connect(settings), embed_model=embed_model)
    service.ingest()
    for index in range(extra_documents):
        service.ingest_bytes(filler(index), f"council-{index:04d}.md", "shared")
    other = build_service(other_settings, store=CorpusStore.connect(other_settings), embed_model=embed_model)
    service.snapshots.current()

    def reload_ms(change: Callable[[], object]) -> float:
        change()
        started = time.perf_counter()
        service.snapshots.current()
        return (time.perf_counter() - started) * 1000

    same_versions = [reload_ms(other.store.recover) for _ in range(max(repeat // 10, 10))]
    bulletins = iter(range(10**6))

    def commit_elsewhere() -> None:
        other.ingest_bytes(f"Bulletin {next(bulletins)}: the ferry timetable changed.".encode(), "bulletin.txt", "shared")

    after_commit = [reload_ms(commit_elsewhere) for _ in range(10)]
    questions = iter(QUESTIONS * (1 + repeat // len(QUESTIONS)))
    return {
        "documents": len(service.sources()),
        "bm25_chunks": len(service.snapshots.latest.bm25),
        "check_unchanged": timed_ms(service.snapshots.current, repeat),
        "reload_same_versions": summary_ms(same_versions),
        "reload_after_commit": summary_ms(after_commit),
        "ask_extractive": timed_ms(lambda: service.ask(next(questions)), 20),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=500)
    parser.add_argument("--documents", type=int, default=200, help="synthetic articles added to the corpus")
    args = parser.parse_args()

    from retrieval.composition import build_embed_model
    from retrieval.settings import RetrievalSettings

    embed_model = build_embed_model(RetrievalSettings(_env_file=None))
    corpus = REPO / "corpus"
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        embedded = RetrievalSettings(_env_file=None, data_dir=root / "embedded", corpus_dir=corpus)
        results["embedded"] = measure(embedded, embedded, embed_model, args.repeat, args.documents)
        server = ChromaServer(root / "chroma-server").start()
        try:
            remote = server.create_database("bench")
            results["http"] = measure(
                RetrievalSettings(_env_file=None, data_dir=root / "a", corpus_dir=corpus, **remote),
                RetrievalSettings(_env_file=None, data_dir=root / "b", corpus_dir=corpus, **remote),
                embed_model, args.repeat, args.documents,
            )
        finally:
            server.kill()
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
