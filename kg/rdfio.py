"""Strict RDF reading and writing (I/O at the edge).

Reading goes through Oxigraph's parser, which rejects every W3C negative-syntax test that
rdflib lets through, and never fetches anything (no remote JSON-LD context, no external XML
entity, no ``owl:imports``); the triples are then handed to rdflib.

Hostile input is bounded by :class:`Limits`: file size, nesting depth (blank nodes and
collections, JSON, XML elements: all refused from the bytes, before a parser builds anything),
literal length, XML entity expansion and parse time. Every failure, whatever the
bytes, is one :class:`~kg.errors.InputError` naming the file (with line and column for a
syntax error).

Writing is atomic: a temp file in the same folder, then ``os.replace``.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import os
import re
import stat
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD
from rdflib.term import Node as RDFNode

from kg.errors import InputError


@dataclass(frozen=True)
class Limits:
    """What a reader accepts; anything past a limit is refused with one clear InputError."""

    #: file size (bytes): a 1M-triple graph is ~230 MB of N-Quads
    max_bytes: int = 2_000_000_000
    #: total expansion of XML internal entities (bytes)
    max_entity_bytes: int = 200_000_000
    #: characters in one literal (an article text is at most 1 MB; Oxigraph's own token
    #: buffer stops at 16 MiB)
    max_literal_chars: int = 5_000_000
    #: nested blank nodes (``[ :p [ :p ... ] ]``, not list length), JSON objects/arrays, XML
    #: elements: rdflib's Turtle and JSON-LD writers recurse and fail near 200 levels, and
    #: Oxigraph's RDF/XML parser is quadratic in depth (30,000 levels: 8 s) and its JSON-LD
    #: parser overflows the C stack (10,000 levels: segmentation fault)
    max_depth: int = 100
    #: wall-clock seconds spent parsing one file
    max_seconds: float = 300.0


DEFAULT_LIMITS = Limits()
MAX_RDF_BYTES = DEFAULT_LIMITS.max_bytes

#: file suffix -> pyoxigraph format, for every loader (also the Oxigraph store's)
FORMATS: dict[str, ox.RdfFormat] = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".nq": ox.RdfFormat.N_QUADS,
    ".trig": ox.RdfFormat.TRIG,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".owl": ox.RdfFormat.RDF_XML,
}
#: what :func:`parse_quads` reads: JSON-LD too, but only here, behind the nesting check
#: (handed straight to Oxigraph, 10,000 nested objects crash the process)
READ_FORMATS: dict[str, ox.RdfFormat] = {**FORMATS, ".jsonld": ox.RdfFormat.JSON_LD}

_CHECK_EVERY = 4096  # quads between two looks at the clock
_XSD_STRING = str(XSD.string)
_XSD_BOOLEAN = str(XSD.boolean)


def format_for(path: Path, formats: dict[str, ox.RdfFormat] = FORMATS) -> ox.RdfFormat:
    fmt = formats.get(path.suffix.lower())
    if fmt is None:
        known = ", ".join(sorted(formats))
        raise InputError(f"unsupported RDF file type {path.suffix!r} (one of {known})", path=path)
    return fmt


def check_file(path: Path, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """The bytes of ``path`` once the checks that must come before Oxigraph pass (size, XML
    entity expansion and depth, JSON nesting): for loaders that hand a file to Oxigraph
    directly (``store.load(check_file(p), format=format_for(p))``)."""
    fmt = format_for(path, READ_FORMATS)
    payload = read_bytes(path, limits.max_bytes)
    _precheck(payload, fmt, path, limits)
    return payload


class _IllTypedLiteralFilter(logging.Filter):
    """Drops rdflib's "Failed to convert Literal lexical form" records: each carries a full
    traceback (``"abc"^^xsd:integer``, a 5,000-digit integer, bad XML in rdf:XMLLiteral...).
    An ill-typed literal is valid RDF; rdflib keeps it (``ill_typed``) and SHACL's
    ``sh:datatype`` reports it, so the log line is only noise on stderr."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Failed to convert Literal lexical form")


