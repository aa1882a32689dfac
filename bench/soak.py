"""A long-running bot's question stream against a sentence cache far too small for it.

    .venv/bin/python -m bench.soak [--questions 3000] [--threads 8] [--cache-size 64] [--articles 300]

One service over a synthetic corpus (`bench.ingest.synthetic_articles`) answers `--questions`
questions drawn from a pool of different ones (`bench.query.questions`), from `--threads` threads
at once, as the bot answers in worker threads. Its sentence-embedding cache holds `--cache-size`
entries, so it wraps many times over: every question embeds about 16 sentences. Reported: questions
that raised (the defect of issue 11 made some fail with a `KeyError`), abstentions, throughput, the
cache's size (never above its bound) and the process's RSS sampled through the run (it must level
off, not grow with the number of questions). Results: bench/results/soak.json.
"""

import argparse
import json
import statistics
import tempfile
import threading
import time
import traceback
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.ingest import write_synthetic_corpus
from bench.query import questions as synthetic_questions
from retrieval.composition import build_embed_model, build_service
from retrieval.index.store import CorpusStore
from retrieval.service import AnswerService
from retrieval.settings import RetrievalSettings

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results" / "soak.json"


def rss_mib() -> float:
    """The current resident set size (not the peak): whether memory levels off is the question."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def soak(service: AnswerService, pool: list[str], total: int, threads: int) -> dict:
    """Ask `total` questions from `pool`, round-robin over `threads` workers."""
    failures: list[str] = []
    abstained = 0
    answered = 0
    lock = threading.Lock()
    samples: list[tuple[int, float, int]] = []

    def worker(offset: int) -> None:
        nonlocal abstained, answered
        for index in range(offset, total, threads):
            try:
                answer = service.ask(pool[index % len(pool)])
            except Exception:  # counted and kept: a question that raises is what this bench looks for
                with lock:
                    failures.append(traceback.format_exc(limit=3))
                continue
            with lock:
                answered += 1
                abstained += answer.abstained
                done = answered + len(failures)
                if done % max(1, total // 20) == 0:
                    samples.append((done, round(rss_mib(), 1), service.sentence_cache_entries))

    started = time.perf_counter()
    workers = [threading.Thread(target=worker, args=(offset,)) for offset in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    elapsed = time.perf_counter() - started
    rss = [rss for _, rss, _ in samples]
    tail = rss[len(rss) // 2 :]
    return {
        "questions": total,
        "threads": threads,
        "failures": len(failures),
        "failure_examples": failures[:3],
        "abstained": abstained,
        "seconds": round(elapsed, 1),
        "questions_per_s": round(total / elapsed, 2),
        "max_cache_entries": max(entries for _, _, entries in samples),
        "rss_samples": samples,
        "rss_first_mib": rss[0],
        "rss_last_mib": rss[-1],
        "rss_second_half_spread_mib": round(max(tail) - min(tail), 1),
        "rss_second_half_median_mib": round(statistics.median(tail), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=int, default=3000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--cache-size", type=int, default=64)
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--pool", type=int, default=400, help="different questions, asked in turn")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        corpus = write_synthetic_corpus(root / "corpus", args.articles)
        settings = RetrievalSettings(
            _env_file=None, data_dir=root / "data", corpus_dir=corpus, sentence_cache_size=args.cache_size
        )
        service = build_service(settings, store=CorpusStore.connect(settings), embed_model=build_embed_model(settings))
        report = service.ingest()
        pool = synthetic_questions(args.pool)
        service.ask(pool[0])
        result = {"articles": args.articles, "chunks": report.chunks, "cache_size": args.cache_size,
                  **soak(service, pool, args.questions, args.threads)}

    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    table = Table(title=f"Soak: {result['questions']} questions, {result['threads']} threads, "
                        f"sentence cache of {result['cache_size']}")
    for column in ("failures", "abstained", "q/s", "max cache entries", "RSS first / last (MiB)",
                   "RSS spread, 2nd half (MiB)"):
        table.add_column(column)
    table.add_row(str(result["failures"]), str(result["abstained"]), f"{result['questions_per_s']:.2f}",
                  str(result["max_cache_entries"]), f"{result['rss_first_mib']:.0f} / {result['rss_last_mib']:.0f}",
                  f"{result['rss_second_half_spread_mib']:.1f}")
    Console().print(table)


if __name__ == "__main__":
    main()
