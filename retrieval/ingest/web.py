"""Fetching a web article someone names by URL, guarded as a server that fetches user-given URLs must.

Whoever can make a server fetch a URL can point it at what only the server reaches: its loopback
services, the private network, the cloud metadata endpoint that hands out credentials. So a URL is
fetched only over http(s), and only from public addresses:

- the host is resolved once, every address it resolves to is checked (loopback, private, link-local,
  multicast, reserved, shared and cloud metadata addresses are refused, also when embedded in an
  IPv6 address), and the connection goes to the checked address itself, with the host name kept for
  the `Host` header, TLS SNI and certificate checks: no second lookup can swap the address (DNS
  rebinding);
- redirects are followed by hand, each one checked the same way before it is fetched;
- the body is read up to a size limit (also after gzip/deflate decompression, so a small compressed
  body cannot expand without bound), and only HTML, plain text, Markdown and PDF are accepted;
- the whole fetch (DNS answer, connection, TLS handshake, headers, body, every redirect) ends by one
  wall-clock deadline, whatever the server does: see `WebFetcher.fetch`.

A page fetched again (a feed polled, a document refreshed) is asked for conditionally: the ETag and
Last-Modified the server gave last time go back as If-None-Match and If-Modified-Since, and a
`304 Not Modified` is an answer (`fetch_if_changed` returns None), not an error.

Every refusal is a `FetchError` whose message says what was wrong in plain words. Nothing here knows
about Discord; `AnswerService.ingest_url` reads what this returns as a document.
"""

import asyncio
import ipaddress
import re
import socket
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

import httpx

from retrieval.ingest.readers import slugify

Resolver = Callable[[str, int], list[str]]
"""(host, port) -> the IP addresses the host resolves to, as strings."""

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Cloud metadata and platform endpoints, some of which are ordinary public addresses (Azure's
# WireServer, Oracle's metadata), so the address classes alone would not refuse them.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(address)
    for address in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean instance metadata
        "169.254.169.253",  # AWS DNS
        "169.254.170.2",  # AWS ECS task metadata
        "fd00:ec2::254",  # AWS instance metadata over IPv6
        "100.100.100.200",  # Alibaba Cloud metadata
        "168.63.129.16",  # Azure WireServer
        "192.0.0.192",  # Oracle Cloud metadata
    )
)
# What is read, by media type, and the file extension the article reader parses it by.
READABLE_TYPES = {
    "text/html": ".html",
    "application/xhtml+xml": ".html",
    "text/plain": ".txt",
    "text/markdown": ".md",
    "text/x-markdown": ".md",
    "application/pdf": ".pdf",
}
# What a feed is served as (many servers say plain XML), read by feedparser, never as an article.
FEED_TYPES = {
    "application/rss+xml": ".xml",
    "application/atom+xml": ".xml",
    "application/rdf+xml": ".xml",
    "application/xml": ".xml",
    "text/xml": ".xml",
}
USER_AGENT = "citebot (fetches an article a server admin asked for)"
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


class FetchError(Exception):
    """A URL that was not fetched, and why, in words meant for the person who gave it."""


@dataclass(frozen=True)
class FetchLimits:
    max_bytes: int
    timeout_seconds: float
    max_redirects: int
    allow_loopback: bool = False


class PageGone(FetchError):
    """The server says the page is not there (HTTP 404 or 410): a document fetched from it vanished."""


@dataclass(frozen=True)
class PageKind:
    """What is being fetched: the media types accepted (each with the extension it is parsed by),
    the Accept header that asks for them, and how a refusal names them."""

    types: Mapping[str, str]
    accept: str
    named: str
    reencode: bool
    """Text bodies re-encoded as UTF-8 (the article reader expects it); a feed keeps its bytes, since
    its XML declaration names their encoding."""


ARTICLE = PageKind(
    READABLE_TYPES,
    "text/html, application/xhtml+xml, text/plain, text/markdown, application/pdf;q=0.9, */*;q=0.1",
    "not an article: HTML, plain text, Markdown or PDF are read",
    reencode=True,
)
FEED = PageKind(
    FEED_TYPES,
    "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.1",
    "not an RSS or Atom feed",
    reencode=False,
)


@dataclass(frozen=True)
class Validators:
    """What a server said of the version it sent (its ETag and Last-Modified headers), sent back the
    next time so that it answers `304 Not Modified` when that version is still current."""

    etag: str = ""
    last_modified: str = ""

    def headers(self) -> dict[str, str]:
        """The conditional request headers these validators make (none when there are none)."""
        found = {"If-None-Match": self.etag, "If-Modified-Since": self.last_modified}
        return {name: value for name, value in found.items() if value}


@dataclass(frozen=True)
class FetchedPage:
    """A fetched page: the URL it was finally served from, its media type, its body (an article's
    text re-encoded as UTF-8, which the article reader expects), and its validators."""

    url: str
    media_type: str
    body: bytes
    validators: Validators = Validators()

    @property
    def suffix(self) -> str:
        """The extension the article reader parses this page by."""
        return READABLE_TYPES[self.media_type]


