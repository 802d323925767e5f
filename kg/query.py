"""Read-only SPARQL over the dataset: the named competency queries, checking, running, formatting.

- ``load_queries()`` reads the public named queries, ``kg/queries/*.rq`` (package data). Each file
  opens with a header comment in the style of ROBOT's report queries (``# title:``,
  ``# question:``, ``# returns:``, ``# params:``).
- ``decode_escapes()`` decodes codepoint escapes once and refuses what engines would read
  differently (malformed escapes, a backslash-u left over, a lone CR, lone surrogates): the text
  it returns is the one rdflib vets and the one every engine runs.
- ``check_query()`` parses a query with rdflib and refuses anything that is not a read-only query
  over the local dataset: updates, ``SERVICE`` (also any text that could read as a SERVICE
  clause), ``FROM`` / ``FROM NAMED`` (rdflib would fetch those URLs or read those files). The
  verdict is cached by query text.
- ``run_query()`` parses, vets and evaluates with rdflib on the union of all graphs, in a forked
  child process that is killed when the time limit passes, so a runaway query (or parse) really
  stops; the rows come back as a table of distinct terms and an array of indices.
- ``QueryWorker`` / ``QueryWorkers``: forked processes answering requests over a pipe, killed at
  the time limit, without network where the system allows: one-shot (``run_in_child``), or a
  small reused pool per backend (:mod:`kg.store`) whose workers parse, vet and run each query
  (so parsing counts against the time limit and no parser lock is shared), yield the processors
  when their query runs long beside others, and are replaced when killed, demoted or grown.
- ``format_result()`` writes a table for people or a W3C SPARQL 1.1 results format
  (CSV, TSV, JSON, XML); graphs (CONSTRUCT / DESCRIBE) as Turtle or JSON-LD.

Parameters reach a query only as RDF terms through ``initBindings`` (``parse_param``), never as
text spliced into the query.
"""

from __future__ import annotations

import atexit
import contextlib
import csv
import functools
import io
import itertools
import json
import logging
import math
import multiprocessing
import os
import re
import signal
import stat
import threading
import time
import warnings
import weakref
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any
from xml.sax.saxutils import escape as xml_escape
from xml.sax.saxutils import quoteattr

from pyparsing import ParseException
from rdflib import BNode, Dataset, Graph, Literal, URIRef, Variable
from rdflib.plugins.sparql.algebra import translateQuery
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.plugins.sparql.sparql import Query
from rdflib.term import Node

from kg.errors import InputError, KGError, QueryTimeout, ReadOnlyRefusal
from kg.namespaces import PREFIXES, bind_prefixes

#: the output formats of ``format_result`` (``table`` is the default of ``kg query``)
FORMATS: tuple[str, ...] = ("table", "csv", "tsv", "json", "xml", "turtle", "jsonld")
RESULT_FORMATS: frozenset[str] = frozenset({"table", "csv", "tsv", "json", "xml"})
GRAPH_FORMATS: frozenset[str] = frozenset({"turtle", "jsonld"})

#: media types of the formats, for a server answering with them
MEDIA_TYPES: dict[str, str] = {
    "table": "text/plain; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "tsv": "text/tab-separated-values; charset=utf-8",
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "turtle": "text/turtle; charset=utf-8",
    "jsonld": "application/ld+json",
}

UPDATE_KEYWORDS: frozenset[str] = frozenset(
    {"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH"})
HEADER_KEYS: tuple[str, ...] = ("title", "question", "returns", "params")
TABLE_CELL_MAX = 100
#: how many distinct query texts keep their vetting (parse + translate) cached
VETTED_CACHE_SIZE = 256
QUERY_LABEL = "<query>"


# ---------------------------------------------------------------------------- named queries


@dataclass(frozen=True)
class NamedQuery:
    """One competency query: its file name (without ``.rq``), its header, its SPARQL text."""

    name: str
    title: str
    question: str
    returns: str
    params: tuple[str, ...]
    text: str


def parse_header(text: str, name: str = "<query>") -> dict[str, str]:
    """The ``# key: value`` comment lines opening a query; indented ``#`` lines continue a value."""
    header: dict[str, str] = {}
    key: str | None = None
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        if not stripped.startswith("#"):
            break
        body = stripped[1:]
        match = re.match(r"\s?([a-z]+):\s*(.*)$", body)
        if match and match.group(1) in HEADER_KEYS:
            key = match.group(1)
            if key in header:
                header[key] += "\n" + match.group(2).strip()
            else:
                header[key] = match.group(2).strip()
        elif key is not None and body.strip():
            header[key] += " " + body.strip()
    missing = [k for k in ("title", "question", "returns") if not header.get(k)]
    if missing:
        raise InputError(f"query header lacks {', '.join(missing)}", path=name)
    return header


def params_of(header_params: str) -> tuple[str, ...]:
    """Variable names declared by ``# params:`` lines: each line (or ``;`` part) opens with ``?var``."""
    names: list[str] = []
    for part in re.split(r"[\n;]", header_params):
        match = re.match(r"\s*\?([A-Za-z_][A-Za-z0-9_]*)", part)
        if match and match.group(1) not in names:
            names.append(match.group(1))
    return tuple(names)


def named_query_from_text(name: str, text: str) -> NamedQuery:
    """Build a NamedQuery from a file's text, checking its header."""
    header = parse_header(text, name)
    params = params_of(header.get("params", ""))
    return NamedQuery(name=name, title=header["title"], question=header["question"],
                      returns=header["returns"], params=params, text=text)


@functools.lru_cache(maxsize=1)
def _load_queries() -> tuple[NamedQuery, ...]:
    folder = resources.files("kg") / "queries"
    found: list[NamedQuery] = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.is_file() and entry.name.endswith(".rq"):
            name = entry.name[: -len(".rq")]
            found.append(named_query_from_text(name, entry.read_text(encoding="utf-8")))
    return tuple(found)


def load_queries() -> dict[str, NamedQuery]:
    """The public named queries (``kg/queries/*.rq``, package data), sorted by name.

    Headers are checked here; the SPARQL itself is checked when a query runs (and by the tests).
    """
    found = {query.name: query for query in _load_queries()}
    if not found:
        raise KGError("no named queries found in the kg package (kg/queries/*.rq)")
    return found


def get_query(name: str) -> NamedQuery:
    """One named query; an unknown name is bad input (the message lists the known ones)."""
    queries = load_queries()
    if name not in queries:
        raise InputError(f"unknown query {name!r} (see kg query --list)")
    return queries[name]


# ---------------------------------------------------------------------------- checking


