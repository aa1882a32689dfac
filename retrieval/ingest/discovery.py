"""Which files an ingest run covers, and whether ingesting them would change anything.

Re-running `citebot ingest` over a folder that has not changed is common (a cron job, a habit, a
script that ingests before asking), and it should cost about as much as listing the sources. Reading
and hashing the files and comparing them with the live records needs neither the embedder (torch)
nor llama-index, so `UnchangedCheck` does only that, and the full ingest runs only when it finds
something to do. This module imports neither, on purpose.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from retrieval.index.store import CorpusStore
from retrieval.ingest.readers import ArticleReader, DocumentError
from retrieval.models.answers import IngestReport
from retrieval.models.records import DocumentRecord, record_key


@dataclass(frozen=True)
class IngestTarget:
    """A file to ingest, and the folder argument it was found under (None for a file argument)."""

    path: Path
    folder: Path | None


def discover(paths: Iterable[Path]) -> tuple[list[IngestTarget], list[dict[str, str]]]:
    """Files to ingest under `paths` (hidden files skipped), and errors for paths that do not exist."""
    targets: list[IngestTarget] = []
    errors: list[dict[str, str]] = []
    for path in paths:
        if path.is_dir():
            folder = path.resolve()
            for file in sorted(p for p in folder.rglob("*") if p.is_file()):
                if not any(part.startswith(".") for part in file.relative_to(folder).parts):
                    targets.append(IngestTarget(file, folder))
        elif path.is_file():
            targets.append(IngestTarget(path.resolve(), None))
        else:
            errors.append({"path": str(path), "error": "no such file or directory"})
    return targets, errors


def ingested_folders(paths: Sequence[Path], targets: Sequence[IngestTarget]) -> set[Path]:
    """The folders an ingest run covers whole: a document once ingested from one of them whose file
    is gone was deleted by its owner, and leaves the index too."""
    return {t.folder for t in targets if t.folder is not None} | {p.resolve() for p in paths if p.is_dir()}


def vanished(records: Iterable[DocumentRecord], folders: set[Path]) -> list[DocumentRecord]:
    """The records ingested from a file under `folders` that no longer exists."""
    gone = []
    for record in records:
        if record.path:
            path = Path(record.path)
            if any(path.is_relative_to(folder) for folder in folders) and not path.exists():
                gone.append(record)
    return gone


class UnchangedCheck:
    """Tells whether ingesting some paths would leave the index as it is, reading the files and the
    live records only."""

    def __init__(self, store: CorpusStore, reader: ArticleReader) -> None:
        self._store = store
        self._reader = reader

    def report(
        self, paths: Sequence[Path], scope: str, overrides: dict[str, str] | None = None
    ) -> IngestReport | None:
        """The report the full ingest would give when every file is already live at its current
        content and none has vanished; None as soon as anything would change or fail (a new, changed,
        unreadable, missing or duplicate file, a write a crash left unfinished, or a live document
        whose sentence vectors a damaged file lost), so that the full ingest does it and reports it."""
        targets, errors = discover(paths)
        if errors:
            return None
        records = self._store.documents([scope])
        if any(record.pending_hash or record.stale_hash for record in records):
            return None  # a write a crash interrupted: the full ingest's service recovers it first
        live = {record.doc_id: record.content_hash for record in records}
        report = IngestReport()
        seen: set[str] = set()
        for target in targets:
            try:
                document = self._reader.read_path(target.path, overrides)
            except DocumentError:
                return None
            if document.doc_id in seen or live.get(document.doc_id) != document.content_hash:
                return None
            if not self._store.sentences.has_version(record_key(scope, document.doc_id), document.content_hash):
                return None
            seen.add(document.doc_id)
            report.articles.append(document.meta)
            report.unchanged += 1
        if vanished(records, ingested_folders(paths, targets)):
            return None
        return report
