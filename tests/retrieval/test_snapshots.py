"""The BM25 side of a snapshot follows uploads and removals by their difference: an upload's chunks
are the only ones read and analysed, and the result equals an index built from every live chunk."""

from collections.abc import Iterator

import pytest

from retrieval.bm25 import BM25Index
from retrieval.service import AnswerService
from retrieval.store import CorpusStore
from tests.support.services import open_service

ARTICLE = (
    "# Harbour strike ends\n\nDock workers in Valparaíso ended a nine-day strike on Thursday after the port "
    "authority agreed to a 7 percent raise. Union leader Marta Quiroga said the deal covers 4,000 workers.\n"
)


@pytest.fixture
def reads_every_chunk(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """How many times any store is asked for every live chunk (a full rebuild's read)."""
    calls: list[int] = []
    whole_read = CorpusStore.live_chunks

    def counted(self: CorpusStore, *args, **kwargs):
        calls.append(1)
        return whole_read(self, *args, **kwargs)

    monkeypatch.setattr(CorpusStore, "live_chunks", counted)
    yield calls


def _assert_equals_a_rebuild(service: AnswerService, index: BM25Index) -> None:
    live = service.store.live_hashes()
    rebuilt = BM25Index.build(service.store.live_chunks(live), live)
    assert index.live == live and index.fingerprint == rebuilt.fingerprint
    assert sorted(c.chunk_id for c in index.chunks) == sorted(c.chunk_id for c in rebuilt.chunks)
    for query in ("strike raise union", "Russia China military aid", "denied request"):
        assert dict(index.search(query, 50, ["shared"])) == pytest.approx(dict(rebuilt.search(query, 50, ["shared"])))


def test_an_upload_adds_only_its_chunks(service: AnswerService, reads_every_chunk: list[int]):
    before = service.snapshots.current().bm25
    report = service.ingest_bytes(ARTICLE.encode(), "harbour-strike.md", "shared")
    after = service.snapshots.current().bm25
    assert reads_every_chunk == []
    assert len(after) == len(before) + report.chunks
    assert after.chunks[: len(before)] == before.chunks
    _assert_equals_a_rebuild(service, after)
    answer = service.ask("How long did the dock workers strike?")
    assert any("nine-day strike" in c.quote for c in answer.citations)


def test_a_removal_drops_rows_without_reading_chunks(service: AnswerService, reads_every_chunk: list[int]):
    doc_id = service.sources()[0].doc_id
    assert service.remove(doc_id)
    index = service.snapshots.current().bm25
    assert reads_every_chunk == []
    assert all(c.doc_id != doc_id for c in index.chunks)
    _assert_equals_a_rebuild(service, index)


def test_a_new_process_updates_a_saved_index_older_than_the_corpus(
    service: AnswerService, embed_model, reads_every_chunk: list[int]
):
    """An upload committed but not saved to the BM25 cache (its process stopped in between) is
    added to the saved index by the next process, which reads only the upload's chunks."""
    saved = service.snapshots.latest.bm25
    service.ingest_bytes(ARTICLE.encode(), "harbour-strike.md", "shared")
    saved.save(service.settings.data_dir / "bm25")
    reopened = open_service(service.settings, embed_model)
    assert reads_every_chunk == []
    assert len(reopened.snapshots.latest.bm25) > len(saved)
    _assert_equals_a_rebuild(reopened, reopened.snapshots.latest.bm25)


def test_a_saved_index_this_citebot_cannot_read_is_rebuilt_once(
    service: AnswerService, embed_model, reads_every_chunk: list[int]
):
    """A damaged (or older-format) cache whose fingerprint still matches is rebuilt and saved
    again, so only the next process pays for it."""
    (service.settings.data_dir / "bm25" / "counts.npz").write_bytes(b"damaged")
    reopened = open_service(service.settings, embed_model)
    assert reads_every_chunk == [1]
    _assert_equals_a_rebuild(reopened, reopened.snapshots.latest.bm25)
    reads_every_chunk.clear()
    again = open_service(service.settings, embed_model)
    assert reads_every_chunk == []
    assert again.snapshots.latest.bm25.fingerprint == reopened.snapshots.latest.bm25.fingerprint
