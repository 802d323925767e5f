"""Query workers: an Oxigraph backend forks its worker once and reuses it; a runaway query still
dies at its time limit, a crashed worker is a clear error and is replaced, threads share the
workers safely, nothing outlives close() or the parent; answers are the ones the old
one-process-per-query path gave (Oxigraph's TSV read back into rdflib terms), and vetting is
done once per query text."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

from kg.errors import InputError, KGError, QueryTimeout
from kg.query import (
    WORKERS_PER_BACKEND,
    _vetted,
    build_request,
    check_query,
    load_queries,
    pack_rows,
    unpack_rows,
)
from kg.rdfio import to_rdflib
from kg.store import OxigraphBackend, _tsv_rows, load_oxigraph, open_backend
from tests.conftest import EXPORTS, ROOT

GRAPH_FILE = EXPORTS / "diplo-kg.trig"
HEAVY_QUERY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
XSD = "http://www.w3.org/2001/XMLSchema#"


@pytest.fixture()
def backend() -> Iterator[OxigraphBackend]:
    opened = open_backend("oxigraph", GRAPH_FILE)
    assert isinstance(opened, OxigraphBackend)
    try:
        yield opened
    finally:
        opened.close()


def gone(pid: int, within: float = 10.0) -> bool:
    """Whether process ``pid`` has exited (or been reaped) within ``within`` seconds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
                if stat.read().rsplit(")", 1)[1].split()[0] == "Z":  # exited, not yet reaped
                    return True
        except FileNotFoundError:
            return True
        time.sleep(0.05)
    return False


def count(backend: OxigraphBackend) -> int:
    return int(backend.query(COUNT).rows[0][0])  # type: ignore[arg-type]


# ---------------------------------------------------------------------------- lifecycle


def test_one_worker_is_forked_and_reused_across_queries(backend: OxigraphBackend) -> None:
    assert backend.workers.pids() == ()  # nothing forked before the first query
    first = count(backend)
    (pid,) = backend.workers.pids()
    assert pid != os.getpid()
    for name in ("who-met-whom", "hedge-cues", "fact-graph"):
        backend.query(load_queries()[name].text)
    assert count(backend) == first
    assert backend.workers.pids() == (pid,)


def test_a_runaway_query_is_killed_at_its_timeout_and_the_next_query_works(
        backend: OxigraphBackend) -> None:
    expected = count(backend)
    (pid,) = backend.workers.pids()
    with pytest.raises(QueryTimeout) as caught:
        backend.query(HEAVY_QUERY, timeout=0.5)
    assert caught.value.exit_code == 3 and "0.5 s" in caught.value.message
    assert gone(pid) and backend.workers.pids() == ()
    assert count(backend) == expected
    (fresh,) = backend.workers.pids()
    assert fresh != pid


def test_a_worker_dying_mid_query_is_a_clear_error_then_a_fresh_one_answers(
        backend: OxigraphBackend) -> None:
    expected = count(backend)
    (pid,) = backend.workers.pids()
    killer = threading.Timer(0.5, os.kill, (pid, signal.SIGKILL))
    killer.start()
    try:
        with pytest.raises(KGError) as caught:
            backend.query(HEAVY_QUERY, timeout=120)
    finally:
        killer.cancel()
    assert not isinstance(caught.value, QueryTimeout)
    assert "worker process died (killed by signal 9)" in caught.value.message
    assert count(backend) == expected
    assert pid not in backend.workers.pids()


def test_a_worker_found_dead_between_queries_is_replaced_silently(backend: OxigraphBackend) -> None:
    expected = count(backend)
    (pid,) = backend.workers.pids()
    os.kill(pid, signal.SIGKILL)
    assert gone(pid)
    assert count(backend) == expected
    assert backend.workers.pids() and pid not in backend.workers.pids()


def test_close_stops_every_worker_and_later_queries_are_refused() -> None:
    backend = open_backend("oxigraph", GRAPH_FILE)
    assert isinstance(backend, OxigraphBackend)
    with ThreadPoolExecutor(3) as pool:  # several workers at once
        list(pool.map(lambda _: backend.query(load_queries()["who-met-whom"].text), range(6)))
    pids = backend.workers.pids()
    assert 1 <= len(pids) <= WORKERS_PER_BACKEND
    backend.close()
    assert backend.workers.pids() == ()
    assert all(gone(pid) for pid in pids)
    with pytest.raises(KGError, match="closed"):
        backend.query(COUNT)


