"""Where queries run: one small interface over three triple stores.

- ``rdflib`` (default): the dataset in memory, queried with rdflib in query workers.
- ``oxigraph`` / ``oxigraph:PATH``: an embedded Oxigraph store (pyoxigraph), in memory or
  persistent on disk at PATH. A persistent store remembers which graph file it was loaded from
  (size + SHA-256 in ``PATH/kg-source.json``) and is reopened without reloading while that file
  is unchanged; queries see the union of all graphs (``use_default_graph_as_union``).
- a remote SPARQL server (Oxigraph server, Apache Jena Fuseki, GraphDB, Virtuoso...): queries go
  over the SPARQL 1.1 Protocol; :func:`push` uploads the built graph with the SPARQL 1.1 Graph
  Store Protocol (one ``PUT ?graph=IRI`` per named graph, N-Triples bodies). The server must
  expose the union of its graphs as the default graph (Oxigraph: ``--union-default-graph``,
  Fuseki: ``tdb2:unionDefaultGraph true``; GraphDB and Virtuoso do so by default).

Every backend answers a query with the same :class:`kg.query.QueryResult` of rdflib terms, and
every query is vetted by rdflib first (read-only; no SERVICE, no FROM, no update), on the very
text the engine then runs: codepoint escapes are decoded once by :func:`kg.query.decode_escapes`
and none is left for an engine to read its own way. Parameters are RDF terms: ``initBindings``
(rdflib), ``substitutions`` (Oxigraph), a ``VALUES`` block written with ``term.n3()`` (remote),
never user text spliced into a query.
The embedded backends run each query in long-lived forked workers (:class:`kg.query.QueryWorkers`)
that parse, vet and run it within the time limit, are killed past it, and have no network where
the system allows; a remote query is vetted in a child killed at the time limit.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import itertools
import json
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pyoxigraph as ox
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Node

from kg.errors import InputError, KGError, QueryTimeout
from kg.namespaces import bind_prefixes
from kg.quads import CompiledGraph
from kg.query import (
    QueryResult,
    QueryWorkers,
    check_query,
    check_timeout,
    decode_escapes,
    rdflib_answer,
    result_from_data,
    run_in_child,
    vet_decoded,
)
from kg.rdfio import check_file, format_for, parse_quads, parse_rdf_dataset, read_bytes, to_rdflib

STORE_KINDS: tuple[str, ...] = ("rdflib", "oxigraph", "oxigraph:PATH")
SOURCE_MARKER = "kg-source.json"
USER_AGENT = "diplo-kg (+https://w3id.org/diplo-kg)"
HTTP_TIMEOUT = 60.0
MAX_RESPONSE_BYTES = 500_000_000


@dataclass(frozen=True)
class GraphSelection:
    """A protocol-specified dataset (``default-graph-uri`` / ``named-graph-uri``): graphs of the
    store chosen by name. Never dereferenced: a name the store does not hold is an empty graph."""

    default: tuple[URIRef, ...] = ()
    named: tuple[URIRef, ...] = ()


class Backend(Protocol):
    """A place where read-only SPARQL queries run."""

    label: str

    def query(self, sparql: str, bindings: Mapping[str, Node] | None = None, timeout: float = 30.0,
              *, graphs: GraphSelection | None = None, max_rows: int | None = None) -> QueryResult:
        """Vet and run ``sparql`` within ``timeout`` seconds in all (parsing, vetting, running,
        reading the answer); ``bindings`` map variable names to RDF terms; with ``max_rows``,
        at most ``max_rows + 1`` rows or triples come back (one more: the caller sees the cut)."""
        ...

    def close(self) -> None:
        """Release the store (a persistent Oxigraph store is unlocked)."""
        ...


def _bound(bindings: Mapping[str, Node] | None) -> dict[str, Node]:
    bound = {str(k).lstrip("?$"): v for k, v in (bindings or {}).items()}
    for key, value in bound.items():
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
            raise InputError(f"not a SPARQL variable name: {key!r}")
        if not isinstance(value, URIRef | Literal | BNode):
            raise InputError(f"binding for ?{key} is not an RDF term: {value!r}")
    return bound


# ---------------------------------------------------------------------------- rdflib


def _select_graphs(dataset: Dataset, graphs: GraphSelection) -> Dataset:
    """A dataset whose default graph merges the chosen graphs and whose named graphs are the
    chosen named ones (copies; graphs the dataset does not hold are empty)."""
    selected = Dataset(default_union=False)
    held = {g.identifier: g for g in dataset.graphs()}
    for name in graphs.default:
        if name in held:
            for triple in held[name]:
                selected.default_graph.add(triple)
    for name in graphs.named:
        target = selected.graph(name)
        if name in held:
            for triple in held[name]:
                target.add(triple)
    return selected


def _rdflib_handler(dataset: Dataset) -> Callable[[Any], Any]:
    """What an rdflib query worker does with a request ``(sparql, bindings, graphs, max_rows)``:
    vet (cached in the worker), evaluate, pack the answer (:func:`kg.query.rdflib_answer`)."""

    def handle(request: tuple[str, Mapping[str, Node], GraphSelection | None, int | None]) -> Any:
        sparql, bound, graphs, max_rows = request
        chosen = dataset if graphs is None else _select_graphs(dataset, graphs)
        return rdflib_answer(chosen, sparql, bound, max_rows)

    return handle


@dataclass
class RdflibBackend:
    """The dataset in memory, queried with rdflib (the reference semantics of the project).

    Queries run in long-lived worker processes (:class:`kg.query.QueryWorkers`) forked at the
    first query: each parses, vets and evaluates within the time limit, keeps its parses for
    the next queries, and is replaced when killed or grown large. The dataset is the one the
    workers were forked with: a backend serves a dataset that no longer changes."""

    dataset: Dataset
    label: str = "rdflib (in memory)"
    workers: QueryWorkers = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.workers = QueryWorkers(_rdflib_handler(self.dataset), name="kg-query-rdflib")
        weakref.finalize(self, self.workers.close)

    def query(self, sparql: str, bindings: Mapping[str, Node] | None = None, timeout: float = 30.0,
              *, graphs: GraphSelection | None = None, max_rows: int | None = None) -> QueryResult:
        check_timeout(timeout)
        request = (decode_escapes(sparql), _bound(bindings), graphs, max_rows)
        return result_from_data(self.workers.call(request, timeout))

    def close(self) -> None:
        self.workers.close()


# ---------------------------------------------------------------------------- Oxigraph


def to_oxigraph(node: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """An rdflib term as a pyoxigraph term (the inverse of :func:`kg.rdfio.to_rdflib`)."""
    if isinstance(node, URIRef):
        return ox.NamedNode(str(node))
    if isinstance(node, BNode):
        return ox.BlankNode(str(node))
    if isinstance(node, Literal):
        if node.language:
            return ox.Literal(str(node), language=node.language)
        datatype = node.datatype or XSD.string
        return ox.Literal(str(node), datatype=ox.NamedNode(str(datatype)))
    raise InputError(f"unsupported RDF term {node!r}")


def _ox_graph_name(name: URIRef) -> ox.NamedNode:
    return ox.NamedNode(str(name))


def _ox_query(store: ox.Store, sparql: str, bound: Mapping[str, Node],
              graphs: GraphSelection | None) -> Any:
    options: dict[str, Any] = {}
    if graphs is None:
        options["use_default_graph_as_union"] = True
    else:
        options["default_graph"] = [_ox_graph_name(g) for g in graphs.default]
        options["named_graphs"] = [_ox_graph_name(g) for g in graphs.named]
    text = sparql
    if bound:
        substitutions = {ox.Variable(k): to_oxigraph(v) for k, v in bound.items()}
        try:
            return store.query(text, substitutions=substitutions, **options)
        except RuntimeError as exc:
            # Oxigraph substitutes only variables of the SELECT projection (SEP-0007); for any
            # other parameter, join a VALUES block at the top of the WHERE clause instead
            if "projection" not in str(exc):
                raise
            text = with_values(sparql, bound)
    return store.query(text, **options)


def _ox_payload(result: Any, form: str, max_rows: int | None = None) -> bool | bytes:
    """An Oxigraph answer as Oxigraph serialises it (in Rust, no Python object per term): a
    boolean, SPARQL TSV results (terms in N-Triples syntax) or N-Triples. With ``max_rows``,
    solutions or triples are read while Oxigraph yields them and reading stops one past the cap
    (the rest is never computed where the query allows it)."""
    if form == "ASK":
        return bool(result)
    if form in ("CONSTRUCT", "DESCRIBE"):
        if max_rows is None:
            return result.serialize(format=ox.RdfFormat.N_TRIPLES)  # type: ignore[no-any-return]
        return ox.serialize(itertools.islice(result, max_rows + 1),  # type: ignore[no-any-return]
                            format=ox.RdfFormat.N_TRIPLES)
    if max_rows is None:
        return result.serialize(format=ox.QueryResultsFormat.TSV)  # type: ignore[no-any-return]
    variables = [v.value for v in result.variables]
    lines = ["\t".join(f"?{v}" for v in variables)]
    for solution in itertools.islice(result, max_rows + 1):  # str(): the term in N-Triples
        lines.append("\t".join("" if term is None else str(term) for term in solution))
    return ("\n".join(lines) + "\n").encode("utf-8")


_XSD = "http://www.w3.org/2001/XMLSchema#"
#: TSV's Turtle short forms of literals (Oxigraph writes them only for valid lexical forms)
_TSV_KEYWORDS = {"true": _XSD + "boolean", "false": _XSD + "boolean"}
_TSV_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?P<dot>\.[0-9]*)?|\.[0-9]+)(?P<exp>[eE][+-]?[0-9]+)?")
_TSV_LITERAL = re.compile(r'"(?P<value>[^"\\]*)"(?:@(?P<lang>[^"\s]+)|\^\^<(?P<datatype>[^<>"\s]+)>)?')
#: distinct TSV cells whose rdflib terms a backend remembers across queries
TERM_CACHE_SIZE = 200_000


def _tsv_term_slow(cell: str) -> Node:
    """A TSV cell parsed by Oxigraph itself (escaped strings, anything unusual)."""
    try:
        (solution,) = ox.parse_query_results(f"?t\n{cell}\n".encode(), ox.QueryResultsFormat.TSV)
        term = solution["t"]
    except (SyntaxError, ValueError) as exc:
        raise KGError(f"cannot read a query answer term {cell[:60]!r}: {exc}") from None
    if term is None:
        raise KGError(f"cannot read a query answer term {cell[:60]!r}")
    return to_rdflib(term)


def _tsv_term(cell: str) -> Node | None:
    """One cell of SPARQL TSV results as the rdflib term :func:`kg.rdfio.to_rdflib` gives for
    the same Oxigraph term; "" is unbound."""
    if not cell:
        return None
    head = cell[0]
    if head == "<" and cell[1] != "<":
        return URIRef(cell[1:-1])
    if head == "_":
        return BNode(cell[2:])
    if head == '"':
        match = _TSV_LITERAL.fullmatch(cell)
        if match is None:  # escapes in the string: Oxigraph's parser decodes them
            return _tsv_term_slow(cell)
        value, lang, datatype = match.group("value", "lang", "datatype")
        if lang:
            return Literal(value, lang=lang)
        if datatype is None or datatype == _XSD + "string":
            return Literal(value)
        return to_rdflib(ox.Literal(value, datatype=ox.NamedNode(datatype)))
    datatype = _TSV_KEYWORDS.get(cell)
    if datatype is None:
        number = _TSV_NUMBER.fullmatch(cell)
        if number is None:
            return _tsv_term_slow(cell)
        datatype = _XSD + ("double" if number.group("exp") else
                           "decimal" if number.group("dot") else "integer")
    return to_rdflib(ox.Literal(cell, datatype=ox.NamedNode(datatype)))


def _tsv_rows(text: str, cache: dict[str, Node | None]) -> tuple[tuple[str, ...],
                                                                   tuple[tuple[Node | None, ...], ...]]:
    """Variables and rows of SPARQL TSV results. Each distinct cell is converted once; ``cache``
    keeps the conversions for the next queries (bounded: emptied when full)."""
    head, _, body = text.partition("\n")
    variables = tuple(v[1:] for v in head.split("\t")) if head else ()
    if not variables:
        return (), ((),) * body.count("\n")
    # every row ends with a line break; "" between tabs is an unbound cell
    cells = body[:-1].replace("\n", "\t").split("\t") if body else []
    distinct = set(cells)
    new = {cell: _tsv_term(cell) for cell in distinct.difference(cache)}  # outside the lock
    with _TERM_CACHE_LOCK, _gc_paused():
        # terms another thread's answer emptied from the cache since the difference above
        new.update((cell, _tsv_term(cell)) for cell in distinct.difference(cache, new))
        if len(distinct) > TERM_CACHE_SIZE:  # more than the cache holds: this answer's own table
            terms = {cell: new[cell] if cell in new else cache[cell] for cell in distinct}
            flat = tuple(map(terms.__getitem__, cells))
        else:
            if len(cache) + len(new) > TERM_CACHE_SIZE:
                kept = {cell: cache[cell] for cell in distinct.intersection(cache)}
                cache.clear()
                cache.update(kept)
            cache.update(new)
            flat = tuple(map(cache.__getitem__, cells))
        return variables, tuple(zip(*[iter(flat)] * len(variables), strict=True))


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """The cycle collector paused while an answer's rows become tuples (held under
    ``_TERM_CACHE_LOCK``, so threads cannot interleave the pause). Rows make no cycles, but each
    collection re-walks the large cell table: at 34k rows × 9 columns, half the reading time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


