"""Feeds through the answer service, against a news site on 127.0.0.1 (tests/support/feed_site.py):
the real fetcher, feedparser, embedder, Chroma and BM25."""

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from retrieval.ingest.feeds.parsing import FeedError, UnknownFeed
from retrieval.ingest.web import url_document_id
from retrieval.service import AnswerService
from tests.support.feed_site import Entry, FeedSite, article_html
from tests.support.services import make_settings, open_service
from tests.support.snapshots import index_state

pytestmark = pytest.mark.slow

A, B = "guild-1", "guild-2"
HARBOUR = ["The harbour master of Valdora, Ottavio Brambilla, resigned on Friday after the storm damaged the pier."]
FERRY = ["The ferry to Isola Bassa resumed service on Monday with a new captain, Marta Lucchesi, at the helm."]
BRIDGE = ["Engineers closed the Sant'Elmo bridge on Tuesday after finding cracks in two of its steel cables."]


@pytest.fixture
def site() -> Iterator[FeedSite]:
    site = FeedSite()
    yield site
    site.close()


@pytest.fixture
def feeds_service(tmp_path: Path, embed_model, request: pytest.FixtureRequest) -> AnswerService:
    overrides = getattr(request, "param", {})
    return open_service(make_settings(tmp_path / "data", tmp_path / "no-corpus", fetch_allow_loopback=True, **overrides),
                        embed_model)


def cited(service: AnswerService, question: str, scopes: list[str]) -> str:
    return " ".join(citation.quote for citation in service.ask(question, ["shared", *scopes]).citations)


def test_a_feed_gains_two_entries_and_exactly_those_are_ingested_dated_answerable_and_scoped(feeds_service, site):
    site.publish("harbour", "Valdora harbour master resigns", "Fri, 09 Feb 2024 10:00:00 GMT", HARBOUR)
    first = feeds_service.feeds.subscribe(site.feed_url, A)
    assert (first.feed.title, first.feed.new_items, first.error) == ("Coast News", 1, "")
    assert [a.doc_id for a in first.ingested] == [url_document_id(site.article_url("harbour"))]

    site.publish("ferry", "Ferry resumes service", "Mon, 12 Feb 2024 08:30:00 GMT", FERRY)
    site.publish("bridge", "Bridge closed", "Tue, 13 Feb 2024 23:30:00 -0500", BRIDGE)
    site.put_page("bridge", article_html("Bridge closed", BRIDGE, date="2020-01-01"))
    [second] = feeds_service.feeds.poll_all()
    assert (second.feed.new_items, second.failures, second.not_modified) == (2, [], False)
    dated = {article.doc_id: article.published for article in second.ingested}
    assert dated == {url_document_id(site.article_url("ferry")): "2024-02-12",
                     url_document_id(site.article_url("bridge")): "2024-02-14"}, "the entry's date (UTC) wins"
    assert {s.doc_id: s.published for s in feeds_service.sources([A])} == {
        url_document_id(site.article_url("harbour")): "2024-02-09", **dated}
    assert "Marta Lucchesi" in cited(feeds_service, "Who is the captain of the ferry to Isola Bassa?", [A])

    assert feeds_service.sources([B]) == [] and feeds_service.feeds.subscriptions([B]) == []
    assert "Marta Lucchesi" not in cited(feeds_service, "Who is the captain of the ferry to Isola Bassa?", [B])

    before, articles = index_state(feeds_service), len(site.served) - len(site.requests_to("/feed.xml"))
    [third] = feeds_service.feeds.poll_all([A])
    assert third.not_modified and third.ingested == [] and third.feed.new_items == 0
    last = site.requests_to("/feed.xml")[-1]
    assert last.status == 304 and last.if_none_match and last.if_modified_since, "validators sent back"
    assert len(site.served) - len(site.requests_to("/feed.xml")) == articles, "no article fetched"
    assert index_state(feeds_service) == before
    assert feeds_service.feeds.subscriptions([A])[0].total_items == 3


def test_an_entry_that_fails_is_tried_again_and_none_is_ingested_twice(feeds_service, site):
    site.publish("harbour", "Valdora harbour master resigns", "Fri, 09 Feb 2024 10:00:00 GMT", HARBOUR)
    site.publish("ferry", "Ferry resumes service", "Mon, 12 Feb 2024 08:30:00 GMT", FERRY)
    del site.pages["ferry"]
    first = feeds_service.feeds.subscribe(site.feed_url, A)
    assert len(first.ingested) == 1 and [f.link for f in first.failures] == [site.article_url("ferry")]
    assert first.feed.last_error == f"{site.article_url('ferry')}: the server answered HTTP 404 Not Found"
    site.put_page("ferry", article_html("Ferry resumes service", FERRY))
    [again] = feeds_service.feeds.poll_all()
    assert site.requests_to("/feed.xml")[-1].status == 200, "a poll that missed an entry keeps no validators"
    assert [a.doc_id for a in again.ingested] == [url_document_id(site.article_url("ferry"))]
    assert again.feed.last_error == "" and again.feed.total_items == 2
    [quiet] = feeds_service.feeds.poll_all()
    assert quiet.not_modified
    harbour_requests = site.requests_to("/articles/harbour")
    assert len(harbour_requests) == 1, "an ingested entry is never fetched again"


