"""One parser decides (issue 19, finding 1): the text an engine runs is the text rdflib vetted.

Regression: rdflib vetted a query and Oxigraph ran it, and they read the same text differently:
``\\u00000022`` is ``"`` for rdflib (8 hex digits) and NUL then ``0022`` for Oxigraph (4), and a
carriage return ends a comment for Oxigraph, not for rdflib. ``SELECT * WHERE { VALUES ?x {
"A\\u00000022 } } # " } SERVICE <http://127.0.0.1:PORT/x> { ?a ?b ?c } }`` passed vetting as a
comment and Oxigraph called the URL (``kg query --store oxigraph[:PATH]``, ``kg serve``), with
the remote rows in the answer.

A canary HTTP listener on 127.0.0.1 answers every request with one row and counts connections:
it must count none, for a corpus of attempts (escapes, comments, line breaks, unicode, ``\\U``,
mixed) on every Oxigraph entry point, GET and POST. A differential test feeds the same texts
(and generated ones) to both parsers: whatever our vetting lets through, Oxigraph's own reading
of it calls no SERVICE either. And the workers that run queries have no network, where the
system allows it.
"""

from __future__ import annotations

import contextlib
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kg.cli import main
from kg.errors import InputError
from kg.query import QueryWorker, check_query, decode_escapes, network_isolation_works
from kg.server import ServerConfig, running
from kg.store import load_store, open_backend
from tests.conftest import EXPORTS

GRAPH_FILE = EXPORTS / "diplo-kg.trig"
ROW = '{"head":{"vars":["a"]},"results":{"bindings":[{"a":{"type":"literal","value":"CANARY"}}]}}'

#: attempts to get a SERVICE clause, a LOAD, an update or FROM past the vetting; ``URL`` is the
#: canary's address
BYPASSES: tuple[str, ...] = (
    # the reported one: 8 hex digits for rdflib, 4 for Oxigraph
    'SELECT * WHERE { VALUES ?x { "A\\u00000022 } } # " } SERVICE <URL> { ?a ?b ?c } }',
    # \U with 4 digits (rdflib takes it, Oxigraph wants 8)
    'SELECT * WHERE { VALUES ?x { "A\\U0022 } } # " } SERVICE <URL> { ?a ?b ?c } }',
    # a sign among the hex digits (Rust's from_str_radix takes "+022")
    'SELECT * WHERE { VALUES ?x { "A\\u+022 } } # " } SERVICE <URL> { ?a ?b ?c } }',
    # an escaped backslash before the escape
    'SELECT * WHERE { VALUES ?x { "A\\\\u0022 } } # " } SERVICE <URL> { ?a ?b ?c } }',
    # an escape that decodes to a backslash, then u
    'SELECT * WHERE { VALUES ?x { "A\\u005Cu0022 } } # " } SERVICE <URL> { ?a ?b ?c } }',
    # the keyword, a brace, a comment sign and a line break written as escapes
    'SELECT * WHERE { ?s ?p ?o \\u0053ERVICE <URL> { ?a ?b ?c } }',
    'SELECT * WHERE { ?s ?p ?o SERVICE <URL> \\u007B ?a ?b ?c } }',
    'SELECT * WHERE { ?s ?p ?o \\u0023 x\\u000A SERVICE <URL> { ?a ?b ?c } }',
    'SELECT * WHERE { ?s ?p ?o \\U00000023 x\\U0000000A SERVICE <URL> { ?a ?b ?c } }',
    # a carriage return: the end of a comment for Oxigraph (and SPARQL), not for rdflib
    'SELECT * WHERE { ?s ?p ?o # x\rSERVICE <URL> { ?a ?b ?c } \n}',
    'SELECT * WHERE { ?s ?p ?o # x\\u000DSERVICE <URL> { ?a ?b ?c } \n}',
    # other line breaks in a comment; a string holding a comment sign
    'SELECT * WHERE { ?s ?p ?o # x\u2028SERVICE <URL> { ?a ?b ?c } \n}',
    'SELECT * WHERE { ?s ?p ?o # x\x85SERVICE <URL> { ?a ?b ?c } \n}',
    "SELECT * WHERE { ?s ?p '''#''' SERVICE <URL> { ?a ?b ?c } }",
    # a local name escape that one reader might take for a comment
    'PREFIX ex: <http://e/> SELECT * WHERE { ?s ?p ex:a\\# . SERVICE <URL> { ?a ?b ?c } }',
    # plain, silent, lower case, variable endpoint, mixed escapes in the IRI
    'SELECT * WHERE { ?s ?p ?o . SERVICE <URL> { ?a ?b ?c } }',
    'SELECT * WHERE { service silent <URL> { ?a ?b ?c } }',
    'SELECT * WHERE { BIND(<URL> AS ?u) SERVICE ?u { ?a ?b ?c } }',
    'SELECT * WHERE { SERVICE <URL\\u0078> { ?a ?b ?c } }',
    # LOAD, updates, FROM / FROM NAMED, plain and written with escapes
    "LOAD <URL>",
    "\\u004COAD <URL>",
    "SELECT * WHERE { ?s ?p ?o } ; LOAD <URL>",
    "INSERT DATA { <urn:a> <urn:b> <URL> }",
    "SELECT * FROM <URL> WHERE { ?s ?p ?o }",
    "SELECT * \\u0046ROM <URL> WHERE { ?s ?p ?o }",
    "SELECT * FROM NAMED <URL> WHERE { GRAPH ?g { ?s ?p ?o } }",
    # a lone surrogate, malformed escapes
    'SELECT * WHERE { ?s ?p "\ud800" } SERVICE <URL> { ?a ?b ?c } }',
    'SELECT * WHERE { ?s ?p "\\uD800" . SERVICE <URL> { ?a ?b ?c } }',
    'SELECT * WHERE { ?s ?p "\\u00" . SERVICE <URL> { ?a ?b ?c } }',
)