_TERM_CACHE_LOCK = threading.Lock()


def _ntriples_graph(data: bytes) -> Graph:
    """N-Triples from a worker as an rdflib Graph, each distinct term converted once."""
    graph = bind_prefixes(Graph(bind_namespaces="none"))
    terms: dict[Any, Node] = {}

    def term(node: Any) -> Node:
        found = terms.get(node)
        if found is None:
            found = terms[node] = to_rdflib(node)
        return found

    for triple in ox.parse(data, format=ox.RdfFormat.N_TRIPLES):
        graph.add((term(triple.subject), term(triple.predicate), term(triple.object)))
    return graph


def _ox_answer(form: str, payload: bool | bytes, cache: dict[str, Node | None]) -> QueryResult:
    """A worker's payload (:func:`_ox_payload`) as a QueryResult of rdflib terms."""
    if form == "ASK":
        return QueryResult(form=form, variables=(), rows=(), boolean=bool(payload), graph=None)
    assert isinstance(payload, bytes)
    if form in ("CONSTRUCT", "DESCRIBE"):
        return QueryResult(form=form, variables=(), rows=(), boolean=None,
                           graph=_ntriples_graph(payload))
    variables, rows = _tsv_rows(payload.decode("utf-8"), cache)
    return QueryResult(form=form, variables=variables, rows=rows, boolean=None, graph=None)


