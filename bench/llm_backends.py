"""LLM answers with a real local model: how many reach the user, how right they are, how fast.

    .venv/bin/python -m bench.llm_backends [--backends llamacpp openai] [--sets seed news-dev]
                                            [--news-questions 40] [--model PATH.gguf] [--work-dir DIR]

The model is the packaged Qwen2.5-Coder-1.5B-Instruct GGUF (`make local-llm`) unless `--model`
names another. `llamacpp` runs it in its worker process; `openai` talks to a real
`python -m llama_cpp.server` on 127.0.0.1 serving the same file, through the OpenAI-compatible
client. Question sets: `seed` (harness/data/qa_seed.jsonl on the shipped corpus, with unanswerable
questions) and `news-dev` (../shared/news-dev, its scorable questions; the first `--news-questions`).

For each set, the extractive backend answers every question first (the baseline), then each LLM
backend does, through `AnswerService.ask_stream` as the CLI and the bot do. Reported per backend:
the share of answerable questions the LLM answered (not the extractive fallback, and why not),
accuracy against the extractive backend's, abstention on unanswerable questions, kept-claim
precision against the hand labels of harness/data/qwen_claims.jsonl, p50/p95 seconds per answer,
time to first token, and prompt and generation tokens per second. Every claim the model wrote,
with the check's verdict, goes to bench/results/llm_claims.jsonl (the material the labels come
from). Results: bench/results/llm_backends.json.
"""

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import news_dev
from harness.llama_server import LlamaServer
from retrieval.composition import build_embed_model, build_service
from retrieval.evaluation import Evaluator, load_questions
from retrieval.generation.local_model import assemble
from retrieval.generation.worker import physical_cores
from retrieval.index.store import CorpusStore
from retrieval.models.answers import CitedAnswer
from retrieval.service import AnswerService
from retrieval.settings import RetrievalSettings

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results" / "llm_backends.json"
CLAIMS = REPO / "bench" / "results" / "llm_claims.jsonl"
LABELS = REPO / "harness" / "data" / "qwen_claims.jsonl"
SEED = REPO / "harness" / "data" / "qa_seed.jsonl"


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    answerable: bool
    is_correct: Callable[[CitedAnswer], bool]


def seed_questions(service: AnswerService) -> list[Question]:
    evaluator = Evaluator(service)
    return [
        Question(item.id, item.question, not item.unanswerable,
                 lambda answer, item=item: bool(evaluator.score(item, answer).correct))
        for item in load_questions(SEED)
    ]


def news_questions(limit: int) -> list[Question]:
    def correct(item: news_dev.NewsQuestion) -> Callable[[CitedAnswer], bool]:
        return lambda answer: not answer.abstained and news_dev.answer_is_correct(
            item, " ".join([answer.answer, *(c.quote for c in answer.citations)])
        )

    return [Question(item.id, item.question, True, correct(item)) for item in news_dev.questions()[:limit]]


async def ask(service: AnswerService, question: str) -> tuple[CitedAnswer, float, float | None]:
    """The final answer, seconds to it, and seconds from the prompt to the model's first token."""
    started = time.perf_counter()
    final = None
    async for event in service.ask_stream(question):
        if isinstance(event, CitedAnswer):
            final = event
    assert final is not None
    first = final.llm_usage.first_token_s if final.llm_usage is not None else None
    return final, time.perf_counter() - started, first


def labels() -> dict[tuple[str, str], str]:
    if not LABELS.is_file():
        return {}
    rows = [json.loads(line) for line in LABELS.read_text(encoding="utf-8").splitlines() if line.strip()]
    return {(row["question_id"], row["claim"]): row["label"] for row in rows}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def run_backend(service: AnswerService, questions: list[Question], set_name: str, claims_out: list[dict]) -> dict:
    rows = []
    for question in questions:
        answer, seconds, first = asyncio.run(ask(service, question.text))
        rows.append({"id": question.id, "answerable": question.answerable, "backend": answer.backend,
                     "fallback_reason": answer.fallback_reason, "abstained": answer.abstained,
                     "correct": question.is_correct(answer) if question.answerable else None,
                     "seconds": round(seconds, 3), "first_token_s": round(first, 3) if first else None,
                     "usage": answer.llm_usage.to_json() if answer.llm_usage else None, "answer": answer.answer,
                     "check": answer.check.to_json() if answer.check else None})
        for check in answer.check.checks if answer.check else []:
            claims_out.append({"set": set_name, "backend": service.settings.llm_backend, "question_id": question.id,
                               "question": question.text, "claim": check.text, "markers": check.markers,
                               "outcome": check.outcome, "score": round(check.score, 4)})
        print(f"  {question.id:>12} {answer.backend:<10} {'ok' if rows[-1]['correct'] else '--'} {seconds:5.1f}s "
              f"{answer.fallback_reason[:50]}", flush=True)
    return {"rows": rows}


