"""Retrieval and answers on real news: citebot against plain LlamaIndex retrievers, same data, same run.

    .venv/bin/python -m bench.news_retrieval [--work-dir DIR] [--gguf FILE --llm-role reader|writer]

The corpus and questions are `../shared/news-dev` (764 articles of January 2023, the 95 RealTime QA
questions whose gold answer occurs in them; `bench/news_dev.py`), read from beside the checkout and
never copied. The questions of the first two weeks (2023-01-06 and -13) are the tuning half, those of
the last two (-20 and -27) the held-out half: what is tuned on one half is judged on other weeks.

Sides, each asked every question, as of its week's date (its id starts with it):
- **citebot**: `AnswerService.ask` on the shipped settings (hybrid retrieval, extractive answer).
- **citebot + LLM** (with `--gguf`): the same with that model (llama.cpp) as the reader that picks
  the answering sentence (`--llm-role reader`, default) or as the writer of a checked answer; an
  answer the model did not shape counts as the extractive one would.
- **plain vector**: `SimpleDirectoryReader` -> `SentenceSplitter(256, 32)` -> `VectorStoreIndex` over
  `ChromaVectorStore`, the same MiniLM embedder, `similarity_top_k=5`.
- **plain BM25**: llama-index-retrievers-bm25's `BM25Retriever.from_defaults` over the same nodes.
  That package pins PyStemmer < 3, which citebot's own PyStemmer pin excludes, so `PlainBM25`
  below does what its version 0.8.0 does: bm25s with English stopwords and the Snowball stemmer over
  each node's embed-mode content.
- **plain RRF**: core's `QueryFusionRetriever(mode="reciprocal_rerank", num_queries=1)` over the two.

Scores (news-dev's README): recall@5 (gold string in one of the top 5 passages), MRR@5, and answer
accuracy: the gold string, and no other choice, in citebot's answer and quotes; a plain retriever has
no answerer, so its "answer" is its first passage. Results: bench/results/news_retrieval.json,
docs/quality.md.
"""

import argparse
import json
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bm25s
import Stemmer
from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import BaseNode, MetadataMode, NodeWithScore, QueryBundle

from bench import news_dev

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results" / "news_retrieval.json"
TOP_K = 5
TUNING_WEEKS = ("20230106", "20230113")


class PlainBM25(BaseRetriever):
    """`BM25Retriever.from_defaults(nodes=..., similarity_top_k=k)` of llama-index-retrievers-bm25 0.8.0."""

    def __init__(self, nodes: list[BaseNode], similarity_top_k: int) -> None:
        super().__init__()
        self._nodes = nodes
        self._stemmer = Stemmer.Stemmer("english")
        self._top_k = similarity_top_k
        tokens = bm25s.tokenize([n.get_content(metadata_mode=MetadataMode.EMBED) for n in nodes], stopwords="en",
                                stemmer=self._stemmer, show_progress=False)
        self._bm25 = bm25s.BM25()
        self._bm25.index(tokens, show_progress=False)

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        tokens = bm25s.tokenize(query_bundle.query_str, stopwords="en", stemmer=self._stemmer, show_progress=False)
        indexes, scores = self._bm25.retrieve(tokens, k=self._top_k, show_progress=False)
        return [NodeWithScore(node=self._nodes[int(i)], score=float(s)) for i, s in zip(indexes[0], scores[0], strict=True)]


@dataclass
class SideScore:
    """One side's ranks of the first gold-bearing passage and whether each answer was right."""

    ranks: dict[str, int | None] = field(default_factory=dict)
    correct: dict[str, bool] = field(default_factory=dict)
    seconds: list[float] = field(default_factory=list)
    short: dict[str, bool] = field(default_factory=dict)
    """Whether each short answer given holds the gold string or is part of it (citebot only)."""
    backends: dict[str, str] = field(default_factory=dict)
    """Who shaped each answer (citebot only): "extractive", or the LLM's backend."""

    def summary(self, ids: list[str]) -> dict[str, float]:
        ranks = [self.ranks[i] for i in ids]
        scores = {
            "questions": len(ids),
            "recall@5": round(sum(r is not None for r in ranks) / len(ids), 3),
            "mrr@5": round(sum(1 / r for r in ranks if r is not None) / len(ids), 3),
            "accuracy": round(sum(self.correct[i] for i in ids) / len(ids), 3),
        }
        if any(backend != "extractive" for backend in self.backends.values()):
            scores["by_llm"] = sum(self.backends[i] != "extractive" for i in ids)
        if self.short:
            given = [i for i in ids if i in self.short]
            scores["short_answers"] = len(given)
            scores["short_answer_right"] = round(sum(self.short[i] for i in given) / len(given), 3) if given else 0.0
        return scores