def _walk(node: Any) -> Iterator[CompValue]:
    if isinstance(node, CompValue):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list | tuple):
        for value in node:
            yield from _walk(value)


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


def _read_only_error(where: str, name: str, line: int | None = None,
                     column: int | None = None) -> ReadOnlyRefusal:
    return ReadOnlyRefusal(f"read-only: {where} is refused (kg query runs read-only queries over the "
                      "local graph only)", path=name, line=line, column=column)


def _syntax_error(text: str, exc: ParseException, name: str) -> InputError:
    offset = exc.loc if isinstance(exc.loc, int) else 0
    rest = text[offset:].lstrip("; \t\r\n")
    word = re.match(r"[A-Za-z]+", rest)
    if word and word.group(0).upper() in UPDATE_KEYWORDS:
        return _read_only_error(f"SPARQL Update ({word.group(0).upper()})", name, exc.lineno,
                                exc.col)
    found = text[offset:offset + 20].split("\n")[0] or "end of query"
    return InputError(f"SPARQL syntax error near {found!r}", path=name, line=exc.lineno,
                      column=exc.col)


#: a codepoint escape as SPARQL 1.1 §19.2 writes it: ``\\u`` and four hex digits, ``\\U`` and eight
_CODEPOINT_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8}))")
#: where any engine may see a codepoint escape: a backslash followed by u or U
_BACKSLASH_U = re.compile(r"\\[uU]")
_SURROGATE = re.compile("[\ud800-\udfff]")
#: a carriage return not followed by a line feed: SPARQL ends a comment there, rdflib does not
_LONE_CR = re.compile(r"\r(?!\n)")
#: between two tokens: white space and comments (ended by either line break)
_GAP = r"(?:[ \t\r\n]|#[^\r\n]*)*"
#: anything that could read as a SERVICE clause in some engine's reading of the text: the
#: keyword, maybe SILENT, a variable / IRI / prefixed name, an opening brace (checked on the
#: decoded text, whatever rdflib made of it: strings and comments are not trusted to hide it)
_SERVICE_CLAUSE = re.compile(
    rf"(?i)(?<![\w?$:])SERVICE(?![\w:]){_GAP}(?:SILENT(?![\w:]){_GAP})?"
    rf"(?:<[^<>\s]*>|(?:\\.|[^\s{{#\\<])+){_GAP}{{")


def decode_escapes(sparql: str, name: str = QUERY_LABEL) -> str:
    """The query text with its codepoint escapes decoded once, here, and none left over.

    SPARQL engines expand ``\\uXXXX`` / ``\\UXXXXXXXX`` before parsing, each its own way
    (rdflib takes ``\\u`` with 8 digits when it can, Oxigraph 4; one re-reads an escaped
    backslash, another does not), so a text with escapes could be one query for the engine
    that vets it and another for the engine that runs it (``"A\\u00000022 } } # "`` hid a
    SERVICE clause from rdflib). The decoded text holds no backslash followed by u or U: every
    engine reads it as it is, so the query vetted is the query run. Refused, as bad input: a
    malformed escape, an escape of a surrogate or beyond U+10FFFF, a lone surrogate, a backslash
    followed by u or U that remains after decoding (in a string, write it with
    ``CONCAT("\\\\", "u...")``), and a carriage return without a line feed (rdflib reads a comment
    on past it, Oxigraph and SPARQL end it there: ``# x\\rSERVICE...`` hid a SERVICE clause)."""
    surrogate = _SURROGATE.search(sparql)
    if surrogate:
        line, column = _line_col(sparql, surrogate.start())
        raise InputError("the query holds a lone surrogate (not Unicode text)", path=name,
                         line=line, column=column)
    lone_cr = _LONE_CR.search(sparql)
    if lone_cr:
        line, column = _line_col(sparql, lone_cr.start())
        raise InputError("a carriage return without a line feed is refused in a query: SPARQL "
                         "engines end a comment there or not (write line ends as LF or CR LF)",
                         path=name, line=line, column=column)
    if not _BACKSLASH_U.search(sparql):
        return sparql
    pieces: list[str] = []
    start = 0
    for found in _BACKSLASH_U.finditer(sparql):
        escape = _CODEPOINT_ESCAPE.match(sparql, found.start())
        code = int(escape.group(1) or escape.group(2), 16) if escape else -1
        if escape is None or not (0 <= code <= 0x10FFFF) or 0xD800 <= code <= 0xDFFF:
            line, column = _line_col(sparql, found.start())
            shown = sparql[found.start():found.start() + 10]
            raise InputError(f"SPARQL syntax error: malformed or invalid codepoint escape {shown!r} "
                             "(\\u and 4 hex digits or \\U and 8, a Unicode scalar value)",
                             path=name, line=line, column=column)
        pieces += [sparql[start:found.start()], chr(code)]
        start = escape.end()
    decoded = "".join(pieces) + sparql[start:]
    left = _BACKSLASH_U.search(decoded)
    if left:
        line, column = _line_col(decoded, left.start())
        raise InputError("a backslash followed by u or U is refused in a query: SPARQL engines "
                         "read it differently (as a codepoint escape or not); in a string, write "
                         'CONCAT("\\\\", "u...")', path=name, line=line, column=column)
    return decoded


#: rdflib's SPARQL parser (pyparsing) is not thread-safe: two threads parsing at once (two first
#: requests to ``kg serve``) can break it for the rest of the process ("Param.postParse2() missing
#: 1 required positional argument"). Parsing is CPU-bound under the GIL anyway.
_PARSER_LOCK = threading.Lock()


@functools.lru_cache(maxsize=VETTED_CACHE_SIZE)
def _vetted(sparql: str) -> tuple[str, Query]:
    """Parse, translate and vet a query; its form and rdflib's prepared query. Pure, so cached
    by text: a query run again (a server's favourite, a named query) is parsed once. Errors
    are not cached; they name ``<query>``, :func:`_prepare` puts the caller's name in."""
    name = QUERY_LABEL
    _quiet_rdflib_literal_warnings()
    with _PARSER_LOCK:
        return _vet(sparql, name)


