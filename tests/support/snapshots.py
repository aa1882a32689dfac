"""What an upload must leave unchanged when it is refused, and what it must never write to: the index
state of a service and the files outside its data directory."""

import os
import re
from pathlib import Path

from retrieval.service import AnswerService
from tests.support.services import REPO


def index_state(service: AnswerService) -> tuple:
    """Everything an upload could change: live documents, Chroma chunk ids and the BM25 snapshot."""
    store = service.store
    return (
        store.live_hashes(),
        sorted(store.chunks.collection.get(include=["metadatas"])["ids"]),
        sorted(store.records.collection.get(include=["metadatas"])["ids"]),
        service.snapshots.latest.bm25.fingerprint,
        sorted(c.chunk_id for c in service.snapshots.latest.bm25.chunks),
    )


_IGNORED = {".git", "__pycache__", ".pytest_cache", ".hypothesis", ".venv"}
"""Folders left out: version control, test-run caches and the virtualenv, which a fresh clone holds
inside the repository (tens of thousands of files that no upload touches)."""


_OTHER_PYTEST_RUN = re.compile(r"pytest-(\d+|current)")
"""The temporary folders of pytest runs, which another run on the machine adds and removes meanwhile."""


def files_outside(service: AnswerService, root: Path) -> set[Path]:
    """Every file under `root` and the repository except the data directory's (and test-run caches),
    plus the entries of the folders a `../../` name could reach from either: what an upload must
    never add to."""
    data_dir = service.settings.data_dir.resolve()
    found: set[Path] = set()
    for tree in (root.resolve(), REPO):
        for folder, dirs, files in os.walk(tree):
            dirs[:] = [d for d in dirs if d not in _IGNORED and Path(folder, d) != data_dir]
            found.update(Path(folder, name) for name in dirs + files)
    for folder in (root.resolve().parent, root.resolve().parent.parent, REPO.parent, Path("/")):
        found.update(entry for entry in folder.iterdir() if not _OTHER_PYTEST_RUN.fullmatch(entry.name))
    return found
