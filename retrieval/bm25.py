"""The keyword side of hybrid search: a bm25s index over the live chunks.

The index is derived data: it is rebuilt from Chroma's live chunks whenever the set of live document
versions changes, and persisted with a fingerprint of that set so a restart reuses it only when it
still agrees with Chroma.
"""

import hashlib
import json
import math
import shutil
from collections.abc import Sequence
from dataclasses import asdict
from functools import cached_property, lru_cache
from pathlib import Path

import bm25s
import numpy as np
import Stemmer

from retrieval.models import StoredChunk
from retrieval.recency import publication_day
from retrieval.sentences import NLTK_DATA

_STEMMER = Stemmer.Stemmer("english")


@lru_cache(maxsize=1)
def stopwords() -> list[str]:
    """NLTK's English list (bundled with llama-index): unlike bm25s's short default it drops
    question words ("what", "did", "about"), which would otherwise count as evidence. Read from its
    file, as `nltk.corpus.stopwords` would, without importing NLTK (see `sentences._punkt`)."""
    return (NLTK_DATA / "corpora" / "stopwords" / "english").read_text(encoding="utf-8").split()


_FORMAT = 2
"""Bumped when what the saved index holds changes (2: each chunk's publication date), so an index
saved by an older citebot is rebuilt instead of loaded."""


def fingerprint(live_hashes: dict[str, str]) -> str:
    """Identifies a set of live document versions (and the saved index's format)."""
    payload = json.dumps([_FORMAT, sorted(live_hashes.items())])
    return hashlib.sha256(payload.encode()).hexdigest()


def analyse_many(texts: Sequence[str]) -> list[list[str]]:
    """Lowercased, stemmed content words, as BM25 sees them (stopwords removed)."""
    if not texts:
        return []
    return bm25s.tokenize(
        list(texts), stopwords=stopwords(), stemmer=_STEMMER, return_ids=False, show_progress=False
    )


def stem_words(words: Sequence[str]) -> list[str]:
    """The stems BM25 would give these lowercased words."""
    return _STEMMER.stemWords(list(words))


def analyse(text: str) -> list[str]:
    return analyse_many([text])[0]


def _newest_days(chunks: Sequence[StoredChunk], scope_count: int, scope_codes: np.ndarray) -> np.ndarray:
    """The latest publication day (proleptic ordinal) of each scope's chunks, 0 where none is dated:
    computed once per index, so a question looks up its scopes instead of scanning every chunk."""
    days = np.fromiter((publication_day(c.published) or 0 for c in chunks), dtype=np.int64, count=len(chunks))
    newest = np.zeros(scope_count, dtype=np.int64)
    np.maximum.at(newest, scope_codes, days)
    return newest


def _scope_codes(chunks: Sequence[StoredChunk]) -> tuple[dict[str, int], np.ndarray]:
    """Each chunk's scope as a small integer: the per-question scope mask compares integers, which
    at 100k chunks is several times faster than comparing the scope strings."""
    numbers: dict[str, int] = {}
    codes = np.fromiter((numbers.setdefault(c.scope, len(numbers)) for c in chunks), dtype=np.int32, count=len(chunks))
    return numbers, codes


class BM25Index:
    """BM25 over chunks, filterable by scope, with the document frequencies the answerer reuses."""

    def __init__(self, chunks: Sequence[StoredChunk], fingerprint_value: str) -> None:
        self.chunks = list(chunks)
        self.fingerprint = fingerprint_value
        self._scope_numbers, self._scope_codes = _scope_codes(self.chunks)
        self._newest = _newest_days(self.chunks, len(self._scope_numbers), self._scope_codes)
        self._retriever: bm25s.BM25 | None = None
        self._document_frequency: dict[str, int] = {}
        if self.chunks:
            corpus_tokens = analyse_many([c.text for c in self.chunks])
            self._retriever = bm25s.BM25()
            self._retriever.index(corpus_tokens, show_progress=False)
            for tokens in corpus_tokens:
                for token in set(tokens):
                    self._document_frequency[token] = self._document_frequency.get(token, 0) + 1

    def __len__(self) -> int:
        return len(self.chunks)

    def idf(self, token: str) -> float:
        """Smoothed inverse document frequency of an analysed token over the chunks."""
        n = max(len(self.chunks), 1)
        df = self._document_frequency.get(token, 0)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    @cached_property
    def _scope_sizes(self) -> np.ndarray:
        """How many chunks each scope code has: counted once per index, so `share_of` does not scan
        the chunks again after `search` has masked them."""
        return np.bincount(self._scope_codes, minlength=len(self._scope_numbers))

    def share_of(self, scopes: Sequence[str]) -> float:
        """The part of the indexed chunks that lie in `scopes` (1 for an empty index): how far the
        vector search must look past other scopes' chunks (`CorpusStore.query_vectors`)."""
        if not self.chunks:
            return 1.0
        wanted = {self._scope_numbers[s] for s in scopes if s in self._scope_numbers}
        return float(sum(int(self._scope_sizes[code]) for code in wanted)) / len(self.chunks)

    def newest_day(self, scopes: Sequence[str]) -> int | None:
        """The latest publication day among the chunks in `scopes` (None when none is dated)."""
        newest = max((int(self._newest[self._scope_numbers[s]]) for s in scopes if s in self._scope_numbers), default=0)
        return newest or None

    def search(self, query: str, top_k: int, scopes: Sequence[str]) -> list[tuple[StoredChunk, float]]:
        """Best chunks for `query` among those in `scopes`, with their BM25 scores (> 0 only)."""
        tokens = [t for t in analyse(query) if t in self._document_frequency]
        if self._retriever is None or not tokens:
            return []
        wanted = [self._scope_numbers[s] for s in scopes if s in self._scope_numbers]
        mask = np.isin(self._scope_codes, wanted).astype(np.float32)
        k = min(top_k, len(self.chunks))
        indices, scores = self._retriever.retrieve(
            [tokens], k=k, weight_mask=mask, show_progress=False, n_threads=1
        )
        return [
            (self.chunks[int(i)], float(s))
            for i, s in zip(indices[0], scores[0], strict=True)
            if s > 0
        ]

    def save(self, directory: Path) -> None:
        """Persist atomically: written beside, then renamed over the previous copy."""
        staging = directory.with_name(directory.name + ".tmp")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        if self._retriever is not None:
            self._retriever.save(str(staging / "bm25"))
        meta = {"fingerprint": self.fingerprint, "chunks": [asdict(c) for c in self.chunks],
                "df": self._document_frequency}
        (staging / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
        backup = directory.with_name(directory.name + ".old")
        shutil.rmtree(backup, ignore_errors=True)
        if directory.exists():
            directory.rename(backup)
        staging.rename(directory)
        shutil.rmtree(backup, ignore_errors=True)

    @classmethod
    def load(cls, directory: Path, expected_fingerprint: str) -> "BM25Index | None":
        """The saved index if it matches `expected_fingerprint`, else None (callers rebuild)."""
        meta_path = directory / "meta.json"
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if meta.get("fingerprint") != expected_fingerprint:
            return None
        index = cls.__new__(cls)
        index.chunks = [StoredChunk(**c) for c in meta["chunks"]]
        index.fingerprint = expected_fingerprint
        index._scope_numbers, index._scope_codes = _scope_codes(index.chunks)
        index._newest = _newest_days(index.chunks, len(index._scope_numbers), index._scope_codes)
        index._document_frequency = meta["df"]
        index._retriever = None
        if index.chunks:
            try:
                index._retriever = bm25s.BM25.load(str(directory / "bm25"))
            except (OSError, ValueError):
                return None
        return index