class _IllTypedLiteralFilter(logging.Filter):
    """Drops rdflib's warning (with a traceback) for an ill-typed literal such as
    ``"abc"^^xsd:integer`` or an integer of more than 4,300 digits: legal SPARQL, which rdflib
    evaluates as SPARQL says (the literal has no value, it matches only itself)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Failed to convert Literal lexical form")


_ILL_TYPED_FILTER = _IllTypedLiteralFilter()


def _quiet_rdflib_literal_warnings() -> None:
    logger = logging.getLogger("rdflib.term")
    if _ILL_TYPED_FILTER not in logger.filters:
        logger.addFilter(_ILL_TYPED_FILTER)


def _vet(sparql: str, name: str) -> tuple[str, Query]:
    service = _SERVICE_CLAUSE.search(sparql)
    if service:  # whatever rdflib would make of it: a string or comment may not hide SERVICE
        line, column = _line_col(sparql, service.start())
        raise _read_only_error("SERVICE (federated query)", name, line, column)
    try:
        tree = parseQuery(sparql)
    except ParseException as exc:
        try:
            parseUpdate(sparql)
        except ParseException:
            raise _syntax_error(sparql, exc, name) from None
        raise _read_only_error("SPARQL Update", name) from None
    except RecursionError:
        raise InputError("query nested too deeply", path=name) from None
    except ValueError as exc:  # rdflib expands \uXXXX escapes before parsing; a bad one raises
        raise InputError(f"SPARQL syntax error: {exc}", path=name) from None
    try:
        query = translateQuery(tree)
    except Exception as exc:  # rdflib raises bare Exception for e.g. an unknown prefix
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        line = column = None
        prefix = re.match(r"Unknown namespace prefix : (\S+)", message)
        if prefix:
            hit = re.search(rf"(?<![\w<\"']){re.escape(prefix.group(1))}:", sparql)
            if hit:
                line, column = _line_col(sparql, hit.start())
        raise InputError(f"invalid query: {message}", path=name, line=line, column=column) from None
    algebra = query.algebra
    if algebra.get("datasetClause"):
        raise _read_only_error("FROM / FROM NAMED (loading other graphs)", name)
    for part in _walk(algebra):
        if part.name == "ServiceGraphPattern":
            raise _read_only_error("SERVICE (federated query)", name)
    form = {"SelectQuery": "SELECT", "AskQuery": "ASK", "ConstructQuery": "CONSTRUCT",
            "DescribeQuery": "DESCRIBE"}.get(algebra.name)
    if form is None:  # pragma: no cover - parseQuery only yields the four forms
        raise InputError(f"unsupported query form {algebra.name}", path=name)
    return form, query


def vet_decoded(sparql: str) -> str:
    """The form of a query whose escapes :func:`decode_escapes` has decoded, vetted by rdflib
    here (cached by text). A query worker calls it before running the same text."""
    return _vetted(sparql)[0]


def _prepare(sparql: str, name: str = QUERY_LABEL) -> tuple[str, Query]:
    """The form and rdflib's prepared query of a vetted query (see :func:`_vetted`), its
    codepoint escapes decoded first (:func:`decode_escapes`); errors name ``name``. The prepared
    query is shared: evaluate it, never change it."""
    try:
        return _vetted(decode_escapes(sparql))
    except InputError as exc:
        if name == QUERY_LABEL:
            raise
        raise type(exc)(exc.message, path=name, line=exc.line, column=exc.column) from None


def check_query(sparql: str) -> str:
    """The form of a read-only query: SELECT, ASK, CONSTRUCT or DESCRIBE, parsed here.

    Raises InputError with line and column on a syntax error, and ReadOnlyRefusal on an
    update, a SERVICE clause or FROM / FROM NAMED. The backends vet in their query workers,
    within the time limit; this is for callers that only want the verdict.
    """
    return _prepare(sparql)[0]


# ---------------------------------------------------------------------------- parameters

_PNAME = re.compile(r"^([A-Za-z][A-Za-z0-9_.-]*)?:(\S*)$")
_QUOTED = re.compile(r'^"(.*)"(?:@([A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*)|\^\^(\S+))?$', re.S)
_BAD_IRI_CHARS = re.compile(r'[\s<>"{}|^`\\]')


def parse_term(value: str) -> Node:
    """A command-line value as an RDF term.

    ``<http://...>`` and prefixed names of our prefixes (``dkr:actor/kim-jong-un``) are IRIs;
    ``"text"``, ``"text"@fr`` and ``"2"^^xsd:integer`` are literals as written; anything else is
    a plain string literal.
    """
    if value.startswith("<"):
        iri = value[1:-1] if value.endswith(">") else ""
        if not iri or _BAD_IRI_CHARS.search(iri) or ":" not in iri:
            raise InputError(f"not an absolute IRI: {value!r}")
        return URIRef(iri)
    quoted = _QUOTED.match(value)
    if quoted:
        text, lang, datatype = quoted.groups()
        if datatype:
            dt = parse_term(datatype)
            if not isinstance(dt, URIRef):
                raise InputError(f"datatype must be an IRI: {datatype!r}")
            return Literal(text, datatype=dt)
        return Literal(text, lang=lang.lower() if lang else None)
    pname = _PNAME.match(value)
    if pname and not value.startswith(("http:", "https:", "urn:", "file:")):
        prefix, local = pname.group(1) or "", pname.group(2)
        if prefix not in PREFIXES:
            known = ", ".join(sorted(PREFIXES))
            raise InputError(f"unknown prefix {prefix!r} in {value!r} (known: {known}; "
                             "write <IRI> for a full IRI or \"text\" for a literal)")
        if _BAD_IRI_CHARS.search(local):
            raise InputError(f"invalid characters in {value!r}")
        return URIRef(str(PREFIXES[prefix]) + local)
    if value.startswith(("http:", "https:", "urn:", "file:")):
        raise InputError(f"write IRIs in angle brackets: <{value}>")
    return Literal(value)


def parse_param(text: str, query: NamedQuery) -> tuple[str, Node]:
    """``var=value`` for one of the query's declared parameters (``?var`` or ``var``)."""
    name, sep, value = text.partition("=")
    name = name.strip().lstrip("?$")
    if not sep or not name:
        raise InputError(f"a parameter is written var=value, not {text!r}")
    if name not in query.params:
        declared = ", ".join(f"?{p}" for p in query.params) or "none"
        raise InputError(f"query {query.name!r} has no parameter ?{name} (parameters: {declared})")
    return name, parse_term(value.strip())


# ---------------------------------------------------------------------------- running


@dataclass(frozen=True)
class QueryResult:
    """What a query gave: rows for SELECT, a boolean for ASK, a graph for CONSTRUCT/DESCRIBE."""

    form: str
    variables: tuple[str, ...]
    rows: tuple[tuple[Node | None, ...], ...]
    boolean: bool | None
    graph: Graph | None


