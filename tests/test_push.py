"""``kg push`` (Graph Store Protocol) to a real Oxigraph server, ``kg query --endpoint`` and
``--store``, and ``kg build --store``, as a user runs them."""

from __future__ import annotations

import base64
import csv
import http.server
import io
import threading
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.cli import main
from kg.errors import InputError
from kg.rdfio import to_rdflib
from kg.store import push
from tests.conftest import DATA, EXPORTS, ONTOLOGY
from tests.support import canonical, free_port, oxigraph_server

GRAPH_FILE = EXPORTS / "diplo-kg.trig"


Triple = tuple[str | None, ...]


def _triple(quad: ox.Quad) -> Triple:
    """A triple with numbers compared by value: an Oxigraph store keeps values, not lexical
    forms or derived integer types (xsd:nonNegativeInteger comes back as xsd:integer; upstream
    oxigraph/oxigraph#526)."""
    return tuple(canonical(to_rdflib(t)) for t in (quad.subject, quad.predicate, quad.object))


def local_graphs(path: Path) -> dict[str, set[Triple]]:
    graphs: dict[str, set[Triple]] = {}
    for quad in ox.parse(path=str(path), format=ox.RdfFormat.TRIG):
        graphs.setdefault(quad.graph_name.value, set()).add(_triple(quad))
    return graphs


