import json
import random
from dataclasses import replace
from pathlib import Path

import bm25s
import numpy as np
import pytest

from retrieval.index.bm25 import BM25Index, UnusableCache
from retrieval.language.vocabulary import analyse, analyse_many
from retrieval.models.article import ArticleMeta
from retrieval.models.records import ChunkLocation, DocumentRecord, StoredChunk, chunk_id


def _chunk(chunk_id: str, scope: str, doc_id: str, text: str) -> StoredChunk:
    return StoredChunk(ChunkLocation(chunk_id, scope, doc_id, 0, len(text)), text)


CHUNKS = [
    _chunk("s/a/1/0", "shared", "a", "The harbour reopened after the storm."),
    _chunk("s/b/1/0", "shared", "b", "Wheat prices rose for the third week."),
    _chunk("g/c/1/0", "guild-1", "c", "The harbour master resigned on Friday."),
]
LIVE = {"shared/a": "1", "shared/b": "1", "guild-1/c": "1"}

WORDS = (
    "harbour", "storm", "wheat", "price", "week", "master", "resign", "friday", "port", "ship",
    "cargo", "strike", "union", "wage", "talk", "minister", "budget", "deficit", "vote", "senate",
    "court", "ruling", "appeal", "judge", "river", "flood", "rain", "farmer", "crop", "export",
)


def _random_chunks(count: int, seed: int, version: str = "1") -> list[StoredChunk]:
    """Chunks of made-up sentences over a small vocabulary, so terms repeat across and within them."""
    rng = random.Random(seed)
    chunks = []
    for n in range(count):
        text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 40))) + "."
        chunks.append(_chunk(f"shared/d{seed}-{n}/{version}/0", "shared", f"d{seed}-{n}", text))
    return chunks


def _live(chunks: list[StoredChunk], version: str = "1") -> dict[str, str]:
    return {f"{c.location.scope}/{c.location.doc_id}": version for c in chunks}


def test_analyse_drops_question_words_and_stems():
    assert analyse("Who denied the requests?") == ["deni", "request"]


def test_search_respects_scopes():
    index = BM25Index.build(CHUNKS, LIVE)
    assert [c.doc_id for c, _ in index.search("harbour", 5, ["shared"])] == ["a"]
    assert {c.doc_id for c, _ in index.search("harbour", 5, ["shared", "guild-1"])} == {"a", "c"}
    assert index.search("volcano", 5, ["shared"]) == []
    assert index.search("the of and", 5, ["shared"]) == []
    assert index.search("harbour", 5, ["guild-2"]) == []


def test_scores_equal_bm25s_on_the_same_chunks():
    """The index scores at question time what bm25s precomputes (its default, Lucene's BM25), so
    replacing bm25s's index moved no ranking."""
    chunks = _random_chunks(300, seed=1)
    index = BM25Index.build(chunks, _live(chunks))
    reference = bm25s.BM25()
    reference.index(analyse_many([c.text for c in chunks]), show_progress=False)
    for query in ("harbour strike", "wheat wheat price", "judge ruling appeal court", "flood"):
        tokens = analyse(query)
        expected = reference.get_scores(tokens)
        ours = {c.chunk_id: s for c, s in index.search(query, len(chunks), ["shared"])}
        got = np.array([ours.get(c.location.chunk_id, 0.0) for c in chunks])
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_an_updated_index_equals_one_built_from_scratch():
    """Adding and dropping versions gives the scores, document frequencies and chunks a rebuild over
    the same live versions gives."""
    old, kept, new = _random_chunks(40, seed=2), _random_chunks(60, seed=3), _random_chunks(30, seed=4)
    replaced = _random_chunks(20, seed=5, version="2")
    index = BM25Index.build(old + kept + _random_chunks(20, seed=5), _live(old + kept) | _live(replaced, "1"))
    live = _live(kept) | _live(new) | _live(replaced, "2")
    assert index.missing(live) == _live(new) | _live(replaced, "2")
    updated = index.updated(live, new + replaced)
    rebuilt = BM25Index.build(kept + new + replaced, live)
    assert sorted(c.chunk_id for c in updated.chunks) == sorted(c.chunk_id for c in rebuilt.chunks)
    assert updated.chunks[: len(kept)] == sorted((c.location for c in kept), key=lambda c: c.chunk_id)
    assert updated.fingerprint == rebuilt.fingerprint
    for query in ("harbour strike wage", "crop export farmer", "senate vote"):
        assert dict(updated.search(query, 200, ["shared"])) == pytest.approx(dict(rebuilt.search(query, 200, ["shared"])))
        assert [updated.idf(t) for t in analyse(query)] == pytest.approx([rebuilt.idf(t) for t in analyse(query)])
    assert index.search("harbour", 200, ["shared"]) != updated.search("harbour", 200, ["shared"])


def test_idf_prefers_rare_terms():
    index = BM25Index.build(CHUNKS, LIVE)
    assert index.idf("wheat") > index.idf("harbour")
    assert index.idf("volcano") > index.idf("wheat")


def test_empty_index_answers_nothing():
    assert BM25Index.empty().search("harbour", 5, ["shared"]) == []
    assert BM25Index.empty().share_of(["shared"]) == 1.0
    assert BM25Index.build(CHUNKS, LIVE).updated({}, []).search("harbour", 5, ["shared"]) == []