def _evaluate(dataset: Dataset, query: Query, form: str, bindings: Mapping[str, Node],
              max_rows: int | None = None) -> tuple[Any, ...]:
    """Run the query here and return it packed for the pipe (called in the child process),
    with at most ``max_rows + 1`` rows or triples when ``max_rows`` is given."""
    import rdflib.plugins.sparql as sparql_settings

    sparql_settings.SPARQL_LOAD_GRAPHS = False  # belt and braces: never fetch a graph
    init = {Variable(k): v for k, v in bindings.items()}
    with warnings.catch_warnings():
        # rdflib 7.6's own evaluator calls its deprecated Dataset.default_context
        warnings.filterwarnings("ignore", message="Dataset.default_context is deprecated",
                                category=DeprecationWarning)
        return _materialise(dataset.query(query, initBindings=init), form, max_rows)


def _term_key(term: Node) -> tuple[Any, ...]:
    # exact identity of a term: rdflib's == ignores the case of language tags
    return (type(term), str(term), getattr(term, "language", None), getattr(term, "datatype", None))


def pack_rows(rows: Sequence[Sequence[Node | None]]) -> tuple[tuple[Node, ...], bytes]:
    """Rows of terms as a table of distinct terms and the cells as indices into it (-1: unbound),
    so a result crosses the pipe as a few distinct terms and an array, not one pickled rdflib
    object per cell. Inverse: :func:`unpack_rows`. (``rows`` is held while packing: the
    identity shortcut relies on every term staying alive.)"""
    by_id: dict[int, int] = {}
    by_key: dict[tuple[Any, ...], int] = {}
    terms: list[Node] = []
    cells = array("i")
    for row in rows:
        for term in row:
            if term is None:
                cells.append(-1)
                continue
            position = by_id.get(id(term))
            if position is None:  # a new object: is an equal term already in the table?
                key = _term_key(term)
                position = by_key.get(key)
                if position is None:
                    position = by_key[key] = len(terms)
                    terms.append(term)
                by_id[id(term)] = position
            cells.append(position)
    return tuple(terms), cells.tobytes()


def unpack_rows(terms: Sequence[Node], cells: bytes, width: int,
                count: int) -> tuple[tuple[Node | None, ...], ...]:
    """The rows packed by :func:`pack_rows` (``count`` rows of ``width`` cells)."""
    if width == 0:
        return ((),) * count
    table = (*terms, None)  # index -1 is the last entry: unbound
    indices = array("i")
    indices.frombytes(cells)
    flat = map(table.__getitem__, indices)
    return tuple(zip(*[flat] * width, strict=True))


def _materialise(result: Any, form: str, max_rows: int | None = None) -> tuple[Any, ...]:
    """Rows read while rdflib yields them, stopping one past ``max_rows``."""
    stop = None if max_rows is None else max_rows + 1
    if form == "ASK":
        return (form, (), None, bool(result.askAnswer))
    if form in ("CONSTRUCT", "DESCRIBE"):
        triples = list(itertools.islice(result.graph, stop)) if result.graph is not None else []
        return (form, (), (len(triples), *pack_rows(triples)), None)
    variables = tuple(str(v) for v in (result.vars or ()))
    rows = [tuple(row[i] for i in range(len(variables))) for row in itertools.islice(result, stop)]
    return (form, variables, (len(rows), *pack_rows(rows)), None)


def result_from_data(data: tuple[Any, ...]) -> QueryResult:
    """A QueryResult from what a query child sends back (:func:`_materialise`):
    ``(form, variables, (count, terms, cells) | None, boolean)``."""
    form, variables, packed, boolean = data
    if form == "ASK":
        return QueryResult(form=form, variables=(), rows=(), boolean=boolean, graph=None)
    count, terms, cells = packed
    if form in ("CONSTRUCT", "DESCRIBE"):
        graph = bind_prefixes(Graph(bind_namespaces="none"))
        for triple in unpack_rows(terms, cells, 3, count):
            graph.add(triple)  # type: ignore[arg-type]
        return QueryResult(form=form, variables=(), rows=(), boolean=None, graph=graph)
    rows = unpack_rows(terms, cells, len(variables), count)
    return QueryResult(form=form, variables=tuple(variables), rows=rows, boolean=None, graph=None)


# ---------------------------------------------------------------------------- query workers

#: how often an idle worker checks that the process that forked it is still there (seconds)
WORKER_POLL = 1.0
#: query workers per backend: ``kg serve`` answers this many queries at once (its default
#: ``--max-concurrent``), so a few runaway queries leave workers for the others; a
#: single-threaded caller only ever forks one
WORKERS_PER_BACKEND = 8
#: a long-lived worker whose private memory (pages no longer shared with the process that forked
#: it) grew by more than this since its first answer is replaced after answering: a large
#: answer's memory goes back to the system with it, and rdflib workers do not drift into full
#: private copies of the dataset
WORKER_MEMORY_GROWTH = 128 * 1024 * 1024
#: a query still running after this many seconds while others run is expensive: its worker
#: yields the processors to them (lowest scheduling priority) and is replaced once it answers
DEMOTE_AFTER = 0.2
#: a worker measures its private memory after an answer that took this long, or every few
MEASURE_AFTER = 0.05
MEASURE_EVERY = 16

_FORK_LOCK = threading.Lock()
_CLONE_NEWUSER = 0x10000000
_CLONE_NEWNET = 0x40000000


_ANSWERS = itertools.count()


def _answer(handler: Callable[[Any], Any], request: Any) -> tuple[Any, ...]:
    try:
        began = time.perf_counter()
        result = handler(request)
        measure = (time.perf_counter() - began > MEASURE_AFTER
                   or next(_ANSWERS) % MEASURE_EVERY == 0)
        return ("ok", result, _private_bytes() if measure else None)
    except KGError as exc:
        return ("kgerror", type(exc).__name__, exc.message, exc.path, exc.line, exc.column)
    except BaseException as exc:  # reported to the parent as one line
        message = str(exc).splitlines()[0] if str(exc) else ""
        return ("error", type(exc).__name__, message)


def _private_bytes() -> int | None:
    """Memory only this process holds: private pages, no longer shared copy-on-write with the
    process that forked it (Linux ``smaps_rollup``; None elsewhere)."""
    try:
        with open("/proc/self/smaps_rollup", encoding="ascii") as rollup:
            fields = dict(line.split(":", 1) for line in rollup.read().splitlines()[1:])
        return sum(int(fields[k].split()[0]) for k in ("Private_Clean", "Private_Dirty")) * 1024
    except (OSError, ValueError, KeyError, IndexError):  # pragma: no cover - not Linux
        return None


