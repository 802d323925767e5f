"""The compiled graph as canonical N-Quads text: what the compiler writes, and what the exports,
the validator and the stores read.

Every triple is one string of canonical N-Triples terms (``<s> <p> "o"@fr``, written by
Oxigraph's term formatter), grouped by named graph. Compared with an rdflib ``Dataset`` of the
same quads this is about five times smaller (1M triples: ~300 MB instead of 1.6 GB), sorts into a
canonical order (so every export is byte-identical for the same data), loads into Oxigraph at
parse speed, and keeps each literal's datatype exactly as written (an Oxigraph store normalises
``xsd:nonNegativeInteger`` to ``xsd:integer``, oxigraph#526, so exports never come from a store).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pyoxigraph as ox
from rdflib import RDF, XSD, BNode, Literal, URIRef
from rdflib.term import Node

if TYPE_CHECKING:
    from rdflib import Dataset

#: quads per call of Oxigraph's bulk loader (see CompiledGraph.to_store)
BULK_BATCH_QUADS = 250_000
XSD_STRING = str(XSD.string)
RDF_LANGSTRING = str(RDF.langString)


class QuadWriter:
    """Collects quads as text, one list of triple strings per named graph.

    ``writer.graph(name)`` gives an object with ``add((s, p, o))`` taking rdflib terms, like
    ``Dataset.graph(name)``: that is all the compiler writes to. IRIs are formatted once and
    cached (they repeat).
    """

    def __init__(self) -> None:
        self._graphs: dict[str, list[str]] = {}
        self._iris: dict[str, str] = {}

    def graph(self, name: URIRef) -> GraphWriter:
        return GraphWriter(self._graphs.setdefault(self.term(name), []), self.term)

    def term(self, node: Node) -> str:
        """A term in canonical N-Triples syntax (Oxigraph checks IRIs and language tags)."""
        if isinstance(node, URIRef):
            key = str(node)  # a plain str key: URIRef.__eq__ is Python code, 3× slower
            found = self._iris.get(key)
            if found is None:
                found = self._iris[key] = str(ox.NamedNode(key))
            return found
        if isinstance(node, Literal):
            if node.language:
                return str(ox.Literal(node, language=node.language))
            if node.datatype is not None and node.datatype != XSD_STRING:
                return str(ox.Literal(node, datatype=ox.NamedNode(node.datatype)))
            return str(ox.Literal(node))
        if isinstance(node, BNode):
            return str(ox.BlankNode(node))
        raise TypeError(f"not an RDF term: {node!r}")

    def freeze(self) -> CompiledGraph:
        """The collected quads, each graph's triples sorted and without duplicates."""
        graphs = {name: tuple(sorted(set(lines))) for name, lines in sorted(self._graphs.items())
                  if lines}
        self._graphs.clear()
        return CompiledGraph(graphs)


class GraphWriter:
    """One named graph of a :class:`QuadWriter`; ``add((s, p, o))`` appends one triple."""

    __slots__ = ("_lines", "_term")

    def __init__(self, lines: list[str], term: object) -> None:
        self._lines, self._term = lines, term

    def add(self, triple: tuple[Node, Node, Node]) -> None:
        term = self._term
        s, p, o = triple
        self._lines.append(f"{term(s)} {term(p)} {term(o)}")  # type: ignore[operator]


