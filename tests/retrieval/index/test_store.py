"""The commit protocol of `CorpusStore` on a real embedded Chroma, with hand-made vectors; its corpus
generation; how `connect` picks embedded or server mode; damaged files."""

import logging
import shutil
import sqlite3
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from chromadb.api.models.Collection import Collection
from chromadb.errors import AuthorizationError
from llama_index.core.schema import TextNode
from llama_index.core.vector_stores.types import VectorStoreQuery

from harness.llama_server import free_port
from retrieval.index.chroma import (
    CHROMA_FILE,
    CHUNKS_COLLECTION,
    RETIRED_SENTENCES_COLLECTION,
    VECTOR_SEARCH_EF,
    StoreDamaged,
    StoreUnavailable,
    embedded_client,
)
from retrieval.index.chunk_table import scope_filter
from retrieval.index.sentence_table import DAMAGED_SUFFIX, SENTENCES_FILE, SentenceVectorTable
from retrieval.index.sentence_vectors import DocumentVersion, SentenceKey, SentenceVectors
from retrieval.index.store import CorpusStore
from retrieval.models.article import ArticleMeta
from retrieval.models.records import DocumentRecord, chunk_id
from retrieval.settings import RetrievalSettings
from tests.support.damage import DAMAGE, damage


def record(doc_id: str, text: str, content_hash: str, scope: str = "shared") -> DocumentRecord:
    return DocumentRecord(scope=scope, meta=ArticleMeta(doc_id, doc_id.title()), content_hash=content_hash, text=text)


def nodes_for(rec: DocumentRecord, parts: list[str]) -> list[TextNode]:
    nodes, start = [], 0
    for ordinal, part in enumerate(parts):
        begin = rec.text.index(part, start)
        nodes.append(
            TextNode(
                id_=chunk_id(rec.scope, rec.doc_id, rec.content_hash, ordinal),
                text=part,
                embedding=[1.0, float(ordinal), 0.5],
                metadata={"scope": rec.scope, "article_id": rec.doc_id, "content_hash": rec.content_hash,
                          "start": begin, "end": begin + len(part), "ordinal": ordinal},
            )
        )
        start = begin
    return nodes


@pytest.fixture
def store(tmp_path: Path) -> CorpusStore:
    return CorpusStore.embedded(tmp_path)


def chunk_hashes(store: CorpusStore) -> list[str]:
    return sorted(m["content_hash"] for m in store.chunks.collection.get(include=["metadatas"])["metadatas"])


def test_chunks_are_stored_without_text_and_read_with_their_records(store: CorpusStore):
    """Chroma keeps each chunk's vector and location only; its text is cut from the record, for
    every chunk and for one version's (what an upload adds to BM25), and two scopes holding the
    same text each get their own chunks."""
    a, b = record("a", "One. Two.", "h1" * 8), record("b", "Three.", "h3" * 8)
    a_elsewhere = replace(a, scope="guild-1")
    store.write_versions([DocumentVersion(r, nodes_for(r, parts)) for r, parts in
                          ((a, ["One.", "Two."]), (b, ["Three."]), (a_elsewhere, ["One.", "Two."]))])
    assert store.chunks.collection.get(include=["documents"])["documents"] == [None] * 5
    assert sorted(c.text for c in store.live_chunks()) == ["One.", "One.", "Three.", "Two.", "Two."]
    only_a = store.chunks_of({a.key: a.content_hash})
    assert [(c.location.scope, c.text) for c in only_a] == [("shared", "One."), ("shared", "Two.")]
    assert store.chunks_of({a_elsewhere.key: a.content_hash, b.key: b.content_hash}) == sorted(
        [c for c in store.live_chunks() if c.location.doc_id == "b" or c.location.scope == "guild-1"],
        key=lambda c: c.location.chunk_id,
    )
    assert store.chunks_of({a.key: "other"}) == []


