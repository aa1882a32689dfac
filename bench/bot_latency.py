"""The bot in SimCord's emulated Discord: cold start to ready, and `/ask` to the answer.

    .venv/bin/python -m bench.bot_latency [--questions N]

Cold start = building the answer service (model load, index open) plus the bot reaching READY.
`/ask` time = from the interaction to the settled follow-up, extractive backend. Results:
bench/results/bot_latency.json.
"""

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path

import simcord

from bench.llm_backends import QUESTIONS
from bot import create_bot
from bot.settings import Settings
from retrieval.service import AnswerService

REPO = Path(__file__).resolve().parent.parent


async def measure(questions: int) -> dict:
    with tempfile.TemporaryDirectory() as data:
        settings = Settings(_env_file=None, data_dir=Path(data), ask_cooldown_seconds=0)
        AnswerService.from_settings(settings).ingest()
        started = time.perf_counter()
        bot = create_bot(settings, AnswerService.from_settings(settings))
        async with simcord.run(bot, settle_timeout=60) as env:
            ready = time.perf_counter() - started
            await env.bot.tree.sync()
            guild = env.create_guild()
            channel = guild.create_text_channel("general")
            member = guild.add_member(env.create_user("reader"))
            timings = []
            for question in (QUESTIONS * 2)[:questions]:
                t = time.perf_counter()
                result = await member.slash(channel, "ask", question=question)
                timings.append(time.perf_counter() - t)
                assert result.response.embeds
    return {
        "cold_start_to_ready_s": round(ready, 3),
        "ask_median_s": round(statistics.median(timings), 4),
        "ask_p95_s": round(sorted(timings)[int(0.95 * (len(timings) - 1))], 4),
        "questions": len(timings),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=20)
    args = parser.parse_args()
    result = asyncio.run(measure(args.questions))
    out = REPO / "bench" / "results" / "bot_latency.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
