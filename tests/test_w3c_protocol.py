"""The W3C SPARQL 1.1 Protocol test cases (../shared/w3c/sparql11/protocol) against ``kg serve``,
on the rdflib and the Oxigraph backend.

Every query case runs as written, with its ``ut:graphData`` loaded as named graphs (protocol
``default-graph-uri`` / ``named-graph-uri`` select among the server's own graphs, never fetched).
Two deliberate deviations, asserted rather than skipped: the server is read-only, so every
update case's update request gets 403 (and the follow-up checks of its effect are not run); and
``FROM`` in a query text is refused (403) even when protocol parameters would override it.
"""

from __future__ import annotations

import http.client
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import RDFS, Dataset, Graph, Namespace, URIRef
from rdflib.collection import Collection

from kg.server import ServerConfig, SparqlServer, running
from kg.store import Backend, OxigraphBackend, RdflibBackend
from tests.conftest import W3C

pytestmark = pytest.mark.w3c

PROTOCOL = W3C / "sparql11" / "protocol"
MANIFEST = PROTOCOL / "manifest.ttl"
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
HTS = Namespace("http://www.w3.org/2011/http-statusCodes#")
#: cases whose expected success contradicts the server's read-only design, and why
DEVIATIONS: dict[str, str] = {
    "query_multiple_dataset": "FROM in the query text is refused (never dereferenced)",
}
RESULT_MEDIA = ("application/sparql-results+json", "application/sparql-results+xml", "text/csv",
                "text/tab-separated-values")
GRAPH_MEDIA = ("text/turtle", "application/n-triples", "application/rdf+xml", "application/ld+json")


@dataclass(frozen=True)
class ProtocolRequest:
    method: str
    path: str
    body: bytes | None
    headers: dict[str, str]
    statuses: frozenset[str]
    boolean: bool | None
    result_format: str | None


@dataclass(frozen=True)
class ProtocolCase:
    name: str
    title: str
    requests: tuple[ProtocolRequest, ...]
    graph_data: tuple[tuple[Path, str], ...]


def _load_cases() -> list[ProtocolCase]:
    manifest = Graph().parse(MANIFEST, format="turtle")
    base = str(MANIFEST.parent.as_uri()) + "/"
    cases = []
    entries = next(manifest.objects(None, MF.entries))
    for test in Collection(manifest, entries):
        name = str(test).rsplit("#", 1)[-1]
        action = manifest.value(test, MF.action)
        requests = []
        for req in Collection(manifest, manifest.value(action, HT.requests)):
            body_node = manifest.value(req, HT.body)
            body = None
            if body_node is not None:
                encoding = str(manifest.value(body_node, CNT.characterEncoding) or "UTF-8")
                body = str(manifest.value(body_node, CNT.chars)).encode(encoding.lower())
            headers = {}
            header_list = manifest.value(req, HT.headers)
            if header_list is not None:
                for header in Collection(manifest, header_list):
                    headers[str(manifest.value(header, HT.fieldName))] = str(
                        manifest.value(header, HT.fieldValue))
            resp = manifest.value(req, HT.resp)
            statuses = frozenset(str(s).rsplit("#StatusCode", 1)[-1]
                                 for s in manifest.objects(resp, MF.expectedStatus))
            boolean = manifest.value(resp, MF.expectedBoolean)
            fmt = manifest.value(resp, MF.expectedFormat)
            requests.append(ProtocolRequest(
                method=str(manifest.value(req, HT.methodName)),
                path=str(manifest.value(req, HT.absolutePath)), body=body, headers=headers,
                statuses=statuses, boolean=None if boolean is None else bool(boolean.toPython()),
                result_format=None if fmt is None else str(fmt)))
        graph_data = tuple(
            (Path(str(manifest.value(g, UT.graph)).removeprefix(base)),
             str(manifest.value(g, RDFS.label)))
            for g in manifest.objects(test, UT.graphData))
        cases.append(ProtocolCase(name=name, title=str(manifest.value(test, MF.name)),
                                  requests=tuple(requests), graph_data=graph_data))
    return cases