def test_write_replace_and_remove(store: CorpusStore):
    v1 = record("a", "One. Two.", "h1" * 8)
    store.write_versions([DocumentVersion(v1, nodes_for(v1, ["One.", "Two."]))])
    assert [r.doc_id for r in store.documents()] == ["a"]
    assert store.get("shared", "a").chunks == 2
    v2 = record("a", "Three.", "h2" * 8)
    store.write_versions([DocumentVersion(v2, nodes_for(v2, ["Three."]))])
    assert chunk_hashes(store) == ["h2" * 8]
    assert [c.text for c in store.live_chunks()] == ["Three."]
    assert store.remove("shared", "a")
    assert store.documents() == [] and store.count_chunks() == 0
    assert store.get("shared", "a") is None
    assert not store.remove("shared", "a")


def vectors_for(rec: DocumentRecord, seed: int) -> SentenceVectors:
    """One hand-made unit vector per '.'-ended sentence of the record's text."""
    spans, start = [], 0
    for end in [i + 1 for i, ch in enumerate(rec.text) if ch == "."]:
        spans.append((start, end))
        start = end + 1
    vectors = np.random.default_rng(seed).normal(size=(len(spans), 4))
    return SentenceVectors(np.asarray(spans), vectors / np.linalg.norm(vectors, axis=1, keepdims=True))


def stored_sentence_versions(store: CorpusStore) -> list[str]:
    return store.sentences.versions()


def test_sentence_vectors_live_and_die_with_their_version(store: CorpusStore):
    """Written with the chunks, found by version and span, replaced and removed with them; a version
    a kill left pending loses its vectors on recovery too."""
    v1 = record("a", "One. Two.", "h1" * 8)
    store.write_versions([DocumentVersion(v1, nodes_for(v1, ["One.", "Two."]), vectors_for(v1, 1))])
    wanted = [SentenceKey("shared/a", v1.content_hash, 5, 9), SentenceKey("shared/a", v1.content_hash, 0, 3)]
    read = store.sentences.sentence_vectors(wanted)
    assert list(read) == wanted[:1]
    assert np.allclose(read[wanted[0]], vectors_for(v1, 1).vectors[1], atol=1e-6)
    v2 = record("a", "Three.", "h2" * 8)
    store.write_versions([DocumentVersion(v2, nodes_for(v2, ["Three."]), vectors_for(v2, 2))])
    assert stored_sentence_versions(store) == ["shared/a@" + "h2" * 8]
    assert store.sentences.sentence_vectors(wanted) == {}
    killed = record("a", "Four.", "k" * 16)
    store.records.put([replace(store.get("shared", "a"), pending_hash=killed.content_hash)])
    store.sentences.add([DocumentVersion(killed, [], vectors_for(killed, 3))])
    assert stored_sentence_versions(store) == sorted(["shared/a@" + "h2" * 8, "shared/a@" + "k" * 16])
    store.recover()
    assert stored_sentence_versions(store) == ["shared/a@" + "h2" * 8]
    store.remove("shared", "a")
    assert stored_sentence_versions(store) == []


def test_sentence_vectors_kept_in_chroma_by_an_older_index_are_dropped_on_recovery(store: CorpusStore):
    """Their collection's HNSW graph was loaded whole into memory; the vectors are in SQLite now."""
    store._client.get_or_create_collection(RETIRED_SENTENCES_COLLECTION).add(ids=["x"], embeddings=[[1.0, 0.0]])
    store.recover()
    assert RETIRED_SENTENCES_COLLECTION not in [c.name for c in store._client.list_collections()]
    store.recover()


def test_scopes_are_separate_documents(store: CorpusStore):
    for scope in ("shared", "guild-9"):
        rec = record("same-id", "Text here.", "h" * 16, scope)
        store.write_versions([DocumentVersion(rec, nodes_for(rec, ["Text here."]))])
    assert [(r.scope, r.doc_id) for r in store.documents()] == [("guild-9", "same-id"), ("shared", "same-id")]
    assert [r.scope for r in store.documents(["guild-9"])] == ["guild-9"]
    store.remove("guild-9", "same-id")
    assert [c.location.scope for c in store.live_chunks()] == ["shared"]