def test_a_dropped_backend_stops_its_worker() -> None:
    backend = open_backend("oxigraph", GRAPH_FILE)
    assert isinstance(backend, OxigraphBackend)
    count(backend)
    (pid,) = backend.workers.pids()
    del backend  # no close(): the garbage collector's finaliser stops the worker
    assert gone(pid)


_ORPHAN_SCRIPT = """
import os, sys
from pathlib import Path
from kg.store import open_backend
backend = open_backend("oxigraph", Path(sys.argv[1]))
backend.query("ASK { ?s ?p ?o }")
print(backend.workers.pids()[0], flush=True)
os.kill(os.getpid(), 9)  # the parent dies without any clean-up
"""


def test_a_worker_does_not_outlive_a_killed_parent() -> None:
    done = subprocess.run([sys.executable, "-c", _ORPHAN_SCRIPT, str(GRAPH_FILE)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == -signal.SIGKILL, done.stderr
    pid = int(done.stdout.split()[0])
    assert gone(pid, within=30), f"worker {pid} outlived its parent"


# ---------------------------------------------------------------------------- threads


def test_concurrent_queries_from_threads_give_the_serial_answers(backend: OxigraphBackend) -> None:
    names = sorted(load_queries())
    serial = {name: backend.query(load_queries()[name].text) for name in names}
    jobs = names * 3

    def run(name: str) -> tuple[str, Any]:
        return name, backend.query(load_queries()[name].text)

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(run, jobs))
    assert len(answers) == len(jobs)
    for name, result in answers:
        expected = serial[name]
        assert (result.form, result.variables, result.rows, result.boolean) == (
            expected.form, expected.variables, expected.rows, expected.boolean), name
        if expected.graph is not None:
            assert result.graph is not None and set(result.graph) == set(expected.graph), name
    assert 1 <= len(backend.workers.pids()) <= WORKERS_PER_BACKEND


def test_a_runaway_query_in_one_thread_does_not_hold_up_the_others(
        backend: OxigraphBackend) -> None:
    expected = count(backend)
    with ThreadPoolExecutor(1) as pool:
        runaway = pool.submit(backend.query, HEAVY_QUERY, None, 120.0)
        time.sleep(0.1)
        assert [count(backend) for _ in range(5)] == [expected] * 5
        assert not runaway.done()  # answered by another worker while the runaway runs
        assert len(backend.workers.pids()) == 2
        backend.close()  # stops the runaway's worker too: its query fails, it does not hang
        with pytest.raises(KGError, match="stopped"):
            runaway.result(timeout=60)


def test_kg_serve_answers_concurrent_requests_from_its_workers() -> None:
    import json
    import urllib.parse
    import urllib.request

    from kg.server import ServerConfig, running

    backend = open_backend("oxigraph", GRAPH_FILE)
    query = load_queries()["who-met-whom"].text
    try:
        with running(backend, config=ServerConfig(quiet=True)) as server:
            url = server.url + "sparql?" + urllib.parse.urlencode({"query": query})

            def fetch(_: int) -> list[Any]:
                with urllib.request.urlopen(url, timeout=60) as response:
                    return json.loads(response.read())["results"]["bindings"]  # type: ignore[no-any-return]

            with ThreadPoolExecutor(6) as pool:
                bodies = list(pool.map(fetch, range(12)))
    finally:
        backend.close()
    assert bodies[0] and all(body == bodies[0] for body in bodies)


# ---------------------------------------------------------------------------- same answers


def _old_path(store: ox.Store, sparql: str) -> tuple[Any, ...]:
    """What each query gave before the workers: every Oxigraph term through to_rdflib."""
    result = store.query(sparql, use_default_graph_as_union=True)
    if isinstance(result, ox.QueryBoolean):
        return ("ASK", bool(result))
    if isinstance(result, ox.QueryTriples):
        return ("GRAPH", {(to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object))
                          for t in result})
    variables = tuple(v.value for v in result.variables)
    rows = tuple(tuple(to_rdflib(s[i]) if s[i] is not None else None for i in range(len(variables)))
                 for s in result)
    return ("SELECT", variables, rows)


def _exact(node: Node | None) -> tuple[Any, ...] | None:
    if node is None:
        return None
    return (type(node), str(node), getattr(node, "language", None), getattr(node, "datatype", None))


@pytest.mark.parametrize("name", sorted(load_queries()))
def test_every_named_query_gives_the_rows_of_the_old_path(name: str,
                                                          backend: OxigraphBackend) -> None:
    text = load_queries()[name].text
    assert backend.store is not None
    old = _old_path(backend.store, text)
    new = backend.query(text)
    if old[0] == "ASK":
        assert new.boolean is old[1]
    elif old[0] == "GRAPH":
        assert new.graph is not None and set(new.graph) == old[1]
    else:
        assert new.variables == old[1]
        assert new.rows == old[2]  # same rows in the same order
        assert [[_exact(v) for v in row] for row in new.rows] == \
            [[_exact(v) for v in row] for row in old[2]]


