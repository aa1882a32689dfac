"""How wide Chroma's HNSW search must look for the vector side to return the true nearest chunks.

    .venv/bin/python -m bench.vector_search_width --work-dir DIR

DIR/citebot is news-dev's index as `bench.news_retrieval --work-dir DIR` builds it. Its Chroma
database is copied once per `ef_search` width (`--widths`, Chroma's default 100 first), the copy's
chunk collection set to that width, and each copy searched in a process of its own (Chroma keeps a
loaded index's width) for the questions of every dev set over news-dev: RealTime QA's 95 and each
turn of the conversation sets, embedded as citebot embeds a question. Against exact search (every
stored vector's cosine, NumPy), per width: the mean share of the true top k found (k = 20, the
retrieval depth each side brings to the fusion, and 40), the questions missing any, and the
median time of one query of 20 (`CorpusStore.query_vectors`, as a question pays it).

    .venv/bin/python -m bench.vector_search_width --synthetic 100000

What the width costs at a larger scale: that many synthetic vectors, as `bench.query` makes them
(one of 1,000 seeded directions plus seeded noise, cosine about 0.9 to it), and 100 queries made the
same way; the median time of Chroma's own query of 20. Synthetic clusters are easier to search than
text, so this measures cost, not recall.

Results: bench/results/vector_search_width.json, docs/benchmarks.md ("Vector search width").
"""

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench import news_dev

RESULTS = news_dev.REPO / "bench" / "results" / "vector_search_width.json"
CONVERSATION_SETS = ("conversations.jsonl", "conversations_holdout.jsonl", "conversations_news.jsonl",
                     "conversations_pronouns.jsonl")
DEPTHS = (20, 40)


def questions() -> list[str]:
    """RealTime QA's scored questions and every turn of the conversation sets over news-dev."""
    asked = [item.question for item in news_dev.questions()]
    for name in CONVERSATION_SETS:
        for line in (news_dev.REPO / "bench" / "data" / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                asked += [turn["question"] for turn in json.loads(line)["turns"]]
    return asked


SYNTHETIC_DIRECTIONS = 1000
SYNTHETIC_NOISE = 0.025
"""Per-dimension noise around a unit direction of 384 dimensions: cosine about 0.9 to it."""
SYNTHETIC_QUERIES = 100


def synthetic(count: int, seed: int) -> np.ndarray:
    """`count` unit vectors, each one of `SYNTHETIC_DIRECTIONS` seeded directions plus noise."""
    rng = np.random.default_rng(seed)
    directions = np.random.default_rng(7).normal(size=(SYNTHETIC_DIRECTIONS, 384))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    vectors = directions[rng.integers(0, SYNTHETIC_DIRECTIONS, count)] + SYNTHETIC_NOISE * rng.normal(size=(count, 384))
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def build_synthetic(chroma_dir: Path, count: int) -> None:
    """A chunk collection of `count` synthetic vectors under citebot's name (`measure` sets its width)."""
    from retrieval.index.chroma import CHUNKS_COLLECTION, embedded_client

    collection = embedded_client(chroma_dir).get_or_create_collection(
        CHUNKS_COLLECTION, metadata={"hnsw:space": "cosine"}, embedding_function=None)
    vectors = synthetic(count, seed=1)
    for start in range(0, count, 5000):
        collection.add(ids=[f"chunk-{i}" for i in range(start, min(start + 5000, count))],
                       embeddings=vectors[start : start + 5000])


def measure(chroma_dir: Path, width: int, vectors: list[list[float]], through_store: bool = True) -> dict[str, Any]:
    """In this process: `chroma_dir`'s chunk collection set to `width`, then searched for `vectors`,
    timed through citebot's chunk table (`through_store`) or as Chroma's own query."""
    from retrieval.index.chroma import CHUNKS_COLLECTION, embedded_client
    from retrieval.index.chunk_table import ChunkTable

    collection = embedded_client(chroma_dir).get_collection(CHUNKS_COLLECTION)
    collection.modify(configuration={"hnsw": {"ef_search": width}})
    stored = collection.get(include=["embeddings"])
    ids = stored["ids"]
    matrix = np.asarray(stored["embeddings"], dtype=np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    table = ChunkTable(collection)
    found: dict[int, list[float]] = {k: [] for k in DEPTHS}
    seconds = []
    for vector in vectors:
        query = np.asarray(vector, dtype=np.float32)
        exact = [ids[i] for i in np.argsort(-(matrix @ (query / np.linalg.norm(query))))[: max(DEPTHS)]]
        got = collection.query(query_embeddings=[vector], n_results=max(DEPTHS))["ids"][0]
        for k in DEPTHS:
            found[k].append(len(set(got[:k]) & set(exact[:k])) / k)
        began = time.perf_counter()
        if through_store:
            table.nearest(vector, DEPTHS[0], ["shared"], 1.0)
        else:
            collection.query(query_embeddings=[vector], n_results=DEPTHS[0])
        seconds.append(time.perf_counter() - began)
    result: dict[str, Any] = {"ef_search": width, "chunks": len(ids), "questions": len(vectors),
                              "query_p50_ms": round(statistics.median(seconds) * 1000, 2)}
    for k in DEPTHS:
        result[f"recall@{k}"] = round(float(np.mean(found[k])), 4)
        result[f"questions_missing_one_of_top_{k}"] = sum(share < 1 for share in found[k])
    return result


def each_width(source: Path, widths: list[int], vectors_file: Path, through_store: bool) -> list[dict[str, Any]]:
    """`measure` for each width, on a copy of the Chroma database `source`, in a process of its own."""
    rows = []
    for width in widths:
        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp) / "chroma"
            shutil.copytree(source, copy)
            run = subprocess.run(
                [sys.executable, "-m", "bench.vector_search_width", "--measure", str(copy), str(width),
                 str(vectors_file), "store" if through_store else "chroma"],
                check=True, capture_output=True, text=True, cwd=news_dev.REPO,
            )
            rows.append(json.loads(run.stdout.strip().splitlines()[-1]))
            print(rows[-1])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work-dir", type=Path, help="bench.news_retrieval's work dir")
    parser.add_argument("--synthetic", type=int, metavar="CHUNKS", help="synthetic vectors instead of news-dev")
    parser.add_argument("--widths", type=int, nargs="+", default=[100, 200, 400, 1000])
    parser.add_argument("--measure", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        chroma_dir, width, vectors_file, timed = args.measure
        vectors = json.loads(Path(vectors_file).read_text(encoding="utf-8"))
        print(json.dumps(measure(Path(chroma_dir), int(width), vectors, through_store=timed == "store")))
        return
    results = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else {}
    with tempfile.TemporaryDirectory() as tmp:
        vectors_file = Path(tmp) / "questions.json"
        if args.synthetic:
            vectors_file.write_text(json.dumps(synthetic(SYNTHETIC_QUERIES, seed=2).tolist()), encoding="utf-8")
            build_synthetic(Path(tmp) / "chroma", args.synthetic)
            results["synthetic"] = each_width(Path(tmp) / "chroma", args.widths, vectors_file, through_store=False)
        elif args.work_dir:
            from retrieval.composition import build_embed_model
            from retrieval.settings import RetrievalSettings

            embed_model = build_embed_model(RetrievalSettings(_env_file=None))
            asked = [embed_model.get_query_embedding(q) for q in questions()]
            vectors_file.write_text(json.dumps(asked), encoding="utf-8")
            results["widths"] = each_width(args.work_dir / "citebot" / "chroma", args.widths, vectors_file, True)
        else:
            parser.error("give --work-dir or --synthetic")
    RESULTS.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
