"""The `citebot` command: everything the bot does, from a terminal.

Every subcommand is one row of `COMMANDS`: its name, help, arguments and handler. Options common to
all of them (`--data-dir`) are accepted before or after the subcommand. `main` is the composition
root: it reads the one `Settings` object, builds the `AnswerService` once, when a handler first asks
for it, and turns the errors a user can fix into one line on stderr and an exit code
(`bot.user_errors`, the table the bot and the terminal session use too).

Heavy modules (the retrieval layer, torch, discord.py) are imported inside the handlers that need
them, so `citebot feedback` or `citebot local-llm` start in a fraction of a second.
"""

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from rich.console import Console
from rich.markup import escape

from bot.settings import Settings
from bot.wording import plural

if TYPE_CHECKING:
    from retrieval import AnswerService

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


class _JSONResult(Protocol):
    def to_json(self) -> Any: ...


_Result = TypeVar("_Result", bound=_JSONResult)


@dataclass
class Invocation:
    """One run of a command: its parsed arguments, the settings, the two consoles, and the service."""

    args: argparse.Namespace
    settings: Settings
    out: Console
    err: Console

    @property
    def wants_json(self) -> bool:
        return bool(getattr(self.args, "json", False))

    @cached_property
    def service(self) -> "AnswerService":
        """Built on first use: commands that never touch the index never load the embedder."""
        from retrieval import build_service

        return build_service(self.settings)

    def print_json(self, payload: Any) -> None:
        print(json.dumps(payload, ensure_ascii=False, indent=2))

    def show(self, result: _Result, render: Callable[[Console, _Result], None]) -> None:
        """`result` as JSON on stdout with --json, else rendered for people."""
        if self.wants_json:
            self.print_json(result.to_json())
        else:
            render(self.out, result)

    def ensure_corpus(self) -> None:
        """Ingest the corpus folder into an empty index before the first question."""
        report = self.service.ensure_corpus(progress=_progress(self.err, self.wants_json))
        if report is None and not self.service.sources():
            self.err.print(f"the index is empty and {self.settings.corpus_dir} is not a folder: "
                           "add documents with `citebot ingest PATH`")
        elif report is not None and not self.wants_json:
            self.err.print(
                f"index was empty: ingested {plural(report.added, 'document')} ({plural(report.chunks, 'chunk')}) "
                f"from {self.settings.corpus_dir}"
            )


def _no_arguments(parser: argparse.ArgumentParser) -> None:
    """A command without arguments of its own."""


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    run: Callable[[Invocation], int]
    arguments: Callable[[argparse.ArgumentParser], None] = _no_arguments
    needs_token: bool = False
    """Discord commands: refused before anything loads when DISCORD_TOKEN is not set."""


# Handlers ----------------------------------------------------------------------------------------


