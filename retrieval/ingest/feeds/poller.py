"""Polling the feeds a scope subscribes to: each poll fetches the feed conditionally through the
guarded fetcher (a `304 Not Modified` costs one request), reads it with feedparser, and ingests the
article of each entry not seen before through the editor, dated by the entry. An entry counts as
seen only once its article is in the index, so one that failed is tried again at the next poll, up
to `max_attempts` polls: then it is given up and reported once, so that an entry whose page is gone
for good neither costs a fetch at every poll nor keeps every poll from being conditional. The
feed's validators are kept only after a poll that took every new entry, so that a `304` never hides
an entry still to take."""

import logging
from collections.abc import Sequence

from retrieval.ingest.editor import CorpusEditor
from retrieval.ingest.feeds.parsing import FeedEntry, FeedError, ParsedFeed, UnknownFeed, parse_feed
from retrieval.ingest.feeds.store import FeedStore
from retrieval.ingest.web import FEED, FetchedPage, FetchError, Validators, WebFetcher, check_url
from retrieval.models.article import ArticleMeta
from retrieval.models.feeds import EntryFailure, FeedPoll, FeedStatus

log = logging.getLogger(__name__)


class FeedPoller:
    """Subscribes scopes to feeds and polls them; `fetcher` is the guarded fetcher with the feed
    size limit, `max_entries` the most articles one poll of one feed ingests (the rest wait for the
    next poll, newest first), `max_attempts` the polls an entry may fail before it is given up."""

    def __init__(
        self, store: FeedStore, fetcher: WebFetcher, editor: CorpusEditor, max_entries: int, max_attempts: int
    ) -> None:
        self._store = store
        self._fetcher = fetcher
        self._editor = editor
        self._max_entries = max_entries
        self._max_attempts = max_attempts

    def subscribe(self, url: str, scope: str) -> FeedPoll:
        """Subscribe `scope` to the feed at `url` and take its entries now. A URL that is refused, a
        server that cannot be reached, a page that is no feed and a feed already subscribed to are
        `FeedError`s, and nothing is stored."""
        try:
            normalised = str(check_url(url))
        except FetchError as exc:
            raise FeedError(str(exc)) from exc
        if self._store.find(scope, normalised) is not None:
            raise FeedError(f"already subscribed to {normalised} here")
        try:
            page = self._fetcher.fetch_if_changed(normalised, Validators(), FEED)
        except FetchError as exc:
            raise FeedError(f"cannot read the feed: {exc}") from exc
        assert page is not None, "an unconditional request is never answered 304"
        parsed = parse_feed(page)
        feed = self._store.add(scope, normalised, parsed.title)
        if feed is None:  # subscribed meanwhile, by another command
            raise FeedError(f"already subscribed to {normalised} here")
        return self._take(feed, page, parsed)

    def unsubscribe(self, feed: str, scope: str) -> FeedStatus:
        """Remove `scope`'s subscription named by URL or id; its articles stay documents of the scope."""
        found = self._store.find(scope, feed.strip()) or self._store.find(scope, _normalised(feed))
        if found is None:
            raise UnknownFeed(feed)
        self._store.remove(found)
        return found

    def subscriptions(self, scopes: Sequence[str] | None = None) -> list[FeedStatus]:
        return self._store.feeds(None if scopes is None else list(scopes))

    def poll_all(self, scopes: Sequence[str] | None = None) -> list[FeedPoll]:
        """Poll every feed of `scopes` (every scope when None), one after another."""
        return [self.poll(feed) for feed in self.subscriptions(scopes)]

    def poll(self, feed: FeedStatus) -> FeedPoll:
        """One conditional poll of `feed`; what went wrong is recorded on the feed, never raised."""
        try:
            page = self._fetcher.fetch_if_changed(feed.url, self._store.validators(feed), FEED)
            if page is None:
                return FeedPoll(self._store.record_poll(feed, 0, "", None), not_modified=True)
            parsed = parse_feed(page)
        except (FetchError, FeedError) as exc:
            log.warning("feed %s of %s: %s", feed.url, feed.scope, exc)
            return FeedPoll(self._store.record_poll(feed, 0, str(exc), None), error=str(exc))
        return self._take(feed, page, parsed)

    def _take(self, feed: FeedStatus, page: FetchedPage, parsed: ParsedFeed) -> FeedPoll:
        """Ingest the entries of `parsed` not seen before, newest first, up to `max_entries`."""
        unseen = [entry for entry in parsed.entries if not self._store.seen(feed, entry.key, entry.link)]
        unseen.sort(key=lambda entry: entry.published, reverse=True)  # stable: undated keep the feed's order
        taken = [self._ingest(feed, entry) for entry in unseen[: self._max_entries]]
        ingested = [outcome for outcome in taken if isinstance(outcome, ArticleMeta)]
        failures = [outcome for outcome in taken if isinstance(outcome, EntryFailure)]
        complete = not failures and len(unseen) <= self._max_entries
        error = failures[0].error if failures else ""
        updated = self._store.record_poll(feed, len(ingested), error, page.validators if complete else None)
        return FeedPoll(updated, ingested, failures)

    def _ingest(self, feed: FeedStatus, entry: FeedEntry) -> ArticleMeta | EntryFailure:
        """The entry's article ingested into the feed's scope, dated by the entry, or why it was not."""
        if not entry.link:
            self._store.mark_seen(feed, entry.key, "", "")  # nothing to fetch, ever: reported once
            return EntryFailure(entry.key, "the entry links to no article", given_up=True)
        overrides = {"published": entry.published} if entry.published else None
        report = self._editor.ingest_url(entry.link, feed.scope, overrides)
        if report.errors:
            error = f"{entry.link}: {report.errors[0]['error']}"
            if self._store.record_failure(feed, entry.key) < self._max_attempts:
                return EntryFailure(entry.link, error)
            self._store.mark_seen(feed, entry.key, entry.link, "")
            return EntryFailure(entry.link, f"{error} (given up after {self._max_attempts} polls)", given_up=True)
        article = report.articles[0]
        self._store.mark_seen(feed, entry.key, entry.link, article.doc_id)
        return article


def _normalised(url: str) -> str:
    try:
        return str(check_url(url))
    except FetchError:
        return url