def _marker_state(path: Path) -> tuple[int, int] | None:
    try:
        stat = (path / SOURCE_MARKER).stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


def _oxigraph_handler(store: ox.Store | None, path: Path | None) -> Callable[[Any], Any]:
    """What a query worker does with a request ``(sparql, form, bindings, graphs)``.

    An in-memory store is the parent's, inherited with the fork. A disk store is opened
    read-only in the worker and kept open; it is reopened when ``kg build --store`` has
    reloaded it since (its source marker changed), so the worker never reads a stale store."""
    opened: dict[str, Any] = {}

    def own_store() -> ox.Store:
        if store is not None:
            return store
        assert path is not None
        state = _marker_state(path)
        if "store" not in opened or opened["state"] != state:
            opened.pop("store", None)
            try:
                opened["store"] = ox.Store.read_only(str(path))
            except OSError as exc:
                raise KGError(f"cannot open the Oxigraph store ({str(exc).splitlines()[0]})",
                              path=path) from None
            opened["state"] = state
        return opened["store"]  # type: ignore[no-any-return]

    def handle(request: tuple[str, Mapping[str, Node], GraphSelection | None, int | None]
               ) -> tuple[str, bool | bytes]:
        sparql, bound, graphs, max_rows = request
        # rdflib vets the very text Oxigraph then runs (escapes decoded by the caller: both
        # read it alike), here in the worker, so parsing counts against the time limit too
        form = vet_decoded(sparql)
        try:
            return form, _ox_payload(_ox_query(own_store(), sparql, bound, graphs), form, max_rows)
        except SyntaxError as exc:
            raise InputError(f"SPARQL syntax error: {str(exc).splitlines()[0]}") from None

    return handle


