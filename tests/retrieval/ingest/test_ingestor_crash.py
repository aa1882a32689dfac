"""A SIGKILL in the middle of an ingest leaves a consistent, usable index that the next run completes."""

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from chromadb.api.shared_system_client import SharedSystemClient

from harness.crash_trials import assert_consistent
from tests.support.services import REPO, make_settings, open_service

pytestmark = pytest.mark.slow

# Small commit groups (two or three articles each), so that kills land between commits.
GROUP_CHUNKS = 10

TOWNS = ["Arden", "Belmar", "Corvo", "Dunmore", "Elswick", "Farrow", "Glenby", "Halden", "Ivel", "Jarrow"]
TOPICS = ["the new bridge", "the water tariff", "the school merger", "the harbour dredging", "the bus lanes"]


def write_articles(folder: Path, count: int, edition: int) -> None:
    rng = random.Random(count * 1000 + edition)
    folder.mkdir(exist_ok=True)
    for i in range(count):
        town, topic = TOWNS[i % len(TOWNS)], TOPICS[i % len(TOPICS)]
        sentences = [
            f"The council of {town} voted on {topic} on day {rng.randint(1, 28)} of the month.",
            f"Mayor {town.upper()[:3].title()}son said the vote on {topic} was the closest in {rng.randint(5, 40)} years.",
        ] + [
            f"Residents of {town} raised point {j} about {topic} at a meeting that lasted {rng.randint(1, 5)} hours."
            for j in range(30)
        ]
        body = "\n\n".join(" ".join(sentences[k : k + 3]) for k in range(0, len(sentences), 3))
        (folder / f"article-{i:02d}.md").write_text(
            f"---\ntitle: {town} decides on {topic} (edition {edition})\n---\n{body}\n", encoding="utf-8"
        )


def kill_ingest_after(data_dir: Path, corpus: Path, files_started: int) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "harness.crash_writers", "corpus", "ingest", str(data_dir), str(corpus)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1", "INGEST_GROUP_CHUNKS": str(GROUP_CHUNKS)},
    )
    try:
        for line in process.stdout:
            if line.split()[:2] == ["progress", str(files_started)]:
                time.sleep(random.Random(files_started).uniform(0.0, 0.15))
                break
        process.send_signal(signal.SIGKILL)
        assert process.wait(timeout=60) == -signal.SIGKILL
    finally:
        process.kill()
    # Drop this process's cached Chroma system for the path, so the reopened store reads the disk.
    SharedSystemClient.clear_system_cache()


def test_killed_ingests_leave_a_usable_index_and_the_next_run_completes(tmp_path: Path, embed_model):
    corpus, data = tmp_path / "articles", tmp_path / "data"
    settings = make_settings(data, corpus, ingest_group_chunks=GROUP_CHUNKS)
    write_articles(corpus, 24, edition=1)

    kill_ingest_after(data, corpus, files_started=5)
    survivor = open_service(settings, embed_model)
    partial = assert_consistent(survivor)
    assert 0 < len(partial) < 24
    assert survivor.ask("What did the council of Belmar vote on?").citations
    report = survivor.ingest()
    assert report.added + report.unchanged == 24 and not report.errors
    first_edition = assert_consistent(survivor)
    del survivor

    write_articles(corpus, 24, edition=2)
    kill_ingest_after(data, corpus, files_started=13)
    survivor = open_service(settings, embed_model)
    mixed = assert_consistent(survivor)
    assert set(mixed) == set(first_edition)
    changed = {d for d in mixed if mixed[d] != first_edition[d]}
    assert 0 < len(changed) < 24
    report = survivor.ingest()
    assert report.updated == 24 - len(changed) and report.unchanged == len(changed)
    final = assert_consistent(survivor)
    assert all(final[d] != first_edition[d] for d in final)
    answer = survivor.ask("How long did the meeting in Corvo last?")
    assert not answer.abstained and all("edition 2" in c.title for c in answer.citations)
