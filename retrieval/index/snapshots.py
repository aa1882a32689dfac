"""What a reader sees of the corpus: the live version of each document and the BM25 index over
exactly those versions, swapped as a whole when anyone (this process or another sharing the data
dir) commits or removes a document.

Each question reads one `CorpusSnapshot` from start to finish, so a write that lands mid-question
can neither mix two versions of a document into one answer nor leave BM25 and the vectors
disagreeing about which chunks are live.
"""

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock

from retrieval.index.bm25 import BM25Index, UnusableCache
from retrieval.index.store import CorpusStore
from retrieval.models.records import DocumentRecord

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CorpusSnapshot:
    bm25: BM25Index
    generation: str

    @property
    def live(self) -> dict[str, str]:
        """record_key -> content hash of the committed version: chunks of other versions are ignored.
        The BM25 index covers exactly these versions, so it is what holds them."""
        return self.bm25.live


class SnapshotKeeper:
    """Keeps the current snapshot: one generation read per question when nothing changed, an update
    when it did (BM25 brought to the live versions by their difference: only new versions' chunks
    are read and analysed)."""

    def __init__(self, store: CorpusStore, bm25_dir: Path, bm25_lock: Path) -> None:
        self._store = store
        self._bm25_dir = bm25_dir
        # Processes sharing a data dir (a bot and a CLI ingest) must not save the BM25 cache at once.
        self._bm25_lock = FileLock(bm25_lock)
        self._lock = threading.Lock()
        self._snapshot = self._load(store.generation(), None)

    @property
    def latest(self) -> CorpusSnapshot:
        """The snapshot last loaded, without asking the store whether it is still current."""
        return self._snapshot

    def current(self) -> CorpusSnapshot:
        """The snapshot of the corpus as it is now, whoever changed it."""
        generation = self._store.generation()
        if generation == self._snapshot.generation:
            return self._snapshot
        with self._lock:
            if generation != self._snapshot.generation:
                self._snapshot = self._load(generation, self._snapshot)
            return self._snapshot

    def _load(self, generation: str, previous: CorpusSnapshot | None) -> CorpusSnapshot:
        """The snapshot for `generation`, which must have been read before the live hashes are.

        The index to update is this process's previous one, else the saved one when it can be
        trusted (another process may have saved the very versions live now), else an empty one; the
        result is saved for the next process to start from."""
        records = self._store.documents()
        live = {record.key: record.content_hash for record in records}
        if previous is not None and previous.bm25.live == live:
            return CorpusSnapshot(previous.bm25, generation)
        with self._bm25_lock:
            if previous is not None:
                base = previous.bm25
            else:
                saved = self._saved(records)
                if saved is not None and saved.live == live:
                    return CorpusSnapshot(saved, generation)
                base = saved if saved is not None else BM25Index.empty()
            missing = base.missing(live)
            if len(missing) > len(live) // 2:
                # Mostly new (a first ingest, an old cache): one read of every chunk beats many filtered ones.
                bm25 = BM25Index.build(self._store.live_chunks(live), live)
            else:
                bm25 = base.updated(live, self._store.chunks_of(missing))
            # Another process may have saved these very versions already (then its file is kept).
            if previous is None or BM25Index.saved_fingerprint(self._bm25_dir) != bm25.fingerprint:
                bm25.save(self._bm25_dir)
        return CorpusSnapshot(bm25, generation)

    def _saved(self, records: Sequence[DocumentRecord]) -> BM25Index | None:
        """The index a process saved, once its checksum and its chunks (against the store's live
        `records`) are checked; None when none was saved or, with a one-line notice, when it cannot
        be trusted: the caller then rebuilds it from the store and saves it again."""
        try:
            saved = BM25Index.load(self._bm25_dir)
            if saved is not None:
                saved.check_against(records)
        except UnusableCache as problem:
            log.warning("BM25 cache %s %s; rebuilding it from the store", self._bm25_dir, problem)
            return None
        return saved
