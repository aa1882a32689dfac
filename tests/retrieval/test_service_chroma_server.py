"""The answer service against a real Chroma server (`chroma run` on 127.0.0.1): the same behaviour as
embedded, several processes' services kept consistent through the corpus generation, and an
unreachable server reported as `StoreUnavailable`."""

import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bot.user_errors import STORE_UNAVAILABLE
from harness.llama_server import free_port
from retrieval.index.chroma import VECTOR_SEARCH_EF, StoreUnavailable
from retrieval.index.store import CorpusStore
from retrieval.language.vocabulary import analyse
from retrieval.service import AnswerService
from tests.support.services import REPO, make_settings, open_service

pytestmark = pytest.mark.slow

# "Quarnell" and "Vesk" occur nowhere else in the corpus: only BM25 can tie them to this text.
FERRY = (
    b"---\ntitle: Ferry line suspended\n---\n"
    b"The Quarnell ferry to Vesk island was suspended on Monday after an inspection found corroded hull plates. "
    b"The operator expects the repairs to take three weeks.\n"
)
RARE_QUESTION = "What happened to the Quarnell ferry?"


def cited_doc_ids(service: AnswerService, question: str) -> set[str]:
    return {c.doc_id for c in service.ask(question).citations}


def bm25_doc_ids(service: AnswerService, word: str) -> set[str]:
    """Documents the service's current BM25 index finds for `word` (its keyword side, alone)."""
    return {chunk.doc_id for chunk, _ in service.snapshots.current().bm25.search(word, 5, ["shared"])}


def test_ingest_ask_and_remove_against_the_server(tmp_path: Path, chroma_settings: dict, embed_model):
    service = open_service(make_settings(tmp_path / "data", **chroma_settings), embed_model)
    report = service.ingest()
    assert report.added >= 2 and not report.errors
    answer = service.ask("Who denied the request?")
    assert not answer.abstained and "Liu Pengyu" in answer.answer
    assert not (tmp_path / "data" / "chroma").exists(), "nothing was written to an embedded database"
    assert service.remove("china-open-to-supplying-arms-to-russia")
    assert "china-open-to-supplying-arms-to-russia" not in {s.doc_id for s in service.sources()}
    reopened = open_service(make_settings(tmp_path / "other-data", **chroma_settings), embed_model)
    assert [s.doc_id for s in reopened.sources()] == [s.doc_id for s in service.sources()]
    chunks = CorpusStore.connect(make_settings(tmp_path / "data", **chroma_settings)).chunks.collection
    assert chunks.configuration_json["hnsw"]["ef_search"] == VECTOR_SEARCH_EF


def test_a_second_service_sees_the_first_ones_commits_bm25_included(
    tmp_path: Path, chroma_settings: dict, embed_model
):
    writer = open_service(make_settings(tmp_path / "writer", **chroma_settings), embed_model)
    writer.ingest()
    reader = open_service(make_settings(tmp_path / "reader", **chroma_settings), embed_model)
    assert "ferry" not in cited_doc_ids(reader, RARE_QUESTION)
    assert bm25_doc_ids(reader, "Quarnell") == set()

    writer.ingest_bytes(FERRY, "ferry.md", "shared")
    assert bm25_doc_ids(reader, "Quarnell") == {"ferry"}, "the reader's BM25 index was rebuilt"
    assert "ferry" in cited_doc_ids(reader, RARE_QUESTION)
    bm25 = reader.snapshots.latest.bm25
    assert bm25.idf(analyse("Quarnell")[0]) < bm25.idf("unseenterm"), "the term's document frequency is counted"

    writer.remove("ferry")
    assert "ferry" not in cited_doc_ids(reader, RARE_QUESTION)
    assert bm25_doc_ids(reader, "Quarnell") == set()


