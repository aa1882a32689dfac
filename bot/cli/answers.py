"""The commands that answer: `ask`, `summary`, `eval` and the terminal session `chat`."""

import argparse
import asyncio
from pathlib import Path

from rich.markup import escape

from bot.cli.invocation import EXIT_OK, EXIT_USAGE, Invocation, asked_day

_AS_OF_HELP = "ask as of this day: its week is \"this week\", and later articles are not used (default: today)"


def ask_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("question")
    parser.add_argument("--as-of", type=asked_day, metavar="DATE", help=_AS_OF_HELP)
    parser.add_argument("--json", action="store_true")


def ask(run: Invocation) -> int:
    from bot import terminal

    run.ensure_corpus()
    if not run.wants_json and run.out.is_terminal and run.settings.llm_backend != "extractive":
        answer = asyncio.run(terminal.stream_answer(run.out, run.service, run.args.question, asked_on=run.args.as_of))
    else:
        answer = run.service.ask(run.args.question, asked_on=run.args.as_of)
    run.show(answer, terminal.render_answer)
    terminal.render_fallback(run.err, answer)
    return EXIT_OK


def summary_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("doc_id", nargs="?")
    parser.add_argument("--topic")
    parser.add_argument("--json", action="store_true")


def summary(run: Invocation) -> int:
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


def eval_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("questions", type=Path)
    parser.add_argument("--backend", choices=["extractive", "openai", "llamacpp"], help="default: LLM_BACKEND")
    parser.add_argument("--json", action="store_true")


def evaluate(run: Invocation) -> int:
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


def chat_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--as-of", type=asked_day, metavar="DATE", help=_AS_OF_HELP)


def chat(run: Invocation) -> int:
    from bot import terminal

    run.ensure_corpus()
    if run.settings.llm_backend != "extractive":
        problem = run.service.prepare()
        if problem:
            run.err.print(f"[yellow]note:[/yellow] the LLM cannot answer, answers are extractive: {escape(problem)}")
    terminal.TerminalSession(run.service, run.out, run.err, asked_on=run.args.as_of).run()
    return EXIT_OK