@dataclass(frozen=True)
class CompiledGraph:
    """Quads as canonical text: graph name (``<iri>``) -> its sorted, distinct triples.

    Graph-major order (graphs sorted by name, then triples) is the canonical order of the
    N-Quads, TriG and JSON-LD exports; the N-Triples and Turtle exports are the sorted union.
    """

    graphs: dict[str, tuple[str, ...]]

    def __len__(self) -> int:
        return sum(len(triples) for triples in self.graphs.values())

    @classmethod
    def from_dataset(cls, dataset: Dataset) -> CompiledGraph:
        """The named graphs of an rdflib Dataset (its empty default graph dropped)."""
        writer = QuadWriter()
        for graph in dataset.graphs():
            if str(graph.identifier).startswith("urn:x-rdflib:"):
                if len(graph):
                    raise ValueError("triples in the default graph: every quad needs a named graph")
                continue
            target = writer.graph(graph.identifier)  # type: ignore[arg-type]
            for triple in graph:
                target.add(triple)  # type: ignore[arg-type]
        return writer.freeze()

    def nquads(self) -> bytes:
        """Canonical N-Quads, graph-major."""
        return b"".join(self.nquads_chunks())

    def nquads_chunks(self) -> Iterator[bytes]:
        """:meth:`nquads` one graph at a time."""
        for name in self.graphs:
            yield self.graph_nquads(name)

    def ntriples(self) -> bytes:
        """Canonical N-Triples of the union of every graph, sorted."""
        return b"".join(self.ntriples_chunks())

    def ntriples_chunks(self, lines: int = 20_000) -> Iterator[bytes]:
        """:meth:`ntriples` a few thousand lines at a time."""
        union = sorted(set().union(*self.graphs.values())) if self.graphs else []
        for start in range(0, len(union), lines):
            yield ("".join(f"{line} .\n" for line in union[start:start + lines])).encode()

    def graph_nquads(self, name: str) -> bytes:
        """One named graph as N-Quads."""
        suffix = f" {name} .\n"
        return (suffix.join(self.graphs[name]) + suffix).encode("utf-8")

    def to_store(self, store: ox.Store, *, bulk: bool = False) -> ox.Store:
        """Load every quad into an Oxigraph store (which normalises some literal datatypes).

        In memory (``bulk=False``): graph by graph, in transactions; one N-Quads text of the
        whole graph would hold the 1M-triple corpus twice more (peak 1.4 GB instead of 0.6 GB).
        On disk (``bulk=True``): Oxigraph's bulk loader, fed ~250k quads at a time: one call
        per graph writes thousands of tiny files (76 s at 1M quads), one call for everything
        buffers it all (1.2 GB); batches take 8 s and ~350 MB."""
        if not bulk:
            for name in self.graphs:
                store.load(input=self.graph_nquads(name), format=ox.RdfFormat.N_QUADS)
            return store
        batch: list[bytes] = []
        size = 0
        for name, triples in self.graphs.items():
            batch.append(self.graph_nquads(name))
            size += len(triples)
            if size >= BULK_BATCH_QUADS:
                store.bulk_load(input=b"".join(batch), format=ox.RdfFormat.N_QUADS)
                batch, size = [], 0
        if batch:
            store.bulk_load(input=b"".join(batch), format=ox.RdfFormat.N_QUADS)
        return store

    def rdflib_quads(self) -> Iterator[tuple[Node, URIRef, Node, str]]:
        """Every quad as rdflib terms plus the graph IRI, graph by graph (nothing held: a
        million quads stream through without an rdflib Dataset)."""
        from kg.rdfio import to_rdflib

        cache: dict[object, Node] = {}  # one term object however many graphs repeat it
        for name in self.graphs:
            graph_iri = name[1:-1]
            for quad in ox.parse(self.graph_nquads(name), format=ox.RdfFormat.N_QUADS):
                terms = []
                for term in (quad.subject, quad.predicate, quad.object):
                    found = cache.get(term)
                    if found is None:
                        found = cache[term] = to_rdflib(term)
                    terms.append(found)
                yield terms[0], terms[1], terms[2], graph_iri  # type: ignore[misc]

    def to_dataset(self) -> Dataset:
        """The same quads as an rdflib ``Dataset(default_union=True)`` with our prefixes."""
        from rdflib import Dataset

        from kg.namespaces import bind_prefixes

        dataset = bind_prefixes(Dataset(default_union=True))
        graphs: dict[str, object] = {}
        for s, p, o, name in self.rdflib_quads():
            graph = graphs.get(name)
            if graph is None:
                graph = graphs[name] = dataset.graph(URIRef(name))
            graph.add((s, p, o))  # type: ignore[attr-defined]
        return dataset


def literal_datatype(term_text: str) -> str | None:
    """The datatype IRI of a canonical N-Triples literal (``rdf:langString`` for a language-
    tagged one), or None when the text is an IRI or blank node."""
    if not term_text.startswith('"'):
        return None
    if term_text.endswith('"'):
        return XSD_STRING
    if term_text.endswith(">"):
        return term_text[term_text.rindex('"^^<') + 4:-1]
    return RDF_LANGSTRING


def split_triple(line: str) -> tuple[str, str, str]:
    """Subject, predicate and object text of one canonical triple (IRIs hold no spaces)."""
    s, p, o = line.split(" ", 2)
    return s, p, o
