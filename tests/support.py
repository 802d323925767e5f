"""Helpers shared by several test modules (no fixtures, no tests: test modules import this,
never each other)."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from pathlib import Path
from urllib.parse import unquote, urlparse

import networkx as nx
import pytest
from rdflib import Literal
from rdflib.term import Node

from kg.rdfio import parse_quads
from tests.conftest import W3C

#: text that breaks out of a script or attribute if a page forgets to escape it
INJECTION = "</script><img src=x onerror=alert(1)>"

RDF11 = W3C / "rdf11"
MF = "http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#"
RDFT = "http://www.w3.org/ns/rdftest#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"

#: folder -> (test-type prefix, base IRI the manifest assumes, or None when the syntax has none)
SUITES: dict[str, tuple[str, str | None]] = {
    "rdf-turtle": ("Turtle", "https://w3c.github.io/rdf-tests/rdf/rdf11/rdf-turtle/"),
    "rdf-trig": ("Trig", "https://w3c.github.io/rdf-tests/rdf/rdf11/rdf-trig/"),
    "rdf-n-triples": ("NTriples", None),
    "rdf-n-quads": ("NQuads", None),
}

def synthetic_graph(n: int, seed: int = 7) -> nx.MultiDiGraph:
    """A projected-looking graph: actors and events, hedged and asserted edges."""
    graph = nx.random_labeled_tree(n, seed=seed) if hasattr(nx, "random_labeled_tree") \
        else nx.random_tree(n, seed=seed)  # type: ignore[attr-defined]
    extra = nx.gnm_random_graph(n, n, seed=seed)
    result = nx.MultiDiGraph(view="full")
    for node in sorted(graph.nodes):
        kind = "actor" if node % 3 == 0 else "event"
        result.add_node(f"n{node:05d}", kind=kind, cls="State" if kind == "actor" else "Visit",
                        label_en=f"node {node}", label_fr=f"nœud {node}", hedged=node % 5 == 0,
                        certainty="possible" if node % 5 == 0 else "certain")
    for i, (u, v) in enumerate(sorted(set(graph.edges) | set(extra.edges))):
        if u != v:
            result.add_edge(f"n{u:05d}", f"n{v:05d}", key="rel", label_en="rel", hedged=i % 4 == 0,
                            certainty=["certain", "probable", "possible"][i % 3],
                            source_type="journalist")
    return result

def _local(iri: str) -> Path:
    return Path(unquote(urlparse(iri).path))


def manifest_tests(folder: str) -> list[tuple[str, str, Path, Path | None]]:
    """(kind, name, action file, result file) of every test in one folder's manifest.

    The manifest is read with our own strict parser (it is Turtle like any other)."""
    manifest = RDF11 / folder / "manifest.ttl"
    prefix = RDFT + "Test" + SUITES[folder][0]
    types: dict[str, str] = {}
    action: dict[str, str] = {}
    result: dict[str, str] = {}
    for quad in parse_quads(manifest, base_iri=manifest.absolute().as_uri()):
        subject, predicate, obj = quad.subject.value, quad.predicate.value, quad.object.value
        if predicate == RDF_TYPE and obj.startswith(prefix):
            types[subject] = obj[len(prefix):]
        elif predicate == MF + "action":
            action[subject] = obj
        elif predicate == MF + "result":
            result[subject] = obj
    return sorted((kind, subject.rsplit("#", 1)[-1], _local(action[subject]),
                   _local(result[subject]) if subject in result else None)
                  for subject, kind in types.items())


# ---------------------------------------------------------------------------- drafts (issue 14)

DRAFT_ID = "991_machine_draft"
TEXT = "Kim Jong-un est arrivé à Vladivostok. Il pourrait rencontrer Vladimir Poutine."
META = f"id: {DRAFT_ID}\nlanguage: fr\npublished: 2026-12-05\nunknown: [title, publisher]\n"
#: what kg extract -o writes: the extractor as annotator, every claim drafted with a confidence
ANNOTATION = f"""\
article: {DRAFT_ID}
provenance:
  annotator: {{software: kg-extract, version: 0.2.0}}
  annotatedAt: 2026-12-06T21:40:00Z
