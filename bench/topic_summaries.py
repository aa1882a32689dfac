"""Topic summaries (`/summary topic:`): do they cover a topic from several articles without quoting
headlines or repeating themselves?

    .venv/bin/python -m bench.topic_summaries [--work-dir DIR]

Topics: `bench/data/topics.jsonl`, over the shipped corpus and over `../shared/news-dev` (its index
is kept in DIR/citebot, shared with `bench.news_retrieval`). Per summary, on the extractive backend:
- **headlines**: quoted lines that are not statements (no final stop, a question, or the title);
- **articles**: distinct articles quoted;
- **closest pair**: the highest cosine between two quoted sentences (a paraphrase quoted twice is
  near 1);
- **relevance**: the mean cosine of the quoted sentences to the topic (MiniLM);
- **ms**: the whole `summarize_topic` call, warm.
Results: bench/results/topic_summaries.json, docs/quality.md ("Topic summaries").
"""

import argparse
import itertools
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench import news_dev

REPO = Path(__file__).resolve().parent.parent
TOPICS = REPO / "bench" / "data" / "topics.jsonl"
RESULTS = REPO / "bench" / "results" / "topic_summaries.json"


def _unit_rows(vectors: list[list[float]]) -> np.ndarray:
    array = np.asarray(vectors, dtype=np.float32)
    return array / np.linalg.norm(array, axis=1, keepdims=True)


def measure(service: Any, embed_model: Any, topic: str) -> dict[str, Any]:
    from retrieval.answer.candidates import Candidate
    from retrieval.answer.summary import quotable_in_summary
    from retrieval.models.records import record_key

    began = time.perf_counter()
    summary = service.summarize_topic(topic)
    elapsed_ms = (time.perf_counter() - began) * 1000
    records = service.store.get_many(record_key(c.scope, c.doc_id) for c in summary.citations)
    quoted = [Candidate(records[record_key(c.scope, c.doc_id)], c.start, c.end, 0) for c in summary.citations]
    vectors = _unit_rows(embed_model.get_text_embedding_batch([q.text for q in quoted])) if quoted else np.zeros((0, 1))
    topic_vector = _unit_rows([embed_model.get_query_embedding(topic)])[0]
    pairs = [float(a @ b) for a, b in itertools.combinations(vectors, 2)]
    return {
        "topic": topic,
        "sentences": len(quoted),
        "headlines": sum(not quotable_in_summary(q) for q in quoted),
        "articles": len({q.record.key for q in quoted}),
        "closest_pair": round(max(pairs), 3) if pairs else None,
        "relevance": round(float(np.mean(vectors @ topic_vector)), 3) if quoted else None,
        "ms": round(elapsed_ms, 1),
        "quotes": [q.text for q in quoted],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work-dir", type=Path, help="where the news-dev index is kept between runs")
    args = parser.parse_args()
    from retrieval.composition import build_embed_model, build_service
    from retrieval.settings import RetrievalSettings

    topics = [json.loads(line) for line in TOPICS.read_text(encoding="utf-8").splitlines() if line.strip()]
    embed_model = build_embed_model(RetrievalSettings(_env_file=None))
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = args.work_dir or Path(tmp)
        corpora = {"shipped": (Path(tmp) / "shipped", REPO / "corpus")}
        if news_dev.available():
            corpora["news-dev"] = (work / "citebot", news_dev.corpus_dir())
        for name, (data_dir, corpus_dir) in corpora.items():
            settings = RetrievalSettings(_env_file=None, data_dir=data_dir, corpus_dir=corpus_dir)
            service = build_service(settings, embed_model=embed_model)
            service.ensure_corpus()
            for item in (t for t in topics if t["corpus"] == name):
                service.summarize_topic(item["topic"])  # warm: the timing is of a repeated topic
                rows.append({"corpus": name, **measure(service, embed_model, item["topic"])})
    for row in rows:
        print(f"{row['corpus']:9} {row['topic'][:44]:44} headlines {row['headlines']}  articles {row['articles']}"
              f"  closest {row['closest_pair']}  relevance {row['relevance']}  {row['ms']:.0f} ms")
    summary = {
        "topics": len(rows),
        "headlines": sum(r["headlines"] for r in rows),
        "articles_per_summary": round(statistics.mean(r["articles"] for r in rows), 2),
        "closest_pair_mean": round(statistics.mean(r["closest_pair"] for r in rows if r["closest_pair"] is not None), 3),
        "relevance_mean": round(statistics.mean(r["relevance"] for r in rows if r["relevance"] is not None), 3),
        "ms_p50": round(statistics.median(r["ms"] for r in rows), 1),
    }
    print(json.dumps(summary))
    RESULTS.write_text(json.dumps({"summary": summary, "topics": rows}, indent=1, ensure_ascii=False) + "\n",
                       encoding="utf-8")


if __name__ == "__main__":
    main()
