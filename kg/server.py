"""``kg serve``: a local, read-only SPARQL 1.1 Protocol endpoint and a query explorer page.

Routes (a WSGI application on waitress, see :mod:`kg.httpd`; binds 127.0.0.1 by default):

- ``/sparql``: the SPARQL 1.1 Protocol query operation: ``GET ?query=``, ``POST`` form-encoded
  (``application/x-www-form-urlencoded``) and ``POST`` direct (``application/sparql-query``,
  UTF-8). Protocol ``default-graph-uri`` / ``named-graph-uri`` choose among the graphs the
  server holds (never dereferenced). Results by content negotiation (``Accept``), or a
  ``format=`` parameter: JSON (default), XML, CSV, TSV for SELECT/ASK; Turtle (default),
  N-Triples, JSON-LD, RDF/XML for CONSTRUCT/DESCRIBE (``format=xml`` / ``json`` mean RDF/XML /
  JSON-LD for those, as SPARQLWrapper sends them). A ``format`` given more than once (URL and
  form body, or ``format``/``output``/``results`` as SPARQLWrapper repeats it) is accepted when
  every value names the same format.
- ``/``: the explorer (YASGUI, vendored under ``kg/static/``, with the named queries as
  examples); ``/queries.json``: the named queries; ``/graph?query=``: a CONSTRUCT/DESCRIBE result
  drawn by :func:`kg.visualize.render_html`; ``/static/<file>``: the page's assets.

Read-only and bounded:

- every update is refused with 403 (``update=`` parameters, ``application/sparql-update``
  bodies, update text sent as a query), as are ``SERVICE`` and ``FROM`` / ``FROM NAMED``; the
  data cannot change (the backends only ever run vetted read-only queries);
- each query is parsed, vetted and run in one of the backend's reused worker processes, killed
  at the time limit, which covers the whole request (503, ``Retry-After``; the backend is safe
  to share between request threads; at most ``WORKERS_PER_BACKEND`` queries run at once, others
  wait for a worker within their time limit);
- at most ``max_rows`` rows (or triples) are returned; a cut result carries the headers
  ``X-Result-Truncated: true`` and ``X-Result-Limit: N``, and JSON results also
  ``"head": {"truncated": true, "limit": N}`` (CSV/TSV/XML bodies stay standard);
- request bodies above ``max_body`` bytes get 413; bad requests get 400, every error one line
  of plain text (never HTML, a traceback or a file path), waitress's own included; a ``Host``
  header that is not exactly a loopback name (with our port or none) gets 421 while bound to
  loopback (DNS rebinding); idle connections and requests sent too slowly are closed.
"""

from __future__ import annotations

import contextlib
import json
import re
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources

import pyoxigraph as ox
from rdflib import Graph, URIRef

from kg.errors import InputError, KGError, QueryTimeout, ReadOnlyRefusal
from kg.httpd import (
    Answer,
    HTTPError,
    HTTPSettings,
    LocalServer,
    Request,
    clean_reason,
    parse_form,
    wsgi_app,
)
from kg.httpd import (
    running as httpd_running,
)
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
    "rdfxml": "application/rdf+xml; charset=utf-8",
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
    "application/rdf+xml": "rdfxml", "application/xml": "rdfxml", "text/xml": "rdfxml",
}
FORMAT_ALIASES: dict[str, str] = {"nt": "ntriples", "n-triples": "ntriples", "ttl": "turtle",
                                  "json-ld": "jsonld", "rdf": "rdfxml", "rdf/xml": "rdfxml"}
#: what a generic format name means for a CONSTRUCT/DESCRIBE (SPARQLWrapper sends format=xml)
GRAPH_FORMAT_ALIASES: dict[str, str] = {"xml": "rdfxml", "json": "jsonld"}
#: parameters that name the result format (SPARQLWrapper repeats it under all three)
FORMAT_PARAMS = ("format", "output", "results")
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
_IRI_BAD = re.compile(r'[\s<>"{}|^`\\]')


@dataclass(frozen=True)
class ServerConfig:
    """Limits of ``kg serve``."""

    timeout: float = 30.0
    max_rows: int = 10_000
    max_body: int = 1_000_000
    max_concurrent: int = 8  # = kg.query.WORKERS_PER_BACKEND
    quiet: bool = False
    #: seconds an open connection may wait for its next request
    idle_timeout: int = 10
    #: seconds a client has to send one whole request
    request_timeout: int = 20

    def __post_init__(self) -> None:
        if not 0 < self.timeout < float("inf"):
            raise InputError(f"--timeout must be a positive number of seconds, not {self.timeout}")
        if self.max_rows < 1 or self.max_body < 1 or self.max_concurrent < 1:
            raise InputError("--max-rows and the request limits must be at least 1")
        if self.idle_timeout < 1 or self.request_timeout < 1:
            raise InputError("the connection timeouts must be at least 1 second")

    def http(self) -> HTTPSettings:
        """The waitress settings: a few threads beyond the query slots for pages and errors."""
        return HTTPSettings(threads=self.max_concurrent + 4, max_body=self.max_body,
                            idle_timeout=self.idle_timeout, request_timeout=self.request_timeout)


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
        if graph:
            name = GRAPH_FORMAT_ALIASES.get(name, name)
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
    if fmt == "rdfxml":  # Oxigraph's writer (rdflib's pretty-xml can write unbound prefixes)
        triples = ox.parse(graph.serialize(format="nt", encoding="utf-8"),
                           format=ox.RdfFormat.N_TRIPLES)
        return ox.serialize(triples, format=ox.RdfFormat.RDF_XML).decode("utf-8")
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
    try:
        return _render(result, fmt, max_rows)
    except UnicodeEncodeError:  # a lone surrogate the query made ("\\uD800" in a literal)
        raise HTTPError(400, "the result holds a lone surrogate (not valid Unicode text); "
                             "fix the query's \\u escapes") from None


