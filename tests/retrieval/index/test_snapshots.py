"""The BM25 side of a snapshot follows uploads and removals by their difference: an upload's chunks
are the only ones read and analysed, and the result equals an index built from every live chunk."""

import json
import logging
import random
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from retrieval.index.bm25 import BM25Index
from retrieval.index.store import CorpusStore
from retrieval.service import AnswerService
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


QUESTIONS = (
    "Who denied the request?",
    "What did China say about supplying arms to Russia?",
    "Which officials met, and where?",
    "What did the United States warn its allies about?",
)


def _answers(service: AnswerService) -> list[tuple[str, list[tuple[str, int, int]]]]:
    return [(a.answer, [(c.doc_id, c.start, c.end) for c in a.citations]) for a in map(service.ask, QUESTIONS)]


def _shuffle_rows(directory: Path) -> None:
    """Valid JSON, the same chunks and the same live versions: only the rows' order differs."""
    meta = json.loads((directory / "meta.json").read_text(encoding="utf-8"))
    random.Random(5).shuffle(meta["chunks"])
    (directory / "meta.json").write_text(json.dumps(meta), encoding="utf-8")


def _reverse_counts(directory: Path) -> None:
    with np.load(directory / "counts.npz") as saved:
        arrays = dict(saved)
    arrays["data"] = arrays["data"][::-1].copy()
    np.savez(directory / "counts.npz", **arrays)


def _notices(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "retrieval.index.snapshots"]


@pytest.mark.parametrize("tamper", [_shuffle_rows, _reverse_counts])
def test_a_cache_changed_after_it_was_saved_is_rebuilt_with_a_notice_and_answers_do_not_change(
    service: AnswerService, embed_model, tamper, caplog: pytest.LogCaptureFixture, reads_every_chunk: list[int]
):
    """Such a cache matched the live versions, so it was used as it was: citations came from other
    chunks than the ones scored, and re-ingesting said "unchanged" and left it so."""
    clean = _answers(service)
    tamper(service.settings.data_dir / "bm25")
    caplog.set_level(logging.WARNING, logger="retrieval.index.snapshots")
    reopened = open_service(service.settings, embed_model)
    assert _answers(reopened) == clean
    assert reads_every_chunk == [1]
    _assert_equals_a_rebuild(reopened, reopened.snapshots.latest.bm25)
    [notice] = _notices(caplog)
    assert "BM25 cache" in notice and "rebuilding it from the store" in notice and "\n" not in notice
    caplog.clear()
    reads_every_chunk.clear()
    again = open_service(service.settings, embed_model)
    assert again.ingest().unchanged == 2
    assert (_notices(caplog), reads_every_chunk) == ([], []), "the rebuilt cache was saved, and is trusted"


def test_a_cache_that_holds_other_chunks_than_the_store_is_rebuilt(
    service: AnswerService, embed_model, caplog: pytest.LogCaptureFixture, reads_every_chunk: list[int]
):
    """A cache saved whole (its checksum holds) for the live versions, but without one of their
    chunks: only the store's records can tell."""
    index = service.snapshots.latest.bm25
    rows = np.arange(1, len(index))
    BM25Index([index.chunks[i] for i in rows], index.counts.kept(rows), index.live).save(
        service.settings.data_dir / "bm25"
    )
    caplog.set_level(logging.WARNING, logger="retrieval.index.snapshots")
    reopened = open_service(service.settings, embed_model)
    [notice] = _notices(caplog)
    assert "disagrees with the store" in notice
    assert reads_every_chunk == [1]
    _assert_equals_a_rebuild(reopened, reopened.snapshots.latest.bm25)