def test_uncommitted_chunks_are_invisible_and_recovered(store: CorpusStore):
    """The state a kill between 'chunks written' and 'commit' leaves behind."""
    v1 = record("a", "Old text.", "o" * 16)
    store.write_versions([DocumentVersion(v1, nodes_for(v1, ["Old text."]))])
    v2 = record("a", "New text.", "n" * 16)
    store.records.put([replace(store.get("shared", "a"), pending_hash=v2.content_hash)])
    store.chunks.vector_store.add(nodes_for(v2, ["New text."]))
    assert [c.text for c in store.live_chunks()] == ["Old text."]
    assert store.live_hashes() == {"shared/a": "o" * 16}
    assert store.recover() == 1
    assert chunk_hashes(store) == ["o" * 16]
    assert store.get("shared", "a").pending_hash == ""


def test_a_new_document_killed_before_commit_leaves_nothing(store: CorpusStore):
    fresh = record("b", "Brand new.", "b" * 16)
    store.records.put([replace(fresh, content_hash="", pending_hash=fresh.content_hash)])
    store.chunks.vector_store.add(nodes_for(fresh, ["Brand new."]))
    assert store.documents() == [] and store.live_chunks() == []
    store.recover()
    assert store.count_chunks() == 0 and store.get("shared", "b") is None


def test_stale_chunks_after_commit_are_deleted_by_recover(store: CorpusStore):
    """The state a kill between 'commit' and 'old chunks deleted' leaves behind."""
    v1 = record("a", "Old text.", "o" * 16)
    store.write_versions([DocumentVersion(v1, nodes_for(v1, ["Old text."]))])
    v2 = record("a", "New text.", "n" * 16)
    store.chunks.vector_store.add(nodes_for(v2, ["New text."]))
    store.records.put([replace(v2, chunks=1, stale_hash=v1.content_hash)])
    assert [c.text for c in store.live_chunks()] == ["New text."]
    store.recover()
    assert chunk_hashes(store) == ["n" * 16]


def test_one_call_replaces_adds_and_resumes_documents_each_at_its_own_commit(store: CorpusStore):
    """A group write: a replaced document, a new one, and one a killed run left half-written."""
    old = record("a", "Old text.", "o" * 16)
    store.write_versions([DocumentVersion(old, nodes_for(old, ["Old text."]))])
    killed = record("c", "Killed text.", "k" * 16)
    store.records.put([replace(killed, content_hash="", pending_hash=killed.content_hash)])
    store.chunks.vector_store.add(nodes_for(killed, ["Killed text."]))
    new_a = record("a", "New text.", "n" * 16)
    new_b = record("b", "Brand new.", "b" * 16)
    new_c = record("c", "Second try.", "s" * 16)
    store.write_versions(
        [DocumentVersion(new_a, nodes_for(new_a, ["New text."])), DocumentVersion(new_b, nodes_for(new_b, ["Brand new."])),
         DocumentVersion(new_c, nodes_for(new_c, ["Second try."]))]
    )
    assert store.live_hashes() == {"shared/a": "n" * 16, "shared/b": "b" * 16, "shared/c": "s" * 16}
    assert chunk_hashes(store) == sorted(["n" * 16, "b" * 16, "s" * 16])
    assert all(not r.pending_hash and not r.stale_hash for r in store.documents())
    assert sorted(c.text for c in store.live_chunks()) == ["Brand new.", "New text.", "Second try."]
    with pytest.raises(ValueError, match="twice"):
        store.write_versions([DocumentVersion(new_b, []), DocumentVersion(new_b, [])])


def test_every_commit_and_removal_starts_a_new_generation_and_reads_do_not(store: CorpusStore):
    seen = [store.generation()]
    v1 = record("a", "One. Two.", "h1" * 8)
    store.write_versions([DocumentVersion(v1, nodes_for(v1, ["One.", "Two."]))])
    seen.append(store.generation())
    store.documents(), store.live_chunks(), store.get("shared", "a")
    assert store.generation() == seen[-1]
    store.remove("shared", "a")
    seen.append(store.generation())
    store.recover()
    seen.append(store.generation())
    assert len(set(seen)) == len(seen)


