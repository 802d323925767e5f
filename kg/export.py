"""Deterministic serialisations of the compiled graph (the build writes them atomically).

Every export is written by Oxigraph's serialisers from the canonical, sorted quads of
:class:`kg.quads.CompiledGraph`, so the same data always gives the same bytes, each literal keeps
the datatype it was written with, and a million triples serialise in seconds (rdflib's writers:
~7 minutes). N-Triples and Turtle hold the union of every graph; N-Quads, TriG and JSON-LD keep
the named graphs (ontology, entities, one per article). Nothing refers to a remote context.
"""

from __future__ import annotations

from collections.abc import Callable

import pyoxigraph as ox
from rdflib import Dataset, Graph

from kg.namespaces import PREFIXES, bind_prefixes
from kg.quads import CompiledGraph

Compiled = CompiledGraph | Dataset

#: file name under exports/ -> serialiser
RDF_EXPORTS: dict[str, Callable[[Compiled], bytes]] = {}

#: the writers' prefixes: all but dkr:, whose local names hold slashes (dkr:actor/x) that
#: Turtle would have to escape (dkr:actor\/x); minted IRIs are clearer written in full
_PREFIXES = {prefix: str(ns) for prefix, ns in sorted(PREFIXES.items()) if prefix != "dkr"}


def compiled(graph: Compiled) -> CompiledGraph:
    return graph if isinstance(graph, CompiledGraph) else CompiledGraph.from_dataset(graph)


def union_graph(dataset: Dataset) -> Graph:
    """All named graphs merged into one plain rdflib Graph."""
    graph = bind_prefixes(Graph(bind_namespaces="none"))
    for quad_graph in dataset.graphs():
        for triple in quad_graph:
            graph.add(triple)
    return graph


def to_ntriples(graph: Compiled) -> bytes:
    """Sorted canonical N-Triples of the union: byte-identical for the same data."""
    return compiled(graph).ntriples()


def to_nquads(graph: Compiled) -> bytes:
    """Canonical N-Quads, graphs sorted by name, each graph's triples sorted."""
    return compiled(graph).nquads()


def to_turtle(graph: Compiled) -> bytes:
    """The union of every graph (ontology, registry, articles) as one Turtle file."""
    return ox.serialize(ox.parse(to_ntriples(graph), format=ox.RdfFormat.N_TRIPLES),
                        format=ox.RdfFormat.TURTLE, prefixes=_PREFIXES)


def to_trig(graph: Compiled) -> bytes:
    """Named graphs kept: ontology, entities, one graph per article (sorted by name)."""
    return ox.serialize(ox.parse(to_nquads(graph), format=ox.RdfFormat.N_QUADS),
                        format=ox.RdfFormat.TRIG, prefixes=_PREFIXES)


def to_jsonld(graph: Compiled) -> bytes:
    """Expanded JSON-LD (no context to fetch), one named graph per line, sorted by name."""
    source = compiled(graph)
    lines = []
    for name in source.graphs:
        text = ox.serialize(ox.parse(source.graph_nquads(name), format=ox.RdfFormat.N_QUADS),
                            format=ox.RdfFormat.JSON_LD)
        lines.append(text.strip()[1:-1])  # the graph object, without the enclosing [ ]
    return b"[\n" + b",\n".join(lines) + b"\n]\n"


RDF_EXPORTS.update({
    "diplo-kg.ttl": to_turtle,
    "diplo-kg.trig": to_trig,
    "diplo-kg.nt": to_ntriples,
    "diplo-kg.nq": to_nquads,
    "diplo-kg.jsonld": to_jsonld,
})
