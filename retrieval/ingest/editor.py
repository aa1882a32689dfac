"""Every change to the corpus, one at a time: files and folders, an uploaded file, a web page by its
URL, a removal. Each ends by bringing the readers' snapshot up to date, so the next question reads
what was written; questions meanwhile read the snapshot they started with."""

import threading
from collections.abc import Sequence
from pathlib import Path

from retrieval.index.snapshots import SnapshotKeeper
from retrieval.index.store import CorpusStore
from retrieval.ingest.ingestor import Ingestor, ProgressCallback
from retrieval.ingest.readers import ArticleReader, DocumentError
from retrieval.ingest.web import FetchedPage, FetchError, WebFetcher, url_document_id
from retrieval.models.answers import IngestReport
from retrieval.models.records import SHARED_SCOPE


class CorpusEditor:
    """The write side of `AnswerService`: one writer at a time in this process (other processes are
    kept apart by the store's write protocol)."""

    def __init__(
        self, corpus_dir: Path, store: CorpusStore, snapshots: SnapshotKeeper, ingestor: Ingestor,
        reader: ArticleReader, fetcher: WebFetcher,
    ) -> None:
        self._corpus_dir = corpus_dir
        self._store = store
        self._snapshots = snapshots
        self._ingestor = ingestor
        self._reader = reader
        self._fetcher = fetcher
        self._lock = threading.RLock()

    def ingest(
        self, paths: Sequence[Path] | None = None, scope: str = SHARED_SCOPE, progress: ProgressCallback | None = None,
        overrides: dict[str, str] | None = None,
    ) -> IngestReport:
        """Ingest files and folders (default: the corpus folder) into `scope`; `overrides` (a
        publication date given on the command line, say) win over what each file says."""
        with self._lock:
            report = self._ingestor.ingest_paths(list(paths or [self._corpus_dir]), scope, progress, overrides)
            self._snapshots.current()
            return report

    def ingest_bytes(
        self, data: bytes, filename: str, scope: str, overrides: dict[str, str] | None = None, source: str = ""
    ) -> IngestReport:
        """Ingest one uploaded file (`source`: the URL it came from); a bad file is reported in `errors`."""
        report = IngestReport()
        with self._lock:
            try:
                document = self._reader.read_bytes(data, filename, source_path=source, overrides=overrides)
                self._ingestor.ingest_document(document, scope, report)
            except DocumentError as exc:
                report.errors.append({"path": filename, "error": str(exc)})
            self._snapshots.current()
        return report

    def ingest_url(self, url: str, scope: str = SHARED_SCOPE, overrides: dict[str, str] | None = None) -> IngestReport:
        """Fetch a web article (see `retrieval.ingest.web` for what is refused) and ingest it with its URL, so
        citations link to it; its id comes from the URL, so fetching it again updates it. A URL that
        cannot be fetched or read is reported in `errors`, nothing else changes."""
        try:
            page = self._fetcher.fetch(url)
        except FetchError as exc:
            return IngestReport(errors=[{"path": url, "error": str(exc)}])
        return self.ingest_page(page, scope, overrides)

    def ingest_page(
        self, page: FetchedPage, scope: str, overrides: dict[str, str] | None = None, source: str = ""
    ) -> IngestReport:
        """Ingest a fetched article, linked to the URL it was served from. `source` (default: that
        URL) is what the document's identity is checked by: a refreshed page keeps its own."""
        doc_id = url_document_id(page.url)
        fields = {"id": doc_id, **(overrides or {}), "url": page.url}
        return self.ingest_bytes(page.body, fields["id"] + page.suffix, scope, fields, source=source or page.url)

    def remove(self, doc_id: str, scope: str = SHARED_SCOPE) -> bool:
        """Delete a document and its chunks from Chroma and BM25; False if it did not exist."""
        with self._lock:
            removed = self._store.remove(scope, doc_id)
            self._snapshots.current()
            return removed

    def ensure_corpus(self, progress: ProgressCallback | None = None) -> IngestReport | None:
        """Ingest the corpus folder when the index is empty (first run); None when not needed."""
        if self._snapshots.current().live or not self._corpus_dir.is_dir():
            return None
        return self.ingest(progress=progress)