def _render(result: QueryResult, fmt: str, max_rows: int) -> Answer:
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


# ---------------------------------------------------------------------------- requests


def _single(params: Mapping[str, list[str]], name: str) -> str | None:
    values = params.get(name, [])
    if len(values) > 1:
        raise HTTPError(400, f"give the {name} parameter once, not {len(values)} times")
    return values[0] if values else None


def _format(params: Mapping[str, list[str]]) -> str | None:
    """The result format asked for by parameter: ``format``, ``output`` or ``results``, each
    maybe repeated (SPARQLWrapper sends all three, in the URL and the body); all must agree."""
    given = {value.strip().lower() for name in FORMAT_PARAMS for value in params.get(name, [])}
    given.discard("")
    if len(given) > 1:
        raise HTTPError(400, f"conflicting result formats asked for: {', '.join(sorted(given))}")
    return given.pop() if given else None


def _graph_names(params: Mapping[str, list[str]], name: str) -> tuple[URIRef, ...]:
    names = []
    for value in params.get(name, []):
        parsed = urllib.parse.urlsplit(value)
        if not parsed.scheme or _IRI_BAD.search(value):
            raise HTTPError(400, f"{name} must be an absolute IRI")
        names.append(URIRef(value))
    return tuple(names)


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
    params = parse_form(url_query.encode("latin-1", "replace"), what="URL query", strict=False)
    if method == "POST":
        media, charset = _media_and_charset(content_type)
        if charset not in (None, "utf-8", "utf8"):
            raise HTTPError(400, f"request bodies must be UTF-8, not {charset}")
        if media == "application/sparql-update":
            raise HTTPError(403, "read-only endpoint: SPARQL Update is refused")
        if media == "application/x-www-form-urlencoded":
            for key, values in parse_form(body or b"").items():
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
    return Operation(query=query, graphs=graphs, accept=accept, fmt=_format(params))


# ---------------------------------------------------------------------------- the server


class SparqlServer:
    """The endpoint: a bound waitress server (:class:`kg.httpd.LocalServer`) with the backend,
    the limits and a gate of ``max_concurrent`` query slots."""

    def __init__(self, address: tuple[str, int], backend: Backend, config: ServerConfig) -> None:
        self.backend = backend
        self.config = config
        self.gate = threading.BoundedSemaphore(config.max_concurrent)
        log = None if config.quiet else (lambda line: print(line, file=sys.stderr, flush=True))
        self.http = LocalServer(wsgi_app(self.handle, allowed=lambda: self.http.allowed,
                                         on_error=self._http_error, log=log),
                                address[0], address[1], config.http())
        self.server_address = self.http.server_address

    @property
    def url(self) -> str:
        return self.http.url

    def serve_forever(self) -> None:
        self.http.serve_forever()

    def shutdown(self) -> None:
        self.http.shutdown()

    def server_close(self) -> None:
        self.http.server_close()

    # -- requests

    def handle(self, request: Request) -> Answer:
        route = ROUTES.get(request.path.rstrip("/") or "/")
        if request.path.startswith("/static/"):
            route = _static
        if request.method not in ("GET", "HEAD", "POST"):
            if route is None:
                raise HTTPError(404, "no such page (try / or /sparql)")
            raise HTTPError(405, "read-only server: only GET, HEAD and POST",
                            {"Allow": "GET, HEAD, POST"})
        if route is None:
            raise HTTPError(404, "no such page (try / or /sparql)")
        return route(self, request)

    def _http_error(self, exc: Exception) -> HTTPError | None:
        """Our exceptions as HTTP errors (anything else is a bare 500)."""
        if isinstance(exc, QueryTimeout):
            return HTTPError(503, f"query stopped after the time limit of "
                                  f"{self.config.timeout:g} s", {"Retry-After": "1"})
        if isinstance(exc, InputError):
            status = 403 if isinstance(exc, ReadOnlyRefusal) else 400
            return HTTPError(status, exc.one_line() if exc.line else exc.message)
        if isinstance(exc, KGError):
            return HTTPError(500, exc.message)
        return None

    def operation(self, request: Request) -> Operation:
        method = "GET" if request.method == "HEAD" else request.method
        body = request.body(self.config.max_body) if method == "POST" else None
        return parse_protocol(method, request.query, request.headers.get("content-type"), body,
                              request.headers.get("accept"))

    # -- the query work shared by /sparql and /graph

    def run(self, operation: Operation) -> QueryResult:
        config = self.config
        deadline = time.monotonic() + config.timeout  # the whole request: wait, parse, run
        if not self.gate.acquire(timeout=config.timeout):
            raise HTTPError(503, "too many queries at once; retry", {"Retry-After": "2"})
        # relative IRIs resolve against the endpoint (the service's base IRI); on line 1, so
        # positions in later errors stay those of the text the client sent
        sparql = f"BASE <{self.url}sparql> {operation.query}"
        try:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise QueryTimeout("no time left")
            # at most max_rows + 1 rows come back: the cut is made while the answer streams
            return self.backend.query(sparql, None, remaining, graphs=operation.graphs,
                                      max_rows=config.max_rows)
        finally:
            self.gate.release()


