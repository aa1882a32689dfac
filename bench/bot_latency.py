"""The bot in SimCord's emulated Discord: cold start to ready, and `/ask` to the answer.

    .venv/bin/python -m bench.bot_latency [--questions N]

Cold start is measured in a fresh process, from interpreter start (before any import) to the bot's
READY: imports, embedding model load, index open, bot setup. `/ask` time is from the interaction to
the settled answer, extractive backend, corpus already indexed. Results: bench/results/bot_latency.json.
"""

import time

PROCESS_START = time.perf_counter()

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

from harness.questions import QUESTIONS  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


async def measure(data_dir: Path, questions: int) -> dict:
    import simcord

    from bot import create_bot
    from bot.settings import Settings
    from retrieval.composition import build_service

    settings = Settings(_env_file=None, data_dir=data_dir, ask_cooldown_seconds=0)
    bot = create_bot(settings, build_service(settings))
    async with simcord.run(bot, settle_timeout=60) as env:
        ready = time.perf_counter() - PROCESS_START
        await env.bot.tree.sync()
        guild = env.create_guild()
        channel = guild.create_text_channel("general")
        member = guild.add_member(env.create_user("reader"))
        timings = []
        for i in range(questions):
            started = time.perf_counter()
            result = await member.slash(channel, "ask", question=QUESTIONS[i % len(QUESTIONS)])
            timings.append(time.perf_counter() - started)
            assert result.response.embeds
    return {
        "cold_start_to_ready_s": round(ready, 3),
        "ask_median_s": round(statistics.median(timings), 4),
        "ask_p95_s": round(sorted(timings)[int(0.95 * (len(timings) - 1))], 4),
        "ask_first_s": round(timings[0], 4),
        "questions": len(timings),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=20)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(asyncio.run(measure(args.child, args.questions))))
        return
    with tempfile.TemporaryDirectory() as data:
        citebot = Path(sys.executable).with_name("citebot")
        subprocess.run([str(citebot), "--data-dir", data, "ingest"], check=True, capture_output=True)
        child = subprocess.run(
            [sys.executable, "-m", "bench.bot_latency", "--child", data, "--questions", str(args.questions)],
            check=True, capture_output=True, text=True, cwd=REPO,
        )
    result = json.loads(child.stdout.strip().splitlines()[-1])
    out = REPO / "bench" / "results" / "bot_latency.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
