"""Query latency and memory at 1k, 10k and 100k chunks: citebot against the plain LlamaIndex retriever.

    .venv/bin/python -m bench.query [--sizes 1000 10000 100000] [--questions 60] [--work-dir DIR] [--profile]

For each size, one process builds both indexes on the same chunks (citebot's own splitter on
synthetic news articles, real text in Chroma and in BM25), then one fresh process per side opens
its index and answers the same questions, so each side's peak RSS is its own:

- citebot: `AnswerService.ask` (hybrid BM25 + vector retrieval with the guild-scope filter, then the
  extractive answerer); "retrieve" and "retrieve + extractive" come from its `timings_ms`. Every
  question is new, so the sentence vectors of the passages it quotes are read from the store for
  the first time; "repeat" asks the same questions again, with those vectors in memory;
- plain: `VectorStoreIndex.from_vector_store(ChromaVectorStore).as_retriever(similarity_top_k=5)`.

Both embed the question with the same all-MiniLM-L6-v2 model on every call. Chunk vectors are real
embeddings for the articles within the first `--real-up-to` chunks (default 1,000), made by
citebot's own ingest embedder with their sentence vectors; above that they are synthetic: the real
vector of chunk `i mod 1000` plus seeded Gaussian noise (cosine about 0.9 to it), so Chroma's HNSW
sees realistic clusters without hours of embedding, and each sentence gets its chunk's vector plus
noise. Results: bench/results/query.json.

`--work-dir` keeps the built indexes (and reuses them on the next run); `--profile` runs citebot's
side once more, under py-spy (which slows it down: those timings are kept apart), and writes where
answering spends its time to bench/results/profile-query-<chunks>.txt.
"""

import argparse
import hashlib
import json
import math
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from bisect import bisect_right
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from retrieval.index.sentence_vectors import SentenceVectors

REPO = Path(__file__).resolve().parent.parent
BASE_VECTORS = 1000
NOISE = 0.025
TOP_K = 5
_ARTICLE_CHUNKS_ESTIMATE = 9


