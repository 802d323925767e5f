"""Backends: rdflib, embedded Oxigraph (memory and disk) and a real Oxigraph server give the same
answers to the whole query library; persistent stores are reused; limits and refusals hold."""

from __future__ import annotations

import multiprocessing
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rdflib import Literal, URIRef
from rdflib.term import Node

import kg.rdfio
import kg.store
from kg.errors import InputError, KGError, QueryTimeout
from kg.query import QueryResult, check_query, load_queries
from kg.store import (
    Backend,
    GraphSelection,
    OxigraphBackend,
    RdflibBackend,
    RemoteBackend,
    load_oxigraph,
    open_backend,
    push,
    with_values,
)
from tests.conftest import EXPORTS
from tests.support import canonical, free_port, oxigraph_server

GRAPH_FILE = EXPORTS / "diplo-kg.trig"
HEAVY_QUERY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


# ---------------------------------------------------------------------------- helpers


def answer(result: QueryResult) -> object:
    """A result as a comparable value: rows/triples as sets of canonical N3 tuples."""
    if result.form == "ASK":
        return result.boolean
    if result.graph is not None:
        return {tuple(canonical(t) for t in triple) for triple in result.graph}
    return (result.variables, {tuple(canonical(v) for v in row) for row in result.rows})


@pytest.fixture(scope="module")
def remote(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of an Oxigraph server holding the built graph (uploaded with kg.store.push)."""
    with oxigraph_server(tmp_path_factory.mktemp("oxigraph-server")) as base:
        push(GRAPH_FILE, f"{base}/store")
        yield base


@pytest.fixture(scope="module")
def backends(remote: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Backend]]:
    disk = tmp_path_factory.mktemp("oxigraph-disk") / "store"
    opened: dict[str, Backend] = {
        "rdflib": open_backend("rdflib", GRAPH_FILE),
        "oxigraph": open_backend("oxigraph", GRAPH_FILE),
        "oxigraph-disk": open_backend(f"oxigraph:{disk}", GRAPH_FILE),
        "remote": open_backend(f"{remote}/query", GRAPH_FILE),
    }
    yield opened
    for backend in opened.values():
        backend.close()


# ---------------------------------------------------------------------------- same answers


QUERY_NAMES = sorted(load_queries())


def test_the_query_library_is_not_empty() -> None:
    assert len(QUERY_NAMES) >= 10


@pytest.mark.parametrize("name", QUERY_NAMES)
def test_every_named_query_gives_the_same_answer_on_every_backend(
        name: str, backends: dict[str, Backend]) -> None:
    text = load_queries()[name].text
    answers = {label: answer(backend.query(text)) for label, backend in backends.items()}
    reference = answers.pop("rdflib")
    for label, value in answers.items():
        assert value == reference, f"{name}: {label} differs from rdflib"


DKR = "https://w3id.org/diplo-kg/id/"
#: parameters that are not among the query's own answer columns
EXAMPLES: dict[str, tuple[str, Node]] = {
    "who-met-whom": ("actor", URIRef(DKR + "actor/kim-jong-un")),
    "fact-graph": ("thing", URIRef(DKR + "event/kim-visit-russia-2023")),
    "describe-thing": ("thing", URIRef(DKR + "event/kim-putin-summit-2023")),
    "events": ("onlyStatus", URIRef("https://w3id.org/diplo-kg/vocab/event-status-hypothetical")),
}


def _example_binding(name: str, backend: Backend) -> tuple[str, Node] | None:
    """A value for the query's first parameter taken from its own unbound answer."""
    if name in EXAMPLES:
        return EXAMPLES[name]
    query = load_queries()[name]
    result = backend.query(query.text)
    for param in query.params:
        if param in result.variables:
            column = result.variables.index(param)
            values = sorted({row[column] for row in result.rows if row[column] is not None},
                            key=str)
            if values:
                return param, values[0]
    return None


PARAM_QUERIES = [n for n in QUERY_NAMES if load_queries()[n].params]


@pytest.mark.parametrize("name", PARAM_QUERIES)
def test_parameters_bind_alike_on_every_backend(name: str, backends: dict[str, Backend]) -> None:
    """initBindings (rdflib), substitutions (Oxigraph), a VALUES block (remote): same rows."""
    example = _example_binding(name, backends["rdflib"])
    if example is None:
        pytest.skip(f"{name}: no parameter appears in its own answer")
    param, value = example
    bindings = {param: value}
    text = load_queries()[name].text
    reference = backends["rdflib"].query(text, bindings)
    unbound = backends["rdflib"].query(text)
    if reference.graph is not None:
        assert 0 < len(reference.graph) <= len(unbound.graph or ())
    else:
        assert 0 < len(reference.rows) <= len(unbound.rows), f"{name}: ?{param} gives no row"
    if param in reference.variables:
        column = reference.variables.index(param)
        assert {row[column] for row in reference.rows} == {value}
    for label in ("oxigraph", "oxigraph-disk", "remote"):
        got = backends[label].query(text, bindings)
        assert answer(got) == answer(reference), f"{name} ?{param}: {label} differs from rdflib"


def test_a_hostile_literal_parameter_stays_a_literal(backends: dict[str, Backend]) -> None:
    hostile = Literal('x" } ; DROP ALL ; SELECT * { "')
    query = "SELECT ?label WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label }"
    for label, backend in backends.items():
        result = backend.query(query, {"label": hostile})
        assert result.rows == (), label
    remote_count = backends["remote"].query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    local_count = backends["rdflib"].query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    assert canonical(remote_count.rows[0][0]) == canonical(local_count.rows[0][0])


# ---------------------------------------------------------------------------- VALUES writer


def test_values_open_the_where_clause_after_a_construct_template() -> None:
    query = ('PREFIX ex: <http://example.org/>\n'
             'CONSTRUCT { ?s ex:p "}" } # { a comment brace\n'
             'WHERE { ?s ex:q ?o FILTER(?o != "{") }')
    written = with_values(query, {"o": Literal('a"b\n{'), "s": URIRef("http://example.org/x")})
    head, _, tail = written.partition("WHERE {")
    assert "VALUES" not in head
    assert tail.lstrip().startswith("VALUES (?o ?s) {")


@settings(max_examples=150, deadline=None)
@given(text=st.text(), lang=st.sampled_from([None, "fr", "en"]))
def test_any_literal_goes_through_values_unchanged(text: str, lang: str | None) -> None:
    """term.n3() escaping: whatever the text, the server sees exactly that literal (or, for a
    backslash followed by u, which engines read differently, a clear refusal)."""
    store = ox.Store()
    value = Literal(text, lang=lang)
    if re.search(r"\\[uU]", text):
        with pytest.raises(InputError, match="backslash followed by u"):
            with_values("SELECT ?x WHERE { }", {"x": value})
        return
    written = with_values("SELECT ?x WHERE { }", {"x": value})
    (row,) = list(store.query(written))
    assert kg.rdfio.to_rdflib(row["x"]) == value


@pytest.mark.parametrize("text", ["\\U0000", "\\u00550000", "a\\\\u0041b", "\\\\\\u"])
def test_a_literal_holding_backslash_u_is_refused_in_text_and_bound_as_a_term(text: str) -> None:
    """A literal holding a backslash then u: no query text may carry it (rdflib read it as a
    codepoint escape, Oxigraph another way: the vetted query would not be the query run), so
    VALUES refuses it in one line; Oxigraph binds it as a term (no text), unchanged."""
    with pytest.raises(InputError, match="backslash followed by u or U"):
        with_values("SELECT ?x WHERE { }", {"x": Literal(text)})
    backend = OxigraphBackend(ox.Store())
    try:
        (row,) = backend.query("SELECT ?x WHERE { }", {"x": Literal(text)}).rows
    finally:
        backend.close()
    assert row == (Literal(text),)


def test_a_bad_unicode_escape_is_a_syntax_error_not_a_crash() -> None:
    with pytest.raises(InputError, match="syntax error"):
        check_query('SELECT * WHERE { ?s ?p "\\UFFFFFFFF" }')


def test_values_refuse_a_non_term_or_a_bad_variable_name() -> None:
    with pytest.raises(InputError):
        with_values("SELECT * WHERE { ?s ?p ?o }", {"s": "not a term"})  # type: ignore[dict-item]
    with pytest.raises(InputError):
        with_values("SELECT * WHERE { ?s ?p ?o }", {"s) } DROP ALL": URIRef("http://x/")})


# ---------------------------------------------------------------------------- stores


def test_a_disk_store_is_reopened_without_reloading(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    graph = tmp_path / "g.trig"
    shutil.copy(GRAPH_FILE, graph)
    path = tmp_path / "store"
    first = load_oxigraph(graph, path)
    count = len(first)
    del first
    loads: list[Path] = []
    original = kg.store._load_into
    monkeypatch.setattr(kg.store, "_load_into",
                        lambda store, file, bulk: (loads.append(file), original(store, file, bulk=bulk)))
    again = load_oxigraph(graph, path)
    assert len(again) == count and loads == []
    del again
    graph.write_text("<http://example.org/s> { <http://example.org/s> "
                     "<http://example.org/p> <http://example.org/o> . }\n", encoding="utf-8")
    changed = load_oxigraph(graph, path)
    assert loads == [graph] and len(changed) == 1


def test_a_disk_backend_answers_after_reopening(tmp_path: Path) -> None:
    spec = f"oxigraph:{tmp_path / 'store'}"
    first = open_backend(spec, GRAPH_FILE)
    expected = answer(first.query(load_queries()["who-met-whom"].text))
    first.close()
    second = open_backend(spec, GRAPH_FILE)
    try:
        assert answer(second.query(load_queries()["who-met-whom"].text)) == expected
    finally:
        second.close()


@pytest.mark.parametrize("spec", ["rdflib", "oxigraph"])
def test_a_runaway_query_is_stopped_at_the_time_limit(spec: str) -> None:
    backend = open_backend(spec, GRAPH_FILE)
    try:
        with pytest.raises(QueryTimeout):
            backend.query(HEAVY_QUERY, timeout=0.5)
        # the process running it was killed and reaped: rdflib's child, Oxigraph's worker
        assert not [p for p in multiprocessing.active_children() if p.name == "kg-query-once"]
        if isinstance(backend, OxigraphBackend):
            assert backend.workers.pids() == ()
        assert backend.query("ASK { ?s ?p ?o }").boolean is True
    finally:
        backend.close()


@pytest.mark.parametrize("spec", ["rdflib", "oxigraph"])
@pytest.mark.parametrize("query", [
    "INSERT DATA { <http://example.org/s> <http://example.org/p> 1 }",
    "CLEAR ALL",
    "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
    "SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }",
    "SELECT * WHERE {",
])
def test_embedded_backends_refuse_updates_service_from_and_bad_syntax(spec: str, query: str) -> None:
    backend = open_backend(spec, GRAPH_FILE)
    before = backend.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }").rows
    with pytest.raises(InputError):
        backend.query(query)
    assert backend.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }").rows == before


