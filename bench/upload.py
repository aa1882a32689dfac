"""An upload into a big corpus: how long until it is searchable, citebot against a BM25 rebuild and the plain pipeline.

    .venv/bin/python -m bench.upload [--sizes 10000 100000] [--work-dir DIR] [--uploads 5]

Runs on copies of the indexes bench/query.py builds (`--work-dir` is the one given to it; its
indexes are left as they were). For each size, in one process and on the same copy:

- citebot: `AnswerService.ingest_bytes` of one new article (read, chunk, embed, write to Chroma and
  the sentence table, then the BM25 index brought up to date and saved), then `remove` of it; each
  `--uploads` times with a different article, medians. The BM25 part is also timed alone, redone on
  the index from before the upload (`BM25Index.updated` with the upload's chunks read from Chroma,
  then saved), as `SnapshotKeeper` does it;
- rebuild: what the BM25 part cost before it was incremental, on the same store: every live chunk
  read back from Chroma, analysed and indexed (`BM25Index.build`), then saved;
- plain: `VectorStoreIndex.insert` of the same article into the plain Chroma collection (chunk,
  embed, write), then `delete_ref_doc`: the floor, since that pipeline keeps no keyword index.

Every upload must be BM25's first hit for a question naming it; whether `ask` has it among its five
passages is reported, not required (`upload_in_top_5`): the synthetic corpus gives each real vector
10 (at 10k) or 100 (at 100k) noisy near-copies, and Chroma's HNSW search (a beam of 100) stays
among them: at 100k it does not return the uploaded chunk even for the chunk's own vector, at 10k
it misses it for some questions, and a BM25-only first hit (1 / 11 in the fusion) loses to chunks
both sides rank lower plus their recency lift (the synthetic articles are dated, the upload not).

Results: bench/results/upload.json.
"""

import argparse
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def article(n: int) -> str:
    """A short news article unlike the synthetic corpus's, different for each upload."""
    return (
        f"# Harbour strike {n} ends\n\nDock workers in port number {n} ended a nine-day strike on Thursday after the "
        f"port authority agreed to a {n + 3} percent raise. Union leader Marta Quiroga said the deal covers "
        f"{4000 + n} workers and ends the longest stoppage since 1998.\n\nShipping lines had diverted cargo to "
        "neighbouring ports during the strike, and exporters of fruit and copper said the delay cost them millions. "
        "The authority said cranes would run around the clock until the backlog clears.\n"
    )


def measure(root: Path, uploads: int) -> dict:
    import chromadb
    from chromadb.config import Settings as ChromaClientSettings
    from llama_index.core import Document, VectorStoreIndex
    from llama_index.vector_stores.chroma import ChromaVectorStore

    from retrieval.composition import build_embed_model, build_service
    from retrieval.index.bm25 import BM25Index
    from retrieval.settings import RetrievalSettings

    settings = RetrievalSettings(_env_file=None, data_dir=root / "citebot", corpus_dir=root / "no-corpus")
    embed_model = build_embed_model(settings)
    service = build_service(settings, embed_model=embed_model)
    service.ask("Who ended the strike?")
    rows: dict[str, list[float]] = {"citebot_upload_s": [], "citebot_remove_s": [], "bm25_update_s": [],
                                    "rebuild_s": [], "plain_insert_s": [], "plain_delete_s": [], "upload_in_top_5": []}
    client = chromadb.PersistentClient(path=str(root / "plain"), settings=ChromaClientSettings(anonymized_telemetry=False))
    plain = VectorStoreIndex.from_vector_store(
        ChromaVectorStore(chroma_collection=client.get_collection("plain")), embed_model=embed_model
    )
    for n in range(uploads):
        text = article(n)
        previous = service.snapshots.latest.bm25
        began = time.perf_counter()
        service.ingest_bytes(text.encode(), f"upload-{n}.md", "shared")
        rows["citebot_upload_s"].append(time.perf_counter() - began)
        question = f"What did union leader Marta Quiroga say about the dock workers' deal in port number {n}?"
        keyword_hits = service.snapshots.latest.bm25.search(question, 1, ["shared"])
        assert [c.doc_id for c, _ in keyword_hits] == [f"upload-{n}"], "BM25 does not find the upload"
        passages = service.ask(question).passages
        rows["upload_in_top_5"].append(float(any(p.doc_id == f"upload-{n}" for p in passages)))

        live = service.store.live_hashes()
        began = time.perf_counter()
        previous.updated(live, service.store.chunks_of(previous.missing(live))).save(root / "updated-bm25")
        rows["bm25_update_s"].append(time.perf_counter() - began)

        began = time.perf_counter()
        BM25Index.build(service.store.live_chunks(live), live).save(root / "rebuilt-bm25")
        rows["rebuild_s"].append(time.perf_counter() - began)

        began = time.perf_counter()
        service.remove(f"upload-{n}")
        rows["citebot_remove_s"].append(time.perf_counter() - began)

        began = time.perf_counter()
        plain.insert(Document(text=text, doc_id=f"upload-{n}"))
        rows["plain_insert_s"].append(time.perf_counter() - began)
        began = time.perf_counter()
        plain.delete_ref_doc(f"upload-{n}", delete_from_docstore=True)
        rows["plain_delete_s"].append(time.perf_counter() - began)
    result = {name: round(statistics.median(values), 3) for name, values in rows.items() if name != "upload_in_top_5"}
    result["upload_in_top_5"] = f"{int(sum(rows['upload_in_top_5']))} of {uploads}"
    result["chunks"] = len(service.snapshots.latest.bm25)
    result["upload_vs_plain"] = round(result["citebot_upload_s"] / result["plain_insert_s"], 2)
    result["rebuild_vs_bm25_update"] = round(result["rebuild_s"] / max(result["bm25_update_s"], 1e-6), 1)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10000, 100000])
    parser.add_argument("--work-dir", type=Path, required=True, help="bench/query.py's --work-dir")
    parser.add_argument("--uploads", type=int, default=5)
    args = parser.parse_args()
    results = []
    for size in args.sizes:
        source = args.work_dir / f"size-{size}"
        if not (source / "built.json").exists():
            raise SystemExit(f"{source} has no index: run bench.query --sizes {size} --work-dir {args.work_dir} first")
        with tempfile.TemporaryDirectory(dir=args.work_dir) as copy_name:
            root = Path(copy_name) / "copy"
            shutil.copytree(source, root)
            row = {"target_chunks": size, **measure(root, args.uploads)}
        results.append(row)
        print(json.dumps(row), flush=True)
    out = REPO / "bench" / "results" / "upload.json"
    out.write_text(json.dumps({"uploads": args.uploads, "results": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
