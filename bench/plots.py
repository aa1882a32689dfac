"""The plots of docs/benchmarks.md, drawn from bench/results/*.json (run the benches first).

    .venv/bin/python -m bench.plots

Writes docs/img/ingest.png, docs/img/query-latency.png and docs/img/query-rss.png; a plot whose
results file is missing is skipped with a note.
"""

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"
IMAGES = REPO / "docs" / "img"


def _load(name: str) -> dict | list | None:
    path = RESULTS / name
    if not path.exists():
        print(f"skipped: {path} is missing")
        return None
    return json.loads(path.read_text())


def ingest_plot(rows: list[dict]) -> None:
    fig, ax = plt.subplots(figsize=(7, 3.6))
    sides = [("raw_embedder_chunks_per_s", "raw embedder (floor)"), ("citebot_chunks_per_s", "citebot"),
             ("plain_llamaindex_chunks_per_s", "plain LlamaIndex")]
    width = 0.26
    for offset, (key, label) in enumerate(sides):
        xs = [i + (offset - 1) * width for i in range(len(rows))]
        bars = ax.bar(xs, [r[key] for r in rows], width, label=label)
        ax.bar_label(bars, fmt="%.1f", fontsize=8)
    ax.set_xticks(range(len(rows)), [f"{r['corpus']}\n({r['chunks_citebot']:,} chunks)" for r in rows])
    ax.set_ylabel("chunks per second (first ingest)")
    ax.set_title("Ingest throughput, same model and chunks, one process")
    ax.legend(fontsize=8, loc="lower right")
    _save(fig, "ingest.png")


def query_plots(data: dict) -> None:
    rows = data["results"]
    chunks = [r["chunks"] for r in rows]
    fig, ax = plt.subplots(figsize=(10, 4.2))
    series = [
        ("citebot", "retrieve", "citebot retrieve (hybrid, scoped)"),
        ("citebot", "retrieve_extractive", "citebot retrieve + extractive answer"),
        ("citebot", "retrieve_extractive_repeat", "the same, sentence embeddings cached"),
        ("plain", "retrieve", "plain LlamaIndex retriever"),
    ]
    for side, measure, label in series:
        p50 = [r[side][f"{measure}_p50_ms"] for r in rows]
        p95 = [r[side][f"{measure}_p95_ms"] for r in rows]
        line = ax.plot(chunks, p50, marker="o", label=f"{label}, p50")[0]
        ax.plot(chunks, p95, marker="x", linestyle="--", color=line.get_color(), alpha=0.6, label=f"{label}, p95")
    ax.set_xscale("log")
    ax.set_xlabel("chunks in the index")
    ax.set_ylabel("latency per question (ms)")
    ax.set_title(f"Query latency, {data['questions']} questions per size")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.grid(alpha=0.3)
    _save(fig, "query-latency.png")

    fig, ax = plt.subplots(figsize=(7, 3.6))
    for side, label in (("citebot", "citebot"), ("plain", "plain LlamaIndex")):
        ax.plot(chunks, [r[side]["peak_rss_mib"] for r in rows], marker="o", label=label)
    ax.axhline(1536, color="grey", linestyle=":", label="target: 1.5 GiB")
    ax.set_xscale("log")
    ax.set_xlabel("chunks in the index")
    ax.set_ylabel("peak RSS (MiB)")
    ax.set_title("Peak memory of a process answering questions")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    _save(fig, "query-rss.png")


def _save(fig, name: str) -> None:
    IMAGES.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(IMAGES / name, dpi=110)
    plt.close(fig)
    print(f"wrote {IMAGES / name}")


def main() -> None:
    ingest = _load("ingest.json")
    if ingest:
        ingest_plot(ingest)
    query = _load("query.json")
    if query:
        query_plots(query)


if __name__ == "__main__":
    main()