@cache
def _quiet_ill_typed_literals() -> None:
    logging.getLogger("rdflib.term").addFilter(_IllTypedLiteralFilter())


def to_rdflib(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.DefaultGraph) -> RDFNode:
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        if datatype == _XSD_STRING:
            return Literal(term.value)
        _quiet_ill_typed_literals()
        if datatype == _XSD_BOOLEAN:  # rdflib warns (UserWarning) on a "weird boolean"
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                return Literal(term.value, datatype=URIRef(datatype))
        return Literal(term.value, datatype=URIRef(datatype))
    raise InputError(f"unsupported RDF term {term!r}")


# ---------------------------------------------------------------------------- pre-checks

_XML_SKIPPED = re.compile(rb"<!--|<!\[CDATA\[|<\?")
_XML_CLOSERS = {b"<!--": b"-->", b"<![CDATA[": b"]]>", b"<?": b"?>"}
_XML_DOCTYPE = re.compile(rb"<!DOCTYPE\b[^\[>]*(?:\[(.*?)\])?\s*>", re.S)
_XML_ENTITY_DECL = re.compile(rb"<!ENTITY\s+([^\s%\"'<>]+)\s+\"([^\"<]*)\"\s*>")
_XML_ENTITY_REF = re.compile(rb"&([^\s&;<>#][^\s&;<>]*);")
_XML_TAG = re.compile(rb"<(/?)[^\s/>!?<]+(?:[^>\"'<]|\"[^\"<]*\"|'[^'<]*')*>")


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _xml_markup(data: bytes) -> bytes:
    """``data`` with comments, CDATA sections and processing instructions blanked (same
    offsets); an unterminated one blanks the rest. Linear time."""
    out = bytearray(data)
    pos = 0
    while (found := _XML_SKIPPED.search(data, pos)) is not None:
        end = data.find(_XML_CLOSERS[found.group(0)], found.end())
        end = len(data) if end < 0 else end + len(_XML_CLOSERS[found.group(0)])
        out[found.start():end] = b" " * (end - found.start())
        pos = end
    return bytes(out)


def _check_xml(data: bytes, path: Path | str, limits: Limits) -> None:
    """Bound RDF/XML before Oxigraph sees it: entity expansion (it expands internal entities:
    a 1 KB "billion laughs" file would grow to gigabytes) and element depth."""
    body = _xml_markup(data)
    declared = body.count(b"<!ENTITY")
    if declared:
        start = body.find(b"<!DOCTYPE")
        doctype = _XML_DOCTYPE.match(body, start) if start >= 0 else None
        subset = doctype.group(1) or b"" if doctype else b""
        found = _XML_ENTITY_DECL.findall(subset)
        entities = dict(found)
        if len(found) != declared or len(entities) != declared:
            line = _line_of(data, body.find(b"<!ENTITY"))
            raise InputError("unsupported XML entity declaration (only distinct internal "
                             'entities written <!ENTITY name "value"> are read)',
                             path=path, line=line)
        for name, value in entities.items():
            if b"&" in value.replace(b"&#", b""):
                line = _line_of(data, body.find(b"<!ENTITY " + name))
                raise InputError(f"XML entity {name.decode('utf-8', 'replace')!r} refers to "
                                 "another entity (nested entities are refused)",
                                 path=path, line=line)
        total = sum(len(entities.get(m.group(1), b"")) for m in _XML_ENTITY_REF.finditer(body))
        if total > limits.max_entity_bytes:
            raise InputError("XML entities would expand to more than "
                             f"{limits.max_entity_bytes} bytes", path=path)
    depth = 0
    for match in _XML_TAG.finditer(body):
        if match.group(1):
            depth -= 1
        elif not match.group(0).endswith(b"/>"):
            depth += 1
            if depth > limits.max_depth:
                raise InputError(f"XML elements nested deeper than {limits.max_depth} levels",
                                 path=path, line=_line_of(data, match.start()))