def questions(count: int, seed: int = 11) -> list[str]:
    """Questions in the synthetic corpus's vocabulary, all different, so no answer comes from a cache."""
    from bench.ingest import NAMES, PLACES, ROLES, SURNAMES, TOPICS

    rng = random.Random(seed)
    shapes = [
        "What did the {role} of {place} say about {topic}?",
        "Who criticised {topic} in {place}?",
        "How many residents wrote to the council of {place} about {topic}?",
        "When did {name} {surname} speak about {topic}?",
        "Why did {place} postpone {topic}?",
        "Which {role} welcomed {topic}?",
    ]
    found: list[str] = []
    while len(found) < count:
        question = rng.choice(shapes).format(
            role=rng.choice(ROLES), place=rng.choice(PLACES), topic=rng.choice(TOPICS),
            name=rng.choice(NAMES), surname=rng.choice(SURNAMES),
        )
        if question not in found:
            found.append(question)
    return found


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build(size: int, root: Path, real_up_to: int) -> dict:
    """Both indexes of `size` chunks under `root`, from the same chunks and vectors."""
    import chromadb
    from chromadb.config import Settings as ChromaClientSettings
    from llama_index.core import StorageContext, VectorStoreIndex
    from llama_index.core.schema import TextNode
    from llama_index.vector_stores.chroma import ChromaVectorStore

    from bench.ingest import synthetic_articles
    from retrieval.composition import build_embed_model, build_service
    from retrieval.index.sentence_vectors import DocumentVersion
    from retrieval.index.store import CorpusStore
    from retrieval.ingest.ingestor import ChunkEmbedder
    from retrieval.ingest.readers import ArticleReader
    from retrieval.models.records import SHARED_SCOPE, DocumentRecord
    from retrieval.settings import RetrievalSettings

    started = time.perf_counter()
    settings = RetrievalSettings(_env_file=None, data_dir=root / "citebot", corpus_dir=root / "no-corpus")
    embed_model = build_embed_model(settings)
    chunker = ChunkEmbedder(settings.chunk_size, settings.chunk_overlap, embed_model)
    reader = ArticleReader(settings.max_document_bytes, settings.max_document_chars)
    documents, nodes_per_document = [], []
    articles = synthetic_articles(size // _ARTICLE_CHUNKS_ESTIMATE + 50)
    total = 0
    for filename, text in articles:
        if total >= size:
            break
        document = reader.read_bytes(text.encode(), filename)
        nodes = chunker.nodes_for(document, SHARED_SCOPE)
        documents.append(document)
        nodes_per_document.append(nodes)
        total += len(nodes)
    if total < size:
        raise SystemExit(f"the synthetic corpus gave {total} chunks, fewer than {size}")
    all_nodes = [n for nodes in nodes_per_document for n in nodes]
    built = _vectors(documents, nodes_per_document, chunker, real_up_to, root.parent)
    chunked = time.perf_counter()

    store = CorpusStore.embedded(settings.data_dir)
    group: list[DocumentVersion] = []
    for document, nodes, vectors in zip(documents, nodes_per_document, built.sentences, strict=True):
        group.append(DocumentVersion(
            DocumentRecord(scope=SHARED_SCOPE, meta=document.meta, content_hash=document.content_hash, text=document.text),
            nodes, vectors,
        ))
        if sum(len(v.nodes) for v in group) >= settings.ingest_group_chunks:
            store.write_versions(group)
            group = []
    store.write_versions(group)
    build_service(settings, store=store, embed_model=embed_model)  # builds and saves the BM25 index
    citebot_built = time.perf_counter()

    client = chromadb.PersistentClient(path=str(root / "plain"), settings=ChromaClientSettings(anonymized_telemetry=False))
    vector_store = ChromaVectorStore(chroma_collection=client.get_or_create_collection("plain"))
    plain_nodes = [
        TextNode(text=n.text, embedding=n.embedding, metadata={"title": n.metadata["title"]}) for n in all_nodes
    ]
    VectorStoreIndex(plain_nodes, storage_context=StorageContext.from_defaults(vector_store=vector_store),
                     embed_model=embed_model, insert_batch_size=5000)
    plain_built = time.perf_counter()
    return {
        "chunks": len(all_nodes),
        "documents": len(documents),
        "real_vectors": built.real_chunks,
        "chunk_and_vectors_s": round(chunked - started, 1),
        "citebot_index_s": round(citebot_built - chunked, 1),
        "plain_index_s": round(plain_built - citebot_built, 1),
    }


@dataclass(frozen=True)
class BuiltVectors:
    sentences: list["SentenceVectors"]
    real_chunks: int


def _vectors(documents, nodes_per_document, chunker, real_up_to: int, cache_dir: Path) -> BuiltVectors:
    """Sets every chunk node's embedding and returns every document's sentence vectors: real (citebot's
    ingest embedder) for the articles within the first `real_up_to` chunks, seeded noisy copies after."""
    from retrieval.index.sentence_vectors import SentenceVectors
    from retrieval.text.sentences import sentence_spans

    real_docs = 0
    while real_docs < len(documents) and sum(len(n) for n in nodes_per_document[: real_docs + 1]) <= real_up_to:
        real_docs += 1
    texts = [d.text for d in documents[:real_docs]]
    digest = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]
    cache = cache_dir / f"real-vectors-{digest}.npz"
    real_nodes = [n for ns in nodes_per_document[:real_docs] for n in ns]
    if cache.exists():
        with np.load(cache) as stored:
            sentences = [SentenceVectors(stored[f"spans{i}"], stored[f"vectors{i}"]) for i in range(real_docs)]
            for node, vector in zip(real_nodes, stored["chunks"], strict=True):
                node.embedding = vector.tolist()
    else:
        sentences = chunker.embed(list(zip(texts, nodes_per_document[:real_docs], strict=True)))
        arrays = {f"spans{i}": v.spans for i, v in enumerate(sentences)} | {
            f"vectors{i}": v.vectors for i, v in enumerate(sentences)}
        np.savez(cache, chunks=np.asarray([n.embedding for n in real_nodes], dtype=np.float32), **arrays)
    real = np.asarray([n.embedding for ns in nodes_per_document[:real_docs] for n in ns], dtype=np.float32)
    base = real[:BASE_VECTORS]
    rng = np.random.default_rng(5)
    index = 0
    for document, nodes in zip(documents[real_docs:], nodes_per_document[real_docs:], strict=True):
        chunk_vectors = []
        for node in nodes:
            vector = base[index % len(base)] + rng.normal(0.0, NOISE, base.shape[1]).astype(np.float32)
            chunk_vectors.append(vector / np.linalg.norm(vector))
            node.embedding = chunk_vectors[-1].tolist()
            index += 1
        spans = [(s.start, s.end) for s in sentence_spans(document.text)]
        starts = [node.start_char_idx or 0 for node in nodes]
        noisy = np.stack([
            chunk_vectors[max(0, bisect_right(starts, start) - 1)] + rng.normal(0.0, NOISE, base.shape[1])
            for start, _ in spans
        ])
        sentences.append(SentenceVectors(np.asarray(spans), noisy / np.linalg.norm(noisy, axis=1, keepdims=True)))
    return BuiltVectors(sentences, len(real))


