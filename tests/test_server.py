"""``kg serve`` as clients use it: SPARQLWrapper and urllib against a real local server;
read-only, bounded, clean errors; the explorer page in headless Chromium."""

from __future__ import annotations

import contextlib
import csv
import http.client
import http.server
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph

from kg.query import load_queries
from kg.server import ServerConfig, SparqlServer, clean_reason, running
from kg.store import Backend, open_backend
from tests.conftest import EXPORTS, ROOT

GRAPH_FILE = EXPORTS / "diplo-kg.trig"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
HEAVY_QUERY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def backend() -> Backend:
    return open_backend("rdflib", GRAPH_FILE)


@pytest.fixture(scope="module")
def server(backend: Backend) -> Iterator[SparqlServer]:
    with running(backend, config=ServerConfig(quiet=True, max_body=20_000)) as srv:
        yield srv


def request(server: SparqlServer, method: str, path: str, body: bytes | None = None,
            headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """A raw HTTP request (http.client: no header is added behind our back)."""
    host, port = server.server_address[:2]
    connection = http.client.HTTPConnection(str(host), int(port), timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def get(server: SparqlServer, query: str, accept: str | None = None,
        extra: str = "") -> tuple[int, dict[str, str], bytes]:
    headers = {"Accept": accept} if accept else {}
    return request(server, "GET", "/sparql?" + urllib.parse.urlencode({"query": query}) + extra,
                   headers=headers)


def triple_count(server: SparqlServer) -> int:
    status, _, body = get(server, COUNT)
    assert status == 200
    return int(json.loads(body)["results"]["bindings"][0]["n"]["value"])


# ---------------------------------------------------------------------------- real clients


def test_sparqlwrapper_select_ask_and_construct(server: SparqlServer) -> None:
    from SPARQLWrapper import JSON, TURTLE, SPARQLWrapper

    client = SPARQLWrapper(server.url + "sparql")
    client.setQuery(load_queries()["who-met-whom"].text)
    client.setReturnFormat(JSON)
    rows = client.query().convert()["results"]["bindings"]  # type: ignore[index]
    assert rows and {"actorA", "actorB", "event"} <= set(rows[0])

    client.setQuery("PREFIX dkg: <https://w3id.org/diplo-kg/ontology#> "
                    "ASK { ?thing dkg:assertedBy ?claim }")
    assert client.query().convert()["boolean"] is True  # type: ignore[index]

    client.setMethod("POST")
    client.setQuery(load_queries()["fact-graph"].text)
    client.setReturnFormat(TURTLE)
    graph = Graph().parse(data=client.query().convert(), format="turtle")  # type: ignore[arg-type]
    assert len(graph) > 10


def test_urllib_get_post_form_and_post_direct_agree(server: SparqlServer) -> None:
    query = load_queries()["claims-by-source"].text
    endpoint = server.url + "sparql"
    accept = {"Accept": "application/sparql-results+json"}
    answers = []
    for req in (
        urllib.request.Request(endpoint + "?" + urllib.parse.urlencode({"query": query}),
                               headers=accept),
        urllib.request.Request(endpoint, data=urllib.parse.urlencode({"query": query}).encode(),
                               headers={**accept, "Content-Type": "application/x-www-form-urlencoded"}),
        urllib.request.Request(endpoint, data=query.encode("utf-8"),
                               headers={**accept, "Content-Type": "application/sparql-query"}),
    ):
        with urllib.request.urlopen(req, timeout=30) as response:
            assert response.headers["Content-Type"].startswith("application/sparql-results+json")
            answers.append(json.loads(response.read()))
    assert answers[0] == answers[1] == answers[2]
    assert answers[0]["results"]["bindings"]


@pytest.mark.parametrize(("accept", "media"), [
    ("application/sparql-results+json", "application/sparql-results+json"),
    ("application/sparql-results+xml", "application/sparql-results+xml"),
    ("text/csv", "text/csv"),
    ("text/tab-separated-values", "text/tab-separated-values"),
    ("text/html,application/xhtml+xml,*/*;q=0.8", "application/sparql-results+json"),
    ("text/csv;q=0.5, application/sparql-results+xml", "application/sparql-results+xml"),
])
def test_select_results_are_negotiated(server: SparqlServer, accept: str, media: str) -> None:
    status, headers, body = get(server, load_queries()["who-met-whom"].text, accept)
    assert status == 200
    assert headers["content-type"].startswith(media)
    assert "accept" in headers["vary"].lower()
    if media == "text/csv":
        rows = list(csv.reader(io.StringIO(body.decode())))
        assert rows[0][:2] == ["actorA", "actorB"] and len(rows) > 1


@pytest.mark.parametrize(("accept", "media", "rdf_format"), [
    ("text/turtle", "text/turtle", ox.RdfFormat.TURTLE),
    ("application/n-triples", "application/n-triples", ox.RdfFormat.N_TRIPLES),
    ("application/ld+json", "application/ld+json", ox.RdfFormat.JSON_LD),
    (None, "text/turtle", ox.RdfFormat.TURTLE),
])
def test_graph_results_are_negotiated(server: SparqlServer, accept: str | None, media: str,
                                      rdf_format: ox.RdfFormat) -> None:
    status, headers, body = get(server, load_queries()["fact-graph"].text, accept)
    assert status == 200 and headers["content-type"].startswith(media)
    assert len(list(ox.parse(body, format=rdf_format))) > 10


def test_an_unacceptable_media_type_is_406(server: SparqlServer) -> None:
    status, _, body = get(server, "ASK {}", "image/png")
    assert status == 406 and b"offered" in body


# ---------------------------------------------------------------------------- read-only

UPDATES = [
    "INSERT DATA { <http://example.org/s> <http://example.org/p> <http://example.org/o> }",
    "DELETE DATA { <http://example.org/s> <http://example.org/p> <http://example.org/o> }",
    "DELETE WHERE { ?s ?p ?o }",
    "LOAD <http://127.0.0.1:9/data.ttl>",
    "CLEAR ALL",
    "DROP ALL",
    "CREATE GRAPH <http://example.org/g>",
    "ADD DEFAULT TO <http://example.org/g>",
    "MOVE <https://w3id.org/diplo-kg/id/graph/entities> TO DEFAULT",
    "COPY <https://w3id.org/diplo-kg/id/graph/entities> TO <http://example.org/g>",
    "WITH <http://example.org/g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
]


@pytest.mark.parametrize("update", UPDATES)
def test_every_update_form_is_refused_and_the_data_is_unchanged(
        server: SparqlServer, update: str) -> None:
    before = triple_count(server)
    attempts = [
        request(server, "POST", "/sparql", urllib.parse.urlencode({"update": update}).encode(),
                {"Content-Type": "application/x-www-form-urlencoded"}),
        request(server, "POST", "/sparql", update.encode(),
                {"Content-Type": "application/sparql-update"}),
        request(server, "GET", "/sparql?" + urllib.parse.urlencode({"update": update})),
        request(server, "POST", "/sparql", update.encode(),
                {"Content-Type": "application/sparql-query"}),
        get(server, update),
    ]
    for status, _, _ in attempts:
        assert status == 403
    assert triple_count(server) == before


def test_a_syntax_error_that_quotes_read_only_is_400_not_403(server: SparqlServer) -> None:
    """The status comes from the kind of refusal, not from the words of its message."""
    status, _, body = get(server, "SELECT * WHERE { ?s ?p ?o } read-only")
    assert status == 400 and b"syntax error" in body


def test_sparqlwrapper_update_is_refused(server: SparqlServer) -> None:
    from SPARQLWrapper import POST, SPARQLWrapper

    before = triple_count(server)
    client = SPARQLWrapper(server.url + "sparql", updateEndpoint=server.url + "sparql")
    client.setMethod(POST)
    client.setQuery("CLEAR ALL")
    with pytest.raises(urllib.error.HTTPError) as error:
        client.query()
    assert error.value.code == 403
    error.value.close()  # its socket, else a ResourceWarning whenever the garbage collector runs
    assert triple_count(server) == before


class _Canary(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []  # noqa: RUF012 - shared on purpose: the test reads it

    def do_GET(self) -> None:
        self.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/turtle")
        self.end_headers()
        self.wfile.write(b"<http://example.org/canary> <http://example.org/p> 1 .\n")

    do_POST = do_GET

    def log_message(self, format: str, *args: object) -> None:
        return None


@contextlib.contextmanager
def canary() -> Iterator[str]:
    """An HTTP server that records every request it gets."""
    _Canary.hits = []
    httpd = http.server.HTTPServer(("127.0.0.1", 0), _Canary)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/canary.ttl"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


def test_service_from_and_protocol_datasets_never_fetch_anything(
        server: SparqlServer, tmp_path: Path) -> None:
    secret = tmp_path / "secret.ttl"
    secret.write_text("<http://example.org/secret> <http://example.org/p> 1 .\n", encoding="utf-8")
    with canary() as url:
        refused = [
            f"SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
            f"SELECT * FROM <{url}> WHERE {{ ?s ?p ?o }}",
            f"SELECT * FROM NAMED <{url}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
            f"SELECT * FROM <{secret.as_uri()}> WHERE {{ ?s ?p ?o }}",
        ]
        for query in refused:
            status, _, body = get(server, query)
            assert status == 403, query
            assert b"secret" not in body
        status, _, body = get(server, "SELECT * WHERE { ?s ?p ?o }",
                              extra="&" + urllib.parse.urlencode({"default-graph-uri": url}))
        assert status == 200 and json.loads(body)["results"]["bindings"] == []
        status, _, body = get(server, "SELECT * WHERE { ?s ?p ?o }", extra="&" + urllib.parse.urlencode(
            {"default-graph-uri": secret.as_uri()}))
        assert status == 200 and json.loads(body)["results"]["bindings"] == []
        assert _Canary.hits == []


# ---------------------------------------------------------------------------- limits


def test_a_runaway_query_gets_503_and_the_server_keeps_serving(backend: Backend) -> None:
    with running(backend, config=ServerConfig(quiet=True, timeout=1.0)) as srv:
        status, headers, body = get(srv, HEAVY_QUERY)
        assert status == 503 and "retry-after" in headers
        assert b"time limit" in body
        assert get(srv, "ASK {}")[0] == 200


def test_the_row_cap_is_signalled_not_silent(backend: Backend) -> None:
    with running(backend, config=ServerConfig(quiet=True, max_rows=5)) as srv:
        status, headers, body = get(srv, "SELECT * WHERE { ?s ?p ?o }")
        assert status == 200
        assert headers["x-result-truncated"] == "true" and headers["x-result-limit"] == "5"
        document = json.loads(body)
        assert len(document["results"]["bindings"]) == 5
        assert document["head"]["truncated"] is True
        status, headers, body = get(srv, "SELECT * WHERE { ?s ?p ?o }", "text/csv")
        assert headers["x-result-truncated"] == "true" and len(body.decode().splitlines()) == 6
        status, headers, body = get(srv, "CONSTRUCT WHERE { ?s ?p ?o }", "application/n-triples")
        assert headers["x-result-truncated"] == "true" and len(body.decode().splitlines()) == 5
        status, headers, _ = get(srv, "SELECT * WHERE { ?s ?p ?o } LIMIT 5")
        assert "x-result-truncated" not in headers


def test_a_large_body_is_413(server: SparqlServer) -> None:
    big = ("SELECT * WHERE { ?s ?p ?o } #" + "x" * 30_000).encode()
    status, _, _ = request(server, "POST", "/sparql", big,
                           {"Content-Type": "application/sparql-query"})
    assert status == 413


@pytest.mark.parametrize(("method", "path", "body", "headers", "status"), [
    ("GET", "/sparql?query=SELECT%20*%20WHERE%20%7B", None, {}, 400),
    ("GET", "/sparql?query=SELECT%20*%20WHERE%20%7B%20?s%20nope:p%20?o%20%7D", None, {}, 400),
    ("GET", "/sparql", None, {}, 400),
    ("GET", "/sparql?query=ASK%7B%7D&query=ASK%7B%7D", None, {}, 400),
    ("POST", "/sparql", b"ASK {}", {"Content-Type": "text/plain"}, 415),
    ("POST", "/sparql", b"ASK {}", {}, 415),
    ("POST", "/sparql", "ASK {}".encode("utf-16"),
     {"Content-Type": "application/sparql-query; charset=UTF-16"}, 400),
    ("POST", "/sparql", b"ASK { \xff }", {"Content-Type": "application/sparql-query"}, 400),
    ("GET", "/sparql?query=ASK%7B%7D&default-graph-uri=not%20an%20iri", None, {}, 400),
    ("GET", "/nothing-here", None, {}, 404),
    ("GET", "/static/../server.py", None, {}, 404),
    ("GET", "/static/graph.js", None, {}, 404),
    ("PUT", "/sparql", b"<a> <b> <c> .", {"Content-Type": "text/turtle"}, 405),
    ("DELETE", "/sparql", None, {}, 405),
    ("GET", "/sparql?query=ASK%7B%7D", None, {"Host": "evil.example:8000"}, 421),
])
def test_bad_requests_get_a_clean_one_line_error(server: SparqlServer, method: str, path: str,
                                                 body: bytes | None, headers: dict[str, str],
                                                 status: int) -> None:
    got, response_headers, text = request(server, method, path, body, headers)
    assert got == status
    assert response_headers["content-type"].startswith("text/plain")
    message = text.decode("utf-8")
    assert len(message.strip().splitlines()) == 1
    assert "Traceback" not in message and str(ROOT) not in message and "/tmp" not in message


def test_a_syntax_error_says_where(server: SparqlServer) -> None:
    status, _, body = get(server, "SELECT * WHERE {\n  ?s ?p\n}")
    assert status == 400 and re.search(rb"<query>:2:\d+: SPARQL syntax error", body)


# ---------------------------------------------------------------------------- pages


def test_the_explorer_page_is_local_and_lists_the_named_queries(server: SparqlServer) -> None:
    status, headers, body = request(server, "GET", "/")
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in headers["content-security-policy"]
    page = body.decode()
    assert "http://" not in page and "https://" not in page
    status, _, body = request(server, "GET", "/queries.json")
    listed = {q["name"]: q for q in json.loads(body)}
    assert set(listed) == set(load_queries())
    assert all(q["text"] and q["title"] for q in listed.values())
    for name in ("yasgui.min.js", "yasgui.min.css", "explorer.js", "YASGUI-LICENSE.txt"):
        assert request(server, "GET", f"/static/{name}")[0] == 200


def test_the_graph_page_draws_a_construct_result(server: SparqlServer) -> None:
    query = urllib.parse.urlencode({"query": load_queries()["fact-graph"].text})
    status, headers, body = request(server, "GET", "/graph?" + query)
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in headers["content-security-policy"]
    assert b"<script" in body
    status, _, _ = request(server, "GET", "/graph?" + urllib.parse.urlencode({"query": "ASK {}"}))
    assert status == 400


def test_an_oxigraph_backed_server_answers_like_the_rdflib_one(server: SparqlServer) -> None:
    query = load_queries()["hedge-cues"].text
    oxigraph = open_backend("oxigraph", GRAPH_FILE)
    try:
        with running(oxigraph, config=ServerConfig(quiet=True)) as other:
            mine = json.loads(get(server, query)[2])["results"]["bindings"]
            theirs = json.loads(get(other, query)[2])["results"]["bindings"]
    finally:
        oxigraph.close()  # stops its query workers
    def rows(bindings: list[dict[str, dict[str, str]]]) -> set[str]:
        return {json.dumps(b, sort_keys=True) for b in bindings}
    assert rows(mine) == rows(theirs) and mine


def test_kg_serve_runs_until_interrupted() -> None:
    command = [sys.executable, "-m", "kg.cli", "serve", "--port", "0", "--graph", str(GRAPH_FILE),
               "--timeout", "10"]
    process = subprocess.Popen(command, cwd=ROOT, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        assert process.stderr is not None
        line = process.stderr.readline()
        assert "serving" in line, line
        url = line.split(" at ", 1)[1].split(" ", 1)[0]
        with urllib.request.urlopen(url + "sparql?query=ASK%7B%7D", timeout=30) as response:
            assert json.loads(response.read())["boolean"] is True
        process.send_signal(signal.SIGINT)
        assert process.wait(15) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(5)
        if process.stderr is not None:
            process.stderr.close()


# ---------------------------------------------------------------------------- browser


@pytest.mark.browser
def test_the_explorer_runs_a_named_query_in_chromium(server: SparqlServer) -> None:
    if not CHROMIUM.exists() or shutil.which(str(CHROMIUM)) is None:
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium")
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--no-sandbox", "--disable-background-networking", "--disable-component-update",
            "--no-first-run"])
        try:
            page = browser.new_page()
            problems: list[str] = []
            urls: list[str] = []
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.on("request", lambda r: urls.append(r.url))
            page.goto(server.url)
            page.wait_for_selector("body[data-queries-loaded]", timeout=15_000)
            page.select_option("#named", "who-met-whom")
            page.click(".yasqe_queryButton")
            page.wait_for_selector(".yasr table tbody tr", timeout=15_000)
            assert page.locator(".yasr table tbody tr").count() == len(
                json.loads(get(server, load_queries()["who-met-whom"].text)[2])["results"]["bindings"])
            headers = page.locator(".yasr table thead th").all_inner_texts()
            column = next(i for i, h in enumerate(headers) if "actorB" in h) + 1
            cells = page.locator(f".yasr table tbody tr td:nth-child({column})")
            header = page.locator(f".yasr table thead th:nth-child({column})")
            for direction in ("ascending", "descending"):  # the table sorts on a header click
                header.click()
                page.wait_for_selector(
                    f".yasr table thead th:nth-child({column})[aria-sort={direction}]")
                values = cells.all_inner_texts()
                assert values == sorted(values, reverse=direction == "descending")
                assert len(set(values)) > 1
            page.select_option("#named", "fact-graph")
            page.click(".yasqe_queryButton")
            page.wait_for_selector("#graph:not([hidden])", timeout=15_000)
            page.frame_locator("#graph-frame").locator("canvas").first.wait_for(timeout=15_000)
            origin = server.url.rstrip("/")
            assert [u for u in urls if not u.startswith(origin)] == []
            assert problems == []
        finally:
            browser.close()


def test_error_reasons_never_show_file_paths() -> None:
    reason = clean_reason("cannot read <file:///home/me/secret.ttl>\nat /work/main/kg/x.py line 3")
    assert "secret" not in reason and "/work" not in reason and "\n" not in reason
    assert clean_reason("see https://w3id.org/diplo-kg/id/actor/x") == (
        "see https://w3id.org/diplo-kg/id/actor/x")


class _BrokenBackend:
    label = "broken"

    def query(self, sparql: str, bindings: object = None, timeout: float = 30.0,
              *, graphs: object = None, max_rows: object = None) -> None:
        raise RuntimeError(f"boom in {ROOT}/kg/store.py")

    def close(self) -> None:
        return None


def test_an_unexpected_failure_is_a_bare_500(capsys: pytest.CaptureFixture[str]) -> None:
    with running(_BrokenBackend(), config=ServerConfig(quiet=True)) as srv:  # type: ignore[arg-type]
        status, _, body = get(srv, "ASK {}")
    assert status == 500 and body == b"500 Internal Server Error: internal error\n"
    assert "RuntimeError" in capsys.readouterr().err  # the traceback goes to the server log