_DATATYPES = [None, "string", "integer", "decimal", "double", "boolean", "date", "int",
              "nonNegativeInteger", "gYear"]
_LEXICAL = st.one_of(st.text(), st.from_regex(r"[+-]?[0-9]{0,4}(\.[0-9]{0,3})?([eE][+-]?[0-9]{1,3})?",
                                               fullmatch=True),
                     st.sampled_from(["true", "false", "1", "01", "0.50", "1e3", "INF", "NaN", "-0",
                                      "2023-09-13", "\t", "\\", '"', "\r\n", "\u2028", "\x00"]))


@settings(max_examples=300, deadline=None)
@given(values=st.lists(st.tuples(_LEXICAL, st.sampled_from(_DATATYPES),
                                 st.sampled_from([None, "fr", "en-US"])), min_size=1, max_size=8))
def test_any_literal_reads_back_from_tsv_as_to_rdflib_gives_it(
        values: list[tuple[str, str | None, str | None]]) -> None:
    store = ox.Store()
    subject = ox.NamedNode("http://example.org/s")
    for index, (text, datatype, lang) in enumerate(values):
        if lang is not None:
            literal = ox.Literal(text, language=lang)
        elif datatype is None:
            literal = ox.Literal(text)
        else:
            literal = ox.Literal(text, datatype=ox.NamedNode(XSD + datatype))
        store.add(ox.Quad(subject, ox.NamedNode(f"http://example.org/p{index}"), literal))
    store.add(ox.Quad(ox.BlankNode("b0"), ox.NamedNode("http://example.org/p"),
                      ox.NamedNode("http://example.org/é?x=1#f")))
    query = "SELECT ?s ?p ?o ?none WHERE { ?s ?p ?o } ORDER BY ?p"
    expected = _old_path(store, query)
    tsv = store.query(query).serialize(format=ox.QueryResultsFormat.TSV).decode("utf-8")
    variables, rows = _tsv_rows(tsv, {})
    assert (variables, rows) == expected[1:]
    assert [[_exact(v) for v in row] for row in rows] == [[_exact(v) for v in row] for row in expected[2]]


def test_tsv_edge_shapes_read_back() -> None:
    store = ox.Store()
    for query, variables, rows in [
        ("SELECT * WHERE {}", (), ((),)),
        ("SELECT ?x WHERE { FILTER(false) }", ("x",), ()),
        ("SELECT ?x WHERE {}", ("x",), ((None,),)),
        ("SELECT ?x ?y WHERE { VALUES (?x ?y) { (1 UNDEF) (UNDEF UNDEF) } }", ("x", "y"),
         ((Literal("1", datatype=URIRef(XSD + "integer")), None), (None, None))),
        ('SELECT ?x WHERE { BIND(BNODE("a") AS ?x) }', ("x",), None),
    ]:
        tsv = store.query(query).serialize(format=ox.QueryResultsFormat.TSV).decode("utf-8")
        got = _tsv_rows(tsv, {})
        if rows is None:
            assert got[0] == variables and isinstance(got[1][0][0], BNode)
        else:
            assert got == (variables, rows), query


def test_a_triple_term_in_an_answer_is_a_clear_error() -> None:
    # rdflib's vetting refuses RDF-star queries, so only a store holding one could send it
    with pytest.raises(InputError, match="unsupported RDF term"):
        _tsv_rows("?t\n<<( <http://a> <http://b> <http://c> )>>\n", {})


def test_rdflib_rows_cross_the_pipe_as_a_term_table() -> None:
    fr, fr_upper = Literal("x", lang="fr"), Literal("x", lang="FR")
    rows = [(URIRef("x"), Literal("x"), fr), (fr_upper, None, BNode("x")),
            (Literal("1", datatype=URIRef(XSD + "integer")), URIRef("x"), None)]
    terms, cells = pack_rows(rows)
    assert len(terms) == 5 + (fr_upper.language != fr.language)
    back = unpack_rows(terms, cells, 3, len(rows))
    assert back == tuple(rows)
    assert [[_exact(v) for v in row] for row in back] == [[_exact(v) for v in row] for row in rows]
    assert unpack_rows(*pack_rows([(), ()]), 0, 2) == ((), ())


# ---------------------------------------------------------------------------- disk store