def test_connect_without_a_host_is_the_embedded_database(tmp_path: Path):
    store = CorpusStore.connect(RetrievalSettings(_env_file=None, data_dir=tmp_path / "data"))
    assert store.location == "the embedded Chroma database"
    assert (tmp_path / "data" / "chroma" / "chroma.sqlite3").exists()


def search_width(store: CorpusStore) -> int:
    """The `ef_search` Chroma holds for the store's chunk collection, read back from its database."""
    return store.chunks.collection.configuration_json["hnsw"]["ef_search"]


def test_vector_search_is_as_wide_as_set_in_a_new_and_in_an_older_database(tmp_path: Path):
    assert search_width(CorpusStore.embedded(tmp_path / "new")) == VECTOR_SEARCH_EF
    older = embedded_client(tmp_path / "older" / "chroma")
    made = older.get_or_create_collection(CHUNKS_COLLECTION, metadata={"hnsw:space": "cosine"}, embedding_function=None)
    made.add(ids=["kept"], embeddings=[[1.0, 0.0, 0.5]])
    assert made.configuration_json["hnsw"]["ef_search"] < VECTOR_SEARCH_EF, "Chroma's own default"
    del older, made
    store = CorpusStore.embedded(tmp_path / "older")
    assert search_width(store) == VECTOR_SEARCH_EF
    assert store.chunks.collection.get()["ids"] == ["kept"]
    assert search_width(CorpusStore.embedded(tmp_path / "older")) == VECTOR_SEARCH_EF


def test_a_chroma_that_refuses_to_widen_the_search_is_searched_as_it_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
):
    older = embedded_client(tmp_path / "chroma")
    older.get_or_create_collection(CHUNKS_COLLECTION, metadata={"hnsw:space": "cosine"}, embedding_function=None)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AuthorizationError("this token may only read")

    monkeypatch.setattr(Collection, "modify", refuse)
    with caplog.at_level(logging.WARNING, logger="retrieval.index.chroma"):
        store = CorpusStore.embedded(tmp_path)
    assert "Chroma refused to widen it" in caplog.text
    assert search_width(store) < VECTOR_SEARCH_EF
    rec = record("ferry", "The ferry was suspended.", "h1")
    store.write_versions([DocumentVersion(rec, nodes_for(rec, ["The ferry was suspended."]))])
    assert [node.metadata["article_id"] for node, _ in store.query_vectors([1.0, 0.0, 0.5], 1, ["shared"])] == ["ferry"]


def test_connect_to_nothing_listening_is_store_unavailable(tmp_path: Path):
    port = free_port()
    settings = RetrievalSettings(_env_file=None, data_dir=tmp_path / "data", chroma_host="127.0.0.1", chroma_port=port)
    with pytest.raises(StoreUnavailable, match=f"cannot reach the Chroma server at http://127.0.0.1:{port}"):
        CorpusStore.connect(settings)


def test_whole_collection_reads_go_page_by_page(store: CorpusStore, monkeypatch: pytest.MonkeyPatch):
    """Reading every chunk in one `get` fails inside Chroma at 100k chunks; reads are paged."""
    monkeypatch.setattr("retrieval.index.document_table._PAGE", 2)
    versions = []
    for name in "abcde":
        rec = record(name, f"{name} one. {name} two.", name * 16)
        versions.append(DocumentVersion(rec, nodes_for(rec, [f"{name} one.", f"{name} two."])))
    store.write_versions(versions)
    assert [r.doc_id for r in store.documents()] == list("abcde")
    assert len(store.live_chunks()) == 10 and len({c.location.chunk_id for c in store.live_chunks()}) == 10
    store.records.put([replace(store.get("shared", "c"), pending_hash="x" * 16)])
    assert store.recover() == 1


