"""`citebot feed add|list|remove|poll` and `citebot refresh`, in process (sharing the session's
embedder), against a news site on 127.0.0.1 (tests/support/feed_site.py)."""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from retrieval.ingest.web import url_document_id
from tests.support.feed_site import FeedSite, article_html

pytestmark = pytest.mark.slow

HARBOUR = ["The harbour master of Valdora, Ottavio Brambilla, resigned on Friday after the storm damaged the pier."]
FERRY = ["The ferry to Isola Bassa resumed service on Monday with a new captain, Marta Lucchesi, at the helm."]
BRIDGE = ["Engineers closed the Sant'Elmo bridge on Tuesday after finding cracks in two of its steel cables."]


@pytest.fixture
def cli(cli_on, tmp_path: Path):
    """Runs `citebot ARGS` in process on a private, empty data dir that may fetch from loopback."""
    return cli_on(tmp_path / "no-corpus", FETCH_ALLOW_LOOPBACK="true")


@pytest.fixture
def site() -> Iterator[FeedSite]:
    site = FeedSite()
    yield site
    site.close()


def test_feed_commands_subscribe_poll_list_and_remove(cli, site):
    site.publish("harbour", "Valdora harbour master resigns", "Fri, 09 Feb 2024 10:00:00 GMT", HARBOUR)
    code, out, _ = cli("feed", "add", site.feed_url, "--json")
    [added] = json.loads(out)
    assert code == 0 and (added["feed"]["title"], len(added["ingested"]), added["error"]) == ("Coast News", 1, "")
    code, _, err = cli("feed", "add", site.feed_url)
    assert code == 2 and err.strip() == f"error: The feed was not added: already subscribed to {site.feed_url} here."

    site.publish("ferry", "Ferry resumes service", "Mon, 12 Feb 2024 08:30:00 GMT", FERRY)
    site.publish("bridge", "Bridge closed", "Tue, 13 Feb 2024 10:00:00 GMT", BRIDGE)
    code, out, _ = cli("feed", "poll")
    assert code == 0 and out.splitlines()[0] == "Coast News: 2 new articles ingested"
    assert f"  {url_document_id(site.article_url('ferry'))}  2024-02-12  Ferry resumes service" in out.splitlines()
    code, out, _ = cli("ask", "--json", "Who is the captain of the ferry to Isola Bassa?")
    [citation] = [c for c in json.loads(out)["citations"] if "Marta Lucchesi" in c["quote"]]
    assert (citation["url"], citation["published"]) == (site.article_url("ferry"), "2024-02-12")

    code, out, _ = cli("feed", "poll", "--all")
    assert code == 0 and out.strip() == "Coast News: not modified since the last poll"
    assert site.requests_to("/feed.xml")[-1].status == 304
    [listed] = json.loads(cli("feed", "list", "--json")[1])
    assert (listed["id"], listed["new_items"], listed["total_items"], listed["last_error"]) == (1, 0, 3, "")
    assert json.loads(cli("feed", "list", "--guild", "5", "--json")[1]) == []
    code, _, err = cli("feed", "remove", "1", "--guild", "5")
    assert code == 3 and err.strip() == "error: No feed '1' is subscribed here."
    code, _, err = cli("feed", "remove")
    assert code == 2 and "needs the feed's URL or id" in err
    code, out, _ = cli("feed", "remove", site.feed_url)
    assert code == 0 and out.startswith(f"unsubscribed from {site.feed_url}")
    assert cli("feed", "list")[1].strip() == "No feed subscribed here: `citebot feed add URL` adds one."


def test_refresh_reports_each_web_document_of_a_scope(cli, site):
    site.put_page("harbour", article_html("Valdora harbour master", HARBOUR))
    site.put_page("ferry", article_html("Ferry resumes service", FERRY))
    harbour, ferry = (url_document_id(site.article_url(slug)) for slug in ("harbour", "ferry"))
    assert cli("ingest", site.article_url("harbour"), site.article_url("ferry"))[0] == 0
    code, out, _ = cli("refresh", "--json")
    assert code == 0 and [d["status"] for d in json.loads(out)["documents"]] == ["unchanged", "unchanged"]

    site.put_page("ferry", article_html("Ferry resumes service", BRIDGE))
    del site.pages["harbour"]
    code, out, err = cli("refresh")
    assert code == 0
    assert f"{ferry}: updated: the new version replaced the old" in out
    assert f"{harbour}: vanished, kept (the server answered HTTP 404 Not Found)" in err
    assert len(json.loads(cli("sources", "--json")[1])) == 2
    code, _, err = cli("refresh", "nope")
    assert code == 3 and err.strip() == "error: No web document 'nope' here: only documents fetched from a URL can be refreshed."
    code, out, _ = cli("refresh", "--guild", "5")
    assert code == 0 and out.strip() == "No document fetched from a URL here."
