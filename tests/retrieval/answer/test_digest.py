"""The digest (retrieval/answer/digest.py, stories.py; `AnswerService.digest`) over dated articles,
with the real embedder and Chroma: stories grouped, newest first, every sentence a cited stored one."""

import datetime as dt
import re

import numpy as np
import pytest

from retrieval.answer.stories import group_by_story
from retrieval.service import AnswerService
from tests.support.news import BRIDGE_CLOSED, BRIDGE_REPAIRS, CHEESE_FAIR

SCOPE = "guild-1"
NOW = dt.datetime(2026, 1, 3, 12, tzinfo=dt.UTC)


def test_groups_join_what_is_alike_on_average_and_nothing_else():
    """Average linkage: the two close vectors join, the far one stays alone, and a vector between
    two groups does not chain them."""
    x, y = np.array([1.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0])
    near_x = np.array([0.9, 0.1, 0.0]) / np.linalg.norm([0.9, 0.1, 0.0])
    between = (x + y) / np.linalg.norm(x + y)
    assert group_by_story([x, y, near_x]) == [[0, 2], [1]]
    assert group_by_story([x, between, y], threshold=0.7) == [[0, 1], [2]]
    assert group_by_story([]) == []


@pytest.fixture
def dated(empty_service: AnswerService) -> AnswerService:
    for article, day in ((BRIDGE_CLOSED, "2026-01-01"), (CHEESE_FAIR, "2026-01-02"), (BRIDGE_REPAIRS, "2026-01-03")):
        report = empty_service.ingest_bytes(article.markdown(day), f"{article.doc_id}.md", SCOPE)
        assert not report.errors
    empty_service.ingest()
    return empty_service


@pytest.mark.slow
def test_a_digest_groups_articles_by_story_newest_first_every_sentence_cited(dated: AnswerService):
    digest = dated.digest(NOW - dt.timedelta(days=7), ["shared", SCOPE], until=NOW)
    assert digest.articles == 3, "the shared corpus (2022) is older than the window"
    assert [set(story.doc_ids) for story in digest.stories] == [{"bridge-closed", "bridge-repairs"}, {"cheese-fair"}]
    bridge, fair = digest.stories
    assert (bridge.day, bridge.title) == ("2026-01-03", BRIDGE_REPAIRS.title), "titled by its newest article"
    assert fair.day == "2026-01-02"
    for story in digest.stories:
        sentences = re.findall(r"[^\[\]]+?\[(\d+)\]", story.summary)
        assert sentences and len(sentences) == len(story.citations), "every sentence ends with its marker"
        assert sorted(int(n) for n in sentences) == [c.n for c in story.citations]
        for citation in story.citations:
            text = dated.store.get(citation.scope, citation.doc_id).text
            assert text[citation.start : citation.end] == citation.quote and citation.doc_id in story.doc_ids
    assert {c.doc_id for c in bridge.citations} == {"bridge-closed", "bridge-repairs"}, "both reports quoted"


@pytest.mark.slow
def test_a_digest_holds_only_what_is_new_in_the_scopes_asked(dated: AnswerService):
    today = dated.digest(NOW - dt.timedelta(hours=12), ["shared", SCOPE], until=NOW)
    assert [story.doc_ids for story in today.stories] == [("bridge-repairs",)]
    since_yesterday_noon = dated.digest(NOW - dt.timedelta(hours=24), ["shared", SCOPE], until=NOW)
    assert [story.doc_ids for story in since_yesterday_noon.stories] == [("bridge-repairs",), ("cheese-fair",)], (
        "an article of the first day counts when it was ingested after `since` (all were, just now)"
    )
    before_the_repairs = dated.digest(NOW - dt.timedelta(days=7), ["shared", SCOPE], until=NOW - dt.timedelta(days=1))
    assert {d for story in before_the_repairs.stories for d in story.doc_ids} == {"bridge-closed", "cheese-fair"}
    assert dated.digest(NOW - dt.timedelta(days=7), ["shared", "guild-2"], until=NOW).stories == []
    in_2022 = (dt.datetime(2022, 3, 1, tzinfo=dt.UTC), dt.datetime(2022, 12, 31, tzinfo=dt.UTC))
    older = dated.digest(in_2022[0], ["shared", SCOPE], until=in_2022[1])
    assert [story.doc_ids for story in older.stories] == [("china-open-to-supplying-arms-to-russia",)]
    assert older.to_json()["stories"][0]["citations"]
    undated = dated.digest(dt.datetime.now(dt.UTC) - dt.timedelta(hours=1), ["shared", SCOPE])
    assert [story.doc_ids for story in undated.stories] == [("us-warns-allies-china-willing-to-support-russia",)], (
        "an undated article is news on the day it was ingested"
    )