def _isolate_network() -> bool:  # pragma: no cover - runs in the forked worker
    """Move this process into a network namespace of its own (Linux, where the kernel lets an
    unprivileged process do so): no interface but a down loopback, so nothing it runs can open a
    connection. Defence in depth behind the vetting: whatever an engine reads in a query, it
    cannot fetch. Returns whether the worker is isolated."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        for flags in (_CLONE_NEWUSER | _CLONE_NEWNET, _CLONE_NEWNET):
            if libc.unshare(flags) == 0:
                return True
    except (OSError, AttributeError):
        pass
    return False


def network_isolation_works() -> bool:
    """Whether this system lets a query worker cut itself off the network (for tests, bench)."""
    worker = QueryWorker(lambda _request: _NETWORK_ISOLATED, "kg-probe", once=True)
    try:
        return bool(_unwrap(worker.exchange(None, 30.0)))
    finally:
        worker.stop()


_NETWORK_ISOLATED = False


def _release_inherited_sockets(keep: int) -> None:  # pragma: no cover - in the forked worker
    """Point every socket a worker inherited at /dev/null: the listening socket and open client
    connections of ``kg serve``, other workers' pipes. A long-lived worker must not hold them
    open (a closed connection would stay open, a stopped server's port stay bound). The fd
    numbers stay valid, so nothing in the child can close a reused number by mistake."""
    try:
        fds = [int(name) for name in os.listdir("/proc/self/fd")]
    except OSError:  # not Linux: keep them (they are closed when the worker stops)
        return
    null = os.open(os.devnull, os.O_RDWR)
    try:
        for fd in fds:
            if fd <= 2 or fd in (keep, null):
                continue
            try:
                if stat.S_ISSOCK(os.fstat(fd).st_mode):
                    os.dup2(null, fd)
            except OSError:  # the listing's own fd, already gone
                continue
    finally:
        os.close(null)


def _serve(handler: Callable[[Any], Any], conn: Any, parent: int,
           once: bool) -> None:  # pragma: no cover - runs in the forked worker
    """A worker's loop: answer requests until the pipe closes or the parent is gone."""
    global _PARSER_LOCK, _NETWORK_ISOLATED
    _PARSER_LOCK = threading.Lock()  # the parent's was held (by the forking thread) at the fork
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _release_inherited_sockets(conn.fileno())
    _NETWORK_ISOLATED = _isolate_network()
    _quiet_rdflib_literal_warnings()
    try:
        while True:
            if not conn.poll(WORKER_POLL):
                if os.getppid() != parent:  # orphaned: never outlive the parent
                    return
                continue
            request = conn.recv()
            conn.send(_answer(handler, request))
            if once:
                return
    except (EOFError, OSError):  # the parent closed the pipe or went away
        return


#: the error types a worker's answer names, rebuilt as such in the parent (a refusal stays one)
_WORKER_ERRORS: dict[str, type[KGError]] = {"InputError": InputError,
                                            "ReadOnlyRefusal": ReadOnlyRefusal}


def _unwrap(message: tuple[Any, ...]) -> Any:
    if message[0] == "kgerror":
        error_type = _WORKER_ERRORS.get(message[1], KGError)
        path, line, column = message[3:6]
        raise error_type(message[2], path=path, line=line, column=column)
    if message[0] == "error":
        raise KGError(f"query failed: {message[1]}: {message[2]}")
    return message[1]


def _timeout_error(timeout: float) -> QueryTimeout:
    return QueryTimeout(f"query stopped after its time limit of {timeout:g} s (raise it with --timeout)")


#: workers not yet stopped, killed at interpreter exit (a query running then must not linger)
_LIVE_WORKERS: weakref.WeakSet[QueryWorker] = weakref.WeakSet()


@atexit.register
def _stop_live_workers() -> None:  # pragma: no cover - at interpreter exit
    for worker in list(_LIVE_WORKERS):
        worker.stop()


class QueryWorker:
    """A forked process answering requests with ``handler(request)`` over a pipe, one at a time.

    It inherits the parent's memory at the fork (an in-memory store is shared copy-on-write,
    nothing is pickled but requests and answers) and, where the system allows, has no network.
    :meth:`exchange` kills it when an answer is late or the parent is interrupted; a worker that
    dies is reported, never waited for.

    The process is forked with ``os.fork`` and reaped only here, under the worker's own lock:
    ``multiprocessing.Process`` let another thread's ``start()`` reap it between our kill and
    our join (``ValueError: Cannot close a process while it is still running``, a 500 from
    ``kg serve`` under load); a pid is signalled only while it is known not to be reaped."""

    def __init__(self, handler: Callable[[Any], Any], name: str = "kg-query", *,
                 once: bool = False) -> None:
        # _FORK_LOCK: no other worker forked meanwhile inherits this one's child-side ends;
        # _PARSER_LOCK: no thread is half-way through a parse when the child's copy is taken
        with _FORK_LOCK, _PARSER_LOCK:
            self._conn, child = multiprocessing.Pipe(duplex=True)
            parent = os.getpid()
            pid = os.fork()
            if pid == 0:  # pragma: no cover - the worker
                code = 0
                try:
                    self._conn.close()
                    _serve(handler, child, parent, once)
                except BaseException:
                    code = 1
                finally:
                    os._exit(code)
            child.close()
        self.name = name
        self.pid: int = pid
        self.memory_first: int | None = None  # private memory after its first answer
        self.memory: int | None = None  # after its last measured answer
        self.demoted = False  # its query ran long: it yielded the processor to the others
        self._exit: int | None = None
        self._reaped = False
        self._stopped = False
        self._lock = threading.Lock()
        _LIVE_WORKERS.add(self)

    def _reap(self, block: bool) -> None:
        """waitpid once the process has exited (under ``_lock``)."""
        if self._reaped:
            return
        try:
            pid, status = os.waitpid(self.pid, 0 if block else os.WNOHANG)
        except ChildProcessError:  # reaped by someone else (SIGCHLD ignored): gone
            self._reaped = True
            return
        if pid == self.pid:
            self._reaped = True
            self._exit = os.waitstatus_to_exitcode(status)

    def alive(self) -> bool:
        with self._lock:
            if self._stopped:
                return False
            self._reap(block=False)
            return not self._reaped

    def exchange(self, request: Any, timeout: float, limit: float | None = None,
                 contended: Callable[[], bool] | None = None) -> tuple[Any, ...]:
        """Send one request and return the worker's answer message. Past ``timeout`` seconds
        the worker is killed and QueryTimeout raised (``limit`` is the time limit the message
        names); a worker that dies is stopped and reported as KGError. Once its query has run
        ``DEMOTE_AFTER`` seconds, if ``contended()`` says other queries are running (checked
        every ``DEMOTE_AFTER`` seconds), it is demoted."""
        try:
            self._conn.send(request)
            deadline = time.monotonic() + timeout
            while not self._conn.poll(min(DEMOTE_AFTER, max(deadline - time.monotonic(), 0))):
                if time.monotonic() >= deadline:
                    self.stop()
                    raise _timeout_error(timeout if limit is None else limit)
                if not self.demoted and contended is not None and contended():
                    self._demote()
            message: tuple[Any, ...] = self._conn.recv()
        except (EOFError, OSError):
            code = self.stop()
            if code is None:
                raise KGError("the query worker was stopped (the store was closed)") from None
            how = f"killed by signal {-code}" if code < 0 else f"exit code {code}"
            raise KGError(f"the query worker process died ({how}); the next query starts a "
                          "fresh one") from None
        except BaseException:
            self.stop()
            raise
        if message[0] == "ok" and message[2] is not None:
            self.memory = message[2]
            if self.memory_first is None:
                self.memory_first = self.memory
        return message

    def _demote(self) -> None:
        """Lowest scheduling priority for a worker whose query runs long: cheap queries in the
        other workers get the processors first (an unprivileged process cannot undo it: the
        pool replaces a demoted worker once it answers)."""
        with self._lock:
            if self._reaped or self._stopped:
                return
            with contextlib.suppress(OSError):
                os.setpriority(os.PRIO_PROCESS, self.pid, 19)
                self.demoted = True

    def grown(self) -> bool:
        """Whether its private memory grew by more than ``WORKER_MEMORY_GROWTH`` since its first
        answer."""
        return (self.memory_first is not None and self.memory is not None
                and self.memory - self.memory_first > WORKER_MEMORY_GROWTH)

    def stop(self) -> int | None:
        """Kill the worker (if still running), reap it, and return its exit code (None if it
        was already stopped, e.g. by ``close()`` from another thread)."""
        with self._lock:
            if self._stopped:
                return None
            self._stopped = True
            self._reap(block=False)
            if not self._reaped:  # not reaped: the pid is still ours to signal
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self.pid, signal.SIGKILL)
                self._reap(block=True)
            self._conn.close()
            _LIVE_WORKERS.discard(self)
            return self._exit if self._exit is not None else -signal.SIGKILL


