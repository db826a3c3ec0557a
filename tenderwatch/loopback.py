"""A loopback HTTP server for recorded fixture pages (tests and ``make demo``), with routes that fail on purpose.

Fixture pages live in ``tests/fixtures/<host>/<path>``; a spider's real URL
``https://found.cern.ch/x.do`` is rewritten (``spiders.middlewares.UrlRewriteMiddleware``) to
``http://127.0.0.1:<port>/found.cern.ch/x.do``. The server honours ``If-None-Match`` and
``If-Modified-Since`` (answers 304), counts requests and bytes per path, and lets a test override
one path's answer (status, headers, body, delay) through ``server.override``.
"""

from __future__ import annotations

import email.utils
import hashlib
import mimetypes
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"
"""Recorded and reconstructed pages, by host: the demo serves them too."""
EXTENSION_FALLBACKS = (".json", ".xml", ".html")
"""``/v3/notices/search`` may be recorded as ``search.json`` so that it is served as JSON."""


@dataclass
class Override:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    times: int | None = None
    """Apply this many times, then fall back to the file (None = always)."""
    truncate_at: int | None = None
    """Announce the full Content-Length but close the connection after this many bytes."""
    reset: bool = False
    """Close the connection without answering."""


Route = Callable[[str, str, dict[str, str], bytes], tuple[int, dict[str, str], bytes]]
"""A path answered by code: fn(method, path with query, headers, body) -> (status, headers, body)."""


class _QuietServer(ThreadingHTTPServer):
    """A client that hangs up mid-answer (a spider past its timeout, a cancelled crawl) is normal here;
    the standard server prints its traceback to stderr, where a test capturing the process's output
    of another command took it for that command's."""

    def handle_error(self, request: object, client_address: object) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]


class FixtureServer:
    def __init__(self, root: Path = FIXTURES) -> None:
        self.root = root
        self.overrides: dict[str, Override] = {}
        self.routes: dict[str, Route] = {}
        self.requests: Counter[str] = Counter()
        self.bytes_sent: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()
        self.log: list[tuple[str, str, dict[str, str], bytes]] = []
        self.mtime = email.utils.formatdate(time.time() - 86400, usegmt=True)
        self.lock = threading.Lock()
        handler = self._handler()
        self.httpd = _QuietServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def start(self) -> FixtureServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def override(self, path: str, **kwargs: object) -> None:
        self.overrides[path] = Override(**kwargs)  # type: ignore[arg-type]

    def route(self, path: str, fn: Route) -> None:
        """Answer ``path`` (any method) with ``fn``: for APIs whose answers depend on the request body."""
        self.routes[path] = fn

    def reset(self) -> None:
        with self.lock:
            self.overrides.clear()
            self.routes.clear()
            self.requests.clear()
            self.bytes_sent.clear()
            self.statuses.clear()
            self.log.clear()

    def rewrite_for(self, *hosts: str) -> dict[str, str]:
        """The URL rewrite map sending https://host and http://host to this server."""
        out = {}
        for host in hosts:
            out[f"https://{host}"] = f"{self.base}/{host}"
            out[f"http://{host}"] = f"{self.base}/{host}"
        return out

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, fmt: str, *args: object) -> None:  # keep test output clean
                return

            def _send(self, status: int, body: bytes, headers: dict[str, str], head_only: bool = False,
                      truncate_at: int | None = None) -> None:
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                if "Content-Length" not in headers:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                path = urlsplit(self.path).path
                with server.lock:
                    server.statuses[status] += 1
                if head_only:
                    return
                if truncate_at is not None:
                    self.wfile.write(body[:truncate_at])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(body)
                with server.lock:
                    server.bytes_sent[path] += len(body)

            def do_GET(self) -> None:
                self._serve()

            def do_HEAD(self) -> None:
                self._serve(head_only=True)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                self._serve(body=body)

            def _serve(self, head_only: bool = False, body: bytes = b"") -> None:
                parts = urlsplit(self.path)
                path = unquote(parts.path)
                with server.lock:
                    server.requests[path] += 1
                    server.log.append((self.command, self.path, dict(self.headers), body))
                fn = server.routes.get(path)
                if fn is not None:
                    status, headers, answer = fn(self.command, self.path, dict(self.headers), body)
                    self._send(status, answer, {"Content-Type": "application/json", **headers}, head_only)
                    return
                ov = server.overrides.get(path) or server.overrides.get(self.path)
                if ov is not None and (ov.times is None or ov.times > 0):
                    if ov.times is not None:
                        ov.times -= 1
                    if ov.delay:
                        time.sleep(ov.delay)
                    if ov.reset:
                        self.close_connection = True
                        self.connection.close()
                        return
                    headers = {"Content-Type": "text/html; charset=utf-8", **ov.headers}
                    self._send(ov.status, ov.body, headers, head_only, ov.truncate_at)
                    return
                self._serve_file(path, parts.query, head_only)

            def _serve_file(self, path: str, query: str, head_only: bool) -> None:
                rel = path.lstrip("/")
                if query:
                    candidate = server.root / f"{rel}__{query.replace('&', '_').replace('=', '-')}"
                    if candidate.is_file():
                        rel = str(candidate.relative_to(server.root))
                target = (server.root / rel).resolve()
                if target.is_dir():
                    target = target / "index.html"
                if not target.exists():
                    # an endpoint without an extension (an API path) recorded with one, for its Content-Type
                    for suffix in EXTENSION_FALLBACKS:
                        candidate = target.with_name(target.name + suffix)
                        if candidate.is_file():
                            target = candidate
                            break
                if server.root.resolve() not in target.parents or not target.is_file():
                    if path.endswith("/robots.txt"):
                        self._send(404, b"", {"Content-Type": "text/plain"}, head_only)
                        return
                    self._send(404, b"not found", {"Content-Type": "text/plain"}, head_only)
                    return
                data = target.read_bytes()
                etag = '"' + hashlib.sha256(data).hexdigest()[:16] + '"'
                ctype = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
                if ctype.startswith("text/") or ctype in ("application/json", "application/xml"):
                    ctype += "; charset=utf-8"
                if target.name.endswith((".do", ".aspx", ".php", ".cfm")):
                    ctype = "text/html; charset=utf-8"
                headers = {"Content-Type": ctype, "ETag": etag, "Last-Modified": server.mtime,
                           "Cache-Control": "no-cache"}
                inm = self.headers.get("If-None-Match")
                ims = self.headers.get("If-Modified-Since")
                if (inm and inm == etag) or (not inm and ims and ims == server.mtime):
                    self._send(304, b"", {"ETag": etag, "Last-Modified": server.mtime,
                                          "Content-Length": "0"}, head_only=True)
                    return
                self._send(200, data, headers, head_only)

        return Handler
