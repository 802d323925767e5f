"""HTTP plumbing for kg's local web servers (``kg serve``, ``kg review``): waitress
(pure Python, maintained, WSGI) with our rules on top.

Why waitress: the stdlib ``http.server`` parses leniently (two conflicting ``Content-Length``
headers accepted, bytes after a refused request run as a second request), has no timeouts, a
listen backlog of 5 and HTML error pages. Waitress parses requests strictly (RFC 7230 tokens,
one valid ``Content-Length``, chunked bodies decoded, the connection closed after any parse
error so nothing behind it runs), limits header and body sizes, serves from a fixed pool of
threads with a real backlog and closes idle connections. uvicorn/h11 would need an ASGI app and
an event loop for what is a few synchronous routes.

What this module adds, for every server of the project:

- :class:`HTTPSettings`: the waitress settings we run with (threads, backlog, sizes, an idle
  timeout and a whole-request timeout: a client dribbling a header byte a second is cut off);
- our one-line error format for every status, including the errors waitress answers itself
  (bad request line, header too large, body too large...): ``"<code> <phrase>: <reason>\\n"``,
  ``text/plain``, never HTML, a traceback or a file path (:func:`error_body`);
- an exact ``Host`` allow-list answering 421 while bound to loopback (DNS rebinding: a page of
  ``127.0.0.1.attacker.example`` must not read the graph), and off loopback too with
  ``HTTPSettings(exact_host=True)``: :func:`allowed_hosts`;
- :class:`Request` / :class:`Answer` / :class:`HTTPError` and :func:`wsgi_app`, which turns a
  ``handle(request) -> Answer`` function into a WSGI application with those rules (a JSON API
  may answer its own errors as JSON: ``wsgi_app(errors=...)``, :func:`json_answer`; a page may
  add headers to every answer, e.g. its content security policy: ``wsgi_app(headers=...)``);
- :class:`LocalServer` and :func:`running`: bind (a failure is one line, exit 2), serve
  (foreground or a background thread), stop cleanly.
"""

from __future__ import annotations

import contextlib
import json
import re
import sys
import threading
import time
import traceback
import urllib.parse
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Protocol, TypeVar

from waitress import wasyncore
from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.server import TcpWSGIServer
from waitress.task import ErrorTask, ThreadedTaskDispatcher

from kg.errors import InputError, KGError

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")
#: addresses that listen on every interface (no one name to check ``Host`` against)
WILDCARD_HOSTS = ("", "0.0.0.0", "::", "[::]", "*")
SECURITY_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
                    "Referrer-Policy": "no-referrer"}
_PATHLIKE = re.compile(r"(?<![\w:/.])/(?:[\w.~-]+/)+[\w.~-]*")
_FILE_IRI = re.compile(r"(?i)file:[^\s<>\"']*")

StartResponse = Callable[..., Any]


@dataclass(frozen=True)
class HTTPSettings:
    """How a server listens and what it accepts (waitress adjustments)."""

    #: worker threads answering requests (more requests wait in waitress's queue)
    threads: int = 8
    #: listen backlog: a burst of connections waits here instead of hitting SYN retransmits
    backlog: int = 1024
    #: open connections at most (more are accepted only as others close)
    connection_limit: int = 100
    #: seconds a connection may stay open with no request in progress
    idle_timeout: int = 10
    #: seconds a client has to send one whole request (request line, headers and body)
    request_timeout: int = 20
    max_header_bytes: int = 16_384
    max_body: int = 1_000_000
    ident: str = "diplo-kg"
    #: check ``Host`` off loopback too (the bound address is then the one name answered, and a
    #: wildcard address is refused); else any ``Host`` is answered off loopback
    exact_host: bool = False

    def __post_init__(self) -> None:
        if min(self.threads, self.backlog, self.connection_limit, self.idle_timeout,
               self.request_timeout, self.max_header_bytes, self.max_body) < 1:
            raise KGError("HTTP settings must all be at least 1")