def test_a_disk_store_worker_sees_a_reload(tmp_path: Path) -> None:
    graph = tmp_path / "g.trig"
    shutil.copy(GRAPH_FILE, graph)
    path = tmp_path / "store"
    backend = open_backend(f"oxigraph:{path}", graph)
    assert isinstance(backend, OxigraphBackend)
    try:
        before = count(backend)
        (pid,) = backend.workers.pids()
        graph.write_text("<http://example.org/g> { <http://example.org/s> "
                         "<http://example.org/p> <http://example.org/o> . }\n", encoding="utf-8")
        time.sleep(0.01)  # a new marker file time even on a coarse clock
        reloaded = load_oxigraph(graph, path)  # what kg build --store does meanwhile
        del reloaded  # unlock it
        assert before > 1 and count(backend) == 1
        assert backend.workers.pids() == (pid,)  # the same worker, its store reopened
    finally:
        backend.close()


# ---------------------------------------------------------------------------- vetting


def test_vetting_is_done_once_per_query_text() -> None:
    text = load_queries()["who-met-whom"].text + "\n# vetting cache test\n"
    before = _vetted.cache_info()
    assert check_query(text) == "SELECT"
    assert check_query(text) == "SELECT"
    build_request(file_text=text, file_name="q.rq")
    after = _vetted.cache_info()
    assert after.misses == before.misses + 1 and after.hits >= before.hits + 2


def test_vetting_errors_are_not_cached_and_keep_their_place() -> None:
    bad = "SELECT ?x WHERE {\n  ?x <urn:p> ?y .\n  FILTR(?x)\n}"
    for _ in range(2):
        with pytest.raises(InputError) as caught:
            check_query(bad)
        assert caught.value.line == 3 and caught.value.path == "<query>"
    with pytest.raises(InputError) as named:
        build_request(file_text=bad, file_name="mine.rq")
    assert named.value.path == "mine.rq" and named.value.line == 3
    for refused in ("CLEAR ALL", "SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }",
                    "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"):
        for _ in range(2):
            with pytest.raises(InputError, match="read-only"):
                check_query(refused)


_PARSE_RACE = """
import sys, threading
from kg.query import check_query, load_queries
sys.setswitchinterval(1e-6)
texts = [q.text + f"\\n# copy {i}\\n" for i in range(2) for q in load_queries().values()]
barrier = threading.Barrier(6)
errors = []
def work(chunk):
    barrier.wait()
    for text in chunk:
        try:
            check_query(text)
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
threads = [threading.Thread(target=work, args=(texts[i::6],)) for i in range(6)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(len(errors), errors[:1])
"""


def test_threads_vetting_at_once_do_not_break_the_parser() -> None:
    """Regression: the first concurrent requests to ``kg serve`` broke rdflib's (pyparsing's)
    SPARQL parser for good ("Param.postParse2() missing 1 required positional argument"):
    every later query got a 500. A fresh interpreter, so the parser's first parses race."""
    done = subprocess.run([sys.executable, "-c", _PARSE_RACE], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("0 []"), done.stdout


def test_the_term_cache_stays_bounded_and_answers_stay_right(
        backend: OxigraphBackend, monkeypatch: pytest.MonkeyPatch) -> None:
    import kg.store

    monkeypatch.setattr(kg.store, "TERM_CACHE_SIZE", 40)
    assert backend.store is not None
    for name in sorted(load_queries()):  # answers above and below the bound
        text = load_queries()[name].text
        old = _old_path(backend.store, text)
        new = backend.query(text)
        if old[0] == "SELECT":
            assert (new.variables, new.rows) == old[1:], name
        assert len(backend._terms) <= 40


@pytest.fixture(scope="module")
def dataset() -> Any:
    from kg.rdfio import parse_rdf_dataset

    return parse_rdf_dataset(GRAPH_FILE)


@pytest.mark.parametrize("name", sorted(load_queries()))
def test_rdflib_rows_through_the_term_table_are_the_evaluated_rows(name: str, dataset: Any) -> None:
    import warnings

    from kg.query import run_query

    text = load_queries()[name].text
    got = run_query(dataset, text)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        direct = dataset.query(text)
        if got.form == "ASK":
            assert got.boolean is bool(direct.askAnswer)
            return
        if got.graph is not None:
            assert set(got.graph) == set(direct.graph)
            return
        rows = tuple(tuple(row.asdict().get(v) for v in got.variables) for row in direct)
    assert got.rows == rows
    assert [[_exact(v) for v in row] for row in got.rows] == [[_exact(v) for v in row] for row in rows]
