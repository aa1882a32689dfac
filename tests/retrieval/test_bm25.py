from pathlib import Path

from retrieval.bm25 import BM25Index, analyse, fingerprint
from retrieval.models import StoredChunk

CHUNKS = [
    StoredChunk("s/a/1/0", "shared", "a", "The harbour reopened after the storm.", 0, 37),
    StoredChunk("s/b/1/0", "shared", "b", "Wheat prices rose for the third week.", 0, 37),
    StoredChunk("g/c/1/0", "guild-1", "c", "The harbour master resigned on Friday.", 0, 38),
]


def test_analyse_drops_question_words_and_stems():
    assert analyse("Who denied the requests?") == ["deni", "request"]


def test_search_respects_scopes():
    index = BM25Index(CHUNKS, "fp")
    assert [c.doc_id for c, _ in index.search("harbour", 5, ["shared"])] == ["a"]
    assert {c.doc_id for c, _ in index.search("harbour", 5, ["shared", "guild-1"])} == {"a", "c"}
    assert index.search("volcano", 5, ["shared"]) == []
    assert index.search("the of and", 5, ["shared"]) == []


def test_idf_prefers_rare_terms():
    index = BM25Index(CHUNKS, "fp")
    assert index.idf("wheat") > index.idf("harbour")


def test_empty_index_answers_nothing():
    assert BM25Index([], "fp").search("harbour", 5, ["shared"]) == []
    assert BM25Index([], "fp").share_of(["shared"]) == 1.0


def test_the_share_of_scopes_counts_their_chunks():
    index = BM25Index(CHUNKS, "fp")
    assert index.share_of(["shared"]) == 2 / 3
    assert index.share_of(["shared", "guild-1"]) == 1.0
    assert index.share_of(["guild-2"]) == 0.0


def test_saved_index_loads_only_for_the_same_fingerprint(tmp_path: Path):
    live = {"shared/a": "1", "shared/b": "1", "guild-1/c": "1"}
    index = BM25Index(CHUNKS, fingerprint(live))
    index.save(tmp_path / "bm25")
    loaded = BM25Index.load(tmp_path / "bm25", fingerprint(live))
    assert loaded is not None and loaded.chunks == CHUNKS
    assert [c.doc_id for c, _ in loaded.search("wheat", 3, ["shared"])] == ["b"]
    assert BM25Index.load(tmp_path / "bm25", fingerprint({"shared/a": "2"})) is None
    assert BM25Index.load(tmp_path / "missing", fingerprint(live)) is None
