"""No side effects while reading or querying: nothing is fetched, no local file is read.

A canary HTTP server (127.0.0.1 only) records every request, and a canary secret file holds a
token. Every reading entry point gets input that points at both: ``kg validate`` (owl:imports,
remote JSON-LD contexts, external XML entities and DTDs, ``@base``), ``kg validate`` with shapes
that import the canary, ``kg build`` on annotations full of canary URLs, ``kg query`` with
SERVICE / FROM / FROM NAMED / LOAD on both stores and ``kg serve``. The canary must stay silent
and the token must never appear in any output.
"""

from __future__ import annotations

import shutil
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from kg.cli import main
from tests.conftest import ONTOLOGY, SEED_ID

TOKEN = "CANARY-SECRET-7f3a9c"


@dataclass
class Canary:
    url: str
    secret: Path
    hits: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def canary(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Canary]:
    folder = tmp_path_factory.mktemp("canary")
    secret = folder / "secret.ttl"
    secret.write_text(f'<http://example.org/secret> <http://example.org/p> "{TOKEN}" .\n',
                      encoding="utf-8")
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            hits.append(f"{self.command} {self.path}")
            body = f'{{"@context": {{"x": "http://example.org/{TOKEN}"}}}}'.encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/ld+json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_HEAD = do_PUT = _answer

        def log_message(self, format: str, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    found = Canary(f"http://{host}:{port}", secret, hits)
    with urllib.request.urlopen(f"{found.url}/self-check", timeout=10) as answer:
        assert TOKEN in answer.read().decode()
    assert hits == ["GET /self-check"], "the canary does not hear requests: the test would prove nothing"
    hits.clear()
    try:
        yield found
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture(autouse=True)
def silent_canary(canary: Canary) -> Iterator[None]:
    """After each test: the canary heard nothing."""
    before = len(canary.hits)
    yield
    assert canary.hits[before:] == [], "something fetched from the network"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert TOKEN not in out + err, "the secret file was read"
    assert "Traceback" not in err
    return code, out + err


# ---------------------------------------------------------------------------- kg validate


def _hostile_files(folder: Path, canary: Canary) -> dict[str, tuple[str, set[int]]]:
    """name -> (content, acceptable exit codes)."""
    url, secret = canary.url, canary.secret.as_uri()
    xml_head = ('<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
                'xmlns:p="http://example.org/">')
    description = '<rdf:Description rdf:about="http://example.org/a"><p:x>&e;</p:x></rdf:Description>'
    return {
        "imports.ttl": (f"@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
                        f"<http://example.org/o> a owl:Ontology ; owl:imports <{url}/onto.ttl> , "
                        f"<{secret}> .\n", {0}),
        "base.ttl": (f"@base <{url}/> .\n<a> <b> <c> .\n<{secret}> <b> <c> .\n", {0}),
        "context.jsonld": (f'{{"@context": "{url}/context.jsonld", "@id": "http://example.org/a",'
                           f' "x": "y"}}', {2}),
        "context-list.jsonld": (f'{{"@context": [{{"@vocab": "http://example.org/"}}, '
                                f'"{url}/ctx2"], "@id": "http://example.org/a", "x": "y"}}', {2}),
        "context-file.jsonld": (f'{{"@context": "{secret}", "@id": "http://example.org/a", '
                                f'"x": "y"}}', {2}),
        "import.jsonld": (f'{{"@context": {{"@version": 1.1, "@import": "{url}/imp"}}, '
                          f'"@id": "http://example.org/a", "x": "y"}}', {2}),
        "xxe-http.rdf": (f'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [<!ENTITY e SYSTEM "{url}/e">]>'
                         f"\n{xml_head}{description}</rdf:RDF>\n", {2}),
        "xxe-file.rdf": (f'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [<!ENTITY e SYSTEM "{secret}">]>'
                         f"\n{xml_head}{description}</rdf:RDF>\n", {2}),
        "dtd.rdf": (f'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF SYSTEM "{url}/x.dtd">\n{xml_head}'
                    '<rdf:Description rdf:about="http://example.org/a"><p:x>v</p:x>'
                    "</rdf:Description></rdf:RDF>\n", {0, 2}),
    }


def test_kg_validate_fetches_nothing(tmp_path: Path, canary: Canary,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    files = _hostile_files(tmp_path, canary)
    for name, (content, codes) in files.items():
        path = tmp_path / name
        path.write_text(content, encoding="utf-8")
        code, output = run(capsys, "validate", "--ontology", str(ONTOLOGY), str(path))
        assert code in codes, (name, output)
        if code == 2:
            assert output.count("\n") == 1 and output.startswith(f"kg validate: {path}"), output
        if name.endswith(".jsonld"):
            assert "remote JSON-LD contexts are never fetched" in output, output
    assert canary.hits == []


def test_shapes_and_ontology_importing_the_canary_are_not_followed(
        tmp_path: Path, canary: Canary, capsys: pytest.CaptureFixture[str]) -> None:
    ontology = tmp_path / "ontology"
    shutil.copytree(ONTOLOGY, ontology)
    imports = (f"\n<http://example.org/canary-import> <http://www.w3.org/2002/07/owl#imports> "
               f"<{canary.url}/shapes.ttl> , <{canary.secret.as_uri()}> .\n")
    for name in ("shapes.ttl", "diplo.ttl", "vocab.ttl"):
        with (ontology / name).open("a", encoding="utf-8") as handle:
            handle.write(imports)
    data = tmp_path / "data.nt"
    data.write_text("<http://example.org/s> <http://example.org/p> <http://example.org/o> .\n",
                    encoding="utf-8")
    code, output = run(capsys, "validate", "--ontology", str(ontology), str(data))
    assert code == 0, output


# ---------------------------------------------------------------------------- kg build


def test_kg_build_with_canary_urls_in_annotations_fetches_nothing(
        data_copy: Path, tmp_path: Path, canary: Canary,
        capsys: pytest.CaptureFixture[str]) -> None:
    url, secret = canary.url, canary.secret.as_uri()
    entities = data_copy / "entities.yaml"
    text = entities.read_text(encoding="utf-8")
    text = text.replace("    label: {fr: Corée du Nord, en: North Korea}",
                        f'    label: {{fr: "Corée du Nord {url}/fr", en: "North Korea {secret}"}}', 1)
    entities.write_text(text, encoding="utf-8")
    meta = data_copy / "articles" / SEED_ID / "meta.yaml"
    meta.write_text(meta.read_text(encoding="utf-8").replace(
        "note: >-\n", f"note: >-\n  {url}/note {secret} <{url}/iri>\n", 1), encoding="utf-8")
    out = tmp_path / "exports"
    code, output = run(capsys, "build", "--data", str(data_copy), "--ontology", str(ONTOLOGY),
                       "--out", str(out))
    assert code == 0, output
    written = {p.name: p.read_text(encoding="utf-8") for p in out.iterdir() if p.suffix != ".html"}
    assert any(f"{url}/fr" in text for text in written.values())  # the literal is kept as text
    assert not any(TOKEN in text for text in written.values())


# ---------------------------------------------------------------------------- kg query


def _hostile_queries(canary: Canary) -> list[str]:
    url, secret = canary.url, canary.secret.as_uri()
    return [
        f"SELECT * WHERE {{ SERVICE <{url}/sparql> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ SERVICE SILENT <{url}/sparql> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ BIND(<{url}/x> AS ?e) SERVICE ?e {{ ?s ?p ?o }} }}",
        f"SELECT * FROM <{url}/g.ttl> WHERE {{ ?s ?p ?o }}",
        f"SELECT * FROM <{secret}> WHERE {{ ?s ?p ?o }}",
        f"SELECT * FROM NAMED <{secret}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
        f"ASK FROM <{url}/a.ttl> {{ ?s ?p ?o }}",
        f"CONSTRUCT {{ ?s ?p ?o }} FROM <{secret}> WHERE {{ ?s ?p ?o }}",
        f"LOAD <{url}/load.ttl>",
        f"LOAD <{secret}> INTO GRAPH <http://example.org/g>",
        f"SELECT * WHERE {{ ?s ?p ?o }} ; LOAD <{url}/l2>",
    ]


@pytest.fixture(scope="module")
def small_graph(tmp_path_factory: pytest.TempPathFactory, canary: Canary) -> Path:
    path = tmp_path_factory.mktemp("graph") / "small.ttl"
    path.write_text(f"@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
                    f"<http://example.org/o> owl:imports <{canary.url}/imp> , "
                    f"<{canary.secret.as_uri()}> ;\n"
                    f"  <http://www.w3.org/2000/01/rdf-schema#seeAlso> <{canary.url}/see> .\n",
                    encoding="utf-8")
    return path


@pytest.mark.parametrize("store", ["rdflib", "oxigraph"])
def test_kg_query_refuses_service_from_and_load(small_graph: Path, canary: Canary, store: str,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    for query in _hostile_queries(canary):
        code, output = run(capsys, "query", "--graph", str(small_graph), "--store", store,
                           "-e", query)
        assert code == 2, (query, output)
        assert "read-only" in output and output.count("\n") == 1, (query, output)


@pytest.mark.parametrize("store", ["rdflib", "oxigraph"])
def test_kg_query_over_a_graph_mentioning_the_canary_fetches_nothing(
        small_graph: Path, canary: Canary, store: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    for query in ("SELECT ?s ?p ?o WHERE { ?s ?p ?o } ORDER BY ?p ?o",
                  f"DESCRIBE <{canary.url}/imp>",
                  f"SELECT * WHERE {{ GRAPH <{canary.url}/g> {{ ?s ?p ?o }} }}"):
        code, output = run(capsys, "query", "--graph", str(small_graph), "--store", store,
                           "--format", "table" if "SELECT" in query else "turtle", "-e", query)
        assert code == 0, (query, output)


# ---------------------------------------------------------------------------- kg serve


def test_kg_serve_refuses_service_and_from(small_graph: Path, canary: Canary) -> None:
    server = pytest.importorskip("kg.server", reason="kg serve not available")
    from kg.store import open_backend

    backend = open_backend("rdflib", small_graph)
    with server.running(backend, config=server.ServerConfig(quiet=True, timeout=10)) as srv:
        base = srv.url.rstrip("/")
        for query in _hostile_queries(canary):
            url = f"{base}/sparql?{urllib.parse.urlencode({'query': query})}"
            with pytest.raises(urllib.error.HTTPError) as caught:
                urllib.request.urlopen(url, timeout=30)
            body = caught.value.read().decode("utf-8", "replace")
            caught.value.close()
            assert caught.value.code in (400, 403), (query, caught.value.code, body)
            assert TOKEN not in body
        for params in ({"query": "SELECT * WHERE { ?s ?p ?o }",
                        "default-graph-uri": f"{canary.url}/dg"},
                       {"query": "SELECT * WHERE { ?s ?p ?o }",
                        "named-graph-uri": canary.secret.as_uri()}):
            url = f"{base}/sparql?{urllib.parse.urlencode(params)}"
            try:
                with urllib.request.urlopen(url, timeout=30) as answer:
                    body = answer.read().decode("utf-8", "replace")
            except urllib.error.HTTPError as exc:
                body = exc.read().decode("utf-8", "replace")
                exc.close()
            assert TOKEN not in body
