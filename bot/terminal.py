"""Terminal rendering and the interactive session that stands in for Discord without a token.

The session speaks the same commands people will use in Discord (`/summary`, `/sources`), so the
terminal is a faithful way to try citebot. Output goes through rich, which prints plain text when
stdout is not a terminal.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from rich.console import Console, Group
from rich.live import Live
from rich.markup import escape
from rich.text import Text

from bot.gaps import Gap
from bot.storage import FEEDBACK_REASONS, Feedback
from bot.wording import footer_line, known_date, plural, short_title, still_writing
from retrieval import Citation, CitedAnswer, DocumentSummary, IngestReport, SourceInfo

if TYPE_CHECKING:
    # Only what the session and `citebot eval` use: `citebot feedback` renders without loading them.
    from retrieval import AnswerService, Digest, EvalReport, Turn

HELP = (
    "Type a question about the articles (follow-ups use the conversation so far), or:\n"
    "  /summary DOC_ID     summary of one document\n"
    "  /summary TOPIC      what the corpus says about a topic\n"
    "  /sources            the documents you can ask about\n"
    "  /new                start a new conversation\n"
    "  /help, /quit"
)


def citation_lines(citations: Sequence[Citation]) -> list[Text]:
    """Each citation's quote under a header naming its document once: the short title, the date
    when known and the id; later citations of the same document point back to the first."""
    first_of_document: dict[tuple[str, str], int] = {}
    lines = []
    for citation in citations:
        document = (citation.scope, citation.doc_id)
        if document in first_of_document:
            header = f"[dim]same article as [{first_of_document[document]}][/dim]"
        else:
            first_of_document[document] = citation.n
            date = known_date(citation.published)
            header = escape(short_title(citation.title)) + (f" ({escape(date)})" if date else "")
            header += f" [dim]{escape(citation.doc_id)}[/dim]"
        lines += [Text.from_markup(f"[bold][{citation.n}][/bold] {header}"), Text(f"    “{citation.quote}”")]
    return lines


def answer_lines(answer: CitedAnswer, note: str = "") -> list[Text]:
    """The answer, its citations and its footer; `note`: what an answer shown while the LLM writes
    says of itself (`wording.still_writing`)."""
    lines = [Text(f"answering: {answer.asked_as}", style="dim")] if answer.asked_as else []
    if answer.short_answer is not None:
        lines.append(Text.assemble((answer.short_answer.text, "bold"), f" [{answer.short_answer.n}]"))
    lines.append(Text(answer.answer))
    if answer.citations:
        lines += [Text(), *citation_lines(answer.citations)]
    took = f"{answer.timings_ms.get('total', 0):.0f} ms"
    lines.append(Text(footer_line(answer.provenance, answer.as_of, took, note), style="dim"))
    return lines


def render_answer(console: Console, answer: CitedAnswer) -> None:
    for line in answer_lines(answer):
        console.print(line)


def render_fallback(console: Console, result: CitedAnswer | DocumentSummary) -> None:
    """One line on stderr when the LLM could not answer and the extractive backend did."""
    if result.fallback_reason:
        console.print(f"[yellow]note:[/yellow] {escape(result.fallback_reason)}; answered extractively")


async def stream_answer(
    console: Console, service: AnswerService, question: str, history: Sequence[Turn] = (),
    asked_on: dt.date | None = None,
) -> CitedAnswer:
    """On a terminal, while an LLM writes: the extractive answer at once, then the LLM's sentences
    that passed the citation check, drawn in place; returns the final answer for the caller to
    print (the drawing is cleared)."""
    final: CitedAnswer | None = None
    with Live(console=console, auto_refresh=False, transient=True) as live:
        async for event in service.ask_stream(question, history=history, asked_on=asked_on):
            if isinstance(event, CitedAnswer):
                final = event
            else:
                live.update(Group(*answer_lines(event.answer, still_writing(event.stage))), refresh=True)
    assert final is not None
    return final


def render_summary(console: Console, summary: DocumentSummary) -> None:
    console.print(f"[bold]{escape(summary.subject)}[/bold]")
    console.print(escape(summary.summary), highlight=False)
    if summary.citations:
        console.print()
        for line in citation_lines(summary.citations):
            console.print(line)
    took = f"{summary.timings_ms.get('total', 0):.0f} ms"
    console.print(Text(footer_line(f"summary · {summary.provenance}", summary.as_of, took), style="dim"))


def render_sources(console: Console, sources: Sequence[SourceInfo]) -> None:
    if not sources:
        console.print("No documents yet: `citebot ingest` adds the corpus.")
        return
    for info in sources:
        author = f"by {escape(info.author)}" if info.author else ""
        details = " · ".join(part for part in (escape(known_date(info.published)), author, plural(info.chunks, "chunk")) if part)
        console.print(f"[bold]{escape(info.doc_id)}[/bold]  {escape(info.title)}  [dim]{details}[/dim]", highlight=False)


def render_report(console: Console, report: IngestReport) -> None:
    console.print(
        f"added {report.added}, updated {report.updated}, unchanged {report.unchanged}, "
        f"removed {report.removed}; {plural(report.chunks, 'chunk')} written"
    )
    for error in report.errors:
        console.print(f"[red]error[/red] {escape(error['path'])}: {escape(error['error'])}", highlight=False)


def render_feedback(console: Console, entries: Sequence[Feedback]) -> None:
    """Votes grouped by server, oldest first: the vote, the reason and details of a 👎, the question,
    the start of the answer and what it cited."""
    if not entries:
        console.print("No feedback recorded yet.")
        return
    for guild_id in sorted({entry.guild_id for entry in entries}):
        mine = [entry for entry in entries if entry.guild_id == guild_id]
        down = sum(entry.vote < 0 for entry in mine)
        console.print(f"[bold]server {guild_id}[/bold]: {plural(len(mine), 'vote')}, {len(mine) - down} 👍, {down} 👎")
        for entry in mine:
            when = dt.datetime.fromtimestamp(entry.created_at, dt.UTC).strftime("%Y-%m-%d %H:%M")
            verdict = "👍" if entry.vote > 0 else "👎 " + (FEEDBACK_REASONS.get(entry.reason, "no reason given"))
            details = f" — “{escape(entry.details)}”" if entry.details else ""
            console.print(f"  {when}  {verdict}{details}  [dim]user {entry.user_id}, message {entry.message_id}[/dim]")
            console.print(f"    Q: {escape(entry.question)}")
            console.print(f"    A: {escape(short_title(entry.answer, 200))}")
            if entry.citations:
                cited = ", ".join(f"[{c['n']}] {c['doc_id']}" for c in entry.citations)
                console.print(f"    cited: {escape(cited)}")


def render_digest(console: Console, digest: Digest) -> None:
    """Each story: its title, day and articles, its cited sentences, then its quotes."""
    console.print(f"[bold]What's new since {escape(digest.since[:16].replace('T', ' '))} UTC[/bold]: "
                  f"{plural(digest.articles, 'new article')}, {plural(len(digest.stories), 'story', 'stories')}")
    for story in digest.stories:
        console.print()
        articles = plural(len(story.doc_ids), "article")
        console.print(f"[bold]{escape(story.title)}[/bold]  [dim]{escape(story.day)} · {articles}[/dim]")
        console.print(escape(story.summary), highlight=False)
        for line in citation_lines(story.citations):
            console.print(line)


def render_gaps(console: Console, per_guild: dict[int, list[Gap]], days: int) -> None:
    """Per server, what its questions asked about that the articles do not answer, most asked first."""
    if not per_guild:
        console.print(f"No question of the last {plural(days, 'day')} went unanswered or got 👎.")
        return
    for guild_id, gaps in per_guild.items():
        console.print(f"[bold]server {guild_id}[/bold], last {plural(days, 'day')}:")
        for gap in gaps:
            console.print(f"  [bold]{escape(gap.subject)}[/bold]: {plural(gap.count, 'question')} "
                          f"({gap.abstained} unanswered, {gap.downvoted} 👎)")
            for question in gap.questions:
                console.print(f"    Q: {escape(question)}")


def render_eval(console: Console, report: EvalReport) -> None:
    from rich.table import Table

    from retrieval import METRICS

    def cell(value: float | None) -> str:
        return "–" if value is None else f"{value:.2f}"

    table = Table(title=f"citebot eval · {plural(len(report.results), 'question')}")
    for column in ("id", "recall@k", "MRR", "correct", "short", "valid", "coverage", "precision", "abstention",
                   "backend"):
        table.add_column(column)
    for r in report.results:
        table.add_row(r.id, *(cell(getattr(r, metric)) for metric in METRICS), r.backend)
    t = report.totals
    table.add_row("[bold]mean[/bold]", *(cell(t[m]) for m in METRICS), "", end_section=True)
    console.print(table)
    if report.by_type:
        kinds = Table(title="by question type")
        for column in ("type", "questions", "correct", "abstention"):
            kinds.add_column(column)
        for kind, row in report.by_type.items():
            kinds.add_row(kind, str(row["questions"]), cell(row["correct"]), cell(row["abstention_correct"]))
        console.print(kinds)


class TerminalSession:
    """Answers each input line; `/`-commands mirror the Discord slash commands."""

    def __init__(
        self, service: AnswerService, console: Console, errors: Console, max_turns: int = 3,
        asked_on: dt.date | None = None,
    ) -> None:
        """`asked_on`: the day every question is asked on (`chat --as-of`); None: each one's today."""
        self._service = service
        self._asked_on = asked_on
        self._console = console
        self._errors = errors
        self._history: list[Turn] = []
        self._max_turns = max_turns

    def handle(self, line: str) -> bool:
        """Handle one line; False when the user asked to quit."""
        line = line.strip()
        if not line:
            return True
        command, _, argument = line.partition(" ")
        try:
            if command in ("/quit", "/exit"):
                return False
            if command == "/help":
                self._console.print(HELP)
            elif command == "/sources":
                render_sources(self._console, self._service.sources())
            elif command == "/summary":
                self._summary(argument.strip())
            elif command == "/new":
                self._history.clear()
            else:
                self._ask(line)
        except Exception as exc:
            from bot.user_errors import explain

            problem = explain(exc, sources_command="/sources")
            if problem is None:
                raise
            self._console.print(f"[red]{escape(problem.for_operator)}[/red]")
        self._console.print()
        return True

    def _ask(self, question: str) -> None:
        if self._service.settings.llm_backend != "extractive" and self._console.is_terminal:
            answer = asyncio.run(stream_answer(self._console, self._service, question, self._history, self._asked_on))
        else:
            answer = self._service.ask(question, history=self._history, asked_on=self._asked_on)
        render_answer(self._console, answer)
        render_fallback(self._errors, answer)
        if not answer.abstained:
            self._history = [*self._history, (question, answer.answer)][-self._max_turns :]

    def _summary(self, argument: str) -> None:
        if not argument:
            self._console.print("Usage: /summary DOC_ID or /summary TOPIC")
            return
        known = {info.doc_id for info in self._service.sources()}
        is_document = argument in known
        summary = self._service.summarize_document(argument) if is_document else self._service.summarize_topic(argument)
        render_summary(self._console, summary)
        render_fallback(self._errors, summary)

    def run(self, lines: Iterable[str] | None = None) -> None:
        """Interactive prompt on a terminal; otherwise answer every line of `lines`/stdin and stop."""
        if lines is None and sys.stdin.isatty():
            self._console.print(HELP + "\n")
            while True:
                try:
                    line = self._console.input("[bold]citebot>[/bold] ")
                except (EOFError, KeyboardInterrupt):
                    self._console.print()
                    return
                if not self.handle(line):
                    return
        else:
            for line in lines if lines is not None else sys.stdin:
                if line.strip():
                    self._console.print(f"[bold]> {escape(line.strip())}[/bold]")
                if not self.handle(line):
                    return