def test_a_graph_selection_sees_only_the_chosen_graphs() -> None:
    entities = URIRef("https://w3id.org/diplo-kg/id/graph/entities")
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    backends: list[Backend] = [RdflibBackend(kg.rdfio.parse_rdf_dataset(GRAPH_FILE)),
                               OxigraphBackend(load_oxigraph(GRAPH_FILE))]
    counts = [b.query(count, graphs=GraphSelection(default=(entities,))).rows[0][0] for b in backends]
    assert canonical(counts[0]) == canonical(counts[1])
    total = backends[0].query(count).rows[0][0]
    assert 0 < int(counts[0]) < int(total)
    unknown = GraphSelection(default=(URIRef("http://example.org/not-held"),))
    assert int(backends[1].query(count, graphs=unknown).rows[0][0]) == 0


@pytest.mark.parametrize("spec", ["sqlite", "oxigraph:", "rdflib:x", "file:///tmp/x"])
def test_an_unknown_store_spec_is_bad_input(spec: str) -> None:
    with pytest.raises(InputError):
        open_backend(spec, GRAPH_FILE)


def test_a_remote_endpoint_must_be_http() -> None:
    for url in ("file:///etc/passwd", "ftp://example.org/sparql", "localhost:7878/query"):
        with pytest.raises(InputError):
            RemoteBackend(url)


def test_an_unreachable_endpoint_is_one_clear_error() -> None:
    backend = RemoteBackend(f"http://127.0.0.1:{free_port()}/query")
    with pytest.raises(KGError, match="cannot reach"):
        backend.query("ASK {}", timeout=5)


def test_remote_syntax_errors_are_bad_input(remote: str) -> None:
    # vetted locally before anything is sent
    with pytest.raises(InputError):
        RemoteBackend(f"{remote}/query").query("SELECT * WHERE {")