def test_vector_search_returns_only_visible_scopes_whether_dense_or_sparse(store: CorpusStore):
    """The unfiltered search first, the filtered one when few visible chunks are near: both give
    exactly what the filtered search gives, and never a chunk of another scope."""
    crowd = record("crowd", " ".join(f"Crowd {i}." for i in range(30)), "c" * 16, scope="guild-1")
    few = record("few", "Few one. Few two. Few three.", "f" * 16)
    store.write_versions([DocumentVersion(crowd, nodes_for(crowd, [f"Crowd {i}." for i in range(30)])),
                          DocumentVersion(few, nodes_for(few, ["Few one.", "Few two.", "Few three."]))])
    query = [1.0, 20.0, 0.5]
    shares = {"shared": 3 / 33, "guild-1": 30 / 33, "guild-2": 0.0}
    for scopes in (["shared"], ["guild-1"], ["shared", "guild-1"], ["guild-2"]):
        filtered = store.chunks.vector_store.query(
            VectorStoreQuery(query_embedding=query, similarity_top_k=2, filters=scope_filter(scopes))
        )
        # The share the caller gives only sets how far the plain search looks; a wrong one costs time.
        for share in (sum(shares[s] for s in scopes), 1.0, 0.5, 0.1):
            hits = store.query_vectors(query, 2, scopes, share)
            assert [n.node_id for n, _ in hits] == [n.node_id for n in filtered.nodes]
            assert all(n.metadata["scope"] in scopes for n, _ in hits)
    assert [n.metadata["article_id"] for n, _ in store.query_vectors(query, 2, ["shared"])] == ["few", "few"]


# Damaged files: the sentence vectors are derived and start again empty; Chroma's database is not -----


def sentence_table_with(path: Path, *versions: DocumentVersion) -> None:
    """A sentence-vector file holding these versions' vectors, closed (as a process leaves it)."""
    table = SentenceVectorTable(path)
    table.add(versions)
    table._db.close()


def damage_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and "damaged" in r.getMessage()]


@pytest.mark.parametrize("how", DAMAGE)
def test_a_damaged_sentence_file_is_set_aside_with_one_warning_and_started_empty(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, how: str
):
    """It broke every command with a traceback (or, emptied, was silently taken for an empty table)."""
    v1 = record("a", "One. Two.", "h1" * 8)
    path = tmp_path / SENTENCES_FILE
    sentence_table_with(path, DocumentVersion(v1, [], vectors_for(v1, 1)))
    damage(path, how)
    table = SentenceVectorTable(path)
    [warning] = damage_warnings(caplog)
    assert str(path) in warning and SENTENCES_FILE + DAMAGED_SUFFIX in warning
    assert (tmp_path / (SENTENCES_FILE + DAMAGED_SUFFIX)).exists()
    assert table.versions() == [] and not table.has_version(v1.key, v1.content_hash)
    table.add([DocumentVersion(v1, [], vectors_for(v1, 1))])
    assert table.has_version(v1.key, v1.content_hash) and table.sentence_spans(v1.key, v1.content_hash) == [(0, 4), (5, 9)]
    assert len(damage_warnings(caplog)) == 1
    SentenceVectorTable(path)
    assert len(damage_warnings(caplog)) == 1, "a healthy file is opened as it is"


def test_damage_found_by_a_later_read_sets_the_file_aside_and_the_read_finds_nothing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    """SQLite reads a page when a statement needs it: a page overwritten in the middle of the file is
    found by the first read of it, in a process that opened the file without trouble."""
    v1 = record("a", " ".join(f"Sentence {i}." for i in range(400)), "h1" * 8)
    path = tmp_path / SENTENCES_FILE
    sentence_table_with(path, DocumentVersion(v1, [], vectors_for(v1, 1)))
    with sqlite3.connect(path) as db:
        [(root,)] = db.execute("SELECT rootpage FROM sqlite_master WHERE name = 'sentence_vectors'").fetchall()
        [(page_size,)] = db.execute("PRAGMA page_size").fetchall()
    with path.open("r+b") as file:
        file.seek((root - 1) * page_size)
        file.write(b"\xff" * page_size)
    table = SentenceVectorTable(path)
    assert damage_warnings(caplog) == []
    assert table.sentence_vectors([SentenceKey(v1.key, v1.content_hash, 0, 11)]) == {}
    assert len(damage_warnings(caplog)) == 1
    assert not table.has_version(v1.key, v1.content_hash)
    table.add([DocumentVersion(v1, [], vectors_for(v1, 2))])
    assert len(table.sentence_spans(v1.key, v1.content_hash)) == 400


