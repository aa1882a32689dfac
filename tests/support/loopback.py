"""A scripted HTTP server on 127.0.0.1 for tests of clients facing a remote API (OpenAI-style LLM
servers, Discord's REST API) or the web (the URL fetcher): it answers each request with whatever
`respond` returns."""

import json
import threading
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Reply = tuple[int, dict[str, str], bytes | Iterable[bytes]]
"""(status, headers, body) of one response. A body given as pieces (an iterable) is sent piece by
piece without a Content-Length, the end of the body marked by closing the connection, as HTTP/1.0
servers and streaming ones do; the iterable may sleep between pieces to play a slow server."""


class LoopbackServer:
    """Records every request as (method, path, JSON body or None) and answers via `respond`."""

    def __init__(self, respond: Callable[[str, str, object], Reply]) -> None:
        self.requests: list[tuple[str, str, object]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = None
                outer.requests.append((self.command, self.path, body))
                status, headers, payload = respond(self.command, self.path, body)
                self.send_response(status)
                for name, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(name, value)
                if isinstance(payload, bytes):
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                self.send_header("Connection", "close")
                self.end_headers()
                try:
                    for piece in payload:
                        self.wfile.write(piece)
                        self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    return  # the client stopped reading, as a client with a size or time limit does

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

            def log_message(self, *args) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def json_reply(status: int, payload: object) -> Reply:
    return status, {}, json.dumps(payload).encode()