# ---------------------------------------------------------------------------- routes


def _sparql(server: SparqlServer, request: Request) -> Answer:
    operation = server.operation(request)
    result = server.run(operation)  # parsed and vetted by the backend, within the time limit
    fmt = negotiate(operation.accept, result.form in ("CONSTRUCT", "DESCRIBE"), operation.fmt)
    answer = render(result, fmt, server.config.max_rows)
    answer.headers["Vary"] = "Accept"
    return answer


def _graph_page(server: SparqlServer, request: Request) -> Answer:
    operation = server.operation(request)
    result = server.run(operation)
    form = result.form
    if form not in ("CONSTRUCT", "DESCRIBE"):
        raise HTTPError(400, f"/graph draws CONSTRUCT or DESCRIBE results, not {form}")
    result, truncated = _capped(result, server.config.max_rows)
    assert result.graph is not None
    from kg.network import project
    from kg.visualize import render_html

    title = f"{form} result: {len(result.graph)} triples" + (" (truncated)" if truncated else "")
    page = render_html(project(result.graph), title=title)
    headers = {"Content-Security-Policy": GRAPH_CSP}
    if truncated:
        headers.update({"X-Result-Truncated": "true",
                        "X-Result-Limit": str(server.config.max_rows)})
    return Answer(page.encode("utf-8"), "text/html; charset=utf-8", headers=headers)


@cache
def _asset(name: str) -> bytes:
    return (resources.files("kg") / "static" / name).read_bytes()


def _static(server: SparqlServer, request: Request) -> Answer:
    name = request.path[len("/static/"):]
    if request.method == "POST" or name not in STATIC_FILES:
        raise HTTPError(404, "no such file")
    return Answer(_asset(name), STATIC_FILES[name], headers={"Cache-Control": "max-age=3600"})


def _explorer(server: SparqlServer, request: Request) -> Answer:
    if request.method == "POST":
        raise HTTPError(405, "the explorer page is read with GET", {"Allow": "GET, HEAD"})
    return Answer(_asset("explorer.html"), "text/html; charset=utf-8",
                  headers={"Content-Security-Policy": PAGE_CSP})


def queries_document() -> list[dict[str, object]]:
    """The named queries as JSON-ready records for the explorer."""
    return [{"name": q.name, "title": q.title, "question": q.question, "returns": q.returns,
             "params": list(q.params), "text": q.text} for q in load_queries().values()]


def _queries(server: SparqlServer, request: Request) -> Answer:
    body = json.dumps(queries_document(), ensure_ascii=False, indent=1).encode("utf-8")
    return Answer(body, "application/json; charset=utf-8")


ROUTES: dict[str, Callable[[SparqlServer, Request], Answer]] = {
    "/": _explorer,
    "/sparql": _sparql,
    "/graph": _graph_page,
    "/queries.json": _queries,
}


# ---------------------------------------------------------------------------- running


def make_server(backend: Backend, host: str = "127.0.0.1", port: int = 8000,
                config: ServerConfig | None = None) -> SparqlServer:
    """A bound (not yet serving) server; port 0 picks a free port (see ``server.url``)."""
    return SparqlServer((host, port), backend, config or ServerConfig())


@contextlib.contextmanager
def running(backend: Backend, host: str = "127.0.0.1", port: int = 0,
            config: ServerConfig | None = None) -> Iterator[SparqlServer]:
    """A server serving in a background thread for the duration of a ``with`` block."""
    with httpd_running(make_server(backend, host, port, config)) as server:
        yield server


def serve(backend: Backend, host: str = "127.0.0.1", port: int = 8000,
          config: ServerConfig | None = None,
          announce: Callable[[str], None] | None = None) -> None:
    """Serve until interrupted (Ctrl-C), then close the server and the backend."""
    server = make_server(backend, host, port, config)
    if announce:
        announce(f"serving {backend.label} at {server.url} (SPARQL endpoint {server.url}sparql); "
                 "Ctrl-C stops")
        if server.http.allowed is None:
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
    "clean_reason",
    "make_server",
    "negotiate",
    "parse_protocol",
    "queries_document",
    "render",
    "running",
    "serve",
]
