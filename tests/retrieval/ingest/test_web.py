"""The URL fetcher against a real HTTP server on 127.0.0.1 (loopback allowed by its setting, which is
off by default), and the addresses it must refuse. Refusals of private and metadata addresses are
tested at resolution time: a test resolver maps test host names to those addresses, and any attempt
to open a connection fails the test, so no traffic ever leaves for an address other than loopback."""

import gzip
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from retrieval.composition import build_service
from retrieval.index.store import CorpusStore
from retrieval.ingest.web import FEED, FetchError, FetchLimits, PageGone, Validators, WebFetcher, url_document_id
from retrieval.service import AnswerService
from tests.support.feed_site import FeedSite
from tests.support.files import ARTICLE
from tests.support.loopback import LoopbackServer, Reply
from tests.support.services import make_settings

# Test host names and the addresses they resolve to. None of these addresses is ever connected to.
TEST_HOSTS = {
    "intranet.test": ["10.1.2.3"],
    "router.test": ["192.168.1.1"],
    "metadata.test": ["169.254.169.254"],
    "ecs-metadata.test": ["169.254.170.2"],
    "aws-v6-metadata.test": ["fd00:ec2::254"],
    "alibaba-metadata.test": ["100.100.100.200"],
    "azure-wireserver.test": ["168.63.129.16"],
    "link-local.test": ["169.254.7.7"],
    "carrier-nat.test": ["100.64.0.9"],
    "multicast.test": ["224.0.0.251"],
    "reserved.test": ["240.0.0.1"],
    "unspecified.test": ["0.0.0.0"],
    "mapped.test": ["::ffff:10.0.0.1"],
    "six-to-four.test": ["2002:a00:1::1"],
    "ula.test": ["fd12:3456::1"],
    "local.test": ["127.0.0.1"],
    "half-public.test": ["93.184.216.34", "10.0.0.1"],
}


def resolve_test_hosts(host: str, port: int) -> list[str]:
    """Resolves the test host names above; any other name does not exist."""
    if host not in TEST_HOSTS:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    return TEST_HOSTS[host]


def fetcher(allow_loopback: bool = True, **limits) -> WebFetcher:
    values = {"max_bytes": 100_000, "timeout_seconds": 5.0, "max_redirects": 3, **limits}
    return WebFetcher(FetchLimits(allow_loopback=allow_loopback, **values), resolver=resolve_test_hosts)