@dataclass
class OxigraphBackend:
    """An embedded Oxigraph store: in memory (``store``) or on disk at ``path``.

    Queries run in long-lived worker processes (:class:`kg.query.QueryWorkers`), forked at the
    first query and reused: an in-memory store is shared with them copy-on-write; a disk store
    is opened read-only in each worker, so several processes (``kg serve`` and ``kg query``) can
    read it at once. A query past its time limit kills its worker; the next query forks a fresh
    one. Answers cross the pipe as Oxigraph's own serialisation and each distinct term becomes
    an rdflib term once (remembered across queries). :meth:`close` stops the workers; so does
    the backend's garbage collection and the interpreter's exit.
    """

    store: ox.Store | None = None
    path: Path | None = None
    label: str = "oxigraph (in memory)"
    workers: QueryWorkers = field(init=False, repr=False)
    _terms: dict[str, Node | None] = field(init=False, repr=False, default_factory=dict)

    def __post_init__(self) -> None:
        if self.store is None and self.path is None:
            raise InputError("an Oxigraph backend needs a store or a path")
        self.workers = QueryWorkers(_oxigraph_handler(self.store, self.path))
        weakref.finalize(self, self.workers.close)

    def query(self, sparql: str, bindings: Mapping[str, Node] | None = None, timeout: float = 30.0,
              *, graphs: GraphSelection | None = None, max_rows: int | None = None) -> QueryResult:
        check_timeout(timeout)
        request = (decode_escapes(sparql), _bound(bindings), graphs, max_rows)
        form, payload = self.workers.call(request, timeout)
        return _ox_answer(form, payload, self._terms)

    def close(self) -> None:
        self.workers.close()
        self.store = None
        self._terms.clear()


