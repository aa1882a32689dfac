"""The commands that watch web sources: `feed add|list|remove|poll` and `refresh`.

Without `--guild` they work on the shared corpus (`citebot ingest`'s); with `--guild ID` on that
server's scope, as its admins' `/feed` and `/refresh` do. `feed list` reads the feed store only, never
the model; `feed poll --all` polls every scope's feeds, as the bot's loop does (for a cron job)."""

import argparse
import datetime as dt
from typing import TYPE_CHECKING

from rich.markup import escape

from bot.cli.invocation import EXIT_FAILED, EXIT_OK, EXIT_USAGE, Invocation
from bot.wording import plural

if TYPE_CHECKING:
    from retrieval import FeedPoll, FeedStatus, RefreshReport


def feed_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["add", "list", "remove", "poll"],
                        help="add URL: subscribe and ingest its articles now; list: the feeds, their last poll and "
                             "error; remove URL|ID: unsubscribe (its articles stay); poll: poll the feeds now")
    parser.add_argument("feed", nargs="?", metavar="URL|ID", help="the feed to add or remove")
    parser.add_argument("--all", action="store_true", help="poll: every scope's feeds, as the bot's loop polls them")
    _scope_arguments(parser)


def refresh_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("doc_id", nargs="?", help="one document fetched from a URL (default: all of them)")
    _scope_arguments(parser)


def _scope_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--guild", type=int, help="a server's scope (guild id) instead of the shared corpus")
    parser.add_argument("--json", action="store_true")


def _scope(run: Invocation) -> str:
    from bot.scopes import guild_scope
    from retrieval import SHARED_SCOPE

    return SHARED_SCOPE if run.args.guild is None else guild_scope(run.args.guild)


def feed(run: Invocation) -> int:
    scope = _scope(run)
    if run.args.action in ("add", "remove") and not run.args.feed:
        run.err.print(f"error: feed {run.args.action} needs the feed's URL" + (" or id" if run.args.action == "remove" else ""))
        return EXIT_USAGE
    if run.args.action == "list":
        from retrieval import build_feed_store

        store = build_feed_store(run.settings)
        feeds = store.feeds([scope])
        store.close()
        _show_feeds(run, feeds)
    elif run.args.action == "add":
        _show_polls(run, [run.service.feeds.subscribe(run.args.feed, scope)])
    elif run.args.action == "remove":
        removed = run.service.feeds.unsubscribe(run.args.feed, scope)
        _show_feeds(run, [removed], f"unsubscribed from {removed.url} (its articles stay)")
    else:
        polls = run.service.feeds.poll_all(None if run.args.all else [scope])
        _show_polls(run, polls)
        return EXIT_FAILED if polls and all(poll.error for poll in polls) else EXIT_OK
    return EXIT_OK


def refresh(run: Invocation) -> int:
    report = run.service.refresher.refresh(_scope(run), run.args.doc_id)
    if run.wants_json:
        run.print_json(report.to_json())
    else:
        _render_refresh(run, report)
    return EXIT_FAILED if report.with_status("failed") else EXIT_OK


def _show_feeds(run: Invocation, feeds: "list[FeedStatus]", heading: str = "") -> None:
    if run.wants_json:
        run.print_json([status.to_json() for status in feeds])
        return
    if heading:
        run.out.print(escape(heading))
    elif not feeds:
        run.out.print("No feed subscribed here: `citebot feed add URL` adds one.")
    for status in feeds:
        polled = (f"last poll {_when(status.polled_at)}, {plural(status.new_items, 'new article')}"
                  if status.polled_at is not None else "not polled yet")
        run.out.print(escape(f"{status.feed_id}  {status.title or '(untitled)'}  {status.url}  {polled}, "
                             f"{plural(status.total_items, 'article')} in all"))
        if status.last_error:
            run.out.print(escape(f"   last error: {status.last_error}"))


def _show_polls(run: Invocation, polls: "list[FeedPoll]") -> None:
    if run.wants_json:
        run.print_json([poll.to_json() for poll in polls])
        return
    for poll in polls:
        name = poll.feed.title or poll.feed.url
        if poll.error:
            run.err.print(escape(f"error: {name}: {poll.error}"))
        elif poll.not_modified:
            run.out.print(escape(f"{name}: not modified since the last poll"))
        else:
            run.out.print(escape(f"{name}: {plural(len(poll.ingested), 'new article')} ingested"))
        for article in poll.ingested:
            run.out.print(escape(f"  {article.doc_id}  {article.published or 'undated'}  {article.title}"))
        for failure in poll.failures:
            retried = "" if failure.given_up else " (tried again at the next poll)"
            run.err.print(escape(f"  not ingested{retried}: {failure.error}"))


_SAID = {"not-modified": "not modified", "unchanged": "unchanged", "updated": "updated: the new version replaced the old",
         "vanished": "vanished, kept", "failed": "not refreshed, kept"}


def _render_refresh(run: Invocation, report: "RefreshReport") -> None:
    if not report.outcomes:
        run.out.print("No document fetched from a URL here.")
    for outcome in report.outcomes:
        line = f"{outcome.doc_id}: {_SAID[outcome.status]}" + (f" ({outcome.detail})" if outcome.detail else "")
        (run.err if outcome.status in ("vanished", "failed") else run.out).print(escape(line))


def _when(timestamp: float) -> str:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
