"""Deterministic serialisations of the dataset (strings; the build writes them atomically)."""

from __future__ import annotations

import json
from collections.abc import Callable

from rdflib import Dataset, Graph

from kg.namespaces import PREFIXES, bind_prefixes

#: file name under exports/ -> serialiser
RDF_EXPORTS: dict[str, Callable[[Dataset], str]] = {}


def union_graph(dataset: Dataset) -> Graph:
    """All named graphs merged into one plain Graph (for Turtle, N-Triples, JSON-LD)."""
    graph = bind_prefixes(Graph(bind_namespaces="none"))
    for quad_graph in dataset.graphs():
        for triple in quad_graph:
            graph.add(triple)
    return graph


def to_turtle(dataset: Dataset) -> str:
    """The whole graph (ontology, registry, articles) as one Turtle file."""
    return union_graph(dataset).serialize(format="turtle")


def to_trig(dataset: Dataset) -> str:
    """Named graphs kept: ontology, entities, one graph per article (sorted by name).

    rdflib's own TriG writer orders graphs by hash, so the file changed with PYTHONHASHSEED;
    each graph is written with the (deterministic) Turtle writer instead.
    """
    prefixes: set[str] = set()
    blocks: list[str] = []
    for graph in sorted(dataset.graphs(), key=lambda g: str(g.identifier)):
        if len(graph) == 0:
            continue
        single = bind_prefixes(Graph(bind_namespaces="none"))
        for triple in graph:
            single.add(triple)
        body: list[str] = []
        for line in single.serialize(format="turtle").splitlines():
            (prefixes.add(line) if line.startswith("@prefix") else body.append(line))
        # no indentation: it would add spaces inside multi-line literals (the article text)
        inner = "\n".join(body).strip("\n")
        blocks.append(f"<{graph.identifier}> {{\n{inner}\n}}\n")
    return "\n".join(sorted(prefixes)) + "\n\n" + "\n".join(blocks)


def to_ntriples(dataset: Dataset) -> str:
    """Sorted N-Triples: byte-identical for the same data whatever the hash seed."""
    text = union_graph(dataset).serialize(format="nt")
    lines = sorted(line for line in text.splitlines() if line.strip())
    return "\n".join(lines) + "\n"


def to_nquads(dataset: Dataset) -> str:
    """Sorted N-Quads, one named graph per article (rdflib's writer warns under rdflib 7.6)."""
    lines: list[str] = []
    for graph in dataset.graphs():
        single = Graph(bind_namespaces="none")
        for triple in graph:
            single.add(triple)
        suffix = f" <{graph.identifier}> ."
        lines += [line[:-2] + suffix for line in single.serialize(format="nt").splitlines()
                  if line.strip()]
    return "\n".join(sorted(lines)) + "\n"


def to_jsonld(dataset: Dataset) -> str:
    """JSON-LD with an inline context (nothing to fetch), nodes sorted by @id."""
    context = {prefix: str(ns) for prefix, ns in PREFIXES.items()}
    text = union_graph(dataset).serialize(format="json-ld", context=context, auto_compact=True)
    document = json.loads(text)
    nodes = document.get("@graph", [])
    for node in nodes:
        for key, value in node.items():
            if isinstance(value, list):
                node[key] = sorted(value, key=lambda v: json.dumps(v, sort_keys=True))
    document["@graph"] = sorted(nodes, key=lambda n: n.get("@id", ""))
    return json.dumps(document, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


RDF_EXPORTS.update({
    "diplo-kg.ttl": to_turtle,
    "diplo-kg.trig": to_trig,
    "diplo-kg.nt": to_ntriples,
    "diplo-kg.nq": to_nquads,
    "diplo-kg.jsonld": to_jsonld,
})