@pytest.mark.parametrize("feeds_service", [{"feed_entry_attempts": 2}], indirect=True)
def test_an_entry_that_keeps_failing_is_given_up_once_and_the_feed_polls_conditionally_again(feeds_service, site):
    site.publish("harbour", "Valdora harbour master resigns", "Fri, 09 Feb 2024 10:00:00 GMT", HARBOUR)
    site.publish("ferry", "Ferry resumes service", "Mon, 12 Feb 2024 08:30:00 GMT", FERRY)
    del site.pages["ferry"]
    gone = f"{site.article_url('ferry')}: the server answered HTTP 404 Not Found"
    first = feeds_service.feeds.subscribe(site.feed_url, A)
    assert [(f.error, f.given_up) for f in first.failures] == [(gone, False)]
    [second] = feeds_service.feeds.poll_all()
    assert [(f.error, f.given_up) for f in second.failures] == [(f"{gone} (given up after 2 polls)", True)]
    assert second.feed.last_error == f"{gone} (given up after 2 polls)"
    [third] = feeds_service.feeds.poll_all()
    assert third.failures == [] and third.feed.last_error == "", "given up is reported once"
    assert site.requests_to("/feed.xml")[-1].status == 200, "its validators are kept from this poll on"
    [fourth] = feeds_service.feeds.poll_all()
    assert fourth.not_modified
    assert len(site.requests_to("/articles/ferry")) == 2, "the article was fetched at the two failed polls only"
    assert [s.doc_id for s in feeds_service.sources([A])] == [url_document_id(site.article_url("harbour"))]


@pytest.mark.parametrize("feeds_service", [{"feed_max_entries": 2}], indirect=True)
def test_a_poll_takes_at_most_the_newest_entries_and_the_next_the_rest(feeds_service, site):
    site.publish("harbour", "Harbour", "Fri, 09 Feb 2024 10:00:00 GMT", HARBOUR)
    site.publish("ferry", "Ferry", "Mon, 12 Feb 2024 10:00:00 GMT", FERRY)
    site.publish("bridge", "Bridge", "Tue, 13 Feb 2024 10:00:00 GMT", BRIDGE)
    first = feeds_service.feeds.subscribe(site.feed_url, A)
    assert [a.published for a in first.ingested] == ["2024-02-13", "2024-02-12"]
    [rest] = feeds_service.feeds.poll_all()
    assert [a.published for a in rest.ingested] == ["2024-02-09"]
    assert feeds_service.feeds.poll_all()[0].not_modified


def test_what_cannot_be_subscribed_to_is_one_clear_error_and_stores_nothing(feeds_service, site):
    site.put_page("harbour", article_html("Valdora harbour master resigns", HARBOUR))
    refused = {
        "ftp://example.com/feed": "only http:// and https:// URLs are fetched, not ftp:",
        "http://169.254.169.254/feed": "cannot read the feed: refused: 169.254.169.254 is a cloud metadata address",
        site.article_url("harbour"): "cannot read the feed: the URL serves text/html, not an RSS or Atom feed",
        f"{site.url}/gone.xml": "cannot read the feed: the server answered HTTP 404 Not Found",
    }
    for url, message in refused.items():
        with pytest.raises(FeedError, match="^" + message.replace("/", ".").replace(":", ".").replace("+", ".")):
            feeds_service.feeds.subscribe(url, A)
    assert feeds_service.feeds.subscriptions() == []
    feeds_service.feeds.subscribe(site.feed_url, A)
    with pytest.raises(FeedError, match="already subscribed"):
        feeds_service.feeds.subscribe(site.feed_url, A)
    assert len(feeds_service.feeds.subscribe(site.feed_url, B).feed.url) > 0, "another scope subscribes on its own"
    with pytest.raises(UnknownFeed):
        feeds_service.feeds.unsubscribe(f"{site.url}/other.xml", A)
    [own] = feeds_service.feeds.subscriptions([A])
    with pytest.raises(UnknownFeed):
        feeds_service.feeds.unsubscribe(str(own.feed_id), B), "a feed of another scope is unknown there"
    assert feeds_service.feeds.unsubscribe(str(own.feed_id), A) == own
    assert feeds_service.feeds.subscriptions([A]) == [] and len(feeds_service.feeds.subscriptions([B])) == 1


def test_a_feed_cannot_make_citebot_fetch_a_private_address(feeds_service, site, monkeypatch):
    site.entries.append(Entry("urn:metadata", "", "Metadata", "Fri, 09 Feb 2024 10:00:00 GMT",
                              link="http://169.254.169.254/latest/meta-data/"))
    attempts: list = []
    connect = socket.socket.connect

    def guarded(sock: socket.socket, address, *args, **kwargs):
        if address[0] != "127.0.0.1":
            attempts.append(address)
            raise AssertionError(f"a connection to {address} was attempted")
        return connect(sock, address, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    poll = feeds_service.feeds.subscribe(site.feed_url, A)
    assert poll.ingested == [] and attempts == []
    assert poll.failures[0].error.endswith("refused: 169.254.169.254 is a cloud metadata address; "
                                           "only public web addresses are fetched")
    assert feeds_service.sources([A]) == []
