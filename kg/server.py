"""``kg serve``: a local, read-only SPARQL 1.1 Protocol endpoint and a query explorer page.

Routes (stdlib ``http.server.ThreadingHTTPServer``; binds 127.0.0.1 by default):

- ``/sparql``: the SPARQL 1.1 Protocol query operation: ``GET ?query=``, ``POST`` form-encoded
  (``application/x-www-form-urlencoded``) and ``POST`` direct (``application/sparql-query``,
  UTF-8). Protocol ``default-graph-uri`` / ``named-graph-uri`` choose among the graphs the
  server holds (never dereferenced). Results by content negotiation (``Accept``), or a
  ``format=`` parameter: JSON (default), XML, CSV, TSV for SELECT/ASK; Turtle (default),
  N-Triples, JSON-LD for CONSTRUCT/DESCRIBE.
- ``/``: the explorer (YASGUI, vendored under ``kg/static/``, with the named queries as
  examples); ``/queries.json``: the named queries; ``/graph?query=``: a CONSTRUCT/DESCRIBE result
  drawn by :func:`kg.visualize.render_html`; ``/static/<file>``: the page's assets.

Read-only and bounded:

- every update is refused with 403 (``update=`` parameters, ``application/sparql-update``
  bodies, update text sent as a query), as are ``SERVICE`` and ``FROM`` / ``FROM NAMED``; the
  data cannot change (the backends only ever run vetted read-only queries);
- each query runs in its own process, killed at the time limit (503, ``Retry-After``): a child
  per query on rdflib; on Oxigraph one of the backend's reused workers (the backend is safe to
  share between request threads; at most ``WORKERS_PER_BACKEND`` queries run at once, others
  wait for a worker within their time limit);
- at most ``max_rows`` rows (or triples) are returned; a cut result carries the headers
  ``X-Result-Truncated: true`` and ``X-Result-Limit: N``, and JSON results also
  ``"head": {"truncated": true, "limit": N}`` (CSV/TSV/XML bodies stay standard);
- request bodies above ``max_body`` bytes get 413; bad requests get 400 with a one-line plain
  text reason (never a traceback or a file path); an unexpected ``Host`` header gets 421
  (DNS-rebinding guard while bound to a loopback address).
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
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any

from rdflib import Graph, URIRef

from kg.errors import InputError, KGError, QueryTimeout
from kg.namespaces import bind_prefixes
from kg.query import QueryResult, format_result, load_queries
from kg.store import Backend, GraphSelection

#: format name -> media type sent back
RESULT_MEDIA: dict[str, str] = {
    "json": "application/sparql-results+json; charset=utf-8",
    "xml": "application/sparql-results+xml; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "tsv": "text/tab-separated-values; charset=utf-8",
}
GRAPH_MEDIA: dict[str, str] = {
    "turtle": "text/turtle; charset=utf-8",
    "ntriples": "application/n-triples; charset=utf-8",
    "jsonld": "application/ld+json; charset=utf-8",
}
#: accepted media type -> format name (``*/*`` and friends resolve to the first of each list)
ACCEPT_RESULTS: dict[str, str] = {
    "application/sparql-results+json": "json", "application/json": "json",
    "application/sparql-results+xml": "xml", "application/xml": "xml", "text/xml": "xml",
    "text/csv": "csv", "text/tab-separated-values": "tsv",
}
ACCEPT_GRAPHS: dict[str, str] = {
    "text/turtle": "turtle", "application/x-turtle": "turtle", "application/n-triples": "ntriples",
    "text/plain": "ntriples", "application/ld+json": "jsonld", "application/json": "jsonld",
}
FORMAT_ALIASES: dict[str, str] = {"nt": "ntriples", "n-triples": "ntriples", "ttl": "turtle",
                                  "json-ld": "jsonld"}
#: static files served under /static/ (a fixed list: nothing else on disk is reachable)
STATIC_FILES: dict[str, str] = {
    "explorer.css": "text/css; charset=utf-8",
    "explorer.js": "text/javascript; charset=utf-8",
    "yasgui.min.css": "text/css; charset=utf-8",
    "yasgui.min.js": "text/javascript; charset=utf-8",
    "YASGUI-LICENSE.txt": "text/plain; charset=utf-8",
}
PAGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
            "frame-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'")
#: the rendered graph page is self-contained (inline script and style), and may fetch nothing
GRAPH_CSP = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
             "img-src data:; base-uri 'none'; form-action 'none'")
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})
_PATHLIKE = re.compile(r"(?<![\w:/.])/(?:[\w.~-]+/)+[\w.~-]*")
_FILE_IRI = re.compile(r"(?i)file:[^\s<>\"']*")
_IRI_BAD = re.compile(r'[\s<>"{}|^`\\]')


@dataclass(frozen=True)
class ServerConfig:
    """Limits of ``kg serve``."""

    timeout: float = 30.0
    max_rows: int = 10_000
    max_body: int = 1_000_000
    max_concurrent: int = 8  # = kg.query.WORKERS_PER_BACKEND
    quiet: bool = False

    def __post_init__(self) -> None:
        if not self.timeout > 0:
            raise InputError(f"--timeout must be a positive number of seconds, not {self.timeout}")
        if self.max_rows < 1 or self.max_body < 1 or self.max_concurrent < 1:
            raise InputError("--max-rows and the request limits must be at least 1")


class HTTPError(Exception):
    """An error answer: status and a one-line reason for the client."""

    def __init__(self, status: int, reason: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.headers = dict(headers or {})


@dataclass(frozen=True)
class Answer:
    """A successful answer: status, media type, body and extra headers."""

    body: bytes
    media: str
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


# ---------------------------------------------------------------------------- negotiation


def _accepted(accept: str) -> list[tuple[str, float]]:
    """Media ranges of an Accept header, best first (stable for equal q)."""
    ranges: list[tuple[str, float, int]] = []
    for index, part in enumerate(accept.split(",")):
        pieces = [p.strip() for p in part.split(";")]
        media = pieces[0].lower()
        if not media:
            continue
        quality = 1.0
        for param in pieces[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality > 0:
            ranges.append((media, quality, index))
    ranges.sort(key=lambda r: (-r[1], r[2]))
    return [(m, q) for m, q, _ in ranges]


def negotiate(accept: str | None, graph: bool, fmt: str | None = None) -> str:
    """The format name to answer with (``json`` ... or ``turtle`` ...); 406 when none fits."""
    table = ACCEPT_GRAPHS if graph else ACCEPT_RESULTS
    names = GRAPH_MEDIA if graph else RESULT_MEDIA
    if fmt:
        name = FORMAT_ALIASES.get(fmt.lower(), fmt.lower())
        if name not in names:
            raise HTTPError(400, f"format={fmt} is not available for this query "
                                 f"(one of: {', '.join(names)})")
        return name
    if not accept:
        return next(iter(names))
    for media, _ in _accepted(accept):
        if media in table:
            return table[media]
        if media in ("*/*", "application/*", "text/*"):
            if media == "text/*":
                for name in names:
                    if names[name].startswith("text/"):
                        return name
            return next(iter(names))
    offered = ", ".join(m.split(";")[0] for m in names.values())
    raise HTTPError(406, f"cannot answer in any accepted media type (offered: {offered})")


# ---------------------------------------------------------------------------- rendering


def _graph_text(graph: Graph, fmt: str) -> str:
    if fmt == "ntriples":
        text = bind_prefixes(graph).serialize(format="nt")
        return "".join(sorted(text.splitlines(keepends=True)))
    return format_result(QueryResult(form="CONSTRUCT", variables=(), rows=(), boolean=None,
                                     graph=graph), fmt)


def _capped(result: QueryResult, max_rows: int) -> tuple[QueryResult, bool]:
    if result.graph is not None and len(result.graph) > max_rows:
        kept = bind_prefixes(Graph(bind_namespaces="none"))
        for index, triple in enumerate(sorted(result.graph)):
            if index >= max_rows:
                break
            kept.add(triple)
        return QueryResult(form=result.form, variables=(), rows=(), boolean=None,
                           graph=kept), True
    if len(result.rows) > max_rows:
        return QueryResult(form=result.form, variables=result.variables,
                           rows=result.rows[:max_rows], boolean=result.boolean,
                           graph=result.graph), True
    return result, False


def render(result: QueryResult, fmt: str, max_rows: int) -> Answer:
    """A query result as a response body in format ``fmt``, cut at ``max_rows`` (signalled)."""
    result, truncated = _capped(result, max_rows)
    headers = {"X-Result-Truncated": "true", "X-Result-Limit": str(max_rows)} if truncated else {}
    if result.graph is not None:
        return Answer(_graph_text(result.graph, fmt).encode("utf-8"), GRAPH_MEDIA[fmt],
                      headers=headers)
    text = format_result(result, fmt)
    if truncated and fmt == "json":
        document = json.loads(text)
        document["head"]["truncated"] = True
        document["head"]["limit"] = max_rows
        text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    return Answer(text.encode("utf-8"), RESULT_MEDIA[fmt], headers=headers)


def clean_reason(message: str) -> str:
    """One line for a client: no file paths, no line breaks, bounded length."""
    line = " ".join(message.split())
    line = _FILE_IRI.sub("<file>", line)
    line = _PATHLIKE.sub("<path>", line)
    return line[:500]


# ---------------------------------------------------------------------------- requests


def _single(params: Mapping[str, list[str]], name: str) -> str | None:
    values = params.get(name, [])
    if len(values) > 1:
        raise HTTPError(400, f"give the {name} parameter once, not {len(values)} times")
    return values[0] if values else None


def _graph_names(params: Mapping[str, list[str]], name: str) -> tuple[URIRef, ...]:
    names = []
    for value in params.get(name, []):
        parsed = urllib.parse.urlsplit(value)
        if not parsed.scheme or _IRI_BAD.search(value):
            raise HTTPError(400, f"{name} must be an absolute IRI")
        names.append(URIRef(value))
    return tuple(names)


def _parse_form(body: bytes) -> dict[str, list[str]]:
    try:
        text = body.decode("utf-8")
        return urllib.parse.parse_qs(text, keep_blank_values=True, strict_parsing=bool(text),
                                     errors="strict", max_num_fields=100)
    except (UnicodeDecodeError, ValueError):
        raise HTTPError(400, "the form body is not valid URL-encoded UTF-8") from None


def _media_and_charset(content_type: str | None) -> tuple[str, str | None]:
    if not content_type:
        return "", None
    parts = [p.strip() for p in content_type.split(";")]
    charset = None
    for param in parts[1:]:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    return parts[0].lower(), charset


@dataclass
class Operation:
    """A parsed protocol request: the query, its dataset and the client's format wishes."""

    query: str
    graphs: GraphSelection | None
    accept: str | None
    fmt: str | None