def test_an_unchanged_corpus_keeps_the_snapshot(tmp_path: Path, chroma_settings: dict, embed_model):
    service = open_service(make_settings(tmp_path / "data", **chroma_settings), embed_model)
    service.ingest()
    other = open_service(make_settings(tmp_path / "other", **chroma_settings), embed_model)
    before = service.snapshots.current()
    service.ask("Who denied the request?")
    assert service.snapshots.current() is before
    other.ingest()  # every document unchanged: no commit, no new generation
    assert service.snapshots.current() is before
    CorpusStore.connect(other.settings).recover()  # a new generation with the same live versions
    after = service.snapshots.current()
    assert after is not before and after.bm25 is before.bm25


def test_the_cli_in_another_process_ingests_and_a_running_service_answers_from_it(
    tmp_path: Path, chroma_settings: dict, embed_model
):
    service = open_service(make_settings(tmp_path / "bot-data", **chroma_settings), embed_model)
    service.ingest()
    document = tmp_path / "ferry.md"
    document.write_bytes(FERRY)
    env = {**os.environ, "PYTHONPATH": str(REPO), "CHROMA_HOST": chroma_settings["chroma_host"],
           "CHROMA_PORT": str(chroma_settings["chroma_port"]), "CHROMA_DATABASE": chroma_settings["chroma_database"]}
    run = subprocess.run(
        [sys.executable, "-m", "bot.cli", "--data-dir", str(tmp_path / "cli-data"), "ingest", str(document), "--json"],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )
    assert run.returncode == 0, run.stderr
    assert "ferry" in cited_doc_ids(service, RARE_QUESTION)


def test_the_cli_says_in_one_line_when_the_server_is_unreachable(tmp_path: Path):
    env = {**os.environ, "PYTHONPATH": str(REPO), "CHROMA_HOST": "127.0.0.1", "CHROMA_PORT": str(free_port())}
    run = subprocess.run(
        [sys.executable, "-m", "bot.cli", "--data-dir", str(tmp_path / "data"), "ask", "Who denied the request?"],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )
    assert run.returncode == 4
    assert run.stderr.strip().count("\n") == 0, run.stderr
    assert run.stderr.startswith(f"error: {STORE_UNAVAILABLE} (cannot reach the Chroma server at")
    assert "Could not connect to a Chroma server" in run.stderr
    assert "Traceback" not in run.stderr


def test_a_dead_server_mid_session_is_store_unavailable_then_recovers(
    tmp_path: Path, restartable_chroma_server, embed_model
):
    
    settings = make_settings(tmp_path / "data", **restartable_chroma_server.create_database("corpus"))
    service = open_service(settings, embed_model)
    service.ingest()
    restartable_chroma_server.kill()
    with pytest.raises(StoreUnavailable, match="cannot reach the Chroma server"):
        service.ask("Who denied the request?")
    with pytest.raises(StoreUnavailable):
        service.ingest_bytes(FERRY, "ferry.md", "shared")
    restartable_chroma_server.start()
    assert "Liu Pengyu" in service.ask("Who denied the request?").answer
    assert service.ingest_bytes(FERRY, "ferry.md", "shared").added == 1


@pytest.mark.parametrize(
    ("header", "expected"), [("Authorization", "Bearer s3cret-token"), ("X-Chroma-Token", "s3cret-token")]
)
def test_the_auth_token_is_sent_in_the_configured_header(tmp_path: Path, header: str, expected: str):
    """Chroma's own server runs without auth here, so a recording server checks what goes on the wire."""
    seen: list[str | None] = []

    class Recorder(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.headers.get(header))
            self.send_response(503)
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings = make_settings(tmp_path / "data", chroma_host="127.0.0.1", chroma_port=server.server_address[1],
                             chroma_auth_token="s3cret-token", chroma_auth_header=header)
    try:
        with pytest.raises(StoreUnavailable):
            CorpusStore.connect(settings)
    finally:
        server.shutdown()
    assert seen and all(value == expected for value in seen)