def system_resolver(host: str, port: int) -> list[str]:
    """The addresses the operating system's resolver gives for `host`."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def refusal(address: IPAddress, allow_loopback: bool = False) -> str:
    """Why `address` may not be fetched from ("" when it may): it must be a public unicast address,
    and an IPv6 address that carries an IPv4 one (mapped, 6to4, Teredo) must carry a public one."""
    embedded = _embedded_ipv4(address)
    if embedded is not None:
        return refusal(embedded, allow_loopback)
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if address.is_loopback:
        return "" if allow_loopback else "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_unspecified or address.is_reserved:
        return "a reserved address"
    if address.is_private:
        return "a private address"
    if not address.is_global:
        return "an address that is not public"
    return ""


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    return None


def check_url(url: str) -> httpx.URL:
    """`url` parsed, if it is one citebot may try: http or https, a host name, no credentials."""
    try:
        parsed = httpx.URL(url.strip())
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise FetchError("that is not a valid URL") from exc
    if parsed.scheme not in ("http", "https"):
        shown = f"{parsed.scheme}:" if parsed.scheme else "no scheme"
        raise FetchError(f"only http:// and https:// URLs are fetched, not {shown}")
    if not parsed.host:
        raise FetchError("the URL has no host name")
    if parsed.userinfo:
        raise FetchError("URLs with a user name or password are not fetched")
    return parsed.copy_with(fragment=None)


def url_document_id(url: str) -> str:
    """The document id of the article at `url`: its host (without "www.") and path, and query when
    there is one, slugified. The same URL always gives the same id, so fetching it again updates the
    document instead of adding a second one."""
    parsed = httpx.URL(url)
    query = parsed.query.decode("ascii", errors="replace")
    return slugify(f"{parsed.host.removeprefix('www.')}{parsed.path.rstrip('/')} {query}")


class WebFetcher:
    """Fetches one URL at a time within `limits`; `resolver` is the DNS lookup (tests replace it to
    map their own host names to the addresses under test)."""

    def __init__(self, limits: FetchLimits, resolver: Resolver = system_resolver) -> None:
        self._limits = limits
        self._resolve = resolver

    def limited_to(self, max_bytes: int) -> "WebFetcher":
        """This fetcher with another size limit (feeds have their own), same resolver and rules."""
        return WebFetcher(replace(self._limits, max_bytes=max_bytes), self._resolve)

    def fetch(self, url: str) -> FetchedPage:
        """The article at `url` (see `fetch_if_changed`), fetched unconditionally."""
        page = self.fetch_if_changed(url, Validators())
        assert page is not None, "only a conditional request is answered 304 Not Modified"
        return page

    def fetch_if_changed(self, url: str, since: Validators, kind: PageKind = ARTICLE) -> FetchedPage | None:
        """The page at `url`, redirects followed, or None when the server answers `304 Not Modified`
        to the validators `since` (there are none the first time), or a `FetchError` once
        `timeout_seconds` have passed.

        The deadline is a cancellation: the fetch runs as a coroutine under `asyncio.timeout`, which
        interrupts whatever it awaits when time is up (the resolver, the connection, the TLS handshake,
        the next header or body byte). A timeout per read bounds only the gap between two bytes, which
        a server sending one a second never reaches; a watchdog closing sockets from another thread
        would race their creation and miss the socket a TLS handshake wraps. The event loop is the
        fetch's own, closed without `asyncio.run`'s wait for a resolver thread stuck past the deadline
        (that thread ends on its own). Synchronous, for callers that fetch and ingest in a worker thread."""
        loop = asyncio.new_event_loop()
        try:
            return loop.run_until_complete(self._fetch_by_deadline(url, since, kind))
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _fetch_by_deadline(self, url: str, since: Validators, kind: PageKind) -> FetchedPage | None:
        limit = self._limits.timeout_seconds
        try:
            async with asyncio.timeout(limit):
                return await self._follow(check_url(url), since, kind)
        except TimeoutError as exc:
            raise FetchError(f"the page did not arrive within {limit:g} s") from exc

    async def _follow(self, current: httpx.URL, since: Validators, kind: PageKind) -> FetchedPage | None:
        """The page at `current`, each redirect checked like the first URL before it is followed."""
        async with httpx.AsyncClient(trust_env=False, follow_redirects=False, timeout=None) as client:
            for _ in range(self._limits.max_redirects + 1):
                response = await self._send(client, current, since, kind)
                try:
                    if response.has_redirect_location:
                        current = check_url(str(current.join(response.headers["location"])))
                        continue
                    if response.status_code == 304 and since.headers():
                        return None
                    return await self._page(current, response, kind)
                finally:
                    await response.aclose()
        raise FetchError(f"the URL redirects more than {self._limits.max_redirects} times")

    def address_for(self, url: httpx.URL) -> str:
        """The one address the request for `url` connects to, after every address the host
        resolves to has been checked."""
        host = url.host
        literal = True
        try:
            addresses = [ipaddress.ip_address(host)]
        except ValueError:
            literal = False
            try:
                port = url.port or (443 if url.scheme == "https" else 80)
                addresses = [ipaddress.ip_address(found) for found in self._resolve(host, port)]
            except (OSError, UnicodeError) as exc:
                raise FetchError(f"cannot find the host {host}") from exc
        if not addresses:
            raise FetchError(f"cannot find the host {host}")
        for address in addresses:
            reason = refusal(address, self._limits.allow_loopback)
            if reason:
                shown = "is" if literal else f"resolves to {address}, which is"
                raise FetchError(f"refused: {host} {shown} {reason}; only public web addresses are fetched")
        return str(addresses[0])

    async def _send(self, client: httpx.AsyncClient, url: httpx.URL, since: Validators, kind: PageKind) -> httpx.Response:
        """GET `url` from its checked address (the host name still in `Host` and, for https, in SNI
        and the certificate check). The resolver runs in a thread, so the deadline bounds it too."""
        address = await asyncio.to_thread(self.address_for, url)
        request = client.build_request(
            "GET",
            url.copy_with(host=address),
            headers={
                "Host": url.netloc.decode("ascii"),
                "User-Agent": USER_AGENT,
                "Accept": kind.accept,
                "Accept-Encoding": "gzip, deflate",
                **since.headers(),
            },
            extensions={"sni_hostname": url.host},
        )
        try:
            return await client.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise FetchError(f"cannot connect to {url.host}: {_plain(exc)}") from exc

    async def _page(self, url: httpx.URL, response: httpx.Response, kind: PageKind) -> FetchedPage:
        if response.status_code != 200:
            answered = f"the server answered HTTP {response.status_code} {response.reason_phrase}".rstrip()
            raise PageGone(answered) if response.status_code in (404, 410) else FetchError(answered)
        header = response.headers.get("content-type", "")
        media_type = header.split(";", 1)[0].strip().lower()
        if media_type not in kind.types:
            raise FetchError(f"the URL serves {media_type or 'no content type'}, {kind.named}")
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self._limits.max_bytes:
            raise FetchError(f"the page is {int(declared):,} bytes, over the {self._limits.max_bytes:,}-byte limit")
        body = await self._body(response)
        if kind.reencode and media_type != "application/pdf":
            body = _as_utf8(body, header, media_type)
        validators = Validators(response.headers.get("etag", ""), response.headers.get("last-modified", ""))
        return FetchedPage(url=str(url), media_type=media_type, body=body, validators=validators)

    async def _body(self, response: httpx.Response) -> bytes:
        """The decoded body; an error as soon as it passes the size limit (counted after decompression)."""
        encoding = response.headers.get("content-encoding", "identity").strip().lower()
        if encoding in ("", "identity"):
            inflater = None
        elif encoding in ("gzip", "x-gzip", "deflate"):
            inflater = zlib.decompressobj(zlib.MAX_WBITS | 32)
        else:
            raise FetchError(f"the server sent the page compressed as {encoding}, which is not read")
        room = self._limits.max_bytes
        pieces: list[bytes] = []
        try:
            async for raw in response.aiter_raw():
                piece = raw if inflater is None else inflater.decompress(raw, room + 1)
                if len(piece) > room or (inflater is not None and inflater.unconsumed_tail):
                    raise FetchError(self._too_large())
                room -= len(piece)
                pieces.append(piece)
        except httpx.HTTPError as exc:
            raise FetchError(f"the connection broke while reading the page: {_plain(exc)}") from exc
        except zlib.error as exc:
            raise FetchError("the server sent a damaged compressed page") from exc
        return b"".join(pieces)

    def _too_large(self) -> str:
        return f"the page is larger than the {self._limits.max_bytes:,}-byte limit"


def _as_utf8(body: bytes, content_type: str, media_type: str) -> bytes:
    """A text body in UTF-8: decoded by the charset the server declared, else the one an HTML page
    declares in a <meta> tag, else as UTF-8; bytes that do not decode become U+FFFD."""
    declared = re.search(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", content_type, re.IGNORECASE)
    charset = declared.group(1) if declared else ""
    if not charset and media_type in ("text/html", "application/xhtml+xml"):
        meta = _META_CHARSET.search(body[:4096])
        charset = meta.group(1).decode("ascii") if meta else ""
    try:
        text = body.decode(charset or "utf-8", errors="replace")
    except LookupError:
        text = body.decode("utf-8", errors="replace")
    return text.encode("utf-8")


def _plain(error: Exception) -> str:
    """An httpx error as one short line (httpx/httpcore messages can span lines)."""
    return " ".join(str(error).split()) or type(error).__name__