@dataclass
class Canary:
    url: str
    connections: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def canary() -> Iterator[Canary]:
    connections: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def setup(self) -> None:
            connections.append(str(self.client_address))
            super().setup()

        def _answer(self) -> None:
            body = ROW.encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/sparql-results+json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _answer

        def log_message(self, format: str, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Canary(f"http://127.0.0.1:{server.server_address[1]}/x", connections)
    finally:
        server.shutdown()
        server.server_close()


def attempts(canary: Canary) -> list[str]:
    return [text.replace("URL", canary.url) for text in BYPASSES]


def test_the_canary_counts_a_real_fetch(canary: Canary) -> None:
    """The listener does count: raw Oxigraph, with no vetting, calls it for a SERVICE clause."""
    before = len(canary.connections)
    store = ox.Store()
    rows = list(store.query(f"SELECT * WHERE {{ SERVICE <{canary.url}> {{ ?a ?b ?c }} }}"))
    assert len(canary.connections) == before + 1 and str(rows[0]["a"]) == '"CANARY"'


@pytest.fixture(scope="module")
def disk_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return load_store(GRAPH_FILE, f"oxigraph:{tmp_path_factory.mktemp('store') / 'db'}")


@pytest.mark.parametrize("store", ["oxigraph", "oxigraph:PATH", "rdflib"])
def test_kg_query_refuses_every_attempt_and_fetches_nothing(
        canary: Canary, disk_store: Path, store: str, capsys: pytest.CaptureFixture[str]) -> None:
    spec = f"oxigraph:{disk_store}" if store == "oxigraph:PATH" else store
    before = len(canary.connections)
    for text in attempts(canary):
        code = main(["query", "--graph", str(GRAPH_FILE), "--store", spec, "-e", text])
        captured = capsys.readouterr()
        assert code == 2, (text, captured.err)
        assert captured.err.count("\n") == 1 and "CANARY" not in captured.out, text
    assert canary.connections[before:] == []


def _request(url: str, text: str, method: str) -> tuple[int, bytes]:
    if method == "GET":
        request = urllib.request.Request(url + "sparql?" + urllib.parse.urlencode({"query": text}))
    else:
        request = urllib.request.Request(url + "sparql", data=text.encode("utf-8"), method="POST",
                                         headers={"Content-Type": "application/sparql-query"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.mark.parametrize("store", ["oxigraph", "rdflib"])
def test_kg_serve_refuses_every_attempt_and_fetches_nothing(canary: Canary, store: str) -> None:
    before = len(canary.connections)
    backend = open_backend(store, GRAPH_FILE)
    try:
        with running(backend, config=ServerConfig(quiet=True)) as server:
            for text in attempts(canary):
                if "\ud800" in text:  # not UTF-8: no client can send it
                    continue
                for method in ("GET", "POST"):
                    status, body = _request(server.url, text, method)
                    assert status in (400, 403), (method, text, status, body)
                    assert b"CANARY" not in body
    finally:
        backend.close()
    assert canary.connections[before:] == []


# ---------------------------------------------------------------------------- differential


def _one_triple_store() -> ox.Store:
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("http://e/s"), ox.NamedNode("http://e/p"),
                      ox.NamedNode("http://e/o")))
    return store


def _vetted_text(text: str) -> str | None:
    """The text our vetting lets through (escapes decoded), or None if refused."""
    try:
        decoded = decode_escapes(text)
        check_query(decoded)
    except InputError:
        return None
    return decoded


def _oxigraph_fetches(text: str, canary: Canary) -> bool:
    """Whether Oxigraph's own reading of ``text`` calls the canary (run raw, no vetting)."""
    before = len(canary.connections)
    with contextlib.suppress(SyntaxError, OSError, RuntimeError, ValueError):
        list(_one_triple_store().query(text))
    return len(canary.connections) > before


def test_differential_every_attempt_is_refused_and_oxigraph_agrees(canary: Canary) -> None:
    for text in attempts(canary):
        assert _vetted_text(text) is None, text
    # and what is let through of their harmless neighbours, Oxigraph runs without a SERVICE
    for text in attempts(canary):
        harmless = text.replace("SERVICE", "OPTIONAL").replace("service silent", "OPTIONAL")
        vetted = _vetted_text(harmless)
        if vetted is not None:
            assert not _oxigraph_fetches(vetted, canary), harmless


FRAGMENTS = [
    "SELECT * WHERE {", " ?s ?p ?o ", " . ", "}", "{", "#", " x ", "\n", "\r\n", '"', "'", '"""',
    "\\\\", "\\u0022", "\\u00000022", "\\U00000022", "\\U0022", "\\u0023", "\\u000A", "\\u007D",
    "\\u005C", "\\u0027", "<http://e/#>", "ex:a\\#", " VALUES ?x { ", " 1 ", "\u2028", "\x85",
    " OPTIONAL ", " SERVICE <URL> { ?a ?b ?c } ", " SERVICE ", " <URL> ", " FILTER(1 < 2) ",
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pieces=st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=14))
def test_differential_whatever_vetting_passes_oxigraph_runs_without_a_fetch(
        canary: Canary, pieces: list[str]) -> None:
    text = "PREFIX ex: <http://e/> " + "".join(pieces).replace("URL", canary.url)
    vetted = _vetted_text(text)
    if vetted is not None:
        assert not _oxigraph_fetches(vetted, canary), text


# ---------------------------------------------------------------------------- no network


def test_a_query_worker_cannot_reach_the_network(canary: Canary) -> None:
    """Defence in depth: even a SERVICE clause Oxigraph runs unvetted fetches nothing from a
    worker (a network namespace of its own, where the kernel allows one)."""
    if not network_isolation_works():
        pytest.skip("this system lets no process leave the network (no user namespaces)")
    before = len(canary.connections)
    query = f"SELECT * WHERE {{ SERVICE <{canary.url}> {{ ?a ?b ?c }} }}"

    def raw(_request: object) -> str:
        try:
            list(ox.Store().query(query))
        except OSError as exc:
            return f"refused: {exc}"
        return "fetched"

    worker = QueryWorker(raw, "kg-test", once=True)
    try:
        message = worker.exchange(None, 60.0)
    finally:
        worker.stop()
    assert message[0] == "ok" and message[1].startswith("refused"), message
    assert canary.connections[before:] == []
