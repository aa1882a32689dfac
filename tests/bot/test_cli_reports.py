"""`citebot digest` and `citebot gaps` (bot/cli/reports.py), in process and, for gaps, in a cold
subprocess that must load no model."""

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.storage import BotStore
from tests.bot.test_cli import LOADED_AFTER, cli  # noqa: F401 (the fixture)
from tests.support.news import BRIDGE_CLOSED, BRIDGE_REPAIRS, CHEESE_FAIR

pytestmark = pytest.mark.slow


def test_digest_groups_new_articles_by_story_with_citations(cli, tmp_path: Path):  # noqa: F811
    today = dt.datetime.now(dt.UTC).date()
    folder = tmp_path / "news"
    folder.mkdir()
    for article, age in ((BRIDGE_CLOSED, 1), (CHEESE_FAIR, 1), (BRIDGE_REPAIRS, 0)):
        (folder / f"{article.doc_id}.md").write_bytes(article.markdown((today - dt.timedelta(days=age)).isoformat()))
    assert cli("ingest", str(folder))[0] == 0
    code, out, _ = cli("digest", "--since", "3d", "--json")
    digest = json.loads(out)
    assert code == 0 and digest["articles"] == 3
    assert [set(story["doc_ids"]) for story in digest["stories"]] == [{"bridge-closed", "bridge-repairs"}, {"cheese-fair"}]
    texts = {article.doc_id: article.body for article in (BRIDGE_CLOSED, BRIDGE_REPAIRS, CHEESE_FAIR)}
    for story in digest["stories"]:
        assert story["citations"] and all(c["quote"] in texts[c["doc_id"]] for c in story["citations"])
        assert all(f"[{c['n']}]" in story["summary"] for c in story["citations"])
    code, out, _ = cli("digest", "--since", "3d")
    assert code == 0 and "3 new articles, 2 stories" in out and BRIDGE_REPAIRS.title in out
    code, _, err = cli("digest", "--since", "in a fortnight or so")
    assert code == 2 and "is not a time" in err


def seed_gaps(data_dir: Path) -> None:
    """Two servers: two questions about Brazil that abstained and a 👎'd answer in server 1, one in server 2."""
    store = BotStore(data_dir / "bot.sqlite")
    now = dt.datetime.now(dt.UTC).timestamp()
    for message_id, question in ((1, "What did Brazil say about the drones?"), (2, "Why is Brazil sending tanks?")):
        store.save_answer(message_id, 1, 5, None, question, "The corpus does not cover this…", {}, abstained=True,
                          unmentioned=("Brazil",), created_at=now - message_id)
    store.save_answer(3, 1, 5, None, "Who denied the request?", "Liu Pengyu denied it [1].", {}, created_at=now)
    store.record_vote(1, 3, 7, -1)
    store.save_answer(4, 2, 6, None, "What did Argentina say?", "The corpus does not cover this…", {}, abstained=True,
                      unmentioned=("Argentina",), created_at=now - 40 * 86400)
    store.close()


def test_gaps_per_server_grouped_with_counts(cli, tmp_path: Path):  # noqa: F811
    seed_gaps(tmp_path / "data")
    code, out, _ = cli("gaps", "--json", "--guild", "1")
    assert code == 0
    report = json.loads(out)
    assert report["days"] == 30
    [server] = report["guilds"]
    assert server["guild_id"] == 1
    assert server["gaps"] == [
        {"subject": "Brazil", "count": 2, "abstained": 2, "downvoted": 0,
         "questions": ["What did Brazil say about the drones?", "Why is Brazil sending tanks?"]},
        {"subject": "denied request", "count": 1, "abstained": 0, "downvoted": 1, "questions": ["Who denied the request?"]},
    ]
    code, out, _ = cli("gaps")
    assert code == 0 and "Argentina" not in out, "older than 30 days"
    assert "server 1, last 30 days:" in out and "Brazil: 2 questions (2 unanswered, 0 👎)" in out
    code, out, _ = cli("gaps", "--days", "60", "--json")
    assert [g["guild_id"] for g in json.loads(out)["guilds"]] == [1, 2]


def test_gaps_without_a_bot_store_and_without_loading_a_model(cli, tmp_path: Path):  # noqa: F811
    code, out, _ = cli("gaps")
    assert code == 0 and out.strip() == "No question of the last 30 days went unanswered or got 👎."
    assert not (tmp_path / "data" / "bot.sqlite").exists()
    seed_gaps(tmp_path / "data")
    run = subprocess.run(
        [sys.executable, "-c", LOADED_AFTER, "gaps", "--json"],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
             "CITEBOT_DATA_DIR": str(tmp_path / "data")},
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert json.loads(run.stderr.strip().splitlines()[-1]) == {"code": 0, "loaded": []}, run.stderr
    assert json.loads(run.stdout)["guilds"][0]["gaps"][0]["subject"] == "Brazil"
