"""How soon a reader sees an answer with the local LLM on, against floors measured in the same run.

    .venv/bin/python -m bench.answer_latency [--questions 20] [--model PATH.gguf] [--work-dir DIR]

Over the answerable seed questions (harness/data/qa_seed.jsonl, the shipped corpus), each asked of
two services on one index, through `AnswerService.ask_stream` as the bot and the CLI ask:

- the extractive service: seconds to its answer (the extractive path);
- the llamacpp service (the packaged Qwen2.5-Coder-1.5B in its worker process): seconds to the
  first answer shown (the extractive one, `AnswerUpdate`), to each checked update, and to the final
  answer, and the seconds the citation check took (`LLMUsage.check_s`).

The floor of an LLM answer is llama.cpp itself, in this process, on the same model and threads:
evaluating a prompt as long as the answer's (`LLMUsage.prompt_tokens`) and then decoding as many
tokens as the model wrote (`completion_tokens`), one at a time. Ratios reported: first answer shown
/ extractive path (goal <= 1.2), final LLM answer / floor (goal <= 1.15), check / final (<= 5 %);
as medians over the questions the LLM answered, and over all. Results: bench/results/answer_latency.json.
"""

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.llama_builds import cpu
from retrieval.composition import build_embed_model, build_service
from retrieval.evaluation import load_questions
from retrieval.generation.local_model import assemble
from retrieval.generation.worker import physical_cores
from retrieval.index.store import CorpusStore
from retrieval.models.answers import AnswerUpdate, CitedAnswer
from retrieval.service import AnswerService
from retrieval.settings import RetrievalSettings

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results" / "answer_latency.json"
SEED = REPO / "harness" / "data" / "qa_seed.jsonl"


async def timed(service: AnswerService, question: str) -> dict[str, Any]:
    """Seconds from the call to the first answer shown, to each checked update and to the final."""
    started = time.perf_counter()
    shown: list[float] = []
    checked: list[float] = []
    final: CitedAnswer | None = None
    async for event in service.ask_stream(question):
        now = time.perf_counter() - started
        if isinstance(event, AnswerUpdate):
            shown.append(now)
            if event.stage == "checked":
                checked.append(now)
        else:
            final = event
    assert final is not None
    total = time.perf_counter() - started
    usage = final.llm_usage
    return {"first_shown_s": shown[0] if shown else total, "checked_s": checked, "final_s": total,
            "backend": final.backend, "fallback_reason": final.fallback_reason,
            "usage": usage.to_json() if usage is not None else None}


class LlamaFloor:
    """llama.cpp in this process: a prompt of n tokens evaluated, m tokens decoded."""

    def __init__(self, model: Path, n_ctx: int, threads: int) -> None:
        import llama_cpp

        self._llm = llama_cpp.Llama(model_path=str(model), n_ctx=n_ctx, n_threads=threads, n_threads_batch=threads,
                                    verbose=False)
        text = " ".join(path.read_text(encoding="utf-8") for path in sorted((REPO / "corpus").glob("*.md")))
        self._tokens = self._llm.tokenize(text.encode("utf-8"))

    def seconds(self, prompt_tokens: int, completion_tokens: int) -> float:
        self._llm.reset()
        started = time.perf_counter()
        self._llm.eval(self._tokens[:prompt_tokens])
        for _ in range(completion_tokens):
            self._llm.eval(self._tokens[prompt_tokens - 1 : prompt_tokens])
        return time.perf_counter() - started


def ratio(numerators: list[float], denominators: list[float]) -> float | None:
    pairs = [n / d for n, d in zip(numerators, denominators, strict=True) if d > 0]
    return round(statistics.median(pairs), 3) if pairs else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=int, default=20)
    parser.add_argument("--model", type=Path)
    parser.add_argument("--work-dir", type=Path)
    args = parser.parse_args()
    model = args.model or assemble()
    threads = physical_cores()
    questions = [item.question for item in load_questions(SEED) if not item.unanswerable][: args.questions]
    embed_model = build_embed_model(RetrievalSettings(_env_file=None))
    with tempfile.TemporaryDirectory() as tmp:
        base = {"data_dir": args.work_dir or Path(tmp), "llm_temperature": 0.0, "llm_gguf_path": model}
        services = {}
        for backend in ("extractive", "llamacpp"):
            settings = RetrievalSettings(_env_file=None, **base, llm_backend=backend)
            services[backend] = build_service(settings, store=CorpusStore.connect(settings), embed_model=embed_model)
        services["extractive"].ensure_corpus()
        for service in services.values():
            assert service.prepare() == ""
        rows = []
        for question in questions:
            extractive = asyncio.run(timed(services["extractive"], question))
            llm = asyncio.run(timed(services["llamacpp"], question))
            rows.append({"question": question, "extractive_s": extractive["final_s"], **llm})
            print(f"{extractive['final_s']:5.2f} s | first {llm['first_shown_s']:5.2f} s, final {llm['final_s']:5.2f} s "
                  f"{llm['backend']:<9} {question}", flush=True)
        services["llamacpp"].close()
    floor = LlamaFloor(model, RetrievalSettings(_env_file=None).llm_context_window, threads)
    for row in rows:
        usage = row["usage"]
        row["floor_s"] = floor.seconds(usage["prompt_tokens"], usage["completion_tokens"]) if usage else None
    written = [row for row in rows if row["usage"] is not None]
    answered = [row for row in written if not row["fallback_reason"]]
    results = {
        "cpu": cpu()["model_name"], "threads": threads, "model": model.name, "questions": len(rows),
        "answered_by_llm": len(answered),
        "first_shown_over_extractive": ratio([r["first_shown_s"] for r in rows], [r["extractive_s"] for r in rows]),
        "final_over_floor": {
            "answered_by_llm": ratio([r["final_s"] for r in answered], [r["floor_s"] for r in answered]),
            "all_the_model_wrote": ratio([r["final_s"] for r in written], [r["floor_s"] for r in written]),
        },
        "check_share_of_final": ratio([r["usage"]["check_s"] for r in written], [r["final_s"] for r in written]),
        "median_s": {key: round(statistics.median(r[key] for r in written), 3)
                     for key in ("extractive_s", "first_shown_s", "final_s", "floor_s")} if written else {},
        "rows": rows,
    }
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in results.items() if k != "rows"}, indent=2))


if __name__ == "__main__":
    main()