def _check_json(data: bytes, path: Path | str, limits: Limits) -> None:
    """JSON-LD: valid JSON, nested at most ``max_depth`` levels (Oxigraph's JSON-LD parser
    recurses on the C stack)."""
    try:
        document = json.loads(data)
    except RecursionError:
        raise InputError(f"JSON nested deeper than {limits.max_depth} levels",
                         path=path) from None
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON: {exc.msg}", path=path, line=exc.lineno,
                         column=exc.colno) from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"invalid JSON: {str(exc).splitlines()[0]}", path=path) from None
    stack: list[tuple[object, int]] = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        children = (value.values() if isinstance(value, dict)
                    else value if isinstance(value, list) else ())
        if children and depth > limits.max_depth:
            raise InputError(f"JSON nested deeper than {limits.max_depth} levels", path=path)
        stack.extend((child, depth + 1) for child in children)


#: what may hold brackets in Turtle/TriG without nesting anything: long and short strings,
#: IRIs, comments, escaped characters of prefixed names
_TTL_SKIPPED = (rb'"""[^"\\]*(?:(?:\\.|"(?!""))[^"\\]*)*(?:"""|\Z)'
                rb"|'''[^'\\]*(?:(?:\\.|'(?!''))[^'\\]*)*(?:'''|\Z)"
                rb'|"[^"\\\n\r]*(?:\\.[^"\\\n\r]*)*"?'
                rb"|'[^'\\\n\r]*(?:\\.[^'\\\n\r]*)*'?"
                rb'|<[^<>"{}|^`\\\x00-\x20]*>?'
                rb"|#[^\n\r]*"
                rb"|\\.")
_TTL_STRIP = re.compile(_TTL_SKIPPED, re.S)
_TTL_TOKENS = re.compile(_TTL_SKIPPED + rb"|[\[\]()]", re.S)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]()")
_BRACKET_STEP = [{ord("["): 1, ord("("): 1, ord("]"): -1, ord(")"): -1}.get(b, 0)
                 for b in range(256)]


def _check_turtle_nesting(data: bytes, path: Path | str, limits: Limits) -> None:
    """Refuse Turtle/TriG whose blank node property lists ``[ ]`` and collections ``( )`` nest
    ``max_depth`` levels (the subject counted) or more, before Oxigraph reads it: its parser
    keeps a frame per open level and yields the innermost triple first (1M levels in 7 MB: 27 s
    and 1.1 GB before a check after the parse could refuse it). Linear, and in C but for the
    brackets themselves: strings, IRIs and comments are cut out by one ``re.sub`` (about 30 ns
    a byte: 6 s for 200 MB; only when there are enough brackets), the brackets kept, and their
    running depth summed."""
    if data.count(b"[") + data.count(b"(") < limits.max_depth - 1:
        return  # too few brackets to nest that deep
    brackets = _TTL_STRIP.sub(b"", data).translate(None, _NOT_BRACKETS)
    steps = map(_BRACKET_STEP.__getitem__, brackets)
    if max(itertools.accumulate(steps), default=0) + 1 <= limits.max_depth:
        return
    depth, line = 0, None
    for match in _TTL_TOKENS.finditer(data):  # only to say where
        token = match.group(0)
        depth += _BRACKET_STEP[token[0]] if len(token) == 1 else 0
        if depth + 1 > limits.max_depth:
            line = _line_of(data, match.start())
            break
    raise InputError(f"blank nodes or collections nested deeper than {limits.max_depth} levels",
                     path=path, line=line)


def _blank_depth(edges: dict[str, list[str]]) -> int:
    """The longest chain of blank nodes nested as objects (cycles are cut, not followed)."""
    depth: dict[str, int] = {}
    for root in edges:
        if root in depth:
            continue
        on_path: set[str] = {root}
        stack: list[tuple[str, Iterator[str]]] = [(root, iter(edges.get(root, ())))]
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                on_path.discard(node)
                depth[node] = 1 + max((depth.get(c, 0) for c in edges.get(node, ())
                                       if c not in on_path), default=0)
            elif child not in depth and child not in on_path:
                on_path.add(child)
                stack.append((child, iter(edges.get(child, ()))))
    return max(depth.values(), default=0)