class QueryWorkers:
    """A small pool of long-lived :class:`QueryWorker` processes, forked on demand (so after the
    store is loaded) and reused for every query; safe to call from several threads.

    At most ``size`` queries run at once, each in its own worker: a runaway query holds one
    worker, not the others (a single worker behind a lock would make every query of ``kg serve``
    wait for it). A query waiting for a free worker spends its own time limit. A worker killed
    at a time limit, found dead, demoted (its query ran long) or grown by more than
    ``WORKER_MEMORY_GROWTH`` (a large answer) is replaced by a fresh fork at the next query."""

    def __init__(self, handler: Callable[[Any], Any], size: int = WORKERS_PER_BACKEND,
                 name: str = "kg-query") -> None:
        if size < 1:
            raise InputError(f"a query needs at least one worker, not {size}")
        self._handler = handler
        self._size = size
        self._name = name
        self._idle: list[QueryWorker] = []
        self._all: set[QueryWorker] = set()
        self._busy = 0
        self._closed = False
        self._changed = threading.Condition()

    def pids(self) -> tuple[int, ...]:
        """Process ids of the live workers (idle or busy)."""
        with self._changed:
            return tuple(sorted(w.pid for w in self._all if w.alive()))

    def call(self, request: Any, timeout: float) -> Any:
        """``handler(request)`` in a worker; its errors come back as KGError / InputError."""
        check_timeout(timeout)
        if "fork" not in multiprocessing.get_all_start_methods():  # pragma: no cover - Windows
            return _unwrap(_answer(self._handler, request))
        deadline = time.monotonic() + timeout
        worker = self._take(deadline, timeout)
        try:
            message = worker.exchange(request, max(deadline - time.monotonic(), 0.001), timeout,
                                      contended=lambda: self._busy > 1)
        except BaseException:
            self._give_back(worker, keep=False)
            raise
        self._give_back(worker, keep=not (worker.grown() or worker.demoted))
        return _unwrap(message)

    def _take(self, deadline: float, timeout: float) -> QueryWorker:
        stale: list[QueryWorker] = []
        try:
            with self._changed:
                while True:
                    if self._closed:
                        raise KGError("the store is closed")
                    while self._idle:
                        worker = self._idle.pop()
                        if worker.alive():
                            self._busy += 1
                            return worker
                        self._all.discard(worker)  # died while idle (killed, out of memory)
                        stale.append(worker)
                    if self._busy < self._size:  # room for one more: fork it (outside the lock)
                        self._busy += 1
                        break
                    remaining = deadline - time.monotonic()
                    if remaining <= 0 or not self._changed.wait(remaining):
                        raise QueryTimeout(f"no query worker became free within the time limit "
                                           f"of {timeout:g} s ({self._size} queries running)")
        finally:
            for worker in stale:  # reaped outside the pool's lock
                worker.stop()
        try:
            worker = QueryWorker(self._handler, self._name)
        except BaseException:
            with self._changed:
                self._busy -= 1
                self._changed.notify()
            raise
        with self._changed:
            if self._closed:  # closed while forking: this worker is nobody's
                self._busy -= 1
                self._changed.notify()
                closed = True
            else:
                self._all.add(worker)
                closed = False
        if closed:
            worker.stop()
            raise KGError("the store is closed")
        return worker

    def _give_back(self, worker: QueryWorker, *, keep: bool) -> None:
        with self._changed:
            self._busy -= 1
            keep = keep and not self._closed and worker.alive()
            if keep:
                self._idle.append(worker)
            else:
                self._all.discard(worker)
            self._changed.notify()
        if not keep:
            worker.stop()

    def close(self) -> None:
        """Stop every worker (a query running in one fails); later calls are refused."""
        with self._changed:
            self._closed = True
            workers = list(self._all)
            self._all.clear()
            self._idle.clear()
            self._changed.notify_all()
        for worker in workers:
            worker.stop()


def check_timeout(timeout: float) -> float:
    """A time limit in seconds: a finite positive number (bad input otherwise)."""
    if not (isinstance(timeout, int | float) and math.isfinite(timeout) and timeout > 0):
        raise InputError(f"timeout must be a finite positive number of seconds, not {timeout}")
    return float(timeout)


