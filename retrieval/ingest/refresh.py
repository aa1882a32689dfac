"""Refreshing the documents that came from a URL: each page is fetched again, conditionally, through
the guarded fetcher. A `304 Not Modified` costs one request; a page whose content is the same costs
a hash and no embedding (the ingestor's unchanged check); a changed page replaces its document's
version through the editor's write protocol, atomically; a page that is gone (404, 410) is reported
and its document kept, as is one that cannot be fetched or read for any other reason.

A refresh keeps what the document was given when it was added: its id, title and publication day
(a feed entry's date, an admin's), so only the page's content decides whether it changed."""

import logging
from collections.abc import Sequence

from retrieval.index.store import CorpusStore
from retrieval.ingest.editor import CorpusEditor
from retrieval.ingest.page_state import PageStates
from retrieval.ingest.web import FetchError, PageGone, Validators, WebFetcher
from retrieval.models.feeds import RefreshOutcome, RefreshReport, RefreshStatus
from retrieval.models.records import DocumentRecord

log = logging.getLogger(__name__)


class NoWebDocument(LookupError):
    """A refresh named a document this scope does not have, or one that did not come from a URL."""

    def __init__(self, doc_id: str) -> None:
        super().__init__(f"No web document {doc_id!r} here: only documents fetched from a URL can be refreshed.")
        self.doc_id = doc_id


def from_the_web(record: DocumentRecord) -> bool:
    """Whether `record` was fetched from a URL (`ingest_url` keeps the URL as its path; an uploaded
    file that names where it was published keeps its file name)."""
    return record.path.startswith(("http://", "https://"))


class Refresher:
    def __init__(self, store: CorpusStore, fetcher: WebFetcher, editor: CorpusEditor, states: PageStates) -> None:
        self._store = store
        self._fetcher = fetcher
        self._editor = editor
        self._states = states

    def documents(self, scopes: Sequence[str] | None = None) -> list[DocumentRecord]:
        """The documents of `scopes` (every scope when None) that can be refreshed: those fetched from a URL."""
        return [record for record in self._store.documents(scopes) if from_the_web(record)]

    def refresh(self, scope: str, doc_id: str | None = None) -> RefreshReport:
        """Refresh one web document of `scope`, or all of them (None)."""
        documents = self.documents([scope])
        if doc_id is not None:
            documents = [record for record in documents if record.doc_id == doc_id]
            if not documents:
                raise NoWebDocument(doc_id)
        return RefreshReport(scope, [self._refresh(record) for record in documents])

    def refresh_all(self, scopes: Sequence[str] | None = None) -> list[RefreshReport]:
        """Refresh every web document of `scopes` (every scope when None), one scope after another."""
        by_scope: dict[str, list[DocumentRecord]] = {}
        for record in self.documents(scopes):
            by_scope.setdefault(record.scope, []).append(record)
        return [RefreshReport(scope, [self._refresh(record) for record in by_scope[scope]]) for scope in sorted(by_scope)]

    def vanished(self, scope: str) -> list[RefreshOutcome]:
        """The documents of `scope` whose page was gone when last refreshed, and which are still kept."""
        live = {record.doc_id for record in self._store.documents([scope])}
        return [outcome for outcome in self._states.vanished(scope) if outcome.doc_id in live]

    def _refresh(self, record: DocumentRecord) -> RefreshOutcome:
        url = record.path
        try:
            page = self._fetcher.fetch_if_changed(url, self._states.validators(record.scope, record.doc_id, url))
        except PageGone as exc:
            return self._settle(record, RefreshOutcome(record.doc_id, url, "vanished", str(exc)), None)
        except FetchError as exc:
            return self._settle(record, RefreshOutcome(record.doc_id, url, "failed", str(exc)), None)
        if page is None:
            return self._settle(record, RefreshOutcome(record.doc_id, url, "not-modified"), None)
        kept = {"id": record.doc_id, "title": record.title, "published": record.published}
        report = self._editor.ingest_page(page, record.scope, kept, source=url)
        if report.errors:
            return self._settle(record, RefreshOutcome(record.doc_id, url, "failed", report.errors[0]["error"]), None)
        status: RefreshStatus = "unchanged" if report.unchanged else "updated"
        return self._settle(record, RefreshOutcome(record.doc_id, url, status), page.validators)

    def _settle(self, record: DocumentRecord, outcome: RefreshOutcome, validators: Validators | None) -> RefreshOutcome:
        if outcome.status in ("vanished", "failed"):
            log.warning("refresh of %s in %s: %s (%s)", outcome.doc_id, record.scope, outcome.status, outcome.detail)
        self._states.record(record.scope, outcome, validators)
        return outcome