def serve(side: str, root: Path, question_count: int) -> dict:
    """Open one side's index in this fresh process and answer the questions; latencies in ms."""
    qs = questions(question_count + 3)
    warm_up, measured = qs[:3], qs[3:]
    rows: dict[str, list[float]] = {}
    opened = time.perf_counter()
    if side == "citebot":
        from retrieval.composition import build_service
        from retrieval.settings import RetrievalSettings

        service = build_service(
            RetrievalSettings(_env_file=None, data_dir=root / "citebot", corpus_dir=root / "no-corpus")
        )
        ready = time.perf_counter()
        for q in warm_up:
            service.ask(q)
        rows = {"retrieve": [], "retrieve_extractive": [], "abstained": [], "retrieve_extractive_repeat": []}
        for q in measured:
            answer = service.ask(q)
            rows["retrieve"].append(answer.timings_ms["retrieve"])
            rows["retrieve_extractive"].append(answer.timings_ms["total"])
            rows["abstained"].append(float(answer.abstained))
        for q in measured:
            rows["retrieve_extractive_repeat"].append(service.ask(q).timings_ms["total"])
    else:
        import chromadb
        from chromadb.config import Settings as ChromaClientSettings
        from llama_index.core import VectorStoreIndex
        from llama_index.vector_stores.chroma import ChromaVectorStore

        from retrieval.composition import build_embed_model
        from retrieval.settings import RetrievalSettings

        embed_model = build_embed_model(RetrievalSettings(_env_file=None))
        client = chromadb.PersistentClient(path=str(root / "plain"), settings=ChromaClientSettings(anonymized_telemetry=False))
        index = VectorStoreIndex.from_vector_store(
            ChromaVectorStore(chroma_collection=client.get_collection("plain")), embed_model=embed_model
        )
        retriever = index.as_retriever(similarity_top_k=TOP_K)
        ready = time.perf_counter()
        for q in warm_up:
            retriever.retrieve(q)
        rows = {"retrieve": []}
        for q in measured:
            began = time.perf_counter()
            retriever.retrieve(q)
            rows["retrieve"].append((time.perf_counter() - began) * 1000)
    result: dict = {"side": side, "open_s": round(ready - opened, 2), "peak_rss_mib": round(_peak_rss_mib(), 1)}
    for name, values in rows.items():
        if name == "abstained":
            result["abstained"] = int(sum(values))
            continue
        result[f"{name}_p50_ms"] = round(statistics.median(values), 1)
        result[f"{name}_p95_ms"] = round(_percentile(values, 0.95), 1)
    return result


def _child(*args: str, profile_to: Path | None = None) -> dict:
    """Runs this script in a fresh process; with `profile_to`, under py-spy (it samples every thread:
    the service answers in worker threads, which in-thread profilers such as pyinstrument miss)."""
    command = [sys.executable, "-m", "bench.query", *args]
    raw = None
    if profile_to is not None:
        raw = profile_to.with_suffix(".raw")
        command = [str(Path(sys.executable).with_name("py-spy")), "record", "--format", "raw", "--rate", "250",
                   "--output", str(raw), "--", *command]
    completed = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise SystemExit(f"bench.query {' '.join(args)} failed:\n{completed.stderr[-3000:]}")
    if raw is not None:
        profile_to.write_text(summarise_profile(raw.read_text()))
        raw.unlink()
    return json.loads([line for line in completed.stdout.splitlines() if line.startswith("{")][-1])


_ANSWERING = re.compile(r"^(AnswerService\.ask|PassageRetriever\.retrieve|ExtractiveAnswerer\.answer|\S*get_query_embedding) ")
_PLUMBING = re.compile(r"<frozen|threading\.py|concurrent/futures|asyncio/|runpy|bench/query\.py")


