"""Ingest's sentence vectors, pooled from chunk windows (`late_chunked`), and what ingest does when
two files map to one document id."""

from pathlib import Path

import numpy as np
import pytest

from retrieval.index.embedding import TokenVectors
from retrieval.ingest.ingestor import ChunkWindow, late_chunked
from retrieval.service import AnswerService


def one_token_per_sentence(marks: list[tuple[int, int]], vector_of) -> TokenVectors:
    """A hand-made chunk window: one 'token' per (start, end) with a known vector."""
    return TokenVectors(
        embedding=np.zeros(3), tokens=np.stack([vector_of(s, e) for s, e in marks]), offsets=np.asarray(marks)
    )


def test_each_sentence_takes_the_first_window_holding_it_whole_and_the_rest_are_embedded_alone():
    text = "Alpha one. Beta two. Gamma three."
    spans = [(0, 10), (11, 20), (21, 33)]
    basis = {span: np.eye(3)[i] for i, span in enumerate(spans)}
    # Window 1 covers sentences 1 and 2; window 2 starts inside sentence 2 and covers sentence 3 only
    # in part (its model input ends early): sentence 3 is held whole by no window.
    first = ChunkWindow(start=0, end=20, text_offset=0)
    second = ChunkWindow(start=11, end=33, text_offset=7)
    first_tokens = one_token_per_sentence(spans[:2], lambda s, e: basis[(s, e)])
    second_tokens = one_token_per_sentence([(7, 16)], lambda s, e: -np.eye(3)[1])
    asked: list[list[str]] = []

    def embed_separately(sentences: list[str]) -> list[np.ndarray]:
        asked.append(sentences)
        return [np.asarray([0.0, 0.0, 2.0]) for _ in sentences]

    vectors = late_chunked(text, [first, second], [first_tokens, second_tokens], embed_separately)
    assert asked == [["Gamma three."]]
    assert [tuple(s) for s in vectors.spans] == spans
    assert np.allclose(vectors.vectors, np.eye(3))


# Document ids through a real store: what two files that map to one id do -----------------------------

HARBOUR = (b"# Harbour strike ends\n\nDock workers in Valparaiso ended a nine-day strike on Thursday after the port "
           b"authority agreed to a 7 percent raise.\n")
FERRY = b"# Ferry resumes\n\nThe ferry to the Solovetsky Islands resumed service on Sunday after the ice cleared from the bay.\n"
FLOOD = b"# River floods\n\nThe Drava river flooded the lower town of Osijek on Tuesday, and 300 residents were evacuated.\n"


def cited_ids(service: AnswerService, question: str, scope: str) -> set[str]:
    return {c.doc_id for c in service.ask(question, ["shared", scope]).citations}


@pytest.mark.slow
def test_uploads_named_in_other_scripts_are_documents_of_their_own(empty_service: AnswerService):
    """新闻.md and новости.md were both `document`, and ümlaut.md was `mlaut` like mlaut.md: each
    upload replaced the one before it."""
    service = empty_service
    reports = [service.ingest_bytes(data, name, "guild-1") for data, name in
               [(HARBOUR, "新闻.md"), (FERRY, "новости.md"), (FLOOD, "ümlaut.md"), (FERRY, "mlaut.md")]]
    assert [(r.added, r.updated, r.errors, r.doc_ids) for r in reports] == [
        (1, 0, [], ["新闻"]), (1, 0, [], ["новости"]), (1, 0, [], ["ümlaut"]), (1, 0, [], ["mlaut"])
    ]
    assert [s.doc_id for s in service.sources(["guild-1"])] == ["mlaut", "ümlaut", "новости", "新闻"]
    assert {c.location.doc_id for c in service.store.live_chunks()} == {"mlaut", "ümlaut", "новости", "新闻"}
    assert cited_ids(service, "How long did the dock workers strike?", "guild-1") == {"新闻"}
    assert cited_ids(service, "How many residents of Osijek were evacuated?", "guild-1") == {"ümlaut"}
    assert any("nine-day strike" in c.quote for c in service.summarize_document("新闻", ["guild-1"]).citations)
    assert service.remove("новости", "guild-1")
    assert [s.doc_id for s in service.sources(["guild-1"])] == ["mlaut", "ümlaut", "新闻"]
    assert service.snapshots.current().bm25.live.keys() == {"guild-1/mlaut", "guild-1/ümlaut", "guild-1/新闻"}