def run_in_child(work: Callable[[], Any], timeout: float) -> Any:
    """Run ``work()`` in a forked one-shot :class:`QueryWorker` and return its (picklable)
    result. Past ``timeout`` seconds the child is killed and QueryTimeout raised: the work really
    stops (a thread could not be stopped). The child sees the caller's data as it is now, and
    its copy-on-write pages go away with it."""
    check_timeout(timeout)
    if "fork" not in multiprocessing.get_all_start_methods():  # pragma: no cover - Windows
        return work()
    worker = QueryWorker(lambda _request: work(), "kg-query-once", once=True)
    try:
        message = worker.exchange(None, timeout)
    finally:
        worker.stop()
    return _unwrap(message)


def rdflib_answer(dataset: Dataset, sparql: str, bindings: Mapping[str, Node],
                   max_rows: int | None) -> tuple[Any, ...]:
    """Vet ``sparql`` (decoded) and evaluate it with rdflib on ``dataset``: what a worker sends
    back (:func:`result_from_data`). Runs in the worker, so parsing and vetting are inside the
    time limit too."""
    form, query = _vetted(sparql)
    return _evaluate(dataset, query, form, bindings, max_rows)


def run_query(dataset: Dataset, sparql: str, bindings: Mapping[str, Node] | None = None,
              timeout: float = 30.0, max_rows: int | None = None) -> QueryResult:
    """Evaluate a read-only query with rdflib on ``dataset`` (union of its graphs).

    The query is parsed, vetted and evaluated in a forked child process; past ``timeout``
    seconds the child is killed and QueryTimeout is raised. ``bindings`` map variable names to
    RDF terms (``initBindings``). With ``max_rows``, at most ``max_rows + 1`` rows (or triples)
    come back (one more than asked: the caller can tell the answer was cut).
    """
    check_timeout(timeout)
    text = decode_escapes(sparql)
    if text in _named_texts():  # ours and bounded: parsed here once, inherited by every child
        _vetted(text)
    bound = {str(k).lstrip("?$"): v for k, v in (bindings or {}).items()}
    for key, value in bound.items():
        if not isinstance(value, URIRef | Literal | BNode):
            raise InputError(f"binding for ?{key} is not an RDF term: {value!r}")
    return result_from_data(run_in_child(
        lambda: rdflib_answer(dataset, text, bound, max_rows), timeout))


def run_named(dataset: Dataset, name: str, params: Iterable[str] = (),
              timeout: float = 30.0) -> QueryResult:
    """Run a named query with ``var=value`` parameters."""
    query = get_query(name)
    bindings = dict(parse_param(p, query) for p in params)
    return run_query(dataset, query.text, bindings, timeout)


@functools.lru_cache(maxsize=1)
def _named_texts() -> frozenset[str]:
    return frozenset(query.text for query in _load_queries())


@dataclass(frozen=True)
class QueryRequest:
    """A query ready for any backend: its text (codepoint escapes decoded), its parameter
    bindings, and where errors point: its name and the lines added before the user's text."""

    sparql: str
    bindings: Mapping[str, Node]
    label: str = QUERY_LABEL
    line_shift: int = 0

    def located(self, exc: InputError) -> InputError:
        """``exc`` naming this request, at its place in the text the user wrote."""
        if exc.path not in (None, QUERY_LABEL):
            return exc
        line = exc.line
        if line is not None and self.line_shift:
            line = max(line - self.line_shift, 1)
        return type(exc)(exc.message, path=self.label, line=line, column=exc.column)

    def check(self) -> str:
        """The form of the query, vetted here (the backends vet in their workers)."""
        try:
            return check_query(self.sparql)
        except InputError as exc:
            raise self.located(exc) from None

    def run(self, backend: Any, timeout: float = 30.0) -> QueryResult:
        """The answer of ``backend`` (a :class:`kg.store.Backend`) within ``timeout`` seconds,
        parsing and vetting included."""
        try:
            return backend.query(self.sparql, self.bindings, timeout)  # type: ignore[no-any-return]
        except InputError as exc:
            raise self.located(exc) from None


def _has_prologue(sparql: str) -> bool:
    without_comments = re.sub(r"(?m)^\s*#.*$", "", sparql)
    return re.search(r"(?i)\b(PREFIX|BASE)\s", without_comments) is not None


def adhoc_query(sparql: str, name: str) -> NamedQuery:
    """A query given as text (``--file``, ``-e``): its header if it has one; any of its variables
    may be bound with ``--param``."""
    try:
        header = parse_header(sparql, name)
    except InputError:
        header = {}
    params = params_of(header.get("params", "")) or tuple(
        dict.fromkeys(re.findall(r"[?$]([A-Za-z_][A-Za-z0-9_]*)", sparql)))
    return NamedQuery(name=name, title=header.get("title", name),
                      question=header.get("question", ""), returns=header.get("returns", ""),
                      params=params, text=sparql)


def build_request(name: str | None = None, file_text: str | None = None,
                  expression: str | None = None, params: Iterable[str] = (),
                  file_name: str = "<file>") -> QueryRequest:
    """Exactly one of a named query, a file's text or an expression, with ``var=value`` params.

    An expression (``kg query -e``) that declares no PREFIX gets ``sparql_prologue()``. The text
    is not parsed here: the backend parses and vets it within the time limit
    (:meth:`QueryRequest.run`); :meth:`QueryRequest.check` vets it at once.
    """
    given = [x is not None for x in (name, file_text, expression)]
    added = ""
    if sum(given) != 1:
        raise InputError("give exactly one of a query NAME, --file or -e (or --list)")
    if name is not None:
        query = get_query(name)
    elif file_text is not None:
        query = adhoc_query(file_text, file_name)
    else:
        assert expression is not None
        from kg.namespaces import sparql_prologue

        added = "" if _has_prologue(expression) else sparql_prologue()
        query = adhoc_query(added + expression, "<expression>")
    bindings = dict(parse_param(p, query) for p in params)
    label = name or ("<expression>" if expression is not None else file_name)
    request = QueryRequest(sparql=query.text, bindings=bindings, label=label,
                           line_shift=added.count("\n"))
    try:
        text = decode_escapes(query.text)
    except InputError as exc:
        raise request.located(exc) from None
    return QueryRequest(sparql=text, bindings=bindings, label=label, line_shift=request.line_shift)


def list_queries_text() -> str:
    """One line per named query: its name, then its title."""
    queries = load_queries()
    width = max(len(n) for n in queries)
    return "".join(f"{n.ljust(width)}  {q.title}\n" for n, q in queries.items())


# ---------------------------------------------------------------------------- formatting


def compact(node: Node | None) -> str:
    """A short human form of a term: prefixed IRI, literal text, ``_:b`` for blank nodes."""
    if node is None:
        return ""
    if isinstance(node, URIRef):
        matches = [(len(str(ns)), prefix) for prefix, ns in PREFIXES.items()
                   if str(node).startswith(str(ns))]
        if not matches:
            return f"<{node}>"
        length, prefix = max(matches)
        return f"{prefix}:{str(node)[length:]}"
    if isinstance(node, BNode):
        return f"_:{node}"
    return str(node)