def summarise_profile(collapsed: str, top: int = 30) -> str:
    """Inclusive share of question-answering samples per function, from py-spy's collapsed stacks.

    Only stacks that answer a question count (`AnswerService.ask` and the work it hands to threads,
    warm-up included); model loading and start-up are left out, and so are thread and event-loop
    plumbing frames. Each function counts once per stack.
    """
    totals: dict[str, int] = {}
    samples = 0
    for line in collapsed.splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        if not count.isdigit() or not any(_ANSWERING.match(f) for f in frames):
            continue
        samples += int(count)
        for name in {re.sub(r":\d+\)$", ")", f) for f in frames if not _PLUMBING.search(f)}:
            totals[name] = totals.get(name, 0) + int(count)
    lines = [f"{samples} samples at 250 Hz while answering (all threads); inclusive share per function", ""]
    for name, count in sorted(totals.items(), key=lambda item: -item[1])[:top]:
        lines.append(f"{100 * count / max(samples, 1):5.1f}%  {name}")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--questions", type=int, default=60)
    parser.add_argument("--real-up-to", type=int, default=BASE_VECTORS)
    parser.add_argument("--work-dir", type=Path, help="keep (and reuse) the built indexes here")
    parser.add_argument("--profile", action="store_true", help="profile citebot answering at each size")
    parser.add_argument("--role", choices=["build", "citebot", "plain"], help=argparse.SUPPRESS)
    parser.add_argument("--root", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.role == "build":
        print(json.dumps(build(args.sizes[0], args.root, args.real_up_to)))
        return
    if args.role in ("citebot", "plain"):
        print(json.dumps(serve(args.role, args.root, args.questions)))
        return

    from rich.console import Console
    from rich.table import Table

    results = []
    with tempfile.TemporaryDirectory() as tmp_name:
        work = args.work_dir or Path(tmp_name)
        for size in args.sizes:
            root = work / f"size-{size}"
            common = ["--sizes", str(size), "--root", str(root), "--questions", str(args.questions),
                      "--real-up-to", str(args.real_up_to)]
            built = root / "built.json"
            if not built.exists():
                shutil.rmtree(root, ignore_errors=True)
                root.mkdir(parents=True)
                built.write_text(json.dumps(_child("--role", "build", *common)))
            row = {"target_chunks": size, **json.loads(built.read_text())}
            citebot = _child("--role", "citebot", *common)
            plain = _child("--role", "plain", *common)
            row["citebot"], row["plain"] = citebot, plain
            if args.profile:
                profile = REPO / "bench" / "results" / f"profile-query-{size}.txt"
                row["citebot_under_py_spy"] = _child("--role", "citebot", *common, profile_to=profile)
            row["retrieve_p50_ratio"] = round(citebot["retrieve_p50_ms"] / plain["retrieve_p50_ms"], 2)
            row["retrieve_extractive_p50_ratio"] = round(citebot["retrieve_extractive_p50_ms"] / plain["retrieve_p50_ms"], 2)
            row["rss_ratio"] = round(citebot["peak_rss_mib"] / plain["peak_rss_mib"], 2)
            results.append(row)
            print(json.dumps(row), flush=True)
    out = REPO / "bench" / "results" / "query.json"
    out.write_text(json.dumps({"questions": args.questions, "top_k": TOP_K, "results": results}, indent=2) + "\n")

    table = Table(title="Query latency (ms) and peak RSS (MiB): citebot vs plain LlamaIndex retriever")
    for column in ("chunks", "citebot retrieve p50/p95", "citebot +extractive p50/p95", "plain retrieve p50/p95",
                   "retrieve ratio", "RSS citebot / plain"):
        table.add_column(column)
    for row in results:
        c, p = row["citebot"], row["plain"]
        table.add_row(
            f"{row['chunks']:,}",
            f"{c['retrieve_p50_ms']} / {c['retrieve_p95_ms']}",
            f"{c['retrieve_extractive_p50_ms']} / {c['retrieve_extractive_p95_ms']}",
            f"{p['retrieve_p50_ms']} / {p['retrieve_p95_ms']}",
            f"{row['retrieve_p50_ratio']}×",
            f"{c['peak_rss_mib']:.0f} / {p['peak_rss_mib']:.0f}",
        )
    Console().print(table)


if __name__ == "__main__":
    main()
