"""What a reader sees of the corpus: the live version of each document and the BM25 index over
exactly those versions, swapped as a whole when anyone (this process or another sharing the data
dir) commits or removes a document.

Each question reads one `CorpusSnapshot` from start to finish, so a write that lands mid-question
can neither mix two versions of a document into one answer nor leave BM25 and the vectors
disagreeing about which chunks are live.
"""

import threading
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock

from retrieval.bm25 import BM25Index, fingerprint
from retrieval.store import CorpusStore


@dataclass(frozen=True)
class CorpusSnapshot:
    bm25: BM25Index
    live: dict[str, str]
    """record_key -> content hash of the committed version: chunks of other versions are ignored."""
    generation: str


class SnapshotKeeper:
    """Keeps the current snapshot: one generation read per question when nothing changed, a reload
    (BM25 rebuilt only if the live versions differ, else taken from the on-disk cache) when it did."""

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
        """The snapshot for `generation`, which must have been read before the live hashes are."""
        live = self._store.live_hashes()
        expected = fingerprint(live)
        if previous is not None and previous.bm25.fingerprint == expected:
            return CorpusSnapshot(previous.bm25, live, generation)
        with self._bm25_lock:
            bm25 = BM25Index.load(self._bm25_dir, expected)
            if bm25 is None:
                bm25 = BM25Index(self._store.live_chunks(live), expected)
                bm25.save(self._bm25_dir)
        return CorpusSnapshot(bm25, live, generation)
