"""Sentence vectors at question time: stored ones where ingest kept them, the embedder for the rest,
cached by sentence (a bounded LRU shared by the service's threads)."""

import threading
from collections.abc import Sequence

import numpy as np
from cachetools import LRUCache
from llama_index.core.base.embeddings.base import BaseEmbedding

from retrieval.answer.candidates import Candidate
from retrieval.index.sentence_vectors import SentenceKey, SentenceVectorSource, unit


class SentenceEmbedder:
    """Sentence vectors: the one stored with the document version at ingest (`vectors`), or one the
    model computes now, each cached apart, per document version.

    Shared by every question of a bot, from several threads at once, for as long as the bot runs:
    its caches are bounded LRU caches behind one lock, and a call never reads back from the cache
    what it needs (it keeps its own vectors in a local dict), so an eviction caused by the same or
    another call cannot make it fail.
    """

    def __init__(self, embed_model: BaseEmbedding, vectors: SentenceVectorSource | None, cache_size: int) -> None:
        self._embed_model = embed_model
        self._vectors = vectors
        self._lock = threading.Lock()
        self._cache: LRUCache[SentenceKey, np.ndarray] = LRUCache(maxsize=cache_size)
        self._stored: LRUCache[SentenceKey, np.ndarray] = LRUCache(maxsize=cache_size)

    @property
    def cached_embeddings(self) -> int:
        with self._lock:
            return len(self._cache)

    def embed(self, candidates: Sequence[Candidate], stored: bool) -> np.ndarray:
        """Unit-length vectors of the candidates, stored ones first when `stored`.

        The model runs outside the lock (it is the slow part); two threads missing the same
        sentence may both embed it, which costs time, never correctness.
        """
        if not candidates:
            return np.zeros((0, 0), dtype=np.float32)
        keys = [SentenceKey(c.record.key, c.record.content_hash, c.start, c.end) for c in candidates]
        vectors: dict[SentenceKey, np.ndarray] = self._stored_vectors(keys) if stored else {}
        with self._lock:
            for key in keys:
                cached = None if key in vectors else self._cache.get(key)
                if cached is not None:
                    vectors[key] = cached
        missing = list(dict.fromkeys(k for k in keys if k not in vectors))
        if missing:
            texts = {k: c.text for k, c in zip(keys, candidates, strict=True)}
            computed = self._embed_model.get_text_embedding_batch([texts[k] for k in missing])
            fresh = {k: unit(np.asarray(v, dtype=np.float32)) for k, v in zip(missing, computed, strict=True)}
            vectors.update(fresh)
            with self._lock:
                self._cache.update(fresh)
        return np.stack([vectors[k] for k in keys])

    def _stored_vectors(self, keys: Sequence[SentenceKey]) -> dict[SentenceKey, np.ndarray]:
        """The vectors stored at ingest for those of `keys` that have one."""
        if self._vectors is None:
            return {}
        with self._lock:
            found = {key: self._stored[key] for key in keys if key in self._stored}
        unread = list(dict.fromkeys(key for key in keys if key not in found))
        if unread:
            read = self._vectors.sentence_vectors(unread)
            found.update(read)
            with self._lock:
                self._stored.update(read)
        return found