things:
  - id: draft-kim-arrival-vladivostok
    type: Arrival
    label: {{fr: arrivée de Kim à Vladivostok, en: Kim's arrival in Vladivostok}}
    initiator: kim-jong-un
    eventStatus: held
  - id: draft-kim-putin-meeting
    type: Meeting
    label: {{fr: rencontre Kim-Poutine, en: Kim-Putin meeting}}
    participant: [kim-jong-un, vladimir-putin]
    eventStatus: hypothetical
claims:
  - id: kim-arrived
    quote: Kim Jong-un est arrivé à Vladivostok
    about: draft-kim-arrival-vladivostok
    certainty: certain
    temporality: past
    review: drafted
    confidence: 0.93
  - id: may-meet
    quote: Il pourrait rencontrer Vladimir Poutine
    about: draft-kim-putin-meeting
    certainty: possible
    hedgeCue: pourrait
    evidentialBasis: journalist-speculation
    review: drafted
    confidence: 0.41
"""


def write_draft(parent: Path, article_id: str = DRAFT_ID) -> Path:
    """A draft article folder as kg extract -o writes it (renamed to ``article_id``)."""
    folder = parent / article_id
    folder.mkdir(parents=True)
    (folder / "article.txt").write_text(TEXT, encoding="utf-8")
    (folder / "meta.yaml").write_text(META.replace(DRAFT_ID, article_id), encoding="utf-8")
    (folder / "annotation.yaml").write_text(ANNOTATION.replace(DRAFT_ID, article_id)
                                            .replace("draft-kim", f"{article_id[:3]}-kim"),
                                            encoding="utf-8")
    return folder


# ---------------------------------------------------------------------------- kg review (issue 14)

REVIEW_DRAFT_ID = "900_review-test"
REVIEW_TEXT = ("Le ministre russe des Affaires étrangères est arrivé à Pyongyang mercredi. "
               "Selon l'agence KCNA, il a rencontré Kim Jong-un pendant deux heures. "
               "Les deux pays pourraient signer un accord de coopération militaire.\n")
REVIEW_ANNOTATION = """\
# Draft annotation of 900_review-test written by hand for the tests (fr).
article: 900_review-test
provenance:
  annotator: {software: kg-extract, version: 0.1.0}
  annotatedAt: "2026-12-06T21:40:00Z"

entities:
  - id: russian-foreign-minister-test
    type: Minister
    label: {fr: ministre russe des Affaires étrangères, en: Russian foreign minister}
    represents: russia

things:
  - id: minister-arrival-test
    type: Arrival
    label: {fr: arrivée du ministre à Pyongyang, en: the minister's arrival in Pyongyang}
    initiator: russian-foreign-minister-test
    destination: pyongyang
    eventStatus: held
  - id: minister-kim-meeting-test
    type: Meeting
    label: {fr: rencontre ministre–Kim, en: minister–Kim meeting}
    participant: [russian-foreign-minister-test, kim-jong-un]
    eventStatus: held
  - id: military-cooperation-test
    type: ArmsDeal
    label: {fr: accord de coopération militaire, en: military cooperation agreement}
    party: [north-korea, russia]
    eventStatus: hypothetical

claims:
  - id: minister-arrived
    quote: Le ministre russe des Affaires étrangères est arrivé à Pyongyang mercredi
    about: minister-arrival-test
    certainty: certain
    temporality: past
    review: drafted
    confidence: "0.9"
  - id: kcna-says
    quote: Selon l'agence KCNA
    about: minister-kim-meeting-test
    certainty: certain
    review: drafted
    confidence: "0.4"
  - id: met-kim
    quote: il a rencontré Kim Jong-un pendant deux heures
    about: minister-kim-meeting-test
    certainty: certain
    temporality: past
    review: drafted
    confidence: "0.7"
  - id: could-sign
    quote: Les deux pays pourraient signer un accord de coopération militaire
    about: military-cooperation-test
    certainty: possible
    temporality: future
    hedgeCue: pourraient
    evidentialBasis: journalist-speculation
    review: drafted
    confidence: "0.6"
"""


def write_review_draft(parent: Path) -> Path:
    """A small drafted article of our own, as ``kg extract -o`` lays it out."""
    folder = parent / REVIEW_DRAFT_ID
    folder.mkdir(parents=True)
    (folder / "article.txt").write_text(REVIEW_TEXT, encoding="utf-8")
    (folder / "meta.yaml").write_text(f"id: {REVIEW_DRAFT_ID}\nlanguage: fr\n"
                                      "unknown: [title, publisher, published]\n", encoding="utf-8")
    (folder / "annotation.yaml").write_text(REVIEW_ANNOTATION, encoding="utf-8")
    return folder


NUMERIC = {f"http://www.w3.org/2001/XMLSchema#{t}" for t in (
    "integer", "decimal", "nonNegativeInteger", "positiveInteger", "negativeInteger",
    "nonPositiveInteger", "long", "int", "short", "byte", "unsignedLong", "unsignedInt",
    "unsignedShort", "unsignedByte")}


def canonical(node: Node | None) -> str | None:
    """N3 of a term, numbers by value: Oxigraph stores xsd:decimal "7.0" as "7" and every
    integer type as xsd:integer (it keeps values, not lexical forms); rdflib keeps both."""
    if node is None:
        return None
    if isinstance(node, Literal) and node.datatype is not None and str(node.datatype) in NUMERIC:
        try:
            return f"number:{Decimal(str(node)).normalize()}"
        except InvalidOperation:
            return node.n3()
    return node.n3()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def oxigraph_binary() -> str | None:
    beside = Path(sys.executable).parent / "oxigraph"
    if beside.is_file():
        return str(beside)
    return shutil.which("oxigraph")


@contextlib.contextmanager
def oxigraph_server(location: Path) -> Iterator[str]:
    """A real Oxigraph server (PyPI package ``oxigraph``) on 127.0.0.1, always stopped."""
    binary = oxigraph_binary()
    if binary is None:
        pytest.skip("the oxigraph server binary (pip install oxigraph) is not installed")
    port = free_port()
    process = subprocess.Popen(
        [binary, "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}",
         "--union-default-graph", "--timeout-s", "30"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(f"{base}/query?query=ASK%7B%7D", timeout=2):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("the oxigraph server did not start")
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