@pytest.fixture
def no_connections(monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    """Fails any attempt to open a TCP connection (and records it). Every connection, the one an event
    loop opens included, goes through `socket.socket.connect`."""
    attempts: list[tuple] = []

    def refuse(sock: socket.socket, address, *args, **kwargs):
        attempts.append(address)
        raise AssertionError(f"a connection to {address} was attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    return attempts


def site(routes: dict[str, Reply]) -> LoopbackServer:
    return LoopbackServer(lambda method, path, body: routes.get(path, (404, {"Content-Type": "text/plain"}, b"no")))


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    def drip() -> Iterator[bytes]:
        for _ in range(20):
            time.sleep(0.2)
            yield b"<p>still coming</p>"

    routes: dict[str, Reply] = {
        "/article": (200, {"Content-Type": "text/html; charset=utf-8"}, ARTICLE),
        "/harbour/master": (200, {"Content-Type": "text/plain"}, b"The harbour master of Valdora resigned on Friday."),
        "/harbour-master": (200, {"Content-Type": "text/plain"}, b"The harbour master of Orlenhaven retired in May."),
        "/latin1": (200, {"Content-Type": "text/plain; charset=iso-8859-1"}, "Café au lait.".encode("latin-1")),
        "/meta-charset": (200, {"Content-Type": "text/html"},
                          '<html><head><meta charset="windows-1252"></head><body><p>Déjà vu.</p></body></html>'.encode("cp1252")),
        "/old": (301, {"Location": "/article", "Content-Type": "text/plain"}, b""),
        "/loop": (302, {"Location": "/loop", "Content-Type": "text/plain"}, b""),
        "/to-metadata": (302, {"Location": "http://metadata.test/latest/meta-data/", "Content-Type": "text/plain"}, b""),
        "/to-file": (302, {"Location": "file:///etc/passwd", "Content-Type": "text/plain"}, b""),
        "/image": (200, {"Content-Type": "image/png"}, b"\x89PNG\r\n\x1a\n" + bytes(64)),
        "/untyped": (200, {"Content-Type": ""}, b"<p>what am I?</p>"),
        "/big": (200, {"Content-Type": "text/html"}, b"<p>" + b"x" * 200_000 + b"</p>"),
        "/big-unannounced": (200, {"Content-Type": "text/html"}, (b"<p>" + b"x" * 10_000 for _ in range(30))),
        "/gzip-bomb": (200, {"Content-Type": "text/html", "Content-Encoding": "gzip"}, gzip.compress(b" " * 20_000_000)),
        "/gzip-article": (200, {"Content-Type": "text/html", "Content-Encoding": "gzip"}, gzip.compress(ARTICLE)),
        "/brotli": (200, {"Content-Type": "text/html", "Content-Encoding": "br"}, b"\x0b\x02\x80hello\x03"),
        "/slow-drip": (200, {"Content-Type": "text/html"}, drip()),
    }
    served = site(routes)
    yield served
    served.close()


def test_an_article_is_fetched_with_its_url_and_type(server: LoopbackServer):
    page = fetcher().fetch(f"{server.url}/article")
    assert (page.url, page.media_type, page.suffix) == (f"{server.url}/article", "text/html", ".html")
    assert page.body == ARTICLE
    assert server.requests == [("GET", "/article", None)]


def test_relative_redirects_are_followed_and_the_final_url_kept(server: LoopbackServer):
    page = fetcher().fetch(f"{server.url}/old")
    assert page.url == f"{server.url}/article" and page.body == ARTICLE


def test_a_gzip_page_is_read_and_text_is_stored_as_utf8(server: LoopbackServer):
    assert fetcher().fetch(f"{server.url}/gzip-article").body == ARTICLE
    assert fetcher().fetch(f"{server.url}/latin1").body == "Café au lait.".encode()
    assert "Déjà vu." in fetcher().fetch(f"{server.url}/meta-charset").body.decode()


def test_a_page_fetched_again_is_asked_for_conditionally_and_304_is_an_answer():
    site = FeedSite()
    site.put_page("harbour", ARTICLE)
    try:
        first = fetcher().fetch(site.article_url("harbour"))
        assert first.validators.etag.startswith('"') and first.validators.last_modified.endswith("GMT")
        assert fetcher().fetch_if_changed(site.article_url("harbour"), first.validators) is None
        since = Validators(last_modified=first.validators.last_modified)
        assert fetcher().fetch_if_changed(site.article_url("harbour"), since) is None
        site.put_page("harbour", ARTICLE.replace(b"Friday", b"Monday"))
        changed = fetcher().fetch_if_changed(site.article_url("harbour"), first.validators)
        assert changed is not None and b"Monday" in changed.body and changed.validators != first.validators
        assert [(s.if_none_match != "", s.if_modified_since != "", s.status) for s in site.served] == [
            (False, False, 200), (True, True, 304), (False, True, 304), (True, True, 200)]
        assert fetcher().fetch_if_changed(site.feed_url, Validators(), FEED) is not None
        with pytest.raises(FetchError, match="^the URL serves application/rss.xml, not an article"):
            fetcher().fetch(site.feed_url)
        with pytest.raises(PageGone, match="^the server answered HTTP 404 Not Found$"):
            fetcher().fetch(f"{site.url}/gone")
    finally:
        site.close()


def test_loopback_is_refused_by_default_before_any_request(server: LoopbackServer):
    port = server.url.rsplit(":", 1)[1]
    for url in (f"{server.url}/article", f"http://localhost:{port}/article", f"http://[::1]:{port}/article"):
        with pytest.raises(FetchError, match="loopback address; only public web addresses are fetched"):
            WebFetcher(FetchLimits(100_000, 5.0, 3)).fetch(url)
    assert server.requests == []


@pytest.mark.parametrize(
    ("host", "reason"),
    [
        ("intranet.test", "10.1.2.3, which is a private address"),
        ("router.test", "192.168.1.1, which is a private address"),
        ("metadata.test", "169.254.169.254, which is a cloud metadata address"),
        ("ecs-metadata.test", "169.254.170.2, which is a cloud metadata address"),
        ("aws-v6-metadata.test", "fd00:ec2::254, which is a cloud metadata address"),
        ("alibaba-metadata.test", "100.100.100.200, which is a cloud metadata address"),
        ("azure-wireserver.test", "168.63.129.16, which is a cloud metadata address"),
        ("link-local.test", "169.254.7.7, which is a link-local address"),
        ("carrier-nat.test", "100.64.0.9, which is an address that is not public"),
        ("multicast.test", "224.0.0.251, which is a multicast address"),
        ("reserved.test", "240.0.0.1, which is a reserved address"),
        ("unspecified.test", "0.0.0.0, which is a reserved address"),
        ("mapped.test", "::ffff:a00:1, which is a private address"),
        ("six-to-four.test", "2002:a00:1::1, which is a private address"),
        ("ula.test", "fd12:3456::1, which is a private address"),
        ("local.test", "127.0.0.1, which is a loopback address"),
        ("half-public.test", "10.0.0.1, which is a private address"),
    ],
)
def test_hosts_resolving_to_inner_addresses_are_refused_before_connecting(no_connections, host: str, reason: str):
    with pytest.raises(FetchError, match=f"refused: {host} resolves to {reason}"):
        fetcher(allow_loopback=False).fetch(f"https://{host}/latest/meta-data/iam/security-credentials/")
    assert no_connections == []


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a cloud metadata address"),
        ("http://[fd00:ec2::254]/latest/meta-data/", "fd00:ec2::254 is a cloud metadata address"),
        ("http://10.0.0.1:8080/admin", "10.0.0.1 is a private address"),
        ("http://0.0.0.0:22/", "0.0.0.0 is a reserved address"),
        ("http://[::ffff:127.0.0.1]/", "::ffff:127.0.0.1 is a loopback address"),
    ],
)
def test_address_literals_are_checked_like_resolved_names(no_connections, url: str, reason: str):
    with pytest.raises(FetchError, match=f"refused: {reason.replace('.', '[.]')}"):
        fetcher(allow_loopback=False).fetch(url)
    assert no_connections == []