def test_restored_sentence_vectors_are_kept_for_live_versions_only(store: CorpusStore):
    """A version replaced while its vectors were being computed again must not leave rows behind:
    its writer may have cleaned them before they landed."""
    v1 = record("a", "One. Two.", "h1" * 8)
    store.write_versions([DocumentVersion(v1, nodes_for(v1, ["One.", "Two."]))])
    assert not store.sentences.has_version(v1.key, v1.content_hash)
    chunks = store.live_chunks()
    store.sentences.restore([DocumentVersion(v1, [], vectors_for(v1, 1))], store.get_many)
    assert store.sentences.has_version(v1.key, v1.content_hash) and store.live_chunks() == chunks
    gone = record("a", "Zero.", "h0" * 8)
    store.sentences.restore([DocumentVersion(gone, [], vectors_for(gone, 2))], store.get_many)
    assert stored_sentence_versions(store) == [f"{v1.key}@{v1.content_hash}"]
    assert not store.sentences.has_version(gone.key, gone.content_hash)


def test_a_version_without_sentences_counts_as_stored(store: CorpusStore):
    """A text with no sentence in it ('* * *') has no rows: it must not look like one whose rows were
    lost, or every ingest would embed it again."""
    stars = record("stars", "* * *", "s" * 16)
    store.write_versions([DocumentVersion(stars, nodes_for(stars, ["* * *"]),
                                          SentenceVectors(np.zeros((0, 2), dtype=np.int64), np.zeros((0, 4))))])
    assert store.sentences.versions() == [] and store.sentences.has_version(stars.key, stars.content_hash)
    store.remove("shared", "stars")
    assert not store.sentences.has_version(stars.key, stars.content_hash)


@pytest.mark.parametrize("how", [*DAMAGE, "missing"])
def test_a_damaged_chroma_database_is_store_damaged_naming_the_file(tmp_path: Path, how: str):
    """Chroma raised its own InternalError (or, emptied or deleted, started a new empty index beside
    the old segments, and the corpus looked empty)."""
    v1 = record("a", "One. Two.", "h1" * 8)
    CorpusStore.embedded(tmp_path / "first").write_versions([DocumentVersion(v1, nodes_for(v1, ["One.", "Two."]))])
    # A copy: this process keeps the first database open, and Chroma shares one client per path.
    shutil.copytree(tmp_path / "first", tmp_path / "data")
    database = tmp_path / "data" / "chroma" / CHROMA_FILE
    if how == "missing":
        database.unlink()
    else:
        damage(database, how)
    with pytest.raises(StoreDamaged) as raised:
        CorpusStore.embedded(tmp_path / "data")
    assert raised.value.database == database and str(raised.value).startswith(f"{database} is damaged: ")
    assert str(database.parent) in raised.value.remedy


@pytest.mark.parametrize("table", ["migrations", "collections", "segments"])
def test_a_damaged_page_of_the_chroma_database_is_store_damaged_whether_chroma_panics_or_not(tmp_path: Path, table: str):
    """A damaged page of Chroma's `migrations` table makes its Rust bindings panic on opening (pyo3's
    PanicException, a BaseException that passed every `except Exception`); one of `collections` is
    its error with SQLite's code; one of `segments` is "Failed to get segments", without one."""
    v1 = record("a", "One. Two.", "h1" * 8)
    CorpusStore.embedded(tmp_path / "first").write_versions([DocumentVersion(v1, nodes_for(v1, ["One.", "Two."]))])
    shutil.copytree(tmp_path / "first", tmp_path / "data")
    database = tmp_path / "data" / "chroma" / CHROMA_FILE
    with sqlite3.connect(database) as db:
        [(root,)] = db.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchall()
        [(page_size,)] = db.execute("PRAGMA page_size").fetchall()
    with database.open("r+b") as file:
        file.seek((root - 1) * page_size)
        file.write(b"\xff" * page_size)
    with pytest.raises(StoreDamaged) as raised:
        CorpusStore.embedded(tmp_path / "data").documents()
    assert raised.value.database == database and "\n" not in str(raised.value), "one line"