def parse_protocol(method: str, url_query: str, content_type: str | None, body: bytes | None,
                   accept: str | None) -> Operation:
    """A SPARQL 1.1 Protocol request as an Operation; HTTPError for anything else.

    Updates are refused (403) in every form; a POST must say what its body is.
    """
    params = urllib.parse.parse_qs(url_query, keep_blank_values=True, max_num_fields=100)
    if method == "POST":
        media, charset = _media_and_charset(content_type)
        if charset not in (None, "utf-8", "utf8"):
            raise HTTPError(400, f"request bodies must be UTF-8, not {charset}")
        if media == "application/sparql-update":
            raise HTTPError(403, "read-only endpoint: SPARQL Update is refused")
        if media == "application/x-www-form-urlencoded":
            for key, values in _parse_form(body or b"").items():
                params.setdefault(key, []).extend(values)
        elif media == "application/sparql-query":
            if "query" in params:
                raise HTTPError(400, "a direct POST carries the query in its body, not in ?query=")
            try:
                params["query"] = [(body or b"").decode("utf-8")]
            except UnicodeDecodeError:
                raise HTTPError(400, "the query body is not valid UTF-8") from None
        elif not media:
            raise HTTPError(415, "a POST needs a Content-Type: application/sparql-query or "
                                 "application/x-www-form-urlencoded")
        else:
            raise HTTPError(415, f"unsupported Content-Type {media} (use application/sparql-query "
                                 "or application/x-www-form-urlencoded)")
    if params.get("update") or "using-graph-uri" in params or "using-named-graph-uri" in params:
        raise HTTPError(403, "read-only endpoint: SPARQL Update is refused")
    query = _single(params, "query")
    if query is None:
        raise HTTPError(400, "missing query parameter (SPARQL 1.1 Protocol: ?query=...)")
    default, named = _graph_names(params, "default-graph-uri"), _graph_names(params, "named-graph-uri")
    graphs = GraphSelection(default, named) if default or named else None
    return Operation(query=query, graphs=graphs, accept=accept, fmt=_single(params, "format"))