def _fingerprint(graph_file: Path) -> dict[str, object]:
    data = read_bytes(graph_file)
    return {"file": graph_file.name, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def load_oxigraph(graph_file: Path, path: Path | None = None,
                  quads: CompiledGraph | None = None) -> ox.Store:
    """An Oxigraph store holding ``graph_file``: in memory, or on disk at ``path``.

    A disk store already loaded from an identical file is reopened as is (no reload); otherwise
    it is cleared and bulk-loaded, then marked with the file's fingerprint. ``quads``, the
    compiled graph the file was written from, is loaded instead of parsing the file again
    (``kg build --store``: at 1M triples 8 s and ~350 MB instead of 12 s and 1 GB).
    """
    format_for(graph_file)  # a clear error for an unsupported suffix
    if not graph_file.is_file():
        raise InputError("graph file not found (run kg build first)", path=graph_file)
    if path is None:
        store = ox.Store()
        _load_into(store, graph_file, bulk=False)
        return store
    marker = path / SOURCE_MARKER
    wanted = _fingerprint(graph_file)
    try:
        current = json.loads(marker.read_text(encoding="utf-8")) if marker.is_file() else None
    except (OSError, ValueError):
        current = None
    try:
        if current == wanted:  # loaded from this very file: reopen, read-only, no reload
            return ox.Store.read_only(str(path))
        path.mkdir(parents=True, exist_ok=True)
        store = ox.Store(str(path))
    except OSError as exc:
        raise KGError(f"cannot open the Oxigraph store ({str(exc).splitlines()[0]})",
                      path=path) from None
    marker.unlink(missing_ok=True)
    store.clear()
    if quads is not None:
        quads.to_store(store, bulk=True)
    else:
        _load_into(store, graph_file, bulk=True)
    store.flush()
    marker.write_text(json.dumps(wanted, indent=2) + "\n", encoding="utf-8")
    return store


def _load_into(store: ox.Store, graph_file: Path, *, bulk: bool) -> None:
    # through the gate first: size, XML entity expansion and nesting are checked before
    # Oxigraph sees the bytes (a 597-byte entity bomb otherwise aborts the process)
    data = check_file(graph_file)
    try:
        if bulk:
            store.bulk_load(input=data, format=format_for(graph_file))
        else:
            store.load(input=data, format=format_for(graph_file))
    except SyntaxError as exc:
        raise InputError(f"invalid syntax: {str(exc).splitlines()[0]}", path=graph_file) from None
    except OSError as exc:
        raise InputError(f"cannot load ({str(exc).splitlines()[0]})", path=graph_file) from None


# ---------------------------------------------------------------------------- remote server


_IRI = re.compile(r"<[^<>\"{}|^`\\\s]*>")


def _braces(text: str, start: int = 0) -> Iterator[tuple[int, str]]:
    """Positions of ``{`` and ``}`` outside comments, strings and IRIs, from ``start``."""
    i = start
    while i < len(text):
        char = text[i]
        if char == "#":
            end = text.find("\n", i)
            i = len(text) if end < 0 else end + 1
            continue
        if char in "\"'":
            quote = text[i:i + 3] if text[i:i + 3] in ('"""', "'''") else char
            i += len(quote)
            while i < len(text) and not text.startswith(quote, i):
                i += 2 if text[i] == "\\" else 1
            i += len(quote)
            continue
        if char == "<":
            iri = _IRI.match(text, i)
            if iri:
                i = iri.end()
                continue
        if char in "{}":
            yield i, char
        i += 1


def _where_brace(text: str, form: str) -> int:
    """Index of the ``{`` opening the WHERE clause (after a CONSTRUCT template)."""
    depth = 0
    groups = 0
    for index, char in _braces(text):
        if char == "{":
            if depth == 0:
                template = (form == "CONSTRUCT" and groups == 0
                            and not re.search(r"(?i)\bCONSTRUCT\s*WHERE\s*$", text[:index]))
                if not template:
                    return index
                groups += 1
            depth += 1
        else:
            depth -= 1
    raise InputError("query has no WHERE clause to bind parameters in")


def with_values(sparql: str, bindings: Mapping[str, Node]) -> str:
    """The query with ``VALUES (?a ?b) { (term term) }`` opening its WHERE clause.

    Terms are written with ``term.n3()`` (escaped by rdflib), variable names are checked; no
    user text is spliced in. A CONSTRUCT template's braces are skipped.
    """
    bound = _bound(bindings)
    if not bound:
        return sparql
    form = check_query(sparql)
    brace = _where_brace(sparql, form)
    names = " ".join(f"?{k}" for k in bound)
    terms = " ".join(_sparql_term(v) for v in bound.values())
    block = f"\n  VALUES ({names}) {{ ({terms}) }}\n"
    result = sparql[:brace + 1] + block + sparql[brace + 1:]
    check_query(result)
    return result


def _sparql_term(term: Node) -> str:
    """``term.n3()``, refused when it holds a backslash followed by u or U: SPARQL engines read
    that as a codepoint escape or not, each its own way (see :func:`kg.query.decode_escapes`),
    so no query text carries it. Oxigraph's projected variables are bound without text."""
    text = term.n3()
    if re.search(r"\\[uU]", text):
        raise InputError(f"a parameter holding a backslash followed by u or U cannot be written "
                         f"into a query: {text[:60]!r}")
    return text


_LITERAL_TYPES = ("literal", "typed-literal")


def _term_from_json(term: Mapping[str, str]) -> Node:
    kind, value = term.get("type"), term.get("value", "")
    if kind == "uri":
        return URIRef(value)
    if kind == "bnode":
        return BNode(value)
    if kind in _LITERAL_TYPES:
        if term.get("xml:lang"):
            return Literal(value, lang=term["xml:lang"])
        datatype = term.get("datatype")
        if datatype and datatype != str(XSD.string):
            return Literal(value, datatype=URIRef(datatype))
        return Literal(value)
    raise KGError(f"unexpected term in SPARQL JSON results: {kind!r}")


def parse_json_results(body: bytes, form: str) -> QueryResult:
    """SPARQL 1.1 Query Results JSON as a QueryResult of rdflib terms."""
    try:
        document = json.loads(body.decode("utf-8"))
        if form == "ASK":
            return QueryResult(form=form, variables=(), rows=(), boolean=bool(document["boolean"]),
                               graph=None)
        variables = tuple(document["head"].get("vars", ()))
        rows = tuple(tuple(_term_from_json(b[v]) if v in b else None for v in variables)
                     for b in document["results"]["bindings"])
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise KGError(f"the server sent malformed SPARQL JSON results ({type(exc).__name__})") \
            from None
    return QueryResult(form=form, variables=variables, rows=rows, boolean=None, graph=None)


def parse_graph_response(body: bytes, content_type: str) -> Graph:
    """An RDF response body (N-Triples, Turtle, ...) as an rdflib Graph, parsed strictly."""
    media = content_type.split(";")[0].strip() or "application/n-triples"
    fmt = ox.RdfFormat.from_media_type(media)
    if fmt is None:
        raise KGError(f"the server answered a graph query with unsupported media type {media!r}")
    graph = bind_prefixes(Graph(bind_namespaces="none"))
    try:
        for quad in ox.parse(body, format=fmt):
            graph.add((to_rdflib(quad.subject), to_rdflib(quad.predicate), to_rdflib(quad.object)))
    except SyntaxError as exc:
        raise KGError(f"the server sent invalid RDF: {str(exc).splitlines()[0]}") from None
    return graph


@dataclass(frozen=True)
class Credentials:
    """User and password for a server that asks for them (HTTP Basic or Digest, on a 401)."""

    user: str
    password: str = field(repr=False)


def credentials_from_env(environ: Mapping[str, str]) -> Credentials | None:
    """``KG_SPARQL_USER`` / ``KG_SPARQL_PASSWORD`` (never in a URL, where shells and server logs
    would keep them)."""
    user = environ.get("KG_SPARQL_USER")
    if not user:
        return None
    return Credentials(user, environ.get("KG_SPARQL_PASSWORD", ""))


def _opener(credentials: Credentials | None = None, url: str = "") -> urllib.request.OpenerDirector:
    """HTTP(S) only: no file:, ftp: or data: handlers (a redirect cannot reach them), no proxies
    from the environment; Basic or Digest authentication when the server asks and we have
    credentials."""
    opener = urllib.request.OpenerDirector()
    handlers: list[urllib.request.BaseHandler] = [
        urllib.request.HTTPHandler(), urllib.request.HTTPSHandler(),
        urllib.request.HTTPRedirectHandler(), urllib.request.HTTPDefaultErrorHandler(),
        urllib.request.HTTPErrorProcessor(), urllib.request.UnknownHandler()]
    if credentials is not None:
        passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        parts = urllib.parse.urlsplit(url)
        passwords.add_password(None, f"{parts.scheme}://{parts.netloc}/", credentials.user,
                               credentials.password)  # this server only, any realm
        handlers += [urllib.request.HTTPBasicAuthHandler(passwords),
                     urllib.request.HTTPDigestAuthHandler(passwords)]
    for handler in handlers:
        opener.add_handler(handler)
    return opener


def _http(request: urllib.request.Request, timeout: float,
          credentials: Credentials | None = None) -> tuple[int, str, bytes]:
    """Send a request; (status, content type, body). HTTP errors become KGError/InputError."""
    request.add_header("User-Agent", USER_AGENT)
    try:
        with _opener(credentials, request.full_url).open(request, timeout=timeout) as response:
            body = response.read(MAX_RESPONSE_BYTES + 1)
            if len(body) > MAX_RESPONSE_BYTES:
                raise KGError(f"response larger than {MAX_RESPONSE_BYTES} bytes")
            return response.status, response.headers.get("Content-Type", ""), body
    except urllib.error.HTTPError as exc:
        detail = exc.read(2000).decode("utf-8", "replace").strip().splitlines()
        first = detail[0][:300] if detail else exc.reason
        error_type = InputError if 400 <= exc.code < 500 else KGError
        raise error_type(f"{request.full_url.split('?')[0]} answered HTTP {exc.code}: {first}") \
            from None
    except TimeoutError:
        raise QueryTimeout(f"no answer from {request.full_url.split('?')[0]} within {timeout:g} s") \
            from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise QueryTimeout(f"no answer from {request.full_url.split('?')[0]} "
                               f"within {timeout:g} s") from None
        raise KGError(f"cannot reach {request.full_url.split('?')[0]} ({exc.reason})") from None


def check_url(url: str) -> str:
    """An http(s) URL (urllib would also open file: and ftp: URLs, which we never want)."""
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise InputError(f"not an http(s) URL: {url!r}")
    return url


@dataclass
class RemoteBackend:
    """A SPARQL 1.1 Protocol query endpoint, e.g. ``http://localhost:7878/query``."""

    endpoint: str
    credentials: Credentials | None = None
    label: str = field(default="", init=False)

    def __post_init__(self) -> None:
        check_url(self.endpoint)
        self.label = f"remote SPARQL endpoint {self.endpoint}"

    def query(self, sparql: str, bindings: Mapping[str, Node] | None = None, timeout: float = 30.0,
              *, graphs: GraphSelection | None = None, max_rows: int | None = None) -> QueryResult:
        deadline = time.monotonic() + check_timeout(timeout)
        decoded, bound = decode_escapes(sparql), _bound(bindings)
        # vetted in a child killed at the time limit: the server gets the very text vetted
        form, text = run_in_child(lambda: (check_query(decoded), with_values(decoded, bound)),
                                  timeout)
        timeout = max(deadline - time.monotonic(), 0.001)
        fields: list[tuple[str, str]] = [("query", text)]
        if graphs is not None:
            fields += [("default-graph-uri", str(g)) for g in graphs.default]
            fields += [("named-graph-uri", str(g)) for g in graphs.named]
        graph_form = form in ("CONSTRUCT", "DESCRIBE")
        accept = ("application/n-triples, text/turtle;q=0.9" if graph_form
                  else "application/sparql-results+json")
        request = urllib.request.Request(
            self.endpoint, data=urllib.parse.urlencode(fields).encode("utf-8"), method="POST",
            headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
                     "Accept": accept})
        _, content_type, body = _http(request, timeout, self.credentials)
        if graph_form:
            graph = parse_graph_response(body, content_type)
            return QueryResult(form=form, variables=(), rows=(), boolean=None, graph=graph)
        return parse_json_results(body, form)

    def close(self) -> None:
        return None