def test_a_redirect_to_an_inner_address_is_refused_before_it_is_followed(server: LoopbackServer, monkeypatch):
    connected: list = []
    real_connect = socket.socket.connect

    def loopback_only(sock: socket.socket, address, *args, **kwargs):
        connected.append(address[0])
        assert address[0] == "127.0.0.1", f"a connection to {address} was attempted"
        return real_connect(sock, address, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", loopback_only)
    with pytest.raises(FetchError, match="refused: metadata.test resolves to 169.254.169.254, which is a cloud metadata"):
        fetcher().fetch(f"{server.url}/to-metadata")
    assert server.requests == [("GET", "/to-metadata", None)] and connected == ["127.0.0.1"]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://files.example/article.txt", "only http:// and https:// URLs are fetched, not ftp:"),
        ("file:///etc/passwd", "only http:// and https:// URLs are fetched, not file:"),
        ("javascript:alert(1)", "only http:// and https:// URLs are fetched, not javascript:"),
        ("news.example/article", "only http:// and https:// URLs are fetched, not no scheme"),
        ("http://user:secret@news.example/", "URLs with a user name or password are not fetched"),
        ("http://", "the URL has no host name"),
        ("http://unknown.test/article", "cannot find the host unknown.test"),
    ],
)
def test_urls_that_cannot_be_fetched_get_a_clear_error(no_connections, url: str, message: str):
    with pytest.raises(FetchError, match=message.replace("(", r"\(").replace(")", r"\)")):
        fetcher().fetch(url)
    assert no_connections == []


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/to-file", "only http:// and https:// URLs are fetched, not file:"),
        ("/loop", "the URL redirects more than 3 times"),
        ("/missing", "the server answered HTTP 404 Not Found"),
        ("/image", "the URL serves image/png, not an article: HTML, plain text, Markdown or PDF are read"),
        ("/untyped", "the URL serves no content type, not an article"),
        ("/big", "the page is 200,007 bytes, over the 100,000-byte limit"),
        ("/big-unannounced", "the page is larger than the 100,000-byte limit"),
        ("/gzip-bomb", "the page is larger than the 100,000-byte limit"),
        ("/brotli", "the server sent the page compressed as br, which is not read"),
    ],
)
def test_responses_that_cannot_be_read_get_a_clear_error(server: LoopbackServer, path: str, message: str):
    with pytest.raises(FetchError, match=message):
        fetcher().fetch(f"{server.url}{path}")


