"""Deterministic serialisations of the compiled graph (the build writes them atomically).

Every export is written by Oxigraph's serialisers from the canonical, sorted quads of
:class:`kg.quads.CompiledGraph`, so the same data always gives the same bytes, each literal keeps
the datatype it was written with, and a million triples serialise in seconds (rdflib's writers:
~7 minutes). N-Triples and Turtle hold the union of every graph; N-Quads, TriG and JSON-LD keep
the named graphs (ontology, entities, one per article). Nothing refers to a remote context.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

import pyoxigraph as ox
from rdflib import Dataset

from kg.namespaces import PREFIXES
from kg.quads import CompiledGraph

Compiled = CompiledGraph | Dataset

#: the writers' prefixes: all but dkr:, whose local names hold slashes (dkr:actor/x) that
#: Turtle would have to escape (dkr:actor\/x); minted IRIs are clearer written in full
_PREFIXES = {prefix: str(ns) for prefix, ns in sorted(PREFIXES.items()) if prefix != "dkr"}


def compiled(graph: Compiled) -> CompiledGraph:
    return graph if isinstance(graph, CompiledGraph) else CompiledGraph.from_dataset(graph)


class _ChunkReader(io.RawIOBase):
    """A readable binary stream over an iterator of byte chunks (Oxigraph's parser reads it
    as it goes, so a million quads are never one bytes object)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks, self._pending = chunks, memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._pending = memoryview(chunk)
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


def _stream(chunks: Iterator[bytes]) -> BinaryIO:
    return io.BufferedReader(_ChunkReader(chunks), buffer_size=1 << 20)


def write_ntriples(graph: Compiled, out: BinaryIO) -> None:
    """Sorted canonical N-Triples of the union: byte-identical for the same data."""
    for chunk in compiled(graph).ntriples_chunks():
        out.write(chunk)


def write_nquads(graph: Compiled, out: BinaryIO) -> None:
    """Canonical N-Quads, graphs sorted by name, each graph's triples sorted."""
    for chunk in compiled(graph).nquads_chunks():
        out.write(chunk)


def write_turtle(graph: Compiled, out: BinaryIO) -> None:
    """The union of every graph (ontology, registry, articles) as one Turtle file."""
    triples = ox.parse(_stream(compiled(graph).ntriples_chunks()), format=ox.RdfFormat.N_TRIPLES)
    ox.serialize(triples, out, format=ox.RdfFormat.TURTLE, prefixes=_PREFIXES)


def write_trig(graph: Compiled, out: BinaryIO) -> None:
    """Named graphs kept: ontology, entities, one graph per article (sorted by name)."""
    quads = ox.parse(_stream(compiled(graph).nquads_chunks()), format=ox.RdfFormat.N_QUADS)
    ox.serialize(quads, out, format=ox.RdfFormat.TRIG, prefixes=_PREFIXES)


def write_jsonld(graph: Compiled, out: BinaryIO) -> None:
    """Expanded JSON-LD (no context to fetch), one named graph per line, sorted by name."""
    source = compiled(graph)
    out.write(b"[\n")
    for i, name in enumerate(source.graphs):
        text = ox.serialize(ox.parse(source.graph_nquads(name), format=ox.RdfFormat.N_QUADS),
                            format=ox.RdfFormat.JSON_LD)
        out.write((b",\n" if i else b"") + text.strip()[1:-1])  # the graph object, no [ ]
    out.write(b"\n]\n")


def _in_memory(writer: Callable[[Compiled, BinaryIO], None]) -> Callable[[Compiled], bytes]:
    def render(graph: Compiled) -> bytes:
        buffer = io.BytesIO()
        writer(graph, buffer)
        return buffer.getvalue()
    render.__name__ = writer.__name__.replace("write_", "to_")
    render.__doc__ = writer.__doc__
    return render


#: file name under exports/ -> writer(graph, binary file): what ``kg build`` streams to disk
RDF_WRITERS: dict[str, Callable[[Compiled, BinaryIO], None]] = {
    "diplo-kg.ttl": write_turtle,
    "diplo-kg.trig": write_trig,
    "diplo-kg.nt": write_ntriples,
    "diplo-kg.nq": write_nquads,
    "diplo-kg.jsonld": write_jsonld,
}
#: the same as functions returning bytes
RDF_EXPORTS: dict[str, Callable[[Compiled], bytes]] = {
    name: _in_memory(writer) for name, writer in RDF_WRITERS.items()}
to_turtle, to_trig = RDF_EXPORTS["diplo-kg.ttl"], RDF_EXPORTS["diplo-kg.trig"]
to_ntriples, to_nquads = RDF_EXPORTS["diplo-kg.nt"], RDF_EXPORTS["diplo-kg.nq"]
to_jsonld = RDF_EXPORTS["diplo-kg.jsonld"]