@pytest.mark.slow
def test_an_upload_cannot_take_the_id_of_another_upload_but_the_same_name_updates_it(empty_service: AnswerService):
    service = empty_service
    assert service.ingest_bytes(HARBOUR, "report.md", "guild-1").added == 1
    clash = service.ingest_bytes(FERRY, "Report!.md", "guild-1")
    assert clash.errors == [{"path": "Report!.md", "error": "document id 'report' is already used by report.md: "
                             "rename the file, or remove that document first to replace it"}]
    assert (clash.added, clash.updated, clash.doc_ids) == (0, 0, [])
    assert "nine-day strike" in service.document_text("report", ["guild-1"])
    again = service.ingest_bytes(HARBOUR.replace(b"nine-day", b"ten-day"), "report.md", "guild-1")
    assert (again.updated, again.errors, again.doc_ids) == (1, [], ["report"])
    assert "ten-day strike" in service.document_text("report", ["guild-1"])
    assert service.ingest_bytes(FERRY, "Report!.md", "guild-2").added == 1, "another scope has ids of its own"


@pytest.mark.slow
def test_a_file_cannot_take_the_id_of_another_file_while_that_file_exists(empty_service: AnswerService, tmp_path: Path):
    service = empty_service
    (first := tmp_path / "a").mkdir()
    (second := tmp_path / "b").mkdir()
    (first / "report.md").write_bytes(HARBOUR)
    (second / "Report!.md").write_bytes(FERRY)
    assert service.ingest([first]).added == 1
    clash = service.ingest([second])
    assert clash.errors == [{"path": str((second / "Report!.md").resolve()), "error": (
        f"document id 'report' is already used by {(first / 'report.md').resolve()}: "
        "rename the file, or remove that document first to replace it")}]
    assert "nine-day strike" in service.document_text("report")
    (first / "report.md").unlink()
    moved = service.ingest([second])
    assert (moved.updated, moved.errors) == (1, []), "a file renamed or moved is the same document"
    assert "Solovetsky" in service.document_text("report")


@pytest.mark.slow
def test_the_file_that_holds_an_id_keeps_it_when_a_new_file_beside_it_maps_to_it(empty_service: AnswerService, tmp_path: Path):
    """`Report!.md` sorts before `report.md`: it used to replace report.md's document, and report.md
    was then refused as a duplicate of it."""
    service = empty_service
    (folder := tmp_path / "articles").mkdir()
    (folder / "report.md").write_bytes(HARBOUR)
    service.ingest([folder])
    (folder / "Report!.md").write_bytes(FERRY)
    (folder / "report.md").write_bytes(HARBOUR.replace(b"nine-day", b"ten-day"))
    report = service.ingest([folder])
    assert (report.updated, report.added, report.doc_ids) == (1, 0, ["report"])
    assert [e["path"] for e in report.errors] == [str((folder / "Report!.md").resolve())]
    assert "ten-day strike" in service.document_text("report")


@pytest.mark.slow
def test_a_file_ingested_again_under_a_new_id_leaves_no_copy_under_the_old_one(empty_service: AnswerService, tmp_path: Path):
    """Ids of non-Latin names changed (ümlaut.md was `mlaut`): ingesting such a file again moves its
    document to the new id instead of keeping both. Here the old id is the front matter's."""
    service = empty_service
    (folder := tmp_path / "articles").mkdir()
    article = folder / "ümlaut.md"
    article.write_bytes(b"---\nid: mlaut\n---\n" + FLOOD)
    service.ingest([folder])
    assert [s.doc_id for s in service.sources()] == ["mlaut"]
    article.write_bytes(FLOOD)
    report = service.ingest([article])
    assert (report.added, report.removed, report.doc_ids) == (1, 1, ["ümlaut"])
    assert [s.doc_id for s in service.sources()] == ["ümlaut"]