def summarise(rows: list[dict], baseline: list[dict], known: dict[tuple[str, str], str], set_name: str) -> dict:
    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    by_llm = [r for r in answerable if not r["fallback_reason"] and r["backend"] != "extractive"]
    kept = [(r["id"], c["text"]) for r in rows if r["check"] for c in r["check"]["checks"]
            if c["outcome"] in ("kept", "reattributed") and not r["fallback_reason"]]
    labelled = [known[k] for k in kept if k in known]
    usage = [r["usage"] for r in rows if r["usage"] and r["usage"]["first_token_s"] > 0]
    seconds = [r["seconds"] for r in by_llm] or [r["seconds"] for r in rows]
    return {
        "set": set_name,
        "questions": len(rows),
        "answerable": len(answerable),
        "answered_by_llm": len(by_llm),
        "llm_share": round(len(by_llm) / len(answerable), 3) if answerable else None,
        "fallback_reasons": dict(Counter(r["fallback_reason"] for r in answerable if r["fallback_reason"])),
        "accuracy": round(sum(bool(r["correct"]) for r in answerable) / len(answerable), 3) if answerable else None,
        "accuracy_extractive": round(sum(bool(r["correct"]) for r in baseline if r["answerable"]) / len(answerable), 3)
        if answerable else None,
        "accuracy_of_llm_answers": round(sum(bool(r["correct"]) for r in by_llm) / len(by_llm), 3) if by_llm else None,
        "abstained_unanswerable": f"{sum(r['abstained'] for r in unanswerable)}/{len(unanswerable)}",
        "kept_claims": len(kept),
        "kept_claims_labelled": len(labelled),
        "kept_claim_precision": round(labelled.count("supported") / len(labelled), 3) if labelled else None,
        "p50_s": round(statistics.median(seconds), 2),
        "p95_s": round(percentile(seconds, 0.95), 2),
        "p50_first_token_s": round(statistics.median(r["first_token_s"] for r in rows if r["first_token_s"]), 2)
        if any(r["first_token_s"] for r in rows) else None,
        "prompt_tokens_mean": round(statistics.fmean(u["prompt_tokens"] for u in usage), 1) if usage else None,
        "prompt_tokens_per_s": round(sum(u["prompt_tokens"] for u in usage) / sum(u["first_token_s"] for u in usage), 1)
        if usage else None,
        "generated_tokens_per_s": round(
            sum(u["completion_tokens"] for u in usage) / sum(max(u["total_s"] - u["first_token_s"], 1e-3) for u in usage), 1
        ) if usage else None,
    }


def open_service(settings: RetrievalSettings, embed_model: Any) -> AnswerService:
    return build_service(settings, store=CorpusStore.connect(settings), embed_model=embed_model)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backends", nargs="+", default=["llamacpp", "openai"], choices=["llamacpp", "openai"])
    parser.add_argument("--sets", nargs="+", default=["seed", "news-dev"], choices=["seed", "news-dev"])
    parser.add_argument("--news-questions", type=int, default=40)
    parser.add_argument("--model", type=Path)
    parser.add_argument("--work-dir", type=Path, help="keep the indexes here (the news-dev ingest takes minutes)")
    args = parser.parse_args()
    model = args.model or assemble()
    embed_model = build_embed_model(RetrievalSettings(_env_file=None))
    known = labels()
    claims: list[dict] = []
    results: dict[str, Any] = {"model": model.name, "threads": physical_cores(), "sets": {}}
    server = LlamaServer(model, n_ctx=4096, api_key="bench", chat_format=None) if "openai" in args.backends else None
    with tempfile.TemporaryDirectory() as tmp:
        work = args.work_dir or Path(tmp)
        try:
            for set_name in args.sets:
                if set_name == "news-dev" and not news_dev.available():
                    print("news-dev: not found beside the checkout, skipped")
                    continue
                corpus = REPO / "corpus" if set_name == "seed" else news_dev.corpus_dir()
                base = {"data_dir": work / set_name, "corpus_dir": corpus, "llm_temperature": 0.0,
                        "llm_gguf_path": model, "llm_base_url": server.url if server else "", "llm_api_key": "bench"}
                extractive = open_service(RetrievalSettings(_env_file=None, **base), embed_model)
                extractive.ensure_corpus()
                questions = seed_questions(extractive) if set_name == "seed" else news_questions(args.news_questions)
                print(f"{set_name}: extractive")
                baseline = run_backend(extractive, questions, set_name, [])["rows"]
                results["sets"][set_name] = {"extractive": baseline}
                for backend in args.backends:
                    print(f"{set_name}: {backend}")
                    service = open_service(RetrievalSettings(_env_file=None, **base, llm_backend=backend), embed_model)
                    service.prepare()
                    rows = run_backend(service, questions, set_name, claims)["rows"]
                    results["sets"][set_name][backend] = {"summary": summarise(rows, baseline, known, set_name),
                                                          "rows": rows}
        finally:
            if server is not None:
                server.kill()
    RESULTS.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    CLAIMS.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in claims), encoding="utf-8")
    for by_backend in results["sets"].values():
        for backend, result in by_backend.items():
            if backend != "extractive":
                print(backend, json.dumps(result["summary"], ensure_ascii=False))


if __name__ == "__main__":
    main()
