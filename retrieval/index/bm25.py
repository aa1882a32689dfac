"""The keyword side of hybrid search: BM25 over the live chunks, updated in place of rebuilt.

bm25s tokenises (its tokenizer with a Snowball stemmer), but it cannot add or drop a document: its
index stores every posting's final score, which depends on the corpus's size and average length, so
one upload into a 100k-chunk corpus meant reading every chunk back from Chroma, tokenising it and
scoring it again (bm25s issues #98 and #129). `TermCounts` keeps the raw term counts instead and
scores at question time, with bm25s's default formula (Lucene's), which costs a few postings per
query term; adding a version tokenises only its chunks, removing one drops its rows.

The index is derived data, persisted with the live versions it covers and a checksum of its files.
A restart reuses it when the checksum holds and its chunks are the ones the store lists for those
versions, updates it by the difference when versions changed, and rebuilds it when it cannot be
trusted: a cache that only had the right versions was used as it was, even with its rows reordered.
"""

import hashlib
import io
import json
import math
import shutil
import zipfile
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from functools import cached_property
from operator import attrgetter
from pathlib import Path

import numpy as np
from scipy import sparse

from retrieval.language.vocabulary import analyse, analyse_many
from retrieval.models.records import ChunkLocation, DocumentRecord, StoredChunk, chunk_id, record_key
from retrieval.text.dates import publication_day

_K1 = 1.5
_B = 0.75
"""bm25s's defaults, kept so rankings did not move when its index was replaced."""


_LOCATION_ROW = attrgetter(*(field.name for field in fields(ChunkLocation)))
"""A chunk's location as a row of its fields, in order: how the saved index lists them (a dict per
chunk, `dataclasses.asdict`, took seconds at 100k chunks)."""

_FORMAT = 4
"""Bumped when what the saved index holds changes (2: each chunk's publication date; 3: term counts
and the live versions instead of bm25s's scores; 4: a checksum of its files), so an index saved by an
older citebot is rebuilt."""

_FILES = ("meta.json", "counts.npz")
"""The saved index's files, in the order the checksum reads them."""


class UnusableCache(Exception):
    """A saved index that must not be used as it is, and why, worded to follow "BM25 cache <dir>"."""


def _checksum(contents: Sequence[bytes]) -> str:
    """SHA-256 of the saved files, each preceded by its length so no byte can move between them."""
    digest = hashlib.sha256()
    for content in contents:
        digest.update(len(content).to_bytes(8, "little"))
        digest.update(content)
    return digest.hexdigest()


def fingerprint(live_hashes: Mapping[str, str]) -> str:
    """Identifies a set of live document versions (and the saved index's format)."""
    payload = json.dumps([_FORMAT, sorted(live_hashes.items())])
    return hashlib.sha256(payload.encode()).hexdigest()