def plain_retrievers(work: Path, embed_model: Any) -> dict[str, BaseRetriever]:
    """The three plain pipelines over one Chroma collection (built once per work dir)."""
    import chromadb
    from chromadb.config import Settings as ChromaClientSettings
    from llama_index.core import SimpleDirectoryReader, StorageContext, VectorStoreIndex
    from llama_index.core.llms import MockLLM
    from llama_index.core.node_parser import SentenceSplitter
    from llama_index.core.retrievers import QueryFusionRetriever
    from llama_index.vector_stores.chroma import ChromaVectorStore

    documents = SimpleDirectoryReader(str(news_dev.corpus_dir())).load_data()
    nodes = SentenceSplitter(chunk_size=256, chunk_overlap=32).get_nodes_from_documents(documents)
    client = chromadb.PersistentClient(path=str(work / "plain"), settings=ChromaClientSettings(anonymized_telemetry=False))
    collection = client.get_or_create_collection("plain")
    vector_store = ChromaVectorStore(chroma_collection=collection)
    if collection.count() == len(nodes) and _same_files(collection, nodes):
        index = VectorStoreIndex.from_vector_store(vector_store, embed_model=embed_model)
    else:
        client.delete_collection("plain")
        vector_store = ChromaVectorStore(chroma_collection=client.get_or_create_collection("plain"))
        index = VectorStoreIndex(nodes, storage_context=StorageContext.from_defaults(vector_store=vector_store),
                                 embed_model=embed_model, show_progress=True)
    vector = index.as_retriever(similarity_top_k=TOP_K)
    bm25 = PlainBM25(nodes, TOP_K)
    fusion = QueryFusionRetriever(
        [index.as_retriever(similarity_top_k=2 * TOP_K), PlainBM25(nodes, 2 * TOP_K)],
        llm=MockLLM(), mode="reciprocal_rerank", similarity_top_k=TOP_K, num_queries=1, use_async=False,
    )
    return {"plain vector": vector, "plain BM25": bm25, "plain RRF": fusion}


def _same_files(collection: Any, nodes: list[BaseNode]) -> bool:
    """Whether the stored nodes carry the file metadata the reader gives now. The RRF side fuses by
    node hash, which covers the metadata: nodes stored on an earlier day carry that day's
    `creation_date`, match none of today's BM25 nodes, and the fusion silently counts every
    passage twice (plain RRF fell from 0.600 to 0.568 recall@5 on a reused work dir)."""
    stored = collection.get(limit=1, include=["metadatas"])["metadatas"]
    fresh = {node.metadata["file_path"]: node.metadata for node in nodes}
    if not stored or stored[0].get("file_path") not in fresh:
        return False
    return all(stored[0].get(key) == value for key, value in fresh[stored[0]["file_path"]].items())


def score_plain(retriever: BaseRetriever, items: list[news_dev.NewsQuestion]) -> SideScore:
    score = SideScore()
    for item in items:
        began = time.perf_counter()
        texts = [hit.node.get_content() for hit in retriever.retrieve(item.question)]
        score.seconds.append(time.perf_counter() - began)
        score.ranks[item.id] = news_dev.gold_rank(item, texts[:TOP_K])
        score.correct[item.id] = bool(texts) and news_dev.answer_is_correct(item, texts[0])
    return score


