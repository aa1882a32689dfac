"""Refreshing documents that came from a URL, against a site on 127.0.0.1 that answers conditional
requests (tests/support/feed_site.py): the real fetcher, embedder, Chroma and BM25."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from retrieval.ingest.refresh import NoWebDocument
from retrieval.ingest.web import url_document_id
from retrieval.service import AnswerService
from tests.support.feed_site import FeedSite, article_html
from tests.support.services import make_settings, open_service
from tests.support.snapshots import index_state

pytestmark = pytest.mark.slow

SCOPE = "guild-1"
PIER = ["The harbour master of Valdora, Ottavio Brambilla, resigned on Friday after the storm damaged the pier."]
SUCCESSOR = ["The council named Lucia Ferrante harbour master of Valdora on Monday, after a vote of nine to two."]


@pytest.fixture
def site() -> Iterator[FeedSite]:
    site = FeedSite()
    site.put_page("harbour", article_html("Valdora harbour master", PIER, date="2024-02-09"))
    yield site
    site.close()


@pytest.fixture
def web_service(tmp_path: Path, embed_model, site: FeedSite) -> AnswerService:
    service = open_service(make_settings(tmp_path / "data", tmp_path / "no-corpus", fetch_allow_loopback=True),
                           embed_model)
    assert service.ingest_url(site.article_url("harbour"), SCOPE, {"published": "2024-02-10"}).added == 1
    return service


def test_an_unchanged_page_rewrites_nothing_and_then_costs_one_conditional_request(web_service, site):
    doc_id = url_document_id(site.article_url("harbour"))
    before = index_state(web_service)
    [first] = web_service.refresher.refresh(SCOPE).outcomes
    assert (first.doc_id, first.status) == (doc_id, "unchanged")
    assert index_state(web_service) == before, "same content (and the date it was given) is no new version"
    [second] = web_service.refresher.refresh(SCOPE, doc_id).outcomes
    assert second.status == "not-modified"
    asked = site.requests_to("/articles/harbour")[-1]
    assert (asked.status, bool(asked.if_none_match)) == (304, True)
    assert index_state(web_service) == before
    [info] = web_service.sources([SCOPE])
    assert info.published == "2024-02-10", "a refresh keeps the date the document was given"


def test_a_changed_page_replaces_the_version_and_the_old_text_is_gone(web_service, site):
    doc_id = url_document_id(site.article_url("harbour"))
    old_hashes = web_service.store.live_hashes()
    site.put_page("harbour", article_html("Valdora harbour master", SUCCESSOR, date="2024-02-12"))
    [outcome] = web_service.refresher.refresh(SCOPE, doc_id).outcomes
    assert outcome.status == "updated"
    assert "Lucia Ferrante" in web_service.document_text(doc_id, [SCOPE])
    assert "Ottavio" not in web_service.document_text(doc_id, [SCOPE])
    assert web_service.store.live_hashes() != old_hashes and len(web_service.sources([SCOPE])) == 1
    quotes = " ".join(c.quote for c in web_service.ask("Who is the new harbour master of Valdora?", [SCOPE]).citations)
    assert "Lucia Ferrante" in quotes
    old = web_service.ask("Who resigned as harbour master after the storm damaged the pier?", [SCOPE])
    assert "Ottavio" not in " ".join(c.quote for c in old.citations) + " ".join(p.text for p in old.passages)
    chunk_ids = index_state(web_service)[1]
    assert all(old_hashes[f"{SCOPE}/{doc_id}"][:16] not in chunk for chunk in chunk_ids), "old chunks deleted"


def test_a_vanished_page_is_reported_and_its_document_kept(web_service, site):
    doc_id = url_document_id(site.article_url("harbour"))
    del site.pages["harbour"]
    before = index_state(web_service)
    [outcome] = web_service.refresher.refresh(SCOPE).outcomes
    assert (outcome.status, outcome.detail) == ("vanished", "the server answered HTTP 404 Not Found")
    assert index_state(web_service) == before
    assert [v.doc_id for v in web_service.refresher.vanished(SCOPE)] == [doc_id]
    assert web_service.refresher.vanished("guild-2") == []
    site.put_page("harbour", article_html("Valdora harbour master", PIER, date="2024-02-09"))
    assert web_service.refresher.refresh(SCOPE).outcomes[0].status == "unchanged"
    assert web_service.refresher.vanished(SCOPE) == [], "back online, no longer reported"


def test_only_a_scopes_own_web_documents_can_be_refreshed(web_service, site):
    web_service.ingest_bytes(b"Ferry news.\n\nThe ferry resumed service on Monday.", "ferry.txt", SCOPE)
    web_service.ingest_bytes(b"Bridge news.\n\nThe bridge closed on Tuesday.", "bridge.txt", SCOPE,
                             {"url": "https://news.example/bridge"})
    assert {"ferry", "bridge"}.isdisjoint(r.doc_id for r in web_service.refresher.documents([SCOPE])), \
        "a file, even one that names the URL it was published at, is not offered for a refresh"
    with pytest.raises(NoWebDocument):
        web_service.refresher.refresh(SCOPE, "ferry")
    with pytest.raises(NoWebDocument):
        web_service.refresher.refresh("guild-2", url_document_id(site.article_url("harbour")))
    assert web_service.refresher.refresh("guild-2").outcomes == []
    assert [report.scope for report in web_service.refresher.refresh_all()] == [SCOPE]