@dataclass(frozen=True)
class TermCounts:
    """How often each term occurs in each chunk (a chunks × terms sparse matrix, by column so a
    query reads only its terms' postings), and each chunk's length in terms.

    Immutable: `kept` and `extended` return new counts, so a question still reading the old snapshot
    is not disturbed. The vocabulary only grows; a term whose chunks are all gone has no postings.
    """

    matrix: sparse.csc_array
    lengths: np.ndarray
    vocabulary: dict[str, int]

    @classmethod
    def empty(cls) -> "TermCounts":
        return cls(sparse.csc_array((0, 0), dtype=np.float32), np.zeros(0, dtype=np.float32), {})

    def __len__(self) -> int:
        return int(self.matrix.shape[0])

    def extended(self, token_lists: Sequence[Sequence[str]]) -> "TermCounts":
        """These counts with one row more per token list (new terms get new columns)."""
        if not token_lists:
            return self
        vocabulary = dict(self.vocabulary)
        ids = np.fromiter(
            (vocabulary.setdefault(t, len(vocabulary)) for tokens in token_lists for t in tokens), dtype=np.int64
        )
        sizes = np.fromiter((len(tokens) for tokens in token_lists), dtype=np.int64, count=len(token_lists))
        rows = np.repeat(np.arange(len(token_lists)), sizes)
        added = sparse.coo_array(
            (np.ones(len(ids), dtype=np.float32), (rows, ids)), shape=(len(token_lists), len(vocabulary))
        ).tocsc()
        widened = sparse.csc_array(
            (self.matrix.data, self.matrix.indices,
             np.pad(self.matrix.indptr, (0, len(vocabulary) - self.matrix.shape[1]), mode="edge")),
            shape=(len(self), len(vocabulary)),
        )
        matrix = sparse.vstack([widened, added], format="csc", dtype=np.float32)
        return TermCounts(matrix, np.concatenate([self.lengths, sizes.astype(np.float32)]), vocabulary)

    def kept(self, rows: np.ndarray) -> "TermCounts":
        """These counts restricted to `rows` (indices, in order)."""
        if len(rows) == len(self):
            return self
        return TermCounts(sparse.csc_array(self.matrix[rows, :]), self.lengths[rows], self.vocabulary)

    @cached_property
    def document_frequency(self) -> np.ndarray:
        """How many chunks hold each term."""
        return np.diff(self.matrix.indptr)

    @cached_property
    def _length_norm(self) -> np.ndarray:
        """Each chunk's k1 · (1 − b + b · length / average length), the per-chunk part of BM25."""
        average = float(self.lengths.mean()) if len(self) else 1.0
        return (_K1 * (1 - _B + _B * self.lengths / max(average, 1e-9))).astype(np.float32)

    def idf(self, term: str) -> float:
        """Lucene's smoothed inverse document frequency (bm25s's default); an unknown term is as
        rare as can be."""
        term_id = self.vocabulary.get(term)
        df = 0 if term_id is None else int(self.document_frequency[term_id])
        return math.log(1 + (max(len(self), 1) - df + 0.5) / (df + 0.5))

    def scores(self, tokens: Sequence[str]) -> np.ndarray:
        """Every chunk's BM25 score for these analysed query tokens (a repeated token counts again)."""
        total = np.zeros(len(self), dtype=np.float32)
        indptr = self.matrix.indptr
        for token, repeats in Counter(t for t in tokens if t in self.vocabulary).items():
            term_id = self.vocabulary[token]
            rows = self.matrix.indices[indptr[term_id] : indptr[term_id + 1]]
            counts = self.matrix.data[indptr[term_id] : indptr[term_id + 1]]
            total[rows] += repeats * self.idf(token) * counts / (counts + self._length_norm[rows])
        return total


def _chunk_days(chunks: Sequence[ChunkLocation]) -> np.ndarray:
    """Each chunk's publication day (proleptic ordinal), 0 when its document is undated."""
    return np.fromiter((publication_day(c.published) or 0 for c in chunks), dtype=np.int64, count=len(chunks))


def _newest_days(days: np.ndarray, scope_count: int, scope_codes: np.ndarray) -> np.ndarray:
    """The latest publication day of each scope's chunks, 0 where none is dated: computed once per
    index, so a question looks up its scopes instead of scanning every chunk."""
    newest = np.zeros(scope_count, dtype=np.int64)
    np.maximum.at(newest, scope_codes, days)
    return newest


def _scope_codes(chunks: Sequence[ChunkLocation]) -> tuple[dict[str, int], np.ndarray]:
    """Each chunk's scope as a small integer: the per-question scope mask compares integers, which
    at 100k chunks is several times faster than comparing the scope strings."""
    numbers: dict[str, int] = {}
    codes = np.fromiter((numbers.setdefault(c.scope, len(numbers)) for c in chunks), dtype=np.int32, count=len(chunks))
    return numbers, codes


