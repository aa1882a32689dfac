"""One run of a `citebot` command (`Invocation`: arguments, settings, consoles, the service built on
first use), the row that declares a command (`Command`), and the exit codes."""

import argparse
import datetime as dt
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from rich.console import Console

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


def iso_day(text: str) -> str:
    """An argument that names a day ("2023-01-06", "6 Jan 2023"), as an ISO day."""
    from retrieval import normalised_date

    try:
        return normalised_date(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def asked_day(text: str) -> dt.date:
    """`--as-of`: the day a question is asked on."""
    return dt.date.fromisoformat(iso_day(text))


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
        report = self.service.ensure_corpus(progress=ingest_progress(self.err, self.wants_json))
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


def quiet_model_loading() -> None:
    """Model loading must not print progress bars or hub chatter into answers."""
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")


def ingest_progress(err: Console, quiet: bool) -> Callable[[str, int, int], None] | None:
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
