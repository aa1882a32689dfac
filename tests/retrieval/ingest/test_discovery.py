"""`UnchangedCheck`: a re-ingest that would change nothing is answered from the files and the store
alone, and anything that would change (or fail) is left to the full ingest."""

from dataclasses import replace
from pathlib import Path

import pytest

from retrieval.composition import build_catalog
from retrieval.ingest.discovery import UnchangedCheck
from retrieval.models.records import SHARED_SCOPE
from retrieval.service import AnswerService


@pytest.fixture
def check(service: AnswerService) -> UnchangedCheck:
    return build_catalog(service.settings).unchanged_check


def test_an_unchanged_folder_gets_the_report_the_full_ingest_gives(service: AnswerService, check: UnchangedCheck,
                                                                   corpus_copy: Path):
    quick = check.report([corpus_copy], SHARED_SCOPE)
    full = service.ingest([corpus_copy])
    assert quick is not None
    assert quick.to_json() == full.to_json() == {"added": 0, "updated": 0, "unchanged": 2, "removed": 0, "chunks": 0,
                                                 "errors": []}
    assert sorted(quick.doc_ids) == sorted(full.doc_ids)


def test_a_single_unchanged_file_and_a_publication_date_given_again(service: AnswerService, check: UnchangedCheck,
                                                                    corpus_copy: Path):
    article = sorted(corpus_copy.glob("*.md"))[0]
    quick = check.report([article], SHARED_SCOPE)
    assert quick is not None and quick.unchanged == 1
    assert check.report([article], SHARED_SCOPE, {"published": "2021-01-01"}) is None, (
        "a new date is a new version: the full ingest must write it")


@pytest.mark.parametrize(("change", "acted"), [
    ("edited", (0, 1, 0, 0)), ("added", (1, 0, 0, 0)), ("deleted", (0, 0, 1, 0)), ("unsupported", (0, 0, 0, 1)),
    ("missing path", (0, 0, 0, 1)),
])
def test_anything_that_would_change_or_fail_goes_to_the_full_ingest(service: AnswerService, check: UnchangedCheck,
                                                                    corpus_copy: Path, change: str,
                                                                    acted: tuple[int, int, int, int]):
    article = sorted(corpus_copy.glob("*.md"))[0]
    paths = [corpus_copy]
    if change == "edited":
        article.write_text(article.read_text(encoding="utf-8") + "\nOne more sentence was added.\n", encoding="utf-8")
    elif change == "added":
        (corpus_copy / "new.md").write_text("# A new article\n\nSomething happened today in the harbour.\n",
                                            encoding="utf-8")
    elif change == "deleted":
        article.unlink()
    elif change == "unsupported":
        (corpus_copy / "notes.docx").write_bytes(b"PK\x03\x04 not a supported file")
    else:
        paths.append(corpus_copy / "no-such-folder")
    assert check.report(paths, SHARED_SCOPE) is None
    full = service.ingest(paths)
    assert (full.added, full.updated, full.removed, len(full.errors)) == acted, "the full ingest acts on it"


def test_a_write_a_crash_left_unfinished_goes_to_the_full_ingest(service: AnswerService, check: UnchangedCheck,
                                                                 corpus_copy: Path):
    """The service recovers such a write when it opens; the check must not report around it."""
    record = service.store.documents([SHARED_SCOPE])[0]
    service.store.records.put([replace(service.store.get(SHARED_SCOPE, record.doc_id), pending_hash="f" * 64)])
    assert check.report([corpus_copy], SHARED_SCOPE) is None