class BM25Index:
    """BM25 over the chunks of a set of live document versions, filterable by scope, with the
    document frequencies the answerer reuses. It keeps where each chunk stands, not its text."""

    def __init__(self, chunks: Sequence[ChunkLocation], counts: TermCounts, live: Mapping[str, str]) -> None:
        self.chunks = list(chunks)
        self.counts = counts
        self.live = dict(live)
        """record_key -> content hash of each version whose chunks this index holds."""
        self.fingerprint = fingerprint(self.live)
        self._scope_numbers, self._scope_codes = _scope_codes(self.chunks)
        self._days = _chunk_days(self.chunks)
        self._newest = _newest_days(self._days, len(self._scope_numbers), self._scope_codes)

    @classmethod
    def build(cls, chunks: Sequence[StoredChunk], live: Mapping[str, str]) -> "BM25Index":
        """The index of `chunks`, which must be exactly the chunks of the versions in `live`."""
        return cls.empty().updated(live, chunks)

    @classmethod
    def empty(cls) -> "BM25Index":
        return cls([], TermCounts.empty(), {})

    def missing(self, live: Mapping[str, str]) -> dict[str, str]:
        """The versions of `live` whose chunks this index lacks: what `updated` must be given."""
        return {key: digest for key, digest in live.items() if self.live.get(key) != digest}

    def updated(self, live: Mapping[str, str], new_chunks: Iterable[StoredChunk]) -> "BM25Index":
        """This index for the versions in `live`: chunks of versions no longer live are dropped and
        `new_chunks` (the chunks of `self.missing(live)`) analysed and added; nothing else is read."""
        rows = np.fromiter(
            (i for i, c in enumerate(self.chunks) if self.live.get(key := record_key(c.scope, c.doc_id)) == live.get(key)),
            dtype=np.int64,
        )
        added = sorted(new_chunks, key=lambda c: c.location.chunk_id)
        counts = self.counts.kept(rows).extended(analyse_many([c.text for c in added]))
        return BM25Index([self.chunks[i] for i in rows] + [c.location for c in added], counts, live)

    def __len__(self) -> int:
        return len(self.chunks)

    def idf(self, token: str) -> float:
        """Smoothed inverse document frequency of an analysed token over the chunks."""
        return self.counts.idf(token)

    @cached_property
    def _scope_sizes(self) -> np.ndarray:
        """How many chunks each scope code has: counted once per index, so `share_of` does not scan
        the chunks again after `search` has masked them."""
        return np.bincount(self._scope_codes, minlength=len(self._scope_numbers))

    def share_of(self, scopes: Sequence[str], until: int | None = None, since: int | None = None) -> float:
        """The part of the indexed chunks that lie in `scopes` and were published neither after day
        `until` nor before day `since` (1 for an empty index): how far the vector search must look
        past the chunks it cannot use (`CorpusStore.query_vectors`)."""
        if not self.chunks:
            return 1.0
        wanted = [self._scope_numbers[s] for s in scopes if s in self._scope_numbers]
        if since is None and self._all_before(wanted, until):
            return float(sum(int(self._scope_sizes[code]) for code in wanted)) / len(self.chunks)
        return float(np.count_nonzero(self._usable(wanted, until, since))) / len(self.chunks)

    def newest_day(self, scopes: Sequence[str], until: int | None = None) -> int | None:
        """The latest publication day among the chunks in `scopes`, none after day `until` (None
        when none is dated)."""
        wanted = [self._scope_numbers[s] for s in scopes if s in self._scope_numbers]
        if self._all_before(wanted, until):
            newest = max((int(self._newest[code]) for code in wanted), default=0)
        else:
            days = self._days[self._usable(wanted, until)]
            newest = int(days.max()) if days.size else 0
        return newest or None

    def search(
        self, query: str, top_k: int, scopes: Sequence[str], until: int | None = None, since: int | None = None
    ) -> list[tuple[ChunkLocation, float]]:
        """Best chunks for `query` among those in `scopes` published neither after day `until` nor
        before day `since` (undated ones included), with their BM25 scores (> 0 only)."""
        wanted = [self._scope_numbers[s] for s in scopes if s in self._scope_numbers]
        if not self.chunks or not wanted or top_k < 1:
            return []
        scores = self.counts.scores(analyse(query))
        scores[~self._usable(wanted, until, since)] = 0.0
        k = min(top_k, len(self.chunks))
        best = np.argpartition(-scores, k - 1)[:k] if k < len(self.chunks) else np.arange(len(self.chunks))
        best = best[np.lexsort((best, -scores[best]))]
        return [(self.chunks[int(i)], float(scores[i])) for i in best if scores[i] > 0]

    def _all_before(self, wanted: Sequence[int], until: int | None) -> bool:
        """Whether no chunk of the scope codes `wanted` was published after day `until`: the
        usual case (a question asked today), answered from the per-scope newest days."""
        return until is None or all(int(self._newest[code]) <= until for code in wanted)

    def _usable(self, wanted: Sequence[int], until: int | None, since: int | None = None) -> np.ndarray:
        """Mask of the chunks in the scope codes `wanted` published neither after day `until` nor
        before day `since` (an undated chunk, day 0, is never before it)."""
        mask = np.isin(self._scope_codes, wanted)
        if until is not None and not self._all_before(wanted, until):
            mask &= self._days <= until
        if since is not None:
            mask &= (self._days >= since) | (self._days == 0)
        return mask

    def save(self, directory: Path) -> None:
        """Persist atomically: written beside, then renamed over the previous copy."""
        staging = directory.with_name(directory.name + ".tmp")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        matrix, counts = self.counts.matrix, io.BytesIO()
        np.savez(counts, data=matrix.data, indices=matrix.indices, indptr=matrix.indptr,
                 shape=np.array(matrix.shape), lengths=self.counts.lengths)
        meta = {"format": _FORMAT, "live": self.live, "vocabulary": self.counts.vocabulary,
                "chunks": list(map(_LOCATION_ROW, self.chunks))}
        contents = [json.dumps(meta).encode("utf-8"), counts.getvalue()]
        for name, content in zip(_FILES, contents, strict=True):
            (staging / name).write_bytes(content)
        (staging / "checksum").write_text(_checksum(contents), encoding="utf-8")
        (staging / "fingerprint").write_text(self.fingerprint, encoding="utf-8")
        backup = directory.with_name(directory.name + ".old")
        shutil.rmtree(backup, ignore_errors=True)
        if directory.exists():
            directory.rename(backup)
        staging.rename(directory)
        shutil.rmtree(backup, ignore_errors=True)

    @staticmethod
    def saved_fingerprint(directory: Path) -> str | None:
        """The fingerprint of the index saved in `directory`, read without loading it."""
        try:
            return (directory / "fingerprint").read_text(encoding="utf-8")
        except OSError:
            return None

    @classmethod
    def load(cls, directory: Path) -> "BM25Index | None":
        """The saved index, whichever versions it covers, or None when none was saved.

        Raises `UnusableCache` for one this citebot must not use: unreadable or damaged, of an older
        format, or whose files are not the ones it saved (their checksum), such as chunk rows reordered
        in valid JSON, which would put every chunk beside another chunk's term counts."""
        if not directory.is_dir():
            return None
        try:
            contents = [(directory / name).read_bytes() for name in _FILES]
            checksum = (directory / "checksum").read_text(encoding="utf-8") if (directory / "checksum").exists() else ""
            meta = json.loads(contents[0])
        except (OSError, ValueError) as exc:
            raise UnusableCache(f"is unreadable or damaged ({type(exc).__name__})") from exc
        if not isinstance(meta, dict) or meta.get("format") != _FORMAT:
            raise UnusableCache("was saved in another format, by another version of citebot")
        if not checksum:
            raise UnusableCache("has no checksum")
        if checksum != _checksum(contents):
            raise UnusableCache("does not match its checksum: its files changed after it was saved")
        try:
            with np.load(io.BytesIO(contents[1])) as arrays:
                matrix = sparse.csc_array(
                    (arrays["data"], arrays["indices"], arrays["indptr"]), shape=tuple(arrays["shape"])
                )
                counts = TermCounts(matrix, arrays["lengths"], meta["vocabulary"])
            chunks = [ChunkLocation(*row) for row in meta["chunks"]]
        except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile) as exc:
            raise UnusableCache(f"is damaged ({type(exc).__name__})") from exc
        if len(chunks) != len(counts):
            raise UnusableCache(f"is damaged ({len(chunks)} chunks, {len(counts)} rows of term counts)")
        return cls(chunks, counts, meta["live"])

    def check_against(self, records: Iterable[DocumentRecord]) -> None:
        """Raise `UnusableCache` unless, for each of the store's live `records` whose version this
        index covers, its rows are exactly that version's chunks (the ids the store gives them:
        `chunk_id` with ordinals 0 to `chunks` - 1), and no row is of a version it does not cover.
        Reads no chunk, so a saved index is checked on every start before it is trusted."""
        covered = [r for r in records if self.live.get(r.key) == r.content_hash]
        expected = {chunk_id(r.scope, r.doc_id, r.content_hash, n) for r in covered for n in range(r.chunks)}
        keys = {r.key for r in covered}
        row_keys = [record_key(c.scope, c.doc_id) for c in self.chunks]
        held = [c.chunk_id for c, key in zip(self.chunks, row_keys, strict=True) if key in keys]
        strays = sum(key not in self.live for key in row_keys)
        if strays or len(held) != len(expected) or not expected.issuperset(held):
            raise UnusableCache(
                f"disagrees with the store: {len(held)} chunks for {len(covered)} live documents where the store "
                f"lists {len(expected)}, and {strays} of versions it does not cover"
            )