def test_the_whole_fetch_has_a_time_limit(server: LoopbackServer):
    started = time.monotonic()
    with pytest.raises(FetchError, match="^the page did not arrive within 1 s$"):
        fetcher(timeout_seconds=1.0).fetch(f"{server.url}/slow-drip")
    assert time.monotonic() - started < 2


def test_a_server_that_never_answers_times_out():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    try:
        with pytest.raises(FetchError, match="^the page did not arrive within 0.5 s$"):
            fetcher(timeout_seconds=0.5).fetch(f"http://127.0.0.1:{listener.getsockname()[1]}/article")
    finally:
        listener.close()


class Trickler:
    """A TCP server on 127.0.0.1 that answers every connection with `prefix` at once, then with `drip`
    one byte every `interval` seconds, then closes it: a server each of whose bytes arrives well within
    any per-read timeout while its answer takes `len(drip) * interval` seconds. It never reads the
    request (the kernel keeps it)."""

    def __init__(self, prefix: bytes, drip: bytes, interval: float) -> None:
        self._prefix, self._drip, self._interval = prefix, drip, interval
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._closed = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(connection,), daemon=True).start()

    def _answer(self, connection: socket.socket) -> None:
        with connection:
            try:
                connection.sendall(self._prefix)
                for byte in self._drip:
                    if self._closed.wait(self._interval):
                        return
                    connection.sendall(bytes([byte]))
            except OSError:
                return  # the client left, as a client with a deadline does

    def close(self) -> None:
        self._closed.set()
        self._listener.close()


SLOW_TIMEOUT = 3.0