# ---------------------------------------------------------------------------- push


@dataclass(frozen=True)
class PushedGraph:
    """One graph uploaded by :func:`push`: its name (None: the default graph) and size."""

    name: str | None
    triples: int
    status: int


def _graphs_of(graph_file: Path) -> dict[str | None, list[ox.Triple]]:
    graphs: dict[str | None, list[ox.Triple]] = {}
    try:
        for quad in parse_quads(graph_file):
            name = None if isinstance(quad.graph_name, ox.DefaultGraph) else quad.graph_name.value
            graphs.setdefault(name, []).append(ox.Triple(quad.subject, quad.predicate, quad.object))
    except SyntaxError as exc:
        raise InputError(f"invalid syntax: {str(exc).splitlines()[0]}", path=graph_file) from None
    return graphs


def push(graph_file: Path, store_url: str, timeout: float = HTTP_TIMEOUT,
         credentials: Credentials | None = None) -> list[PushedGraph]:
    """Upload every graph of ``graph_file`` to a SPARQL 1.1 Graph Store Protocol endpoint.

    Each named graph is sent as ``PUT <store_url>?graph=<IRI>`` with an N-Triples body, which
    replaces that graph on the server (running push twice gives the same store); triples of the
    default graph, if any, go to ``PUT <store_url>?default``. Other graphs on the server are left
    alone.
    """
    check_url(store_url)
    if not graph_file.is_file():
        raise InputError("graph file not found (run kg build first)", path=graph_file)
    graphs = _graphs_of(graph_file)
    if not graphs:
        raise InputError("graph file holds no triples", path=graph_file)
    pushed: list[PushedGraph] = []
    separator = "&" if urllib.parse.urlsplit(store_url).query else "?"
    for name in sorted(graphs, key=lambda n: (n is not None, n or "")):
        triples = graphs[name]
        target = (f"{store_url}{separator}default" if name is None else
                  f"{store_url}{separator}{urllib.parse.urlencode({'graph': name})}")
        body = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
        request = urllib.request.Request(target, data=body, method="PUT",
                                         headers={"Content-Type": "application/n-triples"})
        status, _, _ = _http(request, timeout, credentials)
        pushed.append(PushedGraph(name=name, triples=len(triples), status=status))
    return pushed