def score_citebot(service: Any, items: list[news_dev.NewsQuestion], misses: list[dict]) -> SideScore:
    score = SideScore()
    for item in items:
        began = time.perf_counter()
        answer = service.ask(item.question, asked_on=item.asked_on)
        score.seconds.append(time.perf_counter() - began)
        score.ranks[item.id] = news_dev.gold_rank(item, [p.text for p in answer.passages[:TOP_K]])
        shown = answer.answer + " " + " ".join(c.quote for c in answer.citations)
        score.correct[item.id] = not answer.abstained and news_dev.answer_is_correct(item, shown)
        score.backends[item.id] = answer.backend
        if answer.short_answer is not None:
            said, gold = answer.short_answer.text.lower(), item.answer.lower()
            score.short[item.id] = gold in said or said in gold
        if not score.correct[item.id]:
            misses.append({"id": item.id, "question": item.question, "gold": item.answer,
                           "gold_rank": score.ranks[item.id], "answer": answer.answer,
                           "short_answer": answer.short_answer.text if answer.short_answer is not None else None,
                           "backend": answer.backend, "fallback_reason": answer.fallback_reason})
    return score


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work-dir", type=Path, help="keep the indexes here between runs (ingest takes minutes)")
    parser.add_argument("--sides", nargs="+", default=["citebot", "plain"], choices=["citebot", "plain"])
    parser.add_argument("--gguf", type=Path, help="also answer with this GGUF (LLM_BACKEND=llamacpp)")
    parser.add_argument("--llm-role", choices=["reader", "writer"], default="reader")
    args = parser.parse_args()
    if not news_dev.available():
        raise SystemExit(f"news-dev not found at {news_dev.NEWS_DEV}")
    from retrieval.composition import build_embed_model, build_service
    from retrieval.index.store import CorpusStore
    from retrieval.settings import RetrievalSettings

    items = news_dev.questions()
    halves = {
        "tuning": [i.id for i in items if i.id.split("_")[0] in TUNING_WEEKS],
        "held_out": [i.id for i in items if i.id.split("_")[0] not in TUNING_WEEKS],
        "all": [i.id for i in items],
    }
    embed_model = build_embed_model(RetrievalSettings(_env_file=None))
    scores: dict[str, SideScore] = {}
    misses: list[dict] = []
    llm_misses: list[dict] = []
    timings: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = args.work_dir or Path(tmp)
        if "citebot" in args.sides:
            began = time.perf_counter()
            settings = RetrievalSettings(_env_file=None, data_dir=work / "citebot", corpus_dir=news_dev.corpus_dir())
            service = build_service(settings, store=CorpusStore.connect(settings), embed_model=embed_model)
            service.ensure_corpus()
            timings["citebot_open_or_ingest_s"] = round(time.perf_counter() - began, 1)
            scores["citebot"] = score_citebot(service, items, misses)
            if args.gguf:
                llm_settings = settings.model_copy(
                    update={"llm_backend": "llamacpp", "llm_gguf_path": args.gguf, "llm_role": args.llm_role}
                )
                llm_service = build_service(llm_settings, store=CorpusStore.connect(llm_settings), embed_model=embed_model)
                scores[f"citebot + LLM {args.llm_role}"] = score_citebot(llm_service, items, llm_misses)
                llm_service.close()
        if "plain" in args.sides:
            began = time.perf_counter()
            retrievers = plain_retrievers(work, embed_model)
            timings["plain_open_or_ingest_s"] = round(time.perf_counter() - began, 1)
            for name, retriever in retrievers.items():
                scores[name] = score_plain(retriever, items)
    results: dict[str, Any] = {"top_k": TOP_K, "tuning_weeks": list(TUNING_WEEKS), "timings": timings, "sides": {}}
    for name, score in scores.items():
        results["sides"][name] = {half: score.summary(ids) for half, ids in halves.items()}
        results["sides"][name]["p50_ms"] = round(statistics.median(score.seconds) * 1000, 1)
        print(f"{name:14}", "  ".join(f"{half}: {json.dumps(results['sides'][name][half])}" for half in halves))
    results["citebot_misses"] = misses
    if llm_misses:
        results["citebot_llm_misses"] = llm_misses
    RESULTS.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
