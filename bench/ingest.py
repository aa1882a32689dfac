"""Ingest throughput: citebot against the floor (citebot's chunks, cut by the same `SentenceSplitter`,
and the raw embedder over them, no store: issue 16's definition; "raw_embedder" in the results) and a plain LlamaIndex pipeline
(`SentenceSplitter` + `VectorStoreIndex` over `ChromaVectorStore`, same embedding model), all three
in this process on the same data; plus re-ingesting an unchanged corpus.

    .venv/bin/python -m bench.ingest [--articles N]

Two corpora: the shipped `corpus/` and a synthetic news corpus generated from a fixed seed (default
300 articles, over 2,000 chunks). Results: bench/results/ingest.json.
"""

import argparse
import json
import random
import tempfile
import time
from pathlib import Path

import chromadb
from chromadb.config import Settings as ChromaClientSettings
from llama_index.core import Document, StorageContext, VectorStoreIndex
from llama_index.core.node_parser import SentenceSplitter
from llama_index.core.schema import MetadataMode
from llama_index.vector_stores.chroma import ChromaVectorStore

from retrieval.composition import build_embed_model, build_service
from retrieval.index.store import CorpusStore
from retrieval.ingest.ingestor import ChunkEmbedder
from retrieval.ingest.readers import ArticleReader
from retrieval.settings import RetrievalSettings

REPO = Path(__file__).resolve().parent.parent
PLACES = ["Arden", "Belmar", "Corvo", "Dunmore", "Elswick", "Farrow", "Glenby", "Halden", "Ivel", "Jarrow",
          "Kestrel Bay", "Lowmoor", "Marwick", "Northam", "Oakridge", "Pellow", "Quarry Hill", "Redcliffe"]
ROLES = ["mayor", "council leader", "harbour master", "police chief", "school governor", "health minister",
         "union representative", "port authority spokesperson", "opposition leader", "finance officer"]
TOPICS = ["the new bridge", "the water tariff", "the school merger", "the harbour dredging", "the bus lanes",
          "the flood defences", "the hospital wing", "the wind farm", "the housing plan", "the rail link"]
VERBS = ["approved", "rejected", "postponed", "questioned", "defended", "criticised", "welcomed", "funded"]
NAMES = ["Ana", "Ben", "Carla", "Dmitri", "Elif", "Femi", "Greta", "Hugo", "Ines", "Jonas", "Kaito", "Lena"]
SURNAMES = ["Moreau", "Okafor", "Petrov", "Quintana", "Rossi", "Sato", "Tanaka", "Varga", "Weber", "Yilmaz"]


def synthetic_articles(count: int, seed: int = 7) -> list[tuple[str, str]]:
    """(file name, Markdown text) of reproducible local-news articles, about 7 chunks each."""
    rng = random.Random(seed)
    articles = []
    for i in range(count):
        place, topic = rng.choice(PLACES), rng.choice(TOPICS)
        sentences = []
        for _ in range(rng.randint(55, 70)):
            person = f"{rng.choice(NAMES)} {rng.choice(SURNAMES)}"
            sentences.append(
                f"{person}, the {rng.choice(ROLES)} of {place}, {rng.choice(VERBS)} {topic} on "
                f"{rng.choice(['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday'])}, saying that "
                f"{rng.randint(2, 900)} residents had written to the council about {rng.choice(TOPICS)}."
            )
        body = "\n\n".join(" ".join(sentences[k : k + 4]) for k in range(0, len(sentences), 4))
        title = f"{place} {rng.choice(VERBS)} {topic}"
        front_matter = f"---\ntitle: {title}\npublished: 2024-03-{i % 28 + 1:02d}\n---\n"
        articles.append((f"article-{i:04d}.md", f"{front_matter}{title}\n\n{body}\n"))
    return articles