def _cases() -> list[ProtocolCase]:
    if not MANIFEST.is_file():
        return []
    return _load_cases()


CASES = _cases()
DATA_FILES = ("data1.nt", "data2.nt", "data3.nt")
GRAPH_NAMES = {f: f"http://kasei.us/2009/09/sparql/data/{f.replace('.nt', '.rdf')}" for f in DATA_FILES}


def _rdflib_backend() -> Backend:
    dataset = Dataset(default_union=True)
    for file, name in GRAPH_NAMES.items():
        dataset.graph(URIRef(name)).parse(PROTOCOL / file, format="nt")
    return RdflibBackend(dataset, label="rdflib (W3C protocol data)")


def _oxigraph_backend() -> Backend:
    store = ox.Store()
    for file, name in GRAPH_NAMES.items():
        store.load(path=str(PROTOCOL / file), format=ox.RdfFormat.N_TRIPLES,
                   to_graph=ox.NamedNode(name))
    return OxigraphBackend(store, label="oxigraph (W3C protocol data)")


@pytest.fixture(scope="module", params=["rdflib", "oxigraph"])
def server(request: pytest.FixtureRequest) -> Iterator[SparqlServer]:
    if not MANIFEST.is_file():
        pytest.skip(f"W3C protocol tests not found at {PROTOCOL} (../shared/w3c absent)")
    backend = _rdflib_backend() if request.param == "rdflib" else _oxigraph_backend()
    with running(backend, config=ServerConfig(quiet=True, timeout=20)) as srv:
        yield srv


def _send(server: SparqlServer, req: ProtocolRequest) -> tuple[int, str, bytes]:
    host, port = server.server_address[:2]
    connection = http.client.HTTPConnection(str(host), int(port), timeout=30)
    try:
        connection.request(req.method, req.path, body=req.body, headers=req.headers)
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type") or "", response.read()
    finally:
        connection.close()


def _boolean(media: str, body: bytes) -> bool:
    if media.startswith("application/sparql-results+json"):
        return bool(json.loads(body)["boolean"])
    match = re.search(rb"<boolean>\s*(true|false)\s*</boolean>", body)
    assert match, body[:200]
    return match.group(1) == b"true"


def test_the_manifest_was_read() -> None:
    if not MANIFEST.is_file():
        pytest.skip(f"W3C protocol tests not found at {PROTOCOL} (../shared/w3c absent)")
    assert len(CASES) >= 30
    assert {f.name for c in CASES for f, _ in c.graph_data} <= set(DATA_FILES)
    assert all(GRAPH_NAMES[f.name] == label for c in CASES for f, label in c.graph_data)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_w3c_protocol_case(server: SparqlServer, case: ProtocolCase) -> None:
    if case.name.startswith("update_"):
        # read-only by design: the update itself must be refused; its effect is never checked
        status, _, body = _send(server, case.requests[0])
        assert status == 403, body
        return
    if case.name in DEVIATIONS:
        status, _, body = _send(server, case.requests[0])
        assert status == 403, f"{DEVIATIONS[case.name]}: {body!r}"
        return
    for req in case.requests:
        status, media, body = _send(server, req)
        assert f"{status // 100}xx" in req.statuses, f"{case.title}: HTTP {status} {body[:200]!r}"
        if status >= 400:
            assert media.startswith("text/plain") and b"Traceback" not in body
            continue
        if req.result_format == "boolean":
            value = _boolean(media, body)
            if req.boolean is not None:
                assert value is req.boolean, case.title
        elif req.result_format == "tabular":
            assert media.startswith(RESULT_MEDIA), media
        elif req.result_format == "RDF":
            assert media.startswith(GRAPH_MEDIA), media
            ox_format = ox.RdfFormat.from_media_type(media.split(";")[0])
            assert ox_format is not None
            list(ox.parse(body, format=ox_format))  # parses