@pytest.mark.parametrize(
    ("scheme", "prefix", "drip", "interval"),
    [
        ("http", b"", b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Slow: aaaa", 1.0),
        ("http", b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 400\r\n\r\n<p>", b"aaaaaa", 2.5),
        ("https", b"", b"\x16\x03\x03\x40\x00" + b"\x02" * 12, 1.0),
    ],
    ids=["headers-1-byte-a-second", "body-1-byte-every-2.5-s", "tls-handshake-1-byte-a-second"],
)
def test_a_server_that_trickles_its_answer_is_cut_off_at_the_deadline(scheme: str, prefix: bytes, drip: bytes,
                                                                       interval: float):
    """Every byte arrives within any timeout per read, so only a deadline over the whole fetch ends it.
    The body's bytes come 2.5 s apart: checked only between body pieces, the deadline would end the
    fetch at the first piece after it, at 5 s."""
    trickler = Trickler(prefix, drip, interval)
    started = time.monotonic()
    try:
        with pytest.raises(FetchError, match=f"^the page did not arrive within {SLOW_TIMEOUT:g} s$"):
            fetcher(timeout_seconds=SLOW_TIMEOUT).fetch(f"{scheme}://127.0.0.1:{trickler.port}/article")
        elapsed = time.monotonic() - started
    finally:
        trickler.close()
    assert elapsed < SLOW_TIMEOUT + 1, f"the fetch ended {elapsed:.1f} s after it started"


def test_a_dns_answer_that_never_comes_is_cut_off_at_the_deadline():
    answered = threading.Event()

    def silent_resolver(host: str, port: int) -> list[str]:
        answered.wait(10)
        return ["93.184.216.34"]

    started = time.monotonic()
    try:
        with pytest.raises(FetchError, match=f"^the page did not arrive within {SLOW_TIMEOUT:g} s$"):
            WebFetcher(FetchLimits(100_000, SLOW_TIMEOUT, 3), resolver=silent_resolver).fetch("https://slow-dns.test/")
        elapsed = time.monotonic() - started
    finally:
        answered.set()
    assert elapsed < SLOW_TIMEOUT + 1, f"the fetch ended {elapsed:.1f} s after it started"


def test_a_url_always_gives_the_same_document_id():
    assert url_document_id("https://www.news.example/valdora/harbour-master/") == "news-example-valdora-harbour-master"
    assert url_document_id("https://news.example/article?id=42") == "news-example-article-id-42"


# Through the answer service -----------------------------------------------------------------------

@pytest.fixture
def web_service(tmp_path: Path, embed_model) -> AnswerService:
    settings = make_settings(tmp_path / "data", fetch_allow_loopback=True)
    return build_service(settings, store=CorpusStore.connect(settings), embed_model=embed_model,
                         fetcher=WebFetcher(FetchLimits(100_000, 5.0, 3, allow_loopback=True), resolver=resolve_test_hosts))


@pytest.mark.slow
def test_an_ingested_article_keeps_its_url_title_date_and_author(web_service: AnswerService, server: LoopbackServer):
    report = web_service.ingest_url(f"{server.url}/old", "guild-1")
    doc_id = url_document_id(f"{server.url}/article")
    assert (report.added, report.errors, report.doc_ids) == (1, [], [doc_id])
    [info] = web_service.sources(["guild-1"])
    assert (info.doc_id, info.title, info.published, info.author, info.url) == (
        doc_id, "Valdora harbour master resigns", "2024-02-09", "Giulia Neri", f"{server.url}/article"
    )
    answer = web_service.ask("Who resigned as harbour master of Valdora?", ["shared", "guild-1"])
    assert answer.citations and all(c.url == f"{server.url}/article" for c in answer.citations)
    assert "Ottavio Brambilla" in answer.citations[0].quote
    assert web_service.ingest_url(f"{server.url}/article", "guild-1").unchanged == 1
    assert web_service.sources(["shared"]) == [], "the article went to the scope it was fetched for"


@pytest.mark.slow
def test_a_url_whose_id_another_url_holds_is_refused_and_the_same_url_updates(web_service: AnswerService,
                                                                              server: LoopbackServer):
    """`/harbour/master` and `/harbour-master` map to one id: the second must not replace the first."""
    first = web_service.ingest_url(f"{server.url}/harbour/master", "guild-1")
    second = web_service.ingest_url(f"{server.url}/harbour-master", "guild-1")
    assert first.added == 1 and second.added == second.updated == 0
    taken = f"document id {first.doc_ids[0]!r} is already used by {server.url}/harbour/master"
    assert second.errors[0]["error"].startswith(taken)
    assert "Valdora" in web_service.document_text(first.doc_ids[0], ["guild-1"])
    assert web_service.ingest_url(f"{server.url}/harbour/master", "guild-1").unchanged == 1


@pytest.mark.slow
def test_a_refused_url_is_reported_and_changes_nothing(web_service: AnswerService, no_connections):
    report = web_service.ingest_url("http://metadata.test/latest/meta-data/", "guild-1")
    assert report.added == 0 and report.errors == [{
        "path": "http://metadata.test/latest/meta-data/",
        "error": "refused: metadata.test resolves to 169.254.169.254, which is a cloud metadata address; "
                 "only public web addresses are fetched",
    }]
    assert web_service.sources(["guild-1"]) == [] and no_connections == []