def _precheck(payload: bytes, fmt: ox.RdfFormat, path: Path | str, limits: Limits) -> None:
    if len(payload) > limits.max_bytes:
        raise InputError(f"file larger than {limits.max_bytes} bytes", path=path)
    if fmt == ox.RdfFormat.RDF_XML:
        _check_xml(payload, path, limits)
    elif fmt == ox.RdfFormat.JSON_LD:
        _check_json(payload, path, limits)
    elif fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG):
        _check_turtle_nesting(payload, path, limits)


# ---------------------------------------------------------------------------- parsing

_OX_POSITION = re.compile(r"^Parser error (?:at|between) [^:]*:\s*")


def _syntax_message(exc: SyntaxError) -> str:
    text = str(exc.msg if getattr(exc, "msg", None) else exc)
    first = text.splitlines()[0] if text else type(exc).__name__
    if "LoadDocumentCallback" in first:  # Oxigraph has no document loader: nothing is fetched
        return "remote JSON-LD contexts are never fetched (put the context inline)"
    return _OX_POSITION.sub("", first) or first


def read_bytes(path: Path, limit: int = MAX_RDF_BYTES) -> bytes:
    """A regular file's bytes, refusing anything larger than ``limit`` (read at most that)."""
    try:
        # O_NONBLOCK: opening a FIFO named like a data file must not hang; it is refused below
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise InputError("not a regular file", path=path)
            data = handle.read(limit + 1)
    except OSError as exc:
        raise InputError(f"cannot read file ({exc.strerror or exc})", path=path) from None
    if len(data) > limit:
        raise InputError(f"file larger than {limit} bytes", path=path)
    return data


def parse_quads(path: Path, *, base_iri: str | None = None,
                limits: Limits = DEFAULT_LIMITS, data: bytes | None = None) -> Iterator[ox.Quad]:
    """Every quad of ``path`` (or of ``data``, parsed as ``path``'s format), strictly and within
    ``limits``; any problem is an InputError naming the file. Consume it fully: the depth limit
    is checked once the last quad is read."""
    fmt = format_for(path, READ_FORMATS)
    payload = read_bytes(path, limits.max_bytes) if data is None else data
    _precheck(payload, fmt, path, limits)
    deadline = time.monotonic() + limits.max_seconds
    nested: dict[str, list[str]] = {}
    rest = str(RDF.rest)
    count = 0
    try:
        for quad in ox.parse(payload, format=fmt, base_iri=base_iri):
            count += 1
            if count % _CHECK_EVERY == 0 and time.monotonic() > deadline:
                raise InputError(f"parsing took longer than {limits.max_seconds:g} s", path=path)
            obj = quad.object
            if isinstance(obj, ox.Literal):
                if len(obj.value) > limits.max_literal_chars:
                    raise InputError(f"literal longer than {limits.max_literal_chars} characters "
                                     f"(subject {quad.subject})", path=path)
            elif (isinstance(obj, ox.BlankNode) and isinstance(quad.subject, ox.BlankNode)
                  and quad.predicate.value != rest):
                nested.setdefault(quad.subject.value, []).append(obj.value)
            yield quad
    except SyntaxError as exc:
        raise InputError(f"invalid syntax: {_syntax_message(exc)}", path=path,
                         line=getattr(exc, "lineno", None),
                         column=getattr(exc, "offset", None)) from None
    except MemoryError as exc:  # Oxigraph: "Reached the buffer maximal size of 16777216"
        detail = str(exc).splitlines()[0] if str(exc) else "out of memory"
        raise InputError(f"a single token is too large to parse ({detail})", path=path) from None
    except RecursionError:
        raise InputError("nested too deeply", path=path) from None
    except (ValueError, OSError, UnicodeError) as exc:
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"invalid RDF: {detail}", path=path) from None
    if time.monotonic() > deadline:
        raise InputError(f"parsing took longer than {limits.max_seconds:g} s", path=path)
    # a blank node object of its subject: +1 for the outermost node (subject of an IRI)
    if nested and _blank_depth(nested) + 1 > limits.max_depth:
        raise InputError(f"blank nodes nested deeper than {limits.max_depth} levels", path=path)