# ---------------------------------------------------------------------------- the server


class SparqlServer(ThreadingHTTPServer):
    """A ThreadingHTTPServer holding the backend, the limits and a concurrency gate."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], backend: Backend, config: ServerConfig) -> None:
        self.backend = backend
        self.config = config
        self.gate = threading.BoundedSemaphore(config.max_concurrent)
        super().__init__(address, SparqlHandler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        shown = f"[{host}]" if ":" in str(host) else str(host)
        return f"http://{shown}:{port}/"


class SparqlHandler(BaseHTTPRequestHandler):
    """Routes, limits and error mapping; the query work is the backend's."""

    server: SparqlServer
    server_version = "diplo-kg"
    sys_version = ""
    protocol_version = "HTTP/1.1"

    # -- plumbing

    def log_message(self, format: str, *args: Any) -> None:
        if not self.server.config.quiet:
            sys.stderr.write(f"{self.address_string()} {format % args}\n")

    def _send(self, answer: Answer, head_only: bool = False) -> None:
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.media)
        self.send_header("Content-Length", str(len(answer.body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        for key, value in answer.headers.items():
            self.send_header(key, value)
        self.end_headers()
        if not head_only:
            self.wfile.write(answer.body)

    def _error(self, error: HTTPError) -> None:
        reason = clean_reason(error.reason)
        body = (f"{error.status} {HTTPStatus(error.status).phrase}: {reason}\n").encode()
        headers = dict(error.headers)
        if error.status in (411, 413, 415):
            self.close_connection = True
            headers["Connection"] = "close"
        self._send(Answer(body, "text/plain; charset=utf-8", error.status, headers))

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding"):
            raise HTTPError(411, "send a Content-Length (chunked bodies are not accepted)")
        length_text = self.headers.get("Content-Length")
        if length_text is None:
            raise HTTPError(411, "a POST needs a Content-Length")
        try:
            length = int(length_text)
        except ValueError:
            raise HTTPError(400, "invalid Content-Length") from None
        if length < 0:
            raise HTTPError(400, "invalid Content-Length")
        if length > self.server.config.max_body:
            raise HTTPError(413, f"request body larger than {self.server.config.max_body} bytes")
        return self.rfile.read(length)

    def _check_host(self) -> None:
        host = self.server.server_address[0]
        if str(host) not in LOOPBACK_NAMES and not str(host).startswith("127."):
            return
        given = (self.headers.get("Host") or "").strip().lower()
        name = given.rsplit(":", 1)[0] if not given.endswith("]") else given
        if name and name not in LOOPBACK_NAMES and not name.startswith("127."):
            raise HTTPError(421, "unexpected Host header for a server bound to loopback")

    def _dispatch(self, method: str) -> None:
        try:
            self._check_host()
            split = urllib.parse.urlsplit(self.path)
            route = ROUTES.get(split.path.rstrip("/") or "/")
            if split.path.startswith("/static/"):
                route = _static
            if route is None:
                raise HTTPError(404, "no such page (try / or /sparql)")
            answer = route(self, method, split.query)
            self._send(answer, head_only=method == "HEAD")
        except HTTPError as error:
            self._error(error)
        except QueryTimeout:
            self._error(HTTPError(503, f"query stopped after the time limit of "
                                       f"{self.server.config.timeout:g} s",
                                  {"Retry-After": "1"}))
        except InputError as exc:
            status = 403 if "read-only" in exc.message else 400
            self._error(HTTPError(status, exc.one_line() if exc.line else exc.message))
        except KGError as exc:
            self._error(HTTPError(500, exc.message))
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception:  # never a traceback to the client
            traceback.print_exc(file=sys.stderr)
            self._error(HTTPError(500, "internal error"))

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_HEAD(self) -> None:
        self._dispatch("HEAD")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def _refuse(self) -> None:
        if self.headers.get("Content-Length"):
            with contextlib.suppress(ValueError, OSError):
                length = int(self.headers["Content-Length"])
                if 0 < length <= self.server.config.max_body:
                    self.rfile.read(length)
        self._error(HTTPError(405, "read-only server: only GET, HEAD and POST",
                              {"Allow": "GET, HEAD, POST"}))

    do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _refuse

    # -- the query work shared by /sparql and /graph

    def run(self, operation: Operation) -> QueryResult:
        config = self.server.config
        deadline = time.monotonic() + config.timeout  # the whole request: wait, parse, run
        if not self.server.gate.acquire(timeout=config.timeout):
            raise HTTPError(503, "too many queries at once; retry", {"Retry-After": "2"})
        # relative IRIs resolve against the endpoint (the service's base IRI); on line 1, so
        # positions in later errors stay those of the text the client sent
        sparql = f"BASE <{self.server.url}sparql> {operation.query}"
        try:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise QueryTimeout("no time left")
            # at most max_rows + 1 rows come back: the cut is made while the answer streams
            return self.server.backend.query(sparql, None, remaining, graphs=operation.graphs,
                                             max_rows=config.max_rows)
        finally:
            self.server.gate.release()

    def operation(self, method: str, url_query: str) -> Operation:
        if method == "HEAD":
            method = "GET"
        body = self._body() if method == "POST" else None
        return parse_protocol(method, url_query, self.headers.get("Content-Type"), body,
                              self.headers.get("Accept"))


# ---------------------------------------------------------------------------- routes


def _sparql(handler: SparqlHandler, method: str, url_query: str) -> Answer:
    operation = handler.operation(method, url_query)
    result = handler.run(operation)  # parsed and vetted by the backend, within the time limit
    fmt = negotiate(operation.accept, result.form in ("CONSTRUCT", "DESCRIBE"), operation.fmt)
    answer = render(result, fmt, handler.server.config.max_rows)
    answer.headers["Vary"] = "Accept"
    return answer


def _graph_page(handler: SparqlHandler, method: str, url_query: str) -> Answer:
    operation = handler.operation(method, url_query)
    result = handler.run(operation)
    form = result.form
    if form not in ("CONSTRUCT", "DESCRIBE"):
        raise HTTPError(400, f"/graph draws CONSTRUCT or DESCRIBE results, not {form}")
    result, truncated = _capped(result, handler.server.config.max_rows)
    assert result.graph is not None
    from kg.network import project
    from kg.visualize import render_html

    title = f"{form} result: {len(result.graph)} triples" + (" (truncated)" if truncated else "")
    page = render_html(project(result.graph), title=title)
    headers = {"Content-Security-Policy": GRAPH_CSP}
    if truncated:
        headers.update({"X-Result-Truncated": "true",
                        "X-Result-Limit": str(handler.server.config.max_rows)})
    return Answer(page.encode("utf-8"), "text/html; charset=utf-8", headers=headers)


@cache
def _asset(name: str) -> bytes:
    return (resources.files("kg") / "static" / name).read_bytes()


def _static(handler: SparqlHandler, method: str, url_query: str) -> Answer:
    name = urllib.parse.urlsplit(handler.path).path[len("/static/"):]
    if method == "POST" or name not in STATIC_FILES:
        raise HTTPError(404, "no such file")
    return Answer(_asset(name), STATIC_FILES[name], headers={"Cache-Control": "max-age=3600"})


def _explorer(handler: SparqlHandler, method: str, url_query: str) -> Answer:
    if method == "POST":
        raise HTTPError(405, "the explorer page is read with GET", {"Allow": "GET, HEAD"})
    return Answer(_asset("explorer.html"), "text/html; charset=utf-8",
                  headers={"Content-Security-Policy": PAGE_CSP})


def queries_document() -> list[dict[str, object]]:
    """The named queries as JSON-ready records for the explorer."""
    return [{"name": q.name, "title": q.title, "question": q.question, "returns": q.returns,
             "params": list(q.params), "text": q.text} for q in load_queries().values()]


def _queries(handler: SparqlHandler, method: str, url_query: str) -> Answer:
    body = json.dumps(queries_document(), ensure_ascii=False, indent=1).encode("utf-8")
    return Answer(body, "application/json; charset=utf-8")


ROUTES: dict[str, Callable[[SparqlHandler, str, str], Answer]] = {
    "/": _explorer,
    "/sparql": _sparql,
    "/graph": _graph_page,
    "/queries.json": _queries,
}


# ---------------------------------------------------------------------------- running


def make_server(backend: Backend, host: str = "127.0.0.1", port: int = 8000,
                config: ServerConfig | None = None) -> SparqlServer:
    """A bound (not yet serving) server; port 0 picks a free port (see ``server.url``)."""
    try:
        return SparqlServer((host, port), backend, config or ServerConfig())
    except OSError as exc:
        raise KGError(f"cannot listen on {host}:{port} ({exc.strerror or exc})") from None


@contextlib.contextmanager
def running(backend: Backend, host: str = "127.0.0.1", port: int = 0,
            config: ServerConfig | None = None) -> Iterator[SparqlServer]:
    """A server serving in a background thread for the duration of a ``with`` block."""
    server = make_server(backend, host, port, config)
    thread = threading.Thread(target=server.serve_forever, name="kg-serve", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def serve(backend: Backend, host: str = "127.0.0.1", port: int = 8000,
          config: ServerConfig | None = None,
          announce: Callable[[str], None] | None = None) -> None:
    """Serve until interrupted (Ctrl-C), then close the server and the backend."""
    server = make_server(backend, host, port, config)
    if announce:
        announce(f"serving {backend.label} at {server.url} (SPARQL endpoint {server.url}sparql); "
                 "Ctrl-C stops")
        if host not in LOOPBACK_NAMES and not host.startswith("127."):
            announce(f"warning: listening on {host}, not loopback: anyone who can reach this "
                     "address can read the whole graph")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        backend.close()


__all__ = [
    "Answer",
    "HTTPError",
    "ServerConfig",
    "SparqlServer",
    "make_server",
    "negotiate",
    "parse_protocol",
    "queries_document",
    "render",
    "running",
    "serve",
]
