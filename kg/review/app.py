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

Guards: the HTTP plumbing is :mod:`kg.httpd`'s, as for ``kg serve``: the ``Host`` header must
be one of the exact names the server answers to (DNS rebinding: 421, checked off loopback too,
so a wildcard ``--host`` is refused), bodies over 2 MB get 413, waitress's own errors and a
refused ``Host`` are one line of text, a port in use is one line and exit 2. Here: a POST must
be JSON (415), carry the session token in ``X-Review-Token`` (403), and, when the browser sends
an ``Origin`` or ``Sec-Fetch-Site``, come from this very origin (403); every other refusal of
the routes is JSON ``{"error": ..., "field": ...}`` for the page. Every answer has a strict
content security policy, ``nosniff`` and ``no-store``; the page writes all text with
``textContent``.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import os
import re
import secrets
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from kg.httpd import (
    LOOPBACK_NAMES,
    Answer,
    HTTPError,
    HTTPSettings,
    LocalServer,
    Request,
    json_answer,
    wsgi_app,
)
from kg.httpd import running as serving
from kg.review.session import ReviewRefusal, ReviewSession

STATIC_FILES = {"review.js": "text/javascript; charset=utf-8",
                "review.css": "text/css; charset=utf-8"}
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
       "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
HEADERS = {"Content-Security-Policy": CSP, "X-Frame-Options": "DENY"}
MAX_BODY = 2_000_000
#: one reviewer's browser: few threads, roomy headers, 2 MB bodies, Host checked everywhere
SETTINGS = HTTPSettings(threads=4, connection_limit=32, idle_timeout=30,
                        max_header_bytes=65_536, max_body=MAX_BODY, ident="kg-review",
                        exact_host=True)
_ARTICLE = re.compile(r"^/api/article/([^/]+)(?:/(anchor|save))?$")


@dataclass
class ReviewApp:
    """The routes over one :class:`ReviewSession` (``handle(request) -> Answer``)."""

    session: ReviewSession
    token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    #: exact ``Host`` values answered, the server's allow-list (set by :func:`make_server` once
    #: the port is known; none before)
    hosts: frozenset[str] = frozenset()
    #: exact origins a POST may come from
    origins: frozenset[str] = frozenset()

    def allow(self, hosts: frozenset[str], port: int) -> None:
        """Answer to ``hosts``; POSTs come from the page at one of them."""
        self.hosts = hosts
        suffix = f":{port}"
        names = {h.removesuffix(suffix) for h in hosts if h.endswith(suffix)}
        self.origins = frozenset({f"http://{n}{suffix}" for n in names}
                                 | ({f"http://{n}" for n in names} if port == 80 else set()))

    def wsgi(self) -> Callable[..., Iterable[bytes]]:
        """This app as a WSGI application with :mod:`kg.httpd`'s rules."""
        return wsgi_app(self.handle, allowed=lambda: self.hosts, on_error=_refusal,
                        errors=_json_error, headers=HEADERS)

    def handle(self, request: Request) -> Answer:
        method, path = request.method, request.path
        match = _ARTICLE.match(path)
        if method == "POST":
            if not match or not match.group(2):
                raise HTTPError(405 if match or path in ("/", "/api/drafts") else 404,
                                "nothing to post here")
            body = self._post_body(request)
            if match.group(2) == "anchor":
                return json_answer(self.session.anchor(match.group(1), body.get("quote")))
            return json_answer(self.session.save(match.group(1), body.get("hash"),
                                                 body.get("annotation"), body.get("reviewer")))
        if method not in ("GET", "HEAD"):
            raise HTTPError(405, "method not allowed")
        if path == "/favicon.ico":
            return Answer(b"", "image/x-icon", 204)
        if path == "/":
            return Answer(self._page(), "text/html; charset=utf-8")
        if path.startswith("/static/"):
            name = path[len("/static/"):]
            if name not in STATIC_FILES:
                raise HTTPError(404, "no such file")
            return Answer(_static(name), STATIC_FILES[name])
        if path == "/api/drafts":
            return json_answer({"drafts": self.session.summaries()})
        if path == "/api/vocabulary":
            return json_answer(self.session.vocabulary.as_json())
        if match and not match.group(2):
            return json_answer(self.session.article(match.group(1)))
        raise HTTPError(404, "no such page")

    def _post_body(self, request: Request) -> dict[str, Any]:
        origin = request.headers.get("origin")
        if origin is not None and origin not in self.origins:
            raise HTTPError(403, "cross-origin request refused")
        if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
            raise HTTPError(403, "cross-site request refused")
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media != "application/json":
            raise HTTPError(415, "send JSON (Content-Type: application/json)")
        given = request.headers.get("x-review-token", "")
        if not hmac.compare_digest(given.encode(), self.token.encode()):
            raise HTTPError(403, "missing or wrong session token (reload the page)")
        raw = request.body(MAX_BODY)
        try:
            body = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
            raise HTTPError(400, "the request body is not valid JSON") from None
        if not isinstance(body, dict):
            raise HTTPError(400, "the request body must be a JSON object")
        return body

    def _page(self) -> bytes:
        html = _static("review.html").decode("utf-8")
        return html.replace("{{TOKEN}}", self.token).encode("utf-8")  # token: URL-safe base64


def _refusal(exc: Exception) -> HTTPError:
    """A session's refusal as it is; anything else one line here and on the page (KG_DEBUG=1:
    the traceback here)."""
    if isinstance(exc, ReviewRefusal):
        return HTTPError(exc.status, exc.message, detail={"field": exc.field})
    if os.environ.get("KG_DEBUG"):
        import traceback

        traceback.print_exception(exc, file=sys.stderr)
    else:
        print(f"kg review: internal error: {type(exc).__name__}: {exc}".splitlines()[0],
              file=sys.stderr, flush=True)
    return HTTPError(500, "internal error (see the terminal)")


def _json_error(error: HTTPError) -> Answer:
    """The page's error shape: ``{"error": sentence, "field": where or null}``."""
    return json_answer({"error": " ".join(error.reason.split()),
                        "field": error.detail.get("field")}, error.status, error.headers)


def _static(name: str) -> bytes:
    return resources.files("kg.review").joinpath("static").joinpath(name).read_bytes()


# ---------------------------------------------------------------------------- serving


def make_server(app: ReviewApp, host: str = "127.0.0.1", port: int = 8001) -> LocalServer:
    """A bound (not yet serving) server for ``app``; port 0 picks a free port."""
    server = LocalServer(app.wsgi(), host, port, SETTINGS)
    app.allow(server.allowed or frozenset(), server.server_address[1])
    return server


@contextlib.contextmanager
def running(app: ReviewApp, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve in a background thread; yields the base URL (tests)."""
    with serving(make_server(app, host, port)) as server:
        yield server.url


def serve(app: ReviewApp, host: str = "127.0.0.1", port: int = 8001,
          announce: Callable[[str], None] | None = None) -> None:
    """Serve until interrupted (Ctrl-C)."""
    server = make_server(app, host, port)
    if announce:
        announce(f"reviewing {len(app.session.drafts)} draft article(s) at {server.url} ; "
                 "Ctrl-C stops")
        if not (server.allowed or frozenset()) & set(LOOPBACK_NAMES):
            announce(f"warning: listening on {host}, not loopback: anyone who can reach this "
                     "address can read the drafts (and needs the page's token to change them)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


__all__ = ["ReviewApp", "make_server", "running", "serve"]
