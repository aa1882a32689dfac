"""`citebot` as a real subprocess on a data dir with a damaged file (issue 33): a damaged sentence-vector
file costs one notice and is refilled; a damaged Chroma database is one clear line and exit code 5,
never a traceback."""

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.user_errors import EXIT_STORE_DAMAGED
from retrieval.index.chroma import CHROMA_FILE
from retrieval.index.sentence_table import DAMAGED_SUFFIX, SENTENCES_FILE
from retrieval.ingest.readers import ArticleReader
from retrieval.models.records import SHARED_SCOPE, record_key
from tests.support.damage import DAMAGE, damage
from tests.support.services import CORPUS

pytestmark = pytest.mark.slow

QUESTION = "Who denied the request?"


def citebot(data: Path, *args: str, token: str = "") -> subprocess.CompletedProcess[str]:
    """The real console script on the data dir `data`, with the shipped corpus (and a Discord token)."""
    env = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    env.update(CITEBOT_DATA_DIR=str(data), CITEBOT_CORPUS_DIR=str(CORPUS), HF_HUB_OFFLINE="1")
    if token:
        env["DISCORD_TOKEN"] = token
    return subprocess.run([str(Path(sys.executable).with_name("citebot")), *args], capture_output=True, text=True,
                          cwd=data.parent, env=env, timeout=300)


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir with the shipped corpus ingested, copied by each test."""
    data = tmp_path_factory.mktemp("ingested") / "data"
    assert citebot(data, "ingest").returncode == 0
    return data


@pytest.fixture
def data(ingested: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(ingested, tmp_path / "data"))


def live_versions() -> set[str]:
    """The versions ingest makes live from the shipped corpus, as the sentence-vector file names them."""
    reader = ArticleReader(max_bytes=10**7)
    documents = [reader.read_path(path) for path in sorted(CORPUS.glob("*.md"))]
    return {f"{record_key(SHARED_SCOPE, d.doc_id)}@{d.content_hash}" for d in documents}


def versions_with_vectors(data: Path) -> set[str]:
    with sqlite3.connect(f"file:{data / SENTENCES_FILE}?mode=ro", uri=True) as db:
        return {version for (version,) in db.execute("SELECT DISTINCT version FROM sentence_vectors")}


def notices(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if f"{SENTENCES_FILE} was damaged" in line]


@pytest.mark.parametrize("how", DAMAGE)
def test_sources_on_a_damaged_sentence_file_lists_the_documents_after_one_notice(data: Path, how: str):
    damage(data / SENTENCES_FILE, how)
    listed = citebot(data, "sources", "--json")
    assert listed.returncode == 0, listed.stderr
    assert len(json.loads(listed.stdout)) == 2
    assert listed.stderr.splitlines() == notices(listed.stderr) and len(notices(listed.stderr)) == 1
    assert (data / (SENTENCES_FILE + DAMAGED_SUFFIX)).exists()
    again = citebot(data, "sources", "--json")
    assert again.returncode == 0 and again.stderr == ""


@pytest.mark.parametrize("how", ["truncated", "bad-header", "zero-bytes"])
def test_ask_on_a_damaged_sentence_file_answers_and_the_next_ingest_refills_the_vectors(data: Path, how: str):
    assert versions_with_vectors(data) == live_versions()
    damage(data / SENTENCES_FILE, how)
    asked = citebot(data, "ask", "--json", QUESTION)
    assert asked.returncode == 0 and "Traceback" not in asked.stderr, asked.stderr
    assert len(notices(asked.stderr)) == 1
    assert "Peskov" in json.loads(asked.stdout)["answer"]
    assert versions_with_vectors(data) == set()

    ingested = citebot(data, "ingest", "--json")
    assert ingested.returncode == 0 and notices(ingested.stderr) == [], ingested.stderr
    assert json.loads(ingested.stdout) == {"added": 0, "updated": 0, "unchanged": 2, "removed": 0, "chunks": 0,
                                           "errors": []}
    assert versions_with_vectors(data) == live_versions()


def test_ingest_right_after_the_sentence_file_was_emptied_refills_it(data: Path):
    """The emptied file was recreated empty, and the re-ingest said 'unchanged' without storing anything."""
    damage(data / SENTENCES_FILE, "zero-bytes")
    ingested = citebot(data, "ingest", "--json")
    assert ingested.returncode == 0 and "Traceback" not in ingested.stderr, ingested.stderr
    assert len(notices(ingested.stderr)) == 1
    assert json.loads(ingested.stdout)["unchanged"] == 2
    assert versions_with_vectors(data) == live_versions()


@pytest.mark.parametrize("command", [["sources"], ["ask", QUESTION], ["ingest"]], ids=["sources", "ask", "ingest"])
@pytest.mark.parametrize("how", ["truncated", "bad-header", "zero-bytes"])
def test_a_damaged_chroma_database_is_one_line_naming_it_and_what_to_do(data: Path, how: str, command: list[str]):
    database = data / "chroma" / CHROMA_FILE
    damage(database, how)
    run = citebot(data, *command)
    assert run.returncode == EXIT_STORE_DAMAGED and run.stdout == ""
    [line] = run.stderr.splitlines()
    assert line.startswith("error: The document store is damaged") and f"{database} is damaged" in line
    assert f"restore {database.parent} from a backup, or delete that folder and ingest the documents again" in line


@pytest.mark.parametrize("command", ["run", "chat"])
def test_the_bot_and_the_terminal_session_do_not_start_on_a_damaged_chroma_database(data: Path, command: str):
    """They open the store before anything else (the bot before it connects to Discord): the same one
    line and exit code, not a traceback. Once running, `bot.exts.core.errors.describe` answers with
    the table's message (tests/bot/test_user_errors.py)."""
    damage(data / "chroma" / CHROMA_FILE, "truncated")
    run = citebot(data, command, token="not-a-real-token")
    assert run.returncode == EXIT_STORE_DAMAGED and "Traceback" not in run.stderr
    [line] = run.stderr.splitlines()
    assert line.startswith("error: The document store is damaged") and CHROMA_FILE in line
