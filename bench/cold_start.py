"""Whole CLI processes from cold, each figure next to its floor measured in the same run.

    .venv/bin/python -m bench.cold_start [--runs 3] [--work-dir DIR]

What a user feels is a whole process, imports and model load included. Medians of `--runs` fresh
processes each, one kind after the other, in one run:

- floor: a fresh python that imports sentence-transformers and loads the MiniLM model, what any
  command that embeds must pay; and the same plus importing llama_index.core and chromadb, the two
  libraries every question goes through (their package imports alone, nothing of citebot's);
- `citebot ask QUESTION` on the shipped corpus (ingested before the timing);
- `citebot sources` (it needs no model: its goal is absolute, 1.5 s on the 2-core machine);
- `citebot ingest` of 120 news-dev articles that are already in the index (a re-ingest: nothing
  changed, nothing embedded), against a cold `citebot sources`;
- the first question of a fresh process on the whole news-dev index (7,000+ chunks), against the
  warm questions after it in the same process (`timings_ms.total`, and the wall time of `ask`),
  after `AnswerService.prepare` as the bot calls it before it connects (its time is reported too).

news-dev (`../shared/news-dev`) is read in place; the index and the 120-article folder are built
under `--work-dir` (kept for the next run). Results: bench/results/cold_start.json.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import news_dev

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results" / "cold_start.json"
CITEBOT = [str(Path(sys.executable).parent / "citebot")]
QUESTION = "Who denied the request?"
REINGEST_ARTICLES = 120
WARM_QUESTIONS = 10

_FLOOR = """
from sentence_transformers import SentenceTransformer
from retrieval.settings import RetrievalSettings
SentenceTransformer(RetrievalSettings(_env_file=None).embed_model, device="cpu")
"""

_LIBRARY_FLOOR = _FLOOR + """
import chromadb, llama_index.core
"""

_FIRST_AND_WARM = """
import json, sys, time
from bench import news_dev
from retrieval.composition import build_service
from retrieval.settings import RetrievalSettings
began = time.perf_counter()
service = build_service(RetrievalSettings(_env_file=None, data_dir=sys.argv[1], corpus_dir=sys.argv[2]))
opened = time.perf_counter()
service.prepare()
prepared = time.perf_counter()
rows = []
for item in news_dev.questions()[: int(sys.argv[3]) + 1]:
    asked = time.perf_counter()
    answer = service.ask(item.question)
    rows.append({"wall_ms": (time.perf_counter() - asked) * 1000, "total_ms": answer.timings_ms["total"]})
print(json.dumps({"open_s": opened - began, "prepare_s": prepared - opened, "rows": rows}))
"""


def _env(data_dir: Path, corpus_dir: Path) -> dict[str, str]:
    return {**os.environ, "CITEBOT_DATA_DIR": str(data_dir), "CITEBOT_CORPUS_DIR": str(corpus_dir),
            "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}


def _timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, env=env, cwd=REPO, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def _median(command: list[str], env: dict[str, str], runs: int) -> dict:
    times = [_timed(command, env) for _ in range(runs)]
    return {"median_s": round(statistics.median(times), 3), "runs_s": [round(t, 3) for t in times]}


def _prepare(work: Path) -> tuple[Path, Path, Path]:
    """The shipped corpus ingested; 120 news-dev articles in a folder and ingested; the whole
    news-dev index. Built once, reused by later runs."""
    seed = work / "seed"
    articles = work / "news-120"
    if not articles.exists():
        articles.mkdir(parents=True)
        for path in sorted(news_dev.corpus_dir().glob("*.md"))[:REINGEST_ARTICLES]:
            shutil.copy(path, articles / path.name)
    news = work / "news-dev"
    for data_dir, corpus in ((seed, REPO / "corpus"), (work / "news-120-index", articles), (news, news_dev.corpus_dir())):
        if not data_dir.exists():
            print(f"ingesting {corpus} into {data_dir} ...", file=sys.stderr)
            subprocess.run([*CITEBOT, "ingest"], env=_env(data_dir, corpus), cwd=REPO, check=True,
                           stdout=subprocess.DEVNULL)
    return seed, articles, news


def run(work: Path, runs: int) -> dict:
    seed, articles, news = _prepare(work)
    seed_env = _env(seed, REPO / "corpus")
    reingest_env = _env(work / "news-120-index", articles)
    floor = _median([sys.executable, "-c", _FLOOR], seed_env, runs)
    library_floor = _median([sys.executable, "-c", _LIBRARY_FLOOR], seed_env, runs)
    ask = _median([*CITEBOT, "ask", QUESTION], seed_env, runs)
    sources = _median([*CITEBOT, "sources"], seed_env, runs)
    reingest = _median([*CITEBOT, "ingest"], reingest_env, runs)
    child = subprocess.run(
        [sys.executable, "-c", _FIRST_AND_WARM, str(news), str(news_dev.corpus_dir()), str(WARM_QUESTIONS)],
        env=_env(news, news_dev.corpus_dir()), cwd=REPO, check=True, capture_output=True, text=True,
    )
    first_and_warm = json.loads(child.stdout.strip().splitlines()[-1])
    first, warm = first_and_warm["rows"][0], first_and_warm["rows"][1:]
    warm_total = statistics.median(r["total_ms"] for r in warm)
    warm_wall = statistics.median(r["wall_ms"] for r in warm)
    return {
        "runs": runs,
        "floor_import_sentence_transformers_and_load_minilm": floor,
        "floor_plus_llama_index_core_and_chromadb_imports": {
            **library_floor, "vs_floor": round(library_floor["median_s"] / floor["median_s"], 2)},
        "citebot_ask": {**ask, "vs_floor": round(ask["median_s"] / floor["median_s"], 2), "goal": "<= 1.2",
                        "vs_floor_plus_libraries": round(ask["median_s"] / library_floor["median_s"], 2)},
        "citebot_sources": {**sources, "goal_s": 1.5},
        "citebot_reingest_120_unchanged": {
            **reingest, "vs_cold_sources": round(reingest["median_s"] / sources["median_s"], 2), "goal": "<= 1.2"},
        "first_question_news_dev": {
            "open_s": round(first_and_warm["open_s"], 2), "prepare_s": round(first_and_warm["prepare_s"], 2),
            "first_total_ms": round(first["total_ms"], 1), "first_wall_ms": round(first["wall_ms"], 1),
            "warm_total_ms_median": round(warm_total, 1), "warm_wall_ms_median": round(warm_wall, 1),
            "first_vs_warm_total": round(first["total_ms"] / warm_total, 2),
            "first_vs_warm_wall": round(first["wall_ms"] / warm_wall, 2), "goal": "<= 2",
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--work-dir", type=Path, default=None, help="keep the indexes here (default: a temp dir)")
    args = parser.parse_args()
    if not news_dev.available():
        raise SystemExit(f"news-dev is not at {news_dev.NEWS_DEV}")
    if args.work_dir is not None:
        args.work_dir.mkdir(parents=True, exist_ok=True)
        result = run(args.work_dir, args.runs)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            result = run(Path(tmp), args.runs)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