def remote_graph(base: str, name: str) -> set[Triple]:
    url = f"{base}/store?" + urllib.parse.urlencode({"graph": name})
    request = urllib.request.Request(url, headers={"Accept": "application/n-triples"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return {_triple(q) for q in ox.parse(response.read(), format=ox.RdfFormat.N_TRIPLES)}


def remote_count(base: str) -> int:
    query = urllib.parse.urlencode({"query": "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"})
    request = urllib.request.Request(f"{base}/query?{query}", headers={"Accept": "text/csv"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return int(response.read().decode().splitlines()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    with oxigraph_server(tmp_path / "oxigraph") as base:
        yield base


def test_push_puts_every_named_graph_and_is_idempotent(server: str) -> None:
    expected = local_graphs(GRAPH_FILE)
    assert len(expected) >= 3
    pushed = push(GRAPH_FILE, f"{server}/store")
    assert {p.name: p.triples for p in pushed} == {n: len(t) for n, t in expected.items()}
    assert all(200 <= p.status < 300 for p in pushed)
    for name, triples in expected.items():
        assert remote_graph(server, name) == triples, name
    total = sum(len(t) for t in expected.values())
    assert remote_count(server) == total
    push(GRAPH_FILE, f"{server}/store")
    assert remote_count(server) == total


def test_push_replaces_a_graph_that_shrank(server: str, tmp_path: Path) -> None:
    push(GRAPH_FILE, f"{server}/store")
    graphs = local_graphs(GRAPH_FILE)
    name = next(n for n in sorted(graphs) if "/article/" in n)
    smaller = tmp_path / "smaller.nq"
    quads = [q for q in ox.parse(path=str(GRAPH_FILE), format=ox.RdfFormat.TRIG)
             if q.graph_name.value == name][:3]
    smaller.write_bytes(ox.serialize(quads, format=ox.RdfFormat.N_QUADS))
    push(smaller, f"{server}/store")
    assert remote_graph(server, name) == {_triple(q) for q in quads}


def test_push_refuses_bad_input_before_sending(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        push(tmp_path / "missing.trig", "http://127.0.0.1:9/store")
    with pytest.raises(InputError):
        push(GRAPH_FILE, "file:///tmp/store")
    broken = tmp_path / "broken.trig"
    broken.write_text("<http://example.org/g> { <a> <b> ", encoding="utf-8")
    with pytest.raises(InputError):
        push(broken, "http://127.0.0.1:9/store")


def test_kg_push_then_kg_query_endpoint_matches_the_local_answer(
        server: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["push", f"{server}/store", "--graph", str(GRAPH_FILE)]) == 0
    out = capsys.readouterr().out
    assert "PUT https://w3id.org/diplo-kg/id/graph/entities" in out and "pushed" in out

    assert main(["query", "who-met-whom", "--format", "csv", "--graph", str(GRAPH_FILE)]) == 0
    local = capsys.readouterr().out
    assert main(["query", "who-met-whom", "--format", "csv", "--endpoint", f"{server}/query"]) == 0
    remote = capsys.readouterr().out
    assert list(csv.reader(io.StringIO(remote))) == list(csv.reader(io.StringIO(local)))
    assert len(local.splitlines()) > 1

    assert main(["query", "who-met-whom", "--format", "csv", "--endpoint", f"{server}/query",
                 "--param", "actor=dkr:actor/kim-jong-un"]) == 0
    narrowed = capsys.readouterr().out
    assert 1 < len(narrowed.splitlines()) <= len(local.splitlines())


def test_kg_push_and_query_errors_are_one_line_with_exit_codes(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    assert main(["push", f"{dead}/store", "--graph", str(GRAPH_FILE)]) == 3
    assert main(["push", "not-a-url", "--graph", str(GRAPH_FILE)]) == 2
    assert main(["push", f"{dead}/store", "--graph", str(tmp_path / "none.trig")]) == 2
    assert main(["query", "who-met-whom", "--endpoint", f"{dead}/query"]) == 3
    assert main(["query", "who-met-whom", "--store", "nonsense"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 5
    assert "Traceback" not in err


@pytest.mark.slow
def test_kg_build_store_then_query_store_reuses_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "store"
    out = tmp_path / "exports"
    assert main(["build", "--data", str(DATA), "--ontology", str(ONTOLOGY), "--out", str(out),
                 "--store", f"oxigraph:{store}"]) == 0
    assert "Oxigraph store" in capsys.readouterr().out
    marker = (store / "kg-source.json").read_text(encoding="utf-8")
    assert main(["query", "hedge-cues", "--format", "csv", "--graph", str(out / "diplo-kg.trig"),
                 "--store", f"oxigraph:{store}"]) == 0
    from_store = capsys.readouterr().out
    assert (store / "kg-source.json").read_text(encoding="utf-8") == marker
    assert main(["query", "hedge-cues", "--format", "csv", "--graph", str(out / "diplo-kg.trig")]) == 0
    assert sorted(capsys.readouterr().out.splitlines()) == sorted(from_store.splitlines())
    assert main(["build", "--out", str(tmp_path / "x"), "--data", str(DATA), "--ontology",
                 str(ONTOLOGY), "--store", "rdflib"]) == 2


class _GuardedStore(http.server.BaseHTTPRequestHandler):
    """A Graph Store stub that wants HTTP Basic credentials (as Fuseki or GraphDB with security
    on would); records what it accepted."""

    accepted: list[tuple[str, int]] = []  # noqa: RUF012 - read by the test
    expected = "Basic " + base64.b64encode(b"editor:s3cret").decode()

    def do_PUT(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.headers.get("Authorization") != self.expected:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="diplo"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.accepted.append((self.path, len(body)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return None


def test_push_answers_a_basic_auth_challenge_with_env_credentials(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    _GuardedStore.accepted = []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _GuardedStore)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}/store"
    try:
        monkeypatch.delenv("KG_SPARQL_USER", raising=False)
        assert main(["push", url, "--graph", str(GRAPH_FILE)]) == 2
        assert "HTTP 401" in capsys.readouterr().err and _GuardedStore.accepted == []
        monkeypatch.setenv("KG_SPARQL_USER", "editor")
        monkeypatch.setenv("KG_SPARQL_PASSWORD", "s3cret")
        assert main(["push", url, "--graph", str(GRAPH_FILE)]) == 0
        assert len(_GuardedStore.accepted) == len(local_graphs(GRAPH_FILE))
        assert "s3cret" not in capsys.readouterr().out
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


def test_kg_serve_refuses_nonsense_limits(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--max-rows", "0", "--graph", str(GRAPH_FILE)]) == 2
    with pytest.raises(SystemExit) as usage:  # a usage error, from the argument parser
        main(["serve", "--timeout", "-1", "--graph", str(GRAPH_FILE)])
    assert usage.value.code == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 2
