"""A news site on 127.0.0.1 for the feed and refresh tests: an RSS feed whose entries a test adds,
and article pages a test can change or delete. It answers conditional requests as real servers do:
every response carries an ETag (a hash of the body) and a Last-Modified, and a request whose
If-None-Match or If-Modified-Since matches gets `304 Not Modified` and no body."""

import hashlib
import threading
from dataclasses import dataclass
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape


@dataclass(frozen=True)
class Served:
    """One request the site answered: its path, the conditional headers it carried, the status sent."""

    path: str
    if_none_match: str
    if_modified_since: str
    status: int


@dataclass
class Entry:
    guid: str
    slug: str
    title: str
    published: str
    """RFC 822, as RSS dates are written: "Fri, 09 Feb 2024 10:00:00 GMT"."""
    link: str = ""
    """Where the entry links when not to this site's article `slug` (a hostile feed's address)."""


def article_html(title: str, paragraphs: list[str], date: str = "") -> bytes:
    """An article page trafilatura reads, with its own title (and date, when given)."""
    meta = f'<meta name="date" content="{date}">' if date else ""
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return (f"<!doctype html><html><head><title>{escape(title)}</title>{meta}</head><body>"
            f"<article><h1>{escape(title)}</h1>{body}</article></body></html>").encode()


class FeedSite:
    """`/feed.xml` lists `entries`; `/articles/SLUG` serves `pages[SLUG]`; everything else is 404."""

    def __init__(self, feed_title: str = "Coast News") -> None:
        self.feed_title = feed_title
        self.entries: list[Entry] = []
        self.pages: dict[str, bytes] = {}
        self.served: list[Served] = []
        self._modified: dict[str, str] = {}
        self._clock = 1_707_472_800  # 2024-02-09 10:00 UTC, advanced by a minute on every change
        self._touch("/feed.xml")
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                site._answer(self)

            def log_message(self, *args) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def feed_url(self) -> str:
        return f"{self.url}/feed.xml"

    def article_url(self, slug: str) -> str:
        return f"{self.url}/articles/{slug}"

    def publish(self, slug: str, title: str, published: str, paragraphs: list[str]) -> None:
        """Put an article online and add its entry to the feed (newest first, as feeds list them)."""
        self.put_page(slug, article_html(title, paragraphs))
        self.entries.insert(0, Entry(f"urn:coast-news:{slug}", slug, title, published))
        self._touch("/feed.xml")

    def put_page(self, slug: str, html: bytes) -> None:
        self.pages[slug] = html
        self._touch(f"/articles/{slug}")

    def requests_to(self, path: str) -> list[Served]:
        return [served for served in self.served if served.path == path]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _touch(self, path: str) -> None:
        self._clock += 60
        self._modified[path] = _http_date(self._clock)

    def _feed(self) -> bytes:
        items = "".join(
            f"<item><title>{escape(e.title)}</title><link>{escape(e.link or self.article_url(e.slug))}</link>"
            f'<guid isPermaLink="false">{e.guid}</guid><pubDate>{e.published}</pubDate></item>'
            for e in self.entries
        )
        return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{self.feed_title}</title>'
                f"<link>{self.url}/</link><description>News</description>{items}</channel></rss>").encode()

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        path = handler.path
        if path == "/feed.xml":
            body, media_type = self._feed(), "application/rss+xml"
        elif path.startswith("/articles/") and path.removeprefix("/articles/") in self.pages:
            body, media_type = self.pages[path.removeprefix("/articles/")], "text/html; charset=utf-8"
        else:
            self._send(handler, Served(path, "", "", 404), b"not here", "text/plain")
            return
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        modified = self._modified[path]
        asked_etag = handler.headers.get("If-None-Match", "")
        asked_since = handler.headers.get("If-Modified-Since", "")
        fresh = asked_etag == etag if asked_etag else bool(asked_since) and (
            parsedate_to_datetime(asked_since) >= parsedate_to_datetime(modified))
        served = Served(path, asked_etag, asked_since, 304 if fresh else 200)
        self._send(handler, served, b"" if fresh else body, media_type, {"ETag": etag, "Last-Modified": modified})

    def _send(self, handler: BaseHTTPRequestHandler, served: Served, body: bytes, media_type: str,
              headers: dict[str, str] | None = None) -> None:
        self.served.append(served)
        handler.send_response(served.status)
        for name, value in {"Content-Type": media_type, **(headers or {})}.items():
            handler.send_header(name, value)
        if served.status != 304:
            handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)


def _http_date(timestamp: int) -> str:
    import datetime as dt

    return format_datetime(dt.datetime.fromtimestamp(timestamp, dt.UTC), usegmt=True)