class HTTPError(Exception):
    """An error answer: status, a one-line reason for the client, extra headers, and ``detail``:
    more fields for an API that answers its errors as JSON (see ``wsgi_app(errors=...)``)."""

    def __init__(self, status: int, reason: str, headers: Mapping[str, str] | None = None,
                 detail: Mapping[str, Any] | None = None) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.headers = dict(headers or {})
        self.detail = dict(detail or {})


@dataclass(frozen=True)
class Answer:
    """A successful answer: body, media type, status and extra headers."""

    body: bytes
    media: str
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


def clean_reason(message: str) -> str:
    """One line for a client: no file paths, no line breaks, bounded length."""
    line = " ".join(message.split())
    line = _FILE_IRI.sub("<file>", line)
    line = _PATHLIKE.sub("<path>", line)
    return line[:500]


def phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def error_body(status: int, reason: str) -> bytes:
    """Our error format: ``"<code> <phrase>: <reason>\\n"``, one line."""
    return f"{status} {phrase(status)}: {clean_reason(reason)}\n".encode()


def error_answer(error: HTTPError) -> Answer:
    return Answer(error_body(error.status, error.reason), "text/plain; charset=utf-8",
                  error.status, dict(error.headers))


def json_answer(data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Answer:
    """``data`` as a UTF-8 JSON answer."""
    return Answer(json.dumps(data, ensure_ascii=False).encode("utf-8"),
                  "application/json; charset=utf-8", status, dict(headers or {}))


# ---------------------------------------------------------------------------- Host allow-list


def allowed_hosts(host: str, port: int, exact: bool = False) -> frozenset[str] | None:
    """The exact ``Host`` values a server bound to ``host:port`` accepts: the loopback names
    when bound to loopback; off loopback the bound address alone when ``exact``, else None
    (any: the server is reachable under names we cannot know)."""
    bound = host.strip("[]")
    names = {f"[{bound}]" if ":" in bound else bound}
    if bound in ("localhost", "::1") or bound.startswith("127."):
        names |= set(LOOPBACK_NAMES)
    elif not exact:
        return None
    return frozenset(names | {f"{name}:{port}" for name in names})


def check_host(given: str | None, allowed: frozenset[str] | None) -> None:
    """421 unless the Host header is exactly one of ``allowed`` (absent: HTTP/1.0, allowed)."""
    if allowed is None or given is None:
        return
    if given.strip().lower() not in allowed:
        raise HTTPError(421, "unexpected Host header for a server bound to loopback")


# ---------------------------------------------------------------------------- requests


@dataclass(frozen=True)
class Request:
    """What a route needs of a WSGI request."""

    method: str
    path: str
    query: str
    headers: Mapping[str, str]  # lower-case names
    environ: Mapping[str, Any]

    @classmethod
    def from_environ(cls, environ: Mapping[str, Any]) -> Request:
        headers = {key[5:].replace("_", "-").lower(): value for key, value in environ.items()
                   if key.startswith("HTTP_")}
        for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            if environ.get(key):
                headers[key.replace("_", "-").lower()] = environ[key]
        # PATH_INFO is the percent-decoded path as latin-1 (PEP 3333): back to UTF-8 text
        raw_path = environ.get("PATH_INFO", "") or "/"
        try:
            path = raw_path.encode("latin-1").decode("utf-8")
        except UnicodeError:
            raise HTTPError(400, "the path is not valid UTF-8") from None
        return cls(environ.get("REQUEST_METHOD", "GET").upper(), path,
                   environ.get("QUERY_STRING", ""), headers, environ)

    def body(self, limit: int) -> bytes:
        """The request body (waitress has read it whole and checked its length)."""
        try:
            length = int(self.headers.get("content-length") or 0)
        except ValueError:
            raise HTTPError(400, "invalid Content-Length") from None
        if length > limit:
            raise HTTPError(413, f"request body larger than {limit} bytes")
        return self.environ["wsgi.input"].read(length) if length > 0 else b""

    def params(self) -> dict[str, list[str]]:
        """The URL's query parameters (at most 100; invalid UTF-8 is a 400)."""
        return parse_form(self.query.encode("latin-1", "replace"), what="URL query",
                          strict=False)


def parse_form(data: bytes, what: str = "form body", *, strict: bool = True
               ) -> dict[str, list[str]]:
    """``application/x-www-form-urlencoded`` data: UTF-8, at most 100 fields (every field
    ``name=value`` when ``strict``), else 400."""
    try:
        text = data.decode("utf-8")
        return urllib.parse.parse_qs(text, keep_blank_values=True, errors="strict",
                                     strict_parsing=strict and bool(text), max_num_fields=100)
    except UnicodeDecodeError:
        raise HTTPError(400, f"the {what} is not valid URL-encoded UTF-8") from None
    except ValueError as exc:
        reason = ("more than 100 parameters" if "Max number of fields" in str(exc)
                  else "not valid URL encoding")
        raise HTTPError(400, f"the {what} has {reason}") from None


def wsgi_app(handle: Callable[[Request], Answer], *, allowed: Callable[[], frozenset[str] | None],
             on_error: Callable[[Exception], HTTPError | None] = lambda exc: None,
             log: Callable[[str], None] | None = None,
             errors: Callable[[HTTPError], Answer] = error_answer,
             headers: Mapping[str, str] | None = None) -> Callable[..., Iterable[bytes]]:
    """A WSGI application around ``handle``: Host check, our error format for every failure
    (``on_error`` maps the caller's own exceptions to an HTTPError; anything else is a bare 500
    with the traceback on the server's stderr), HEAD without a body, security headers.

    ``errors`` answers the errors of ``handle`` (an API's JSON, say); a refused ``Host`` or an
    unreadable request line is answered before any route, in our one line of text, as are the
    errors waitress answers itself. ``headers`` go on every answer (a route's own win)."""
    every = {**SECURITY_HEADERS, **(headers or {})}

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET").upper()
        try:
            check_host(environ.get("HTTP_HOST"), allowed())
            request = Request.from_environ(environ)
        except HTTPError as error:
            answer = error_answer(error)
        else:
            answer = _answer(handle, request, on_error, errors)
        sent = {"Content-Type": answer.media, "Content-Length": str(len(answer.body)),
                **every, **answer.headers}
        if log is not None:
            log(f"{environ.get('REMOTE_ADDR', '-')} \"{method} {environ.get('PATH_INFO', '')}\" "
                f"{answer.status} {len(answer.body)}")
        start_response(f"{answer.status} {phrase(answer.status)}", list(sent.items()))
        return [] if method == "HEAD" else [answer.body]

    return app


def _answer(handle: Callable[[Request], Answer], request: Request,
            on_error: Callable[[Exception], HTTPError | None],
            errors: Callable[[HTTPError], Answer]) -> Answer:
    try:
        return handle(request)
    except HTTPError as error:
        return errors(error)
    except Exception as exc:  # never a traceback to the client
        mapped = on_error(exc)
        if mapped is None:
            traceback.print_exc(file=sys.stderr)
            mapped = HTTPError(500, "internal error")
        return errors(mapped)


# ---------------------------------------------------------------------------- waitress


class _OneLineErrorTask(ErrorTask):
    """Errors waitress answers itself (malformed request, header or body too large, timeout)
    in our format; the connection is closed after it."""

    def execute(self) -> None:
        error = self.request.error
        body = error_body(error.code, str(error.body or error.reason))
        self.status = f"{error.code} {error.reason}"
        self.response_headers.append(("Content-Type", "text/plain; charset=utf-8"))
        self.response_headers.extend(SECURITY_HEADERS.items())
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


class _Channel(HTTPChannel):
    """Remembers when the request being received started (for the request timeout)."""

    error_task_class = _OneLineErrorTask
    request_started = 0.0
    _timed: object = None

    def received(self, data: bytes) -> bool:
        result = super().received(data)
        if self.request is not None and self.request is not self._timed:
            self._timed, self.request_started = self.request, time.time()
        return bool(result)


class _Server(TcpWSGIServer):
    channel_class = _Channel
    request_timeout = 20

    def maintenance(self, now: float) -> None:
        super().maintenance(now)  # idle connections (channel_timeout)
        cutoff = now - self.request_timeout
        for channel in list(self.active_channels.values()):
            if channel.request is not None and channel.request_started < cutoff:
                channel.will_close = True  # a request still incomplete after the timeout


class LocalServer:
    """A bound waitress server; :meth:`serve_forever` in any thread, :meth:`shutdown` from
    another."""

    def __init__(self, app: Callable[..., Iterable[bytes]], host: str, port: int,
                 settings: HTTPSettings) -> None:
        self.settings = settings
        if settings.exact_host and host.strip() in WILDCARD_HOSTS:
            raise InputError(f"--host {host or '(empty)'} listens on every address, so no exact "
                             "Host allow-list is possible: give the one address to serve on")
        self._map: dict[int, Any] = {}
        self._dispatcher = ThreadedTaskDispatcher()
        try:
            adjustments = Adjustments(
                host=host, port=port, threads=settings.threads, backlog=settings.backlog,
                connection_limit=settings.connection_limit,
                channel_timeout=settings.idle_timeout, cleanup_interval=1,
                max_request_header_size=settings.max_header_bytes,
                max_request_body_size=settings.max_body, ident=settings.ident,
                expose_tracebacks=False, log_socket_errors=False, asyncore_loop_timeout=1)
            self._server = _Server(app, map=self._map, dispatcher=self._dispatcher,
                                   adj=adjustments, sockinfo=adjustments.listen[0])
        except (OSError, ValueError) as exc:  # port in use, address not ours, unknown name
            with contextlib.suppress(OSError):  # the half-made socket and waitress's trigger
                wasyncore.close_all(self._map)
            detail = getattr(exc, "strerror", None) or str(exc).splitlines()[0]
            raise InputError(f"cannot listen on {host}:{port} ({detail})") from None
        self._dispatcher.set_thread_count(settings.threads)  # once bound: no threads to leak
        self._server.request_timeout = settings.request_timeout
        self._stopped = threading.Event()
        bound_host, bound_port = self._server.getsockname()[:2]
        self.server_address = (str(bound_host), int(bound_port))
        self.allowed = allowed_hosts(self.server_address[0], self.server_address[1],
                                     settings.exact_host)

    @property
    def url(self) -> str:
        host, port = self.server_address
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}/"

    def serve_forever(self) -> None:
        try:
            self._server.run()
        finally:
            self._stopped.set()

    def shutdown(self) -> None:
        """Stop serving (from any thread): every connection and the listener are closed in
        the server's own loop, then the worker threads are stopped."""
        if not self._stopped.is_set():
            self._server.trigger.pull_trigger(lambda: wasyncore.close_all(self._map))
            self._stopped.wait(10)
        self.server_close()

    def server_close(self) -> None:
        with contextlib.suppress(OSError):
            wasyncore.close_all(self._map)
        self._dispatcher.shutdown(cancel_pending=True, timeout=5)


class _Serving(Protocol):
    def serve_forever(self) -> None: ...
    def shutdown(self) -> None: ...


_S = TypeVar("_S", bound=_Serving)


@contextlib.contextmanager
def running(server: _S) -> Iterator[_S]:
    """``server`` (a :class:`LocalServer`, or anything wrapping one) serving in a background
    thread for the duration of a ``with`` block."""
    thread = threading.Thread(target=server.serve_forever, name="kg-http", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        thread.join(10)


__all__ = ["LOOPBACK_NAMES", "WILDCARD_HOSTS", "Answer", "HTTPError", "HTTPSettings",
           "LocalServer", "Request", "allowed_hosts", "check_host", "clean_reason", "error_answer",
           "error_body", "json_answer", "parse_form", "running", "wsgi_app"]