def _cell(node: Node | None) -> str:
    text = " ".join(compact(node).split())
    return text if len(text) <= TABLE_CELL_MAX else text[: TABLE_CELL_MAX - 1] + "…"


def format_table(result: QueryResult) -> str:
    if result.form == "ASK":
        return ("true" if result.boolean else "false") + "\n"
    header = list(result.variables)
    body = [[_cell(v) for v in row] for row in result.rows]
    widths = [max([len(h)] + [len(r[i]) for r in body]) for i, h in enumerate(header)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in body]
    count = len(body)
    lines.append(f"({count} row{'s' if count != 1 else ''})")
    return "\n".join(lines) + "\n"


def _csv_value(node: Node | None) -> str:
    if node is None:
        return ""
    if isinstance(node, BNode):
        return f"_:{node}"
    return str(node)


def format_csv(result: QueryResult) -> str:
    """SPARQL 1.1 Query Results CSV: plain values, CRLF line ends."""
    if result.form == "ASK":
        return "_askResult\r\n" + ("true" if result.boolean else "false") + "\r\n"
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(result.variables)
    for row in result.rows:
        writer.writerow([_csv_value(v) for v in row])
    return out.getvalue()


def _tsv_value(node: Node | None) -> str:
    if node is None:
        return ""
    if isinstance(node, URIRef):
        return f"<{node}>"
    if isinstance(node, BNode):
        return f"_:{node}"
    assert isinstance(node, Literal)
    text = (str(node).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
            .replace("\r", "\\r").replace("\t", "\\t"))
    if node.language:
        return f'"{text}"@{node.language}'
    if node.datatype is not None:
        return f'"{text}"^^<{node.datatype}>'
    return f'"{text}"'


def format_tsv(result: QueryResult) -> str:
    """SPARQL 1.1 Query Results TSV: terms in Turtle syntax, ``?var`` header."""
    if result.form == "ASK":
        return "?_askResult\n" + ("true" if result.boolean else "false") + "\n"
    lines = ["\t".join(f"?{v}" for v in result.variables)]
    lines += ["\t".join(_tsv_value(v) for v in row) for row in result.rows]
    return "\n".join(lines) + "\n"


def _json_term(node: Node) -> dict[str, str]:
    if isinstance(node, URIRef):
        return {"type": "uri", "value": str(node)}
    if isinstance(node, BNode):
        return {"type": "bnode", "value": str(node)}
    assert isinstance(node, Literal)
    term = {"type": "literal", "value": str(node)}
    if node.language:
        term["xml:lang"] = node.language
    elif node.datatype is not None:
        term["datatype"] = str(node.datatype)
    return term


def format_json(result: QueryResult) -> str:
    """SPARQL 1.1 Query Results JSON."""
    if result.form == "ASK":
        document: dict[str, Any] = {"head": {}, "boolean": bool(result.boolean)}
    else:
        bindings = [{var: _json_term(v) for var, v in zip(result.variables, row, strict=True)
                     if v is not None} for row in result.rows]
        document = {"head": {"vars": list(result.variables)}, "results": {"bindings": bindings}}
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def _xml_term(node: Node) -> str:
    if isinstance(node, URIRef):
        return f"<uri>{xml_escape(str(node))}</uri>"
    if isinstance(node, BNode):
        return f"<bnode>{xml_escape(str(node))}</bnode>"
    assert isinstance(node, Literal)
    attrs = ""
    if node.language:
        attrs = f" xml:lang={quoteattr(node.language)}"
    elif node.datatype is not None:
        attrs = f" datatype={quoteattr(str(node.datatype))}"
    return f"<literal{attrs}>{xml_escape(str(node))}</literal>"


def format_xml(result: QueryResult) -> str:
    """SPARQL Query Results XML Format."""
    lines = ['<?xml version="1.0" encoding="utf-8"?>',
             '<sparql xmlns="http://www.w3.org/2005/sparql-results#">', "  <head>"]
    lines += [f"    <variable name={quoteattr(v)}/>" for v in result.variables]
    lines.append("  </head>")
    if result.form == "ASK":
        lines.append(f"  <boolean>{'true' if result.boolean else 'false'}</boolean>")
    else:
        lines.append("  <results>")
        for row in result.rows:
            lines.append("    <result>")
            for var, value in zip(result.variables, row, strict=True):
                if value is not None:
                    lines.append(f"      <binding name={quoteattr(var)}>{_xml_term(value)}</binding>")
            lines.append("    </result>")
        lines.append("  </results>")
    lines.append("</sparql>")
    return "\n".join(lines) + "\n"


def format_graph(graph: Graph, fmt: str) -> str:
    """A CONSTRUCT/DESCRIBE result as Turtle or JSON-LD (inline context, nothing fetched)."""
    graph = bind_prefixes(graph)
    if fmt == "jsonld":
        context = {prefix: str(ns) for prefix, ns in PREFIXES.items()}
        text = graph.serialize(format="json-ld", context=context, auto_compact=True)
        return text if text.endswith("\n") else text + "\n"
    return graph.serialize(format="turtle")


def format_result(result: QueryResult, fmt: str) -> str:
    """``table`` | ``csv`` | ``tsv`` | ``json`` | ``xml`` for SELECT/ASK; ``turtle`` | ``jsonld``
    (and ``table``, which then gives Turtle) for CONSTRUCT/DESCRIBE."""
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r} (one of {', '.join(FORMATS)})")
    if result.graph is not None:
        if fmt == "table":
            fmt = "turtle"
        if fmt not in GRAPH_FORMATS:
            raise InputError(f"a {result.form} query gives a graph: use --format turtle or jsonld")
        return format_graph(result.graph, fmt)
    if fmt in GRAPH_FORMATS:
        raise InputError(f"a {result.form} query gives {'a boolean' if result.form == 'ASK' else 'rows'}:"
                         " use --format table, csv, tsv, json or xml")
    return {"table": format_table, "csv": format_csv, "tsv": format_tsv, "json": format_json,
            "xml": format_xml}[fmt](result)


__all__ = [
    "FORMATS",
    "MEDIA_TYPES",
    "NamedQuery",
    "QueryRequest",
    "QueryResult",
    "build_request",
    "check_query",
    "check_timeout",
    "decode_escapes",
    "format_result",
    "get_query",
    "list_queries_text",
    "load_queries",
    "parse_param",
    "parse_term",
    "run_named",
    "run_query",
]
