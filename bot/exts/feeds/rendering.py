"""What `/feed` and `/refresh` say: a poll's outcome, the feed list with each feed's last poll, and
a refresh's outcome per document, each within one message's 2,000 characters."""

from collections.abc import Sequence

from bot.rendering import inline, plain, trim
from bot.wording import plural, short_title
from retrieval import FeedPoll, FeedStatus, RefreshOutcome, RefreshReport

MESSAGE_LIMIT = 2000


def fitted(lines: Sequence[str], limit: int = MESSAGE_LIMIT) -> str:
    """`lines` joined, as many as fit, then how many were left out."""
    shown: list[str] = []
    for number, line in enumerate(lines):
        rest = f"\n… and {plural(len(lines) - number, 'more line')}"
        if len("\n".join([*shown, line])) + len(rest) > limit:
            return "\n".join(shown) + rest
        shown.append(line)
    return "\n".join(shown)


def feed_name(feed: FeedStatus) -> str:
    return f"*{plain(short_title(feed.title))}*" if feed.title else inline(feed.url)


def describe_subscription(poll: FeedPoll) -> str:
    """`/feed add`'s reply: subscribed, and what its first poll ingested."""
    lines = [f"✅ Subscribed to {feed_name(poll.feed)} (feed {poll.feed.feed_id}, {inline(poll.feed.url)}): "
             f"{plural(len(poll.ingested), 'article')} ingested now; new entries are fetched at each poll."]
    return fitted(lines + _article_lines(poll) + _failure_lines(poll))


def _article_lines(poll: FeedPoll) -> list[str]:
    return [f"• *{plain(short_title(a.title))}*" + (f", {a.published}" if a.published else "") for a in poll.ingested]


def _failure_lines(poll: FeedPoll) -> list[str]:
    if not poll.failures:
        return []
    head = f"⚠️ {plural(len(poll.failures), 'entry', 'entries')} could not be ingested:"
    return [head] + [
        f"• {plain(trim(failure.error, 300))}" + ("" if failure.given_up else " (tried again at the next poll)")
        for failure in poll.failures
    ]


def describe_feeds(feeds: Sequence[FeedStatus], vanished: Sequence[RefreshOutcome]) -> str:
    """`/feed list`: each feed with its last poll (new articles, all so far, the last error), then the
    web documents whose page was gone at their last refresh."""
    if not feeds:
        lines = ["This server is subscribed to no feed. Add one with `/feed add url:`."]
    else:
        lines = [f"**{plural(len(feeds), 'feed')}** (remove one with `/feed remove`):"]
    for feed in feeds:
        polled = f"last poll <t:{int(feed.polled_at)}:R>, {plural(feed.new_items, 'new article')}" if feed.polled_at \
            else "not polled yet"
        lines.append(f"**{feed.feed_id}** · {feed_name(feed)} · {inline(feed.url)} · {polled} · "
                     f"{plural(feed.total_items, 'article')} in all")
        if feed.last_error:
            lines.append(f"  ⚠️ last error: {plain(trim(feed.last_error, 300))}")
    if vanished:
        lines.append("⚠️ Web pages gone at their last refresh (the documents are kept; /remove them if they should go):")
        lines += [f"• `{outcome.doc_id}`: {plain(outcome.detail)}" for outcome in vanished]
    return fitted(lines)


_SAID = {
    "not-modified": "✅ `{doc}` is unchanged (the server says so).",
    "unchanged": "✅ `{doc}` is unchanged.",
    "updated": "🔄 `{doc}` changed: the new version replaced the old one.",
    "vanished": "⚠️ `{doc}`: the page is gone ({detail}). The document is kept; /remove it if it should go.",
    "failed": "❌ `{doc}` was not refreshed: {detail}. The document is kept as it was.",
}


def describe_refresh(report: RefreshReport) -> str:
    if not report.outcomes:
        return "This server has no document fetched from a URL to refresh."
    return fitted([_SAID[o.status].format(doc=o.doc_id, detail=plain(trim(o.detail, 300))) for o in report.outcomes])
