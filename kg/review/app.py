"""``kg review``'s HTTP side: a small WSGI app served by waitress (no framework).

Routes (everything else is 404; an article id is a key of the session, never a path):

- ``GET /``: the page (``static/review.html`` with this session's token);
  ``GET /static/review.js|review.css``: its assets (a fixed list);
- ``GET /api/drafts``: the draft articles and their claim counts by review state;
- ``GET /api/vocabulary``: concept schemes, properties, classes and known ids;
- ``GET /api/article/<id>``: text, sentences, annotation, claim spans, content hash;
- ``POST /api/article/<id>/anchor``: ``{"quote": ...}`` -> where the compiler finds it;
- ``POST /api/article/<id>/save``: ``{"hash", "annotation", "reviewer"}`` -> saved article,
  or 400 (with the field), 409 (changed on disk) or 422 (the file on disk is unreadable).

Guards: the ``Host`` header must be one of the exact names the server answers to (DNS
rebinding: 400); a POST must be JSON (415), carry the session token in ``X-Review-Token``
(403), and, when the browser sends an ``Origin`` or ``Sec-Fetch-Site``, come from this very
origin (403); bodies over 2 MB get 413. Every answer has a strict content security policy,
``nosniff`` and ``no-store``; the page writes all text with ``textContent``.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import os
import re
import secrets
import sys
import threading
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from kg.errors import InputError
from kg.review.session import ReviewRefusal, ReviewSession

STATIC_FILES = {"review.js": "text/javascript; charset=utf-8",
                "review.css": "text/css; charset=utf-8"}
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
       "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
MAX_BODY = 2_000_000
LOOPBACK = ("127.0.0.1", "localhost")
WILDCARDS = ("", "0.0.0.0", "::", "[::]", "*")
_ARTICLE = re.compile(r"^/api/article/([^/]+)(?:/(anchor|save))?$")
_REASONS = {200: "OK", 204: "No Content", 400: "Bad Request", 403: "Forbidden", 404: "Not Found",
            405: "Method Not Allowed", 409: "Conflict", 413: "Content Too Large",
            415: "Unsupported Media Type", 422: "Unprocessable Content",
            500: "Internal Server Error"}

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


@dataclass
class ReviewApp:
    """The WSGI application over one :class:`ReviewSession`."""

    session: ReviewSession
    token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    #: exact ``Host`` values answered (set by :func:`make_server` once the port is known)
    hosts: frozenset[str] = frozenset()
    #: exact origins a POST may come from
    origins: frozenset[str] = frozenset()

    def allow(self, host: str, port: int) -> None:
        names = {host, *LOOPBACK} if host in LOOPBACK else {host}
        self.hosts = frozenset(f"{n}:{port}" for n in names)
        self.origins = frozenset(f"http://{h}" for h in self.hosts)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        try:
            status, headers, body = self._route(environ)
        except ReviewRefusal as exc:
            status, headers, body = exc.status, *_json(exc.as_json())
        except Exception as exc:  # last resort: one line here and on the page (KG_DEBUG=1: all)
            if os.environ.get("KG_DEBUG"):
                traceback.print_exc(file=sys.stderr)
            else:
                print(f"kg review: internal error: {type(exc).__name__}: {exc}".splitlines()[0],
                      file=sys.stderr, flush=True)
            status, headers, body = 500, *_json({"error": "internal error (see the terminal)",
                                                 "field": None})
        headers = [*headers, ("Content-Length", str(len(body))),
                   ("Content-Security-Policy", CSP), ("X-Content-Type-Options", "nosniff"),
                   ("Referrer-Policy", "no-referrer"), ("X-Frame-Options", "DENY"),
                   ("Cache-Control", "no-store")]
        start_response(f"{status} {_REASONS.get(status, 'Error')}", headers)
        return [body]

    def _route(self, environ: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes]:
        if environ.get("HTTP_HOST", "").lower() not in self.hosts:
            raise ReviewRefusal(400, "unexpected Host header (this server answers only to "
                                     "its own local address)")
        method, path = environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO", "/")
        match = _ARTICLE.match(path)
        if method == "POST":
            if not match or not match.group(2):
                raise ReviewRefusal(405 if match or path in ("/", "/api/drafts") else 404,
                                    "nothing to post here")
            body = self._post_body(environ)
            if match.group(2) == "anchor":
                return 200, *_json(self.session.anchor(match.group(1), body.get("quote")))
            return 200, *_json(self.session.save(match.group(1), body.get("hash"),
                                                 body.get("annotation"), body.get("reviewer")))
        if method not in ("GET", "HEAD"):
            raise ReviewRefusal(405, "method not allowed")
        if path == "/favicon.ico":
            return 204, [], b""
        if path == "/":
            return 200, [("Content-Type", "text/html; charset=utf-8")], self._page()
        if path.startswith("/static/"):
            name = path[len("/static/"):]
            if name not in STATIC_FILES:
                raise ReviewRefusal(404, "no such file")
            return 200, [("Content-Type", STATIC_FILES[name])], _static(name)
        if path == "/api/drafts":
            return 200, *_json({"drafts": self.session.summaries()})
        if path == "/api/vocabulary":
            return 200, *_json(self.session.vocabulary.as_json())
        if match and not match.group(2):
            return 200, *_json(self.session.article(match.group(1)))
        raise ReviewRefusal(404, "no such page")

    def _post_body(self, environ: dict[str, Any]) -> dict[str, Any]:
        origin = environ.get("HTTP_ORIGIN")
        if origin is not None and origin not in self.origins:
            raise ReviewRefusal(403, "cross-origin request refused")
        if environ.get("HTTP_SEC_FETCH_SITE", "same-origin") not in ("same-origin", "none"):
            raise ReviewRefusal(403, "cross-site request refused")
        media = environ.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
        if media != "application/json":
            raise ReviewRefusal(415, "send JSON (Content-Type: application/json)")
        given = environ.get("HTTP_X_REVIEW_TOKEN", "")
        if not hmac.compare_digest(given.encode(), self.token.encode()):
            raise ReviewRefusal(403, "missing or wrong session token (reload the page)")
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            raise ReviewRefusal(400, "invalid Content-Length") from None
        if length > MAX_BODY:
            raise ReviewRefusal(413, f"request body larger than {MAX_BODY} bytes")
        raw = environ["wsgi.input"].read(length) if length > 0 else b""
        try:
            body = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
            raise ReviewRefusal(400, "the request body is not valid JSON") from None
        if not isinstance(body, dict):
            raise ReviewRefusal(400, "the request body must be a JSON object")
        return body

    def _page(self) -> bytes:
        html = _static("review.html").decode("utf-8")
        return html.replace("{{TOKEN}}", self.token).encode("utf-8")  # token: URL-safe base64


def _json(data: Any) -> tuple[list[tuple[str, str]], bytes]:
    body = json.dumps(data, ensure_ascii=False).encode("utf-8")
    return [("Content-Type", "application/json; charset=utf-8")], body


def _static(name: str) -> bytes:
    return resources.files("kg.review").joinpath("static").joinpath(name).read_bytes()


# ---------------------------------------------------------------------------- serving


def make_server(app: ReviewApp, host: str = "127.0.0.1", port: int = 8001) -> Any:
    """A waitress server for ``app`` (bound, not yet running), with strict limits."""
    from waitress.server import create_server

    if host in WILDCARDS:
        raise InputError(f"--host {host or '(empty)'} listens on every address, so no exact Host "
                         "allow-list is possible: give the one address to serve on")
    try:
        server = create_server(
            app, host=host, port=port, threads=4, connection_limit=32, channel_timeout=30,
            cleanup_interval=10, max_request_header_size=65_536, max_request_body_size=MAX_BODY,
            inbuf_overflow=MAX_BODY, expose_tracebacks=False, ident="kg-review",
            clear_untrusted_proxy_headers=True)
    except OSError as exc:  # port taken, address not ours, name that does not resolve
        raise InputError(f"cannot listen on {host}:{port} ({exc.strerror or exc})") from None
    app.allow(host, int(server.effective_port))
    return server


def stop(server: Any) -> None:
    """Close a server running in another thread (from any thread)."""
    from waitress import wasyncore

    server.task_dispatcher.shutdown()
    server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))


@contextlib.contextmanager
def running(app: ReviewApp, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve in a background thread; yields the base URL (tests)."""
    server = make_server(app, host, port)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.effective_port}/"
    finally:
        stop(server)
        thread.join(5)


def serve(app: ReviewApp, host: str = "127.0.0.1", port: int = 8001,
          announce: Callable[[str], None] | None = None) -> None:
    """Serve until interrupted (Ctrl-C)."""
    server = make_server(app, host, port)
    if announce:
        announce(f"reviewing {len(app.session.drafts)} draft article(s) at "
                 f"http://{host}:{server.effective_port}/ ; Ctrl-C stops")
        if host not in LOOPBACK:
            announce(f"warning: listening on {host}, not loopback: anyone who can reach this "
                     "address can read the drafts (and needs the page's token to change them)")
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()


__all__ = ["ReviewApp", "make_server", "running", "serve", "stop"]