def _date(text: str) -> str:
    from retrieval import normalised_date

    try:
        return normalised_date(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _ingest_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", help="files, folders, http(s) URLs; default: the corpus folder")
    parser.add_argument("--published", type=_date, metavar="DATE",
                        help="publication date of every document named (overrides what they say)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def _ingest(run: Invocation) -> int:
    """Files and folders as one ingest run (the corpus folder when nothing is named), then each URL
    fetched and ingested, all in one report. Files that are all live as they are (a re-run) are
    reported from the store without loading the embedder."""
    from bot import terminal
    from retrieval import IngestReport
    from retrieval.discovery import UnchangedCheck
    from retrieval.models import SHARED_SCOPE

    arguments: list[str] = run.args.paths
    urls = [argument for argument in arguments if argument.lower().startswith(("http://", "https://"))]
    paths = [Path(argument) for argument in arguments if argument not in urls]
    given = {"published": run.args.published} if run.args.published else None
    if not urls:
        unchanged = UnchangedCheck.connect(run.settings).report(paths or [run.settings.corpus_dir], SHARED_SCOPE, given)
        if unchanged is not None:
            run.show(unchanged, terminal.render_report)
            return EXIT_OK
    progress = _progress(run.err, run.wants_json)
    report: IngestReport = run.service.ingest(paths, progress=progress, overrides=given) if paths or not urls else IngestReport()
    for url in urls:
        report.absorb(run.service.ingest_url(url, overrides=given))
    run.show(report, terminal.render_report)
    return EXIT_FAILED if report.errors and not (report.added or report.updated or report.unchanged) else EXIT_OK


def _ask_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("question")
    parser.add_argument("--json", action="store_true")


def _ask(run: Invocation) -> int:
    from bot import terminal

    run.ensure_corpus()
    if not run.wants_json and run.out.is_terminal and run.settings.llm_backend != "extractive":
        answer = asyncio.run(terminal.stream_answer(run.out, run.service, run.args.question))
    else:
        answer = run.service.ask(run.args.question)
    run.show(answer, terminal.render_answer)
    terminal.render_fallback(run.err, answer)
    return EXIT_OK


def _summary_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("doc_id", nargs="?")
    parser.add_argument("--topic")
    parser.add_argument("--json", action="store_true")


def _summary(run: Invocation) -> int:
    from bot import terminal

    doc_id, topic = run.args.doc_id, run.args.topic
    if bool(doc_id) == bool(topic):
        run.err.print("give a document id or --topic TEXT (one of them)")
        return EXIT_USAGE
    run.ensure_corpus()
    result = run.service.summarize_document(doc_id) if doc_id else run.service.summarize_topic(topic)
    run.show(result, terminal.render_summary)
    terminal.render_fallback(run.err, result)
    return EXIT_OK


def _json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true")


def _sources(run: Invocation) -> int:
    """Straight from the store: listing documents loads neither the embedder nor llama-index."""
    from bot import terminal
    from retrieval.models import SHARED_SCOPE
    from retrieval.store import CorpusStore

    infos = [record.source_info() for record in CorpusStore.connect(run.settings).documents([SHARED_SCOPE])]
    if run.wants_json:
        run.print_json([info.to_json() for info in infos])
    else:
        terminal.render_sources(run.out, infos)
    return EXIT_OK


def _remove_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("doc_id")
    parser.add_argument("--json", action="store_true")


def _remove(run: Invocation) -> int:
    from bot.user_errors import EXIT_NOT_FOUND

    doc_id = run.args.doc_id
    removed = run.service.remove(doc_id)
    if run.wants_json:
        run.print_json({"doc_id": doc_id, "removed": removed})
    else:
        run.out.print(escape(f"removed {doc_id}" if removed else f"no document {doc_id!r}"))
    return EXIT_OK if removed else EXIT_NOT_FOUND


def _eval_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("questions", type=Path)
    parser.add_argument("--backend", choices=["extractive", "openai", "llamacpp"], help="default: LLM_BACKEND")
    parser.add_argument("--json", action="store_true")


def _evaluate(run: Invocation) -> int:
    from bot import terminal
    from retrieval import EvalFileError, Evaluator, load_questions

    try:
        items = load_questions(run.args.questions)
    except (OSError, EvalFileError) as exc:
        run.err.print(f"error: {escape(str(exc))}")
        return EXIT_USAGE
    run.ensure_corpus()
    report = Evaluator(run.service).run(items)
    run.show(report, terminal.render_eval)
    return EXIT_OK


def _local_llm_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--env-file", type=Path, default=Path(".env"), help="the .env file to update")
    parser.add_argument("--dir", type=Path, help="where to put the GGUF file (default: inside the virtualenv)")


def _local_llm(run: Invocation) -> int:
    """Assemble and verify the packaged GGUF and run it once in a worker process (a llama.cpp build
    that crashes on this CPU is found here), then set LLM_BACKEND and LLM_GGUF_PATH in `.env`; when
    anything fails, `.env` is left as it was and citebot stays extractive."""
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
    print(f"{path} (sha256 verified, self-check passed); {env_file} now has LLM_BACKEND=llamacpp and LLM_GGUF_PATH")
    return EXIT_OK


def _feedback_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--guild", type=int, help="one server (guild id) only")
    parser.add_argument("--json", action="store_true")


def _feedback(run: Invocation) -> int:
    """The bot's feedback store, read without loading the retrieval layer: grouped per server, one
    server with --guild. A data dir where the bot never ran has no store, which means no feedback."""
    from bot import terminal
    from bot.storage import BotStore

    path = run.settings.data_dir / "bot.sqlite"
    entries = []
    if path.exists():
        store = BotStore(path)
        entries = store.feedback(run.args.guild)
        store.close()
    if run.wants_json:
        guilds = sorted({entry.guild_id for entry in entries})
        run.print_json({"guilds": [
            {"guild_id": guild, "feedback": [entry.to_json() for entry in entries if entry.guild_id == guild]}
            for guild in guilds
        ]})
    else:
        terminal.render_feedback(run.out, entries)
    return EXIT_OK


def _chat(run: Invocation) -> int:
    from bot import terminal

    run.ensure_corpus()
    if run.settings.llm_backend != "extractive":
        problem = run.service.prepare()
        if problem:
            run.err.print(f"[yellow]note:[/yellow] the LLM cannot answer, answers are extractive: {escape(problem)}")
    terminal.TerminalSession(run.service, run.out, run.err).run()
    return EXIT_OK


def _run_bot(run: Invocation) -> int:
    import discord

    run.ensure_corpus()
    discord.utils.setup_logging()
    return _with_discord(run, lambda bot, token: bot.start(token))


def _sync_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--guild", type=int, help="sync to one server only (instant) instead of globally")


def _sync(run: Invocation) -> int:
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


COMMANDS = (
    Command("ingest", "add or update documents (files, folders or web article URLs)", _ingest, _ingest_arguments),
    Command("ask", "answer a question with cited passages", _ask, _ask_arguments),
    Command("summary", "cited summary of a document or a topic", _summary, _summary_arguments),
    Command("sources", "list the indexed documents", _sources, _json_flag),
    Command("remove", "delete a document and all its chunks", _remove, _remove_arguments),
    Command("eval", "measure answer quality on a labelled question set (JSONL)", _evaluate, _eval_arguments),
    Command("local-llm", "assemble the packaged local model (Qwen2.5-Coder-1.5B) and point .env at it", _local_llm,
            _local_llm_arguments),
    Command("feedback", "the 👍/👎 votes on the bot's answers and the reasons, per server", _feedback,
            _feedback_arguments),
    Command("run", "run the Discord bot (needs DISCORD_TOKEN)", _run_bot, needs_token=True),
    Command("chat", "a terminal session: questions, /summary, /sources, as in Discord", _chat),
    Command("sync", "register the slash commands with Discord (needs DISCORD_TOKEN)", _sync, _sync_arguments,
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
    _quiet_model_loading()
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


def _quiet_model_loading() -> None:
    """Model loading must not print progress bars or hub chatter into answers."""
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")


def _progress(err: Console, quiet: bool) -> Callable[[str, int, int], None] | None:
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
