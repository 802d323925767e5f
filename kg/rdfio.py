"""Strict RDF reading and writing (I/O at the edge).

Reading goes through Oxigraph's parser, which rejects every W3C negative-syntax test that
rdflib lets through, and never fetches anything; the triples are then handed to rdflib.
Writing is atomic: a temp file in the same folder, then ``os.replace``.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD
from rdflib.term import Node as RDFNode

from kg.errors import InputError

MAX_RDF_BYTES = 200_000_000

#: file suffix -> pyoxigraph format
FORMATS: dict[str, ox.RdfFormat] = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".nq": ox.RdfFormat.N_QUADS,
    ".trig": ox.RdfFormat.TRIG,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".owl": ox.RdfFormat.RDF_XML,
}


def format_for(path: Path) -> ox.RdfFormat:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        known = ", ".join(sorted(FORMATS))
        raise InputError(f"unsupported RDF file type {path.suffix!r} (one of {known})", path=path)
    return fmt


def to_rdflib(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.DefaultGraph) -> RDFNode:
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        if datatype == str(XSD.string):
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(datatype))
    raise InputError(f"unsupported RDF term {term!r}")


def _quads(data: bytes, fmt: ox.RdfFormat, path: Path | str) -> Iterator[ox.Quad]:
    try:
        yield from ox.parse(data, format=fmt, base_iri=None)
    except SyntaxError as exc:
        line = getattr(exc, "lineno", None)
        column = getattr(exc, "offset", None)
        message = str(exc.msg if hasattr(exc, "msg") else exc).splitlines()[0]
        raise InputError(f"invalid syntax: {message}", path=path, line=line,
                         column=column) from None
    except (ValueError, OSError) as exc:
        raise InputError(f"invalid RDF: {str(exc).splitlines()[0] if str(exc) else exc}",
                         path=path) from None


def read_bytes(path: Path, limit: int = MAX_RDF_BYTES) -> bytes:
    try:
        size = path.stat().st_size
        if size > limit:
            raise InputError(f"file larger than {limit} bytes", path=path)
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read file ({exc.strerror or exc})", path=path) from None


def parse_rdf_file(path: Path, into: Graph | None = None) -> Graph:
    """Parse a triples file strictly into an rdflib Graph (named graphs are refused)."""
    graph = into if into is not None else Graph(bind_namespaces="none")
    fmt = format_for(path)
    for quad in _quads(read_bytes(path), fmt, path):
        if not isinstance(quad.graph_name, ox.DefaultGraph):
            raise InputError("named graphs are not allowed in a triples file", path=path)
        graph.add((to_rdflib(quad.subject), to_rdflib(quad.predicate), to_rdflib(quad.object)))
    return graph


def parse_rdf_dataset(path: Path) -> Dataset:
    """Parse any supported file strictly into an rdflib Dataset (union default graph)."""
    dataset = Dataset(default_union=True)
    fmt = format_for(path)
    for quad in _quads(read_bytes(path), fmt, path):
        triple = (to_rdflib(quad.subject), to_rdflib(quad.predicate), to_rdflib(quad.object))
        if isinstance(quad.graph_name, ox.DefaultGraph):
            dataset.default_graph.add(triple)  # type: ignore[arg-type]
        else:
            dataset.graph(to_rdflib(quad.graph_name)).add(triple)  # type: ignore[arg-type]
    return dataset


def stage_file(path: Path, data: str | bytes) -> Path:
    """Write ``data`` to a fsynced temp file beside ``path`` and return it (not yet renamed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(tmp, 0o644)
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return Path(tmp)


def atomic_write(path: Path, data: str | bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never half."""
    tmp = stage_file(path, data)
    try:
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


__all__ = ["RDF", "atomic_write", "parse_rdf_dataset", "parse_rdf_file", "stage_file", "to_rdflib"]