def parse_rdf_file(path: Path, into: Graph | None = None, *, base_iri: str | None = None,
                   limits: Limits = DEFAULT_LIMITS) -> Graph:
    """Parse a triples file strictly into an rdflib Graph (named graphs are refused)."""
    triples = []
    for quad in parse_quads(path, base_iri=base_iri, limits=limits):
        if not isinstance(quad.graph_name, ox.DefaultGraph):
            raise InputError("named graphs are not allowed in a triples file", path=path)
        triples.append((to_rdflib(quad.subject), to_rdflib(quad.predicate),
                        to_rdflib(quad.object)))
    graph = into if into is not None else Graph(bind_namespaces="none")
    for triple in triples:
        graph.add(triple)  # type: ignore[arg-type]
    return graph


def parse_rdf_dataset(path: Path, *, base_iri: str | None = None,
                      limits: Limits = DEFAULT_LIMITS) -> Dataset:
    """Parse any supported file strictly into an rdflib Dataset (union default graph)."""
    quads = list(parse_quads(path, base_iri=base_iri, limits=limits))
    dataset = Dataset(default_union=True)
    for quad in quads:
        triple = (to_rdflib(quad.subject), to_rdflib(quad.predicate), to_rdflib(quad.object))
        if isinstance(quad.graph_name, ox.DefaultGraph):
            dataset.default_graph.add(triple)  # type: ignore[arg-type]
        else:
            dataset.graph(to_rdflib(quad.graph_name)).add(triple)  # type: ignore[arg-type]
    return dataset


#: what may be staged: text, bytes, or a function that writes the bytes into the open file
#: (so a large export streams to disk instead of being held in memory whole)
Content = str | bytes | Callable[[BinaryIO], None]


def _temp_beside(path: Path) -> tuple[int, str]:
    """A new temp file beside ``path`` (fd, name); InputError if ``path`` cannot be written."""
    if path.is_dir():
        raise InputError("the output path is a folder, not a file", path=path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise InputError(f"cannot write here ({exc.strerror or exc})", path=path) from None


def check_output_path(path: Path) -> None:
    """Refuse, before any work, an output file that cannot be written: a folder, or a place
    whose folder cannot be made or written (InputError, exit 2)."""
    fd, tmp = _temp_beside(path)
    os.close(fd)
    os.unlink(tmp)


def refuse_symlinks(folder: Path) -> None:
    """Refuse to write into ``folder`` if it, or anything in it, is a symbolic link: a dangling
    link named like a file we create would have us write wherever it points."""
    entries = [folder]
    if folder.is_dir() and not folder.is_symlink():
        entries += sorted(folder.iterdir())
    for entry in entries:
        if entry.is_symlink():
            raise InputError("refusing to write through a symbolic link", path=entry)


def stage_file(path: Path, data: Content) -> Path:
    """Write ``data`` to a fsynced temp file beside ``path`` and return it (not yet renamed);
    a path that cannot be written at all is an InputError (exit 2)."""
    fd, tmp = _temp_beside(path)
    try:
        os.chmod(tmp, 0o644)
        with os.fdopen(fd, "wb") as handle:
            if callable(data):
                data(handle)
            else:
                handle.write(data.encode("utf-8") if isinstance(data, str) else data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return Path(tmp)


def atomic_write(path: Path, data: Content) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never half."""
    tmp = stage_file(path, data)
    try:
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


__all__ = ["DEFAULT_LIMITS", "FORMATS", "RDF", "READ_FORMATS", "Limits", "atomic_write",
           "check_file", "check_output_path", "format_for", "parse_quads", "parse_rdf_dataset",
           "parse_rdf_file", "read_bytes", "refuse_symlinks", "stage_file", "to_rdflib"]
