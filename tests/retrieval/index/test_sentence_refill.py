"""A service whose sentence-vector file was damaged: it answers, and the next ingest stores the live
documents' sentence vectors again (issue 33: an emptied file was never refilled, and every question
embedded its candidate sentences from then on)."""

import logging
from pathlib import Path

import pytest

from retrieval.index.sentence_table import SENTENCES_FILE
from retrieval.service import AnswerService
from tests.support.damage import DAMAGE, damage
from tests.support.services import open_service

pytestmark = pytest.mark.slow


def missing_vectors(service: AnswerService) -> list[str]:
    """The live versions whose sentence vectors are not stored."""
    live = service.store.live_hashes()
    return sorted(key for key, content_hash in live.items() if not service.store.sentences.has_version(key, content_hash))


@pytest.mark.parametrize("how", DAMAGE)
def test_a_damaged_sentence_file_costs_no_answer_and_the_next_ingest_refills_it(
    service: AnswerService, embed_model, caplog: pytest.LogCaptureFixture, how: str
):
    assert missing_vectors(service) == []
    chunks = service.store.live_chunks()
    before = service.ask("Who denied the request?")
    service.store.sentences._db.close()  # the process ends
    damage(Path(service.settings.data_dir) / SENTENCES_FILE, how)

    reopened = open_service(service.settings, embed_model)
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and "damaged" in r.getMessage()]
    assert missing_vectors(reopened) == sorted(reopened.store.live_hashes())
    answer = reopened.ask("Who denied the request?")
    assert answer.answer == before.answer, "sentences without stored vectors are embedded when asked about"

    report = reopened.ingest()
    assert (report.added, report.updated, report.unchanged, report.removed, report.chunks) == (0, 0, 2, 0, 0)
    assert missing_vectors(reopened) == []
    assert reopened.store.live_chunks() == chunks, "only the sentence vectors were written"
    assert reopened.ask("Who denied the request?").answer == before.answer
    assert reopened.ingest().unchanged == 2 and missing_vectors(reopened) == []