def test_the_share_of_scopes_counts_their_chunks():
    index = BM25Index.build(CHUNKS, LIVE)
    assert index.share_of(["shared"]) == 2 / 3
    assert index.share_of(["shared", "guild-1"]) == 1.0
    assert index.share_of(["guild-2"]) == 0.0


def test_a_saved_index_loads_with_the_versions_it_covers(tmp_path: Path):
    index = BM25Index.build(CHUNKS, LIVE)
    index.save(tmp_path / "bm25")
    assert BM25Index.saved_fingerprint(tmp_path / "bm25") == index.fingerprint
    loaded = BM25Index.load(tmp_path / "bm25")
    assert loaded is not None and loaded.chunks == index.chunks and loaded.live == LIVE
    assert loaded.fingerprint == index.fingerprint
    assert loaded.search("wheat harbour", 3, ["shared", "guild-1"]) == index.search("wheat harbour", 3, ["shared", "guild-1"])
    assert BM25Index.load(tmp_path / "missing") is None
    assert BM25Index.saved_fingerprint(tmp_path / "missing") is None


def test_an_index_of_another_format_or_damaged_is_not_loaded(tmp_path: Path):
    BM25Index.build(CHUNKS, LIVE).save(tmp_path / "bm25")
    meta_path = tmp_path / "bm25" / "meta.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta_path.write_text(json.dumps(meta | {"format": 3}), encoding="utf-8")
    with pytest.raises(UnusableCache):
        BM25Index.load(tmp_path / "bm25")
    meta_path.write_text(json.dumps(meta | {"chunks": meta["chunks"][:2]}), encoding="utf-8")
    with pytest.raises(UnusableCache):
        BM25Index.load(tmp_path / "bm25")
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
    counts_path = tmp_path / "bm25" / "counts.npz"
    saved = counts_path.read_bytes()
    for damaged in (b"not numpy", saved[: len(saved) // 2], b""):
        counts_path.write_bytes(damaged)
        with pytest.raises(UnusableCache):
            BM25Index.load(tmp_path / "bm25")
    (tmp_path / "bm25" / "checksum").unlink()
    with pytest.raises(UnusableCache, match="no checksum"):
        BM25Index.load(tmp_path / "bm25")


def _reorder_rows(directory: Path) -> None:
    """The chunk rows rotated by one: valid JSON, the same chunks and live versions, each row now
    beside another chunk's term counts."""
    meta_path = directory / "meta.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["chunks"] = meta["chunks"][1:] + meta["chunks"][:1]
    meta_path.write_text(json.dumps(meta), encoding="utf-8")


def _reverse_counts(directory: Path) -> None:
    """The term counts reversed: a valid matrix of the same shape, saved as numpy saves it."""
    with np.load(directory / "counts.npz") as saved:
        arrays = dict(saved)
    arrays["data"] = arrays["data"][::-1] + 1
    np.savez(directory / "counts.npz", **arrays)


@pytest.mark.parametrize("tamper", [_reorder_rows, _reverse_counts])
def test_a_saved_index_changed_after_it_was_saved_is_not_loaded(tmp_path: Path, tamper):
    chunks = _random_chunks(50, seed=6)
    BM25Index.build(chunks, _live(chunks)).save(tmp_path / "bm25")
    tamper(tmp_path / "bm25")
    with pytest.raises(UnusableCache, match="checksum"):
        BM25Index.load(tmp_path / "bm25")


def _records(chunks: list[StoredChunk], version: str = "1") -> list[DocumentRecord]:
    """The store's records of these chunks' documents: each with its chunk count."""
    counts: dict[tuple[str, str], int] = {}
    for chunk in chunks:
        key = (chunk.location.scope, chunk.location.doc_id)
        counts[key] = counts.get(key, 0) + 1
    return [DocumentRecord(scope, ArticleMeta(doc_id, doc_id), version, chunks=n) for (scope, doc_id), n in counts.items()]


def test_an_index_is_checked_against_the_chunks_the_store_lists():
    """Each live version's rows must be exactly its chunks, by the ids the store gives them
    (`chunk_id`: scope, document, hash, ordinal 0..chunks-1)."""
    chunks = [
        StoredChunk(ChunkLocation(chunk_id(c.location.scope, c.location.doc_id, "1", 0), c.location.scope,
                                  c.location.doc_id, 0, len(c.text)), c.text)
        for c in _random_chunks(30, seed=7)
    ]
    index = BM25Index.build(chunks, _live(chunks))
    records = _records(chunks)
    index.check_against(records)
    index.check_against(records[:10])  # versions no longer live are the update's to drop
    one_more = [replace(records[0], chunks=2), *records[1:]]
    with pytest.raises(UnusableCache, match="disagrees with the store"):
        index.check_against(one_more)
    missing = BM25Index(index.chunks[1:], index.counts.kept(np.arange(1, len(index))), index.live)
    with pytest.raises(UnusableCache, match="disagrees with the store"):
        missing.check_against(records)
    stray = BM25Index(index.chunks, index.counts, {k: v for k, v in index.live.items() if k != records[0].key})
    with pytest.raises(UnusableCache, match="disagrees with the store"):
        stray.check_against(records[1:])