def write_synthetic_corpus(folder: Path, count: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for filename, text in synthetic_articles(count):
        (folder / filename).write_text(text, encoding="utf-8")
    return folder


def timed(work) -> tuple[float, object]:
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def run_corpus(name: str, folder: Path, embed_model, tmp: Path) -> dict:
    settings = RetrievalSettings(_env_file=None, data_dir=tmp / f"{name}-citebot", corpus_dir=folder)
    reader = ArticleReader(settings.max_document_bytes, settings.max_document_chars)
    documents = [reader.read_path(p) for p in sorted(folder.glob("*.md"))]
    splitter = SentenceSplitter(chunk_size=settings.chunk_size, chunk_overlap=settings.chunk_overlap)
    llama_docs = [Document(text=d.text, id_=d.doc_id, metadata={"title": d.title}) for d in documents]

    plain_chunks = len(splitter.get_nodes_from_documents(llama_docs))
    chunker = ChunkEmbedder(settings.chunk_size, settings.chunk_overlap, embed_model)

    def split_and_embed() -> int:
        """The floor as issue 16 defines it: the same chunks as citebot's, cut by the same
        `SentenceSplitter`, and the encoder over the text citebot embeds for each; no store. (The
        plain pipeline counts the title against the chunk size and makes more, shorter chunks, so
        its chunks would make a per-chunk rate of another workload.)"""
        split = [node for document in documents for node in chunker.nodes_for(document, "shared")]
        embed_model.get_text_embedding_batch([n.get_content(metadata_mode=MetadataMode.EMBED) for n in split])
        return len(split)

    raw_s, floor_chunks = timed(split_and_embed)

    service = build_service(settings, store=CorpusStore.embedded(settings.data_dir), embed_model=embed_model)
    ours_s, report = timed(service.ingest)
    again_s, again = timed(service.ingest)

    client = chromadb.PersistentClient(path=str(tmp / f"{name}-plain"), settings=ChromaClientSettings(anonymized_telemetry=False))
    store = ChromaVectorStore(chroma_collection=client.get_or_create_collection("plain"))

    def plain() -> VectorStoreIndex:
        return VectorStoreIndex.from_documents(
            llama_docs, storage_context=StorageContext.from_defaults(vector_store=store),
            embed_model=embed_model, transformations=[splitter],
        )

    plain_s, _ = timed(plain)
    chunks = report.chunks
    return {
        "corpus": name,
        "documents": len(documents),
        "chunks_citebot": chunks,
        "chunks_plain": plain_chunks,
        "raw_embedder_chunks_per_s": round(floor_chunks / raw_s, 1),
        "citebot_chunks_per_s": round(chunks / ours_s, 1),
        "plain_llamaindex_chunks_per_s": round(plain_chunks / plain_s, 1),
        "citebot_vs_raw_embedder": round((chunks / ours_s) / (floor_chunks / raw_s), 3),
        "citebot_vs_plain_llamaindex": round((chunks / ours_s) / (plain_chunks / plain_s), 3),
        "citebot_first_ingest_s": round(ours_s, 3),
        "citebot_unchanged_reingest_s": round(again_s, 4),
        "reingest_speedup": round(ours_s / again_s, 1),
        "reingest_unchanged_documents": again.unchanged,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=300)
    args = parser.parse_args()
    embed_model = build_embed_model(RetrievalSettings(_env_file=None))
    embed_model.get_text_embedding_batch(["warm up the model"])
    # The splitter loads its tiktoken encoding on first use: paid here, not by the first corpus's floor.
    SentenceSplitter(chunk_size=256).get_nodes_from_documents([Document(text="Warm up the splitter.")])
    results = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        synthetic = write_synthetic_corpus(tmp / "synthetic", args.articles)
        for name, folder in (("shipped corpus", REPO / "corpus"), ("synthetic news", synthetic)):
            results.append(run_corpus(name, folder, embed_model, tmp))
    out = REPO / "bench" / "results" / "ingest.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    for row in results:
        print(json.dumps(row))


if __name__ == "__main__":
    main()