# ---------------------------------------------------------------------------- choosing


def parse_store_spec(spec: str) -> tuple[str, Path | None]:
    """``rdflib`` | ``oxigraph`` | ``oxigraph:PATH`` -> (kind, path)."""
    kind, sep, rest = spec.partition(":")
    if kind == "rdflib" and not sep:
        return "rdflib", None
    if kind == "oxigraph":
        if not sep:
            return "oxigraph", None
        if not rest:
            raise InputError("oxigraph:PATH needs a folder after the colon")
        return "oxigraph", Path(rest)
    raise InputError(f"unknown store {spec!r} (one of: {', '.join(STORE_KINDS)})")


def open_backend(spec: str, graph_file: Path, credentials: Credentials | None = None) -> Backend:
    """The backend named by ``spec`` holding ``graph_file``.

    ``rdflib`` and ``oxigraph`` load the file into memory; ``oxigraph:PATH`` opens (or creates
    and loads) a persistent store; an ``http(s)://`` URL is a remote query endpoint that already
    holds the data (``graph_file`` unused; see :func:`push`).
    """
    if spec.startswith(("http://", "https://")):
        return RemoteBackend(spec, credentials)
    kind, path = parse_store_spec(spec)
    if kind == "rdflib":
        return RdflibBackend(parse_rdf_dataset(graph_file))
    store = load_oxigraph(graph_file, path)
    if path is None:
        return OxigraphBackend(store)
    del store  # unlock: queries open the store read-only in their own process
    return OxigraphBackend(None, path, label=f"oxigraph (on disk at {path})")


