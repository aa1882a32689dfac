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


def measure(chroma_dir: Path, width: int, vectors: list[list[float]]) -> dict[str, Any]:
    """In this process: `chroma_dir`'s chunk collection set to `width`, then searched for `vectors`."""
    from retrieval.index.chroma import CHUNKS_COLLECTION, embedded_client
    from retrieval.index.chunk_table import ChunkTable

    client = embedded_client(chroma_dir)
    collection = client.get_collection(CHUNKS_COLLECTION)
    collection.modify(configuration={"hnsw": {"ef_search": width}})
    client = embedded_client(chroma_dir)
    collection = client.get_collection(CHUNKS_COLLECTION)
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
        table.nearest(vector, DEPTHS[0], ["shared"], 1.0)
        seconds.append(time.perf_counter() - began)
    result: dict[str, Any] = {"ef_search": width, "chunks": len(ids), "questions": len(vectors),
                              "query_p50_ms": round(statistics.median(seconds) * 1000, 2)}
    for k in DEPTHS:
        result[f"recall@{k}"] = round(float(np.mean(found[k])), 4)
        result[f"questions_missing_one_of_top_{k}"] = sum(share < 1 for share in found[k])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work-dir", type=Path, required=True, help="bench.news_retrieval's work dir")
    parser.add_argument("--widths", type=int, nargs="+", default=[100, 200, 400, 1000])
    parser.add_argument("--measure", nargs=2, metavar=("CHROMA_DIR", "WIDTH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    vectors_file = args.work_dir / "vector_search_width_questions.json"
    if args.measure:
        vectors = json.loads(vectors_file.read_text(encoding="utf-8"))
        print(json.dumps(measure(Path(args.measure[0]), int(args.measure[1]), vectors)))
        return
    from retrieval.composition import build_embed_model
    from retrieval.settings import RetrievalSettings

    embed_model = build_embed_model(RetrievalSettings(_env_file=None))
    vectors_file.write_text(json.dumps([embed_model.get_query_embedding(q) for q in questions()]), encoding="utf-8")
    rows = []
    for width in args.widths:
        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp) / "chroma"
            shutil.copytree(args.work_dir / "citebot" / "chroma", copy)
            run = subprocess.run(
                [sys.executable, "-m", "bench.vector_search_width", "--work-dir", str(args.work_dir),
                 "--measure", str(copy), str(width)],
                check=True, capture_output=True, text=True, cwd=news_dev.REPO,
            )
            rows.append(json.loads(run.stdout.strip().splitlines()[-1]))
            print(rows[-1])
    RESULTS.write_text(json.dumps({"widths": rows}, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