def disk_store_path(spec: str) -> Path:
    """PATH of an ``oxigraph:PATH`` spec; anything else is bad input."""
    kind, path = parse_store_spec(spec)
    if kind != "oxigraph" or path is None:
        raise InputError(f"--store {spec}: give oxigraph:PATH (a folder for an on-disk store)")
    return path


def load_store(graph_file: Path, spec: str, quads: CompiledGraph | None = None) -> Path:
    """Load ``graph_file`` (or ``quads``, the compiled graph it was written from) into the
    persistent store named by ``spec`` (``oxigraph:PATH``) and close it; used by
    ``kg build --store``. Returns PATH."""
    path = disk_store_path(spec)
    # load_oxigraph flushes what it loads; an unchanged file reopens the store read-only, where
    # flush() is an error (it made a second `kg build --store` on the same data exit 3)
    store = load_oxigraph(graph_file, path, quads)
    del store
    return path


def iter_named(backend: Backend, queries: Sequence[str]) -> Iterator[tuple[str, QueryResult]]:
    """Run named queries (default parameters) on a backend, in order."""
    from kg.query import load_queries

    known = load_queries()
    for name in queries:
        yield name, backend.query(known[name].text)


__all__ = [
    "Backend",
    "Credentials",
    "GraphSelection",
    "OxigraphBackend",
    "PushedGraph",
    "RdflibBackend",
    "RemoteBackend",
    "check_url",
    "credentials_from_env",
    "disk_store_path",
    "load_oxigraph",
    "load_store",
    "open_backend",
    "parse_store_spec",
    "push",
    "to_oxigraph",
    "with_values",
]
