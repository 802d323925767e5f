"""Property-based fuzzing: whatever the bytes, only our clean error comes out.

Hypothesis mutates the W3C RDF test files (read under any of our suffixes, so the JSON-LD and
RDF/XML pre-checks get Turtle and vice versa) and our annotation YAML files, and sends random
requests to ``kg serve``. The properties: a reader returns or raises one
:class:`~kg.errors.KGError` whose message is one line naming the file; ``kg validate`` exits
0/1/2 with at most one line on stderr; the compiler raises nothing but KGError; the server
answers with a documented status, never a traceback or a file path. Runs are derandomised (CI
sees the same examples every time) and bounded (``max_examples``).
"""

from __future__ import annotations

import contextlib
import re
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from kg.cli import main
from kg.compile import compile_corpus, load_ontology
from kg.corpus import read_corpus
from kg.errors import KGError
from kg.rdfio import READ_FORMATS, parse_rdf_dataset
from kg.validate import ValidationReport
from kg.yamlsafe import load_yaml
from tests.conftest import DATA, ONTOLOGY, ROOT, SEED, W3C

FUZZ = settings(deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])
RDF11 = W3C / "rdf11"

#: small hand-written seeds for the formats the W3C RDF 1.1 suites do not cover
EXTRA_SEEDS: dict[str, bytes] = {
    ".jsonld": b'{"@context": {"p": "http://example.org/p", "@vocab": "http://example.org/"},'
               b' "@id": "http://example.org/a", "p": [{"@id": "http://example.org/b"},'
               b' {"@value": "v", "@language": "fr"}, {"@list": [1, 2]}], "@graph": []}',
    ".rdf": b'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [<!ENTITY ex "http://example.org/">]>\n'
            b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
            b'xmlns:p="http://example.org/"><rdf:Description rdf:about="&ex;a">'
            b'<p:x rdf:parseType="Resource"><p:y xml:lang="fr">v</p:y></p:x>'
            b'<!-- c --><p:z rdf:resource="&ex;b"/></rdf:Description></rdf:RDF>\n',
}
#: tokens that tend to matter to RDF, JSON and XML parsers
TOKENS = [b'"""', b"'''", b"[", b"]", b"(", b")", b"{", b"}", b"<", b">", b".", b";", b",",
          b"_:b", b"^^", b"@en", b"@prefix p: <http://e/> .", b"PREFIX", b"@base", b"\\u0000",
          b"\\U0010FFFF", b"\x00", b"\xff", b"\xed\xa0\x80", b"\n", b"\r", b"#", b'"', b"'",
          b'<!ENTITY a "&a;">', b"&a;", b'"@context"', b'"@id"', b"rdf:parseType", b"GRAPH",
          b"<http://e/\x7f>", b"1e999", b"-0", b'"\xf0\x9f\x98\x80"']


def _rdf_seeds() -> list[tuple[str, bytes]]:
    seeds = sorted(EXTRA_SEEDS.items())
    if RDF11.is_dir():
        for folder in ("rdf-turtle", "rdf-trig", "rdf-n-triples", "rdf-n-quads"):
            for path in sorted((RDF11 / folder).iterdir()):
                if path.suffix in READ_FORMATS and path.stat().st_size < 4_000:
                    seeds.append((path.suffix, path.read_bytes()))
    return seeds


RDF_SEEDS = _rdf_seeds()


@st.composite
def mutated(draw: st.DrawFn, data: bytes) -> bytes:
    """``data`` after 1-4 random edits (flip, insert token/bytes, delete, duplicate, truncate)."""
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(out)))
        kind = draw(st.sampled_from(["flip", "token", "bytes", "delete", "duplicate", "truncate"]))
        if kind == "flip" and out:
            out[min(at, len(out) - 1)] = draw(st.integers(0, 255))
        elif kind == "token":
            out[at:at] = draw(st.sampled_from(TOKENS)) * draw(st.integers(1, 3))
        elif kind == "bytes":
            out[at:at] = draw(st.binary(min_size=1, max_size=12))
        elif kind == "delete":
            del out[at:at + draw(st.integers(1, 40))]
        elif kind == "duplicate":
            out[at:at] = out[at:at + draw(st.integers(1, 200))]
        else:
            del out[at:]
    return bytes(out)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def assert_clean(error: KGError, path: Path) -> None:
    line = error.one_line()
    assert "\n" not in line and "\r" not in line
    assert line.startswith(str(path)), line
    assert "Traceback" not in line


def test_there_are_seeds() -> None:
    assert len(RDF_SEEDS) >= len(EXTRA_SEEDS)
    if RDF11.is_dir():
        assert len(RDF_SEEDS) > 300


# ---------------------------------------------------------------------------- RDF


@settings(FUZZ, max_examples=400)
@given(data=st.data())
def test_mutated_rdf_parses_or_fails_cleanly(scratch: Path, data: st.DataObject) -> None:
    suffix, seed = data.draw(st.sampled_from(RDF_SEEDS), label="seed")
    content = data.draw(mutated(seed), label="content")
    # read as its own format most of the time, as any other format otherwise
    suffix = data.draw(st.sampled_from([suffix] * 3 + sorted(READ_FORMATS)), label="suffix")
    path = scratch / f"input{suffix}"
    path.write_bytes(content)
    try:
        parse_rdf_dataset(path, base_iri="http://example.org/base/")
        event("parsed")
    except KGError as error:
        assert error.exit_code == 2
        assert_clean(error, path)
        event("refused")


@settings(FUZZ, max_examples=60)
@given(data=st.data())
def test_kg_validate_on_mutated_rdf_exits_0_1_or_2(scratch: Path, data: st.DataObject,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """The CLI path (SHACL stubbed: its input is a graph that already parsed; the shapes are
    tested elsewhere): exit 0, 1 or 2 and at most one line on stderr, never a traceback."""
    suffix, seed = data.draw(st.sampled_from(RDF_SEEDS), label="seed")
    path = scratch / f"cli{suffix}"
    path.write_bytes(data.draw(mutated(seed), label="content"))
    with mock.patch("kg.validate.validate_graph", return_value=ValidationReport(())), \
            mock.patch("kg.validate.load_shapes"), mock.patch("kg.compile.load_ontology"):
        code = main(["validate", str(path)])
    _out, err = capsys.readouterr()
    assert code in (0, 2)
    assert "Traceback" not in err
    if code == 2:
        assert err.count("\n") == 1 and err.startswith(f"kg validate: {path}"), err
    else:
        assert err == ""


# ---------------------------------------------------------------------------- YAML

YAML_FILES = [DATA / "entities.yaml", SEED / "meta.yaml", SEED / "annotation.yaml"]
#: values that YAML 1.1 would coerce, or that change a scalar into a structure
ODD_VALUES = ["NO", "on", "12:30", "2023-09-12", "0x1F", "~", "null", "1e3", ".inf", "[]", "{}",
              '""', "[a, b]", "{fr: x, en: y}", "!!str x", "&a x", "*a", '"\\u0000"', '"\\ud800"',
              "|\n  block", "x" * 500, "<< : {a: b}", "'quoted'", "- item", "? key"]


@st.composite
def mutated_yaml(draw: st.DrawFn, text: str) -> str:
    """Line-level edits that keep most of the YAML parseable (so the compiler sees it)."""
    lines = text.split("\n")
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(lines) - 1))
        kind = draw(st.sampled_from(["value", "value", "delete", "duplicate", "swap", "indent"]))
        if kind == "value" and ": " in lines[at]:
            key = lines[at].split(": ", 1)[0]
            lines[at] = f"{key}: {draw(st.sampled_from(ODD_VALUES))}"
        elif kind == "delete":
            del lines[at]
        elif kind == "duplicate":
            lines.insert(at, lines[at])
        elif kind == "swap" and at + 1 < len(lines):
            lines[at], lines[at + 1] = lines[at + 1], lines[at]
        elif kind == "indent":
            lines[at] = "  " + lines[at]
        if not lines:
            lines = [""]
    return "\n".join(lines)


@settings(FUZZ, max_examples=300)
@given(data=st.data())
def test_mutated_yaml_loads_or_fails_cleanly(scratch: Path, data: st.DataObject) -> None:
    source = data.draw(st.sampled_from(YAML_FILES), label="file")
    original = source.read_bytes()
    if data.draw(st.booleans(), label="bytes"):
        content = data.draw(mutated(original), label="content")
    else:
        content = data.draw(mutated_yaml(original.decode("utf-8")), label="content").encode()
    path = scratch / source.name
    path.write_bytes(content)
    try:
        load_yaml(path)
    except KGError as error:
        assert error.exit_code == 2
        assert_clean(error, path)


@pytest.fixture(scope="module")
def corpus_copy(scratch: Path) -> Iterator[Path]:
    """A one-article corpus (registry + seed article) reused by every example."""
    data = scratch / "data"
    (data / "articles").mkdir(parents=True)
    shutil.copy2(DATA / "entities.yaml", data / "entities.yaml")
    shutil.copytree(SEED, data / "articles" / SEED.name)
    yield data
    shutil.rmtree(data)


@pytest.fixture(scope="module")
def ontology_graph() -> object:
    return load_ontology(ONTOLOGY)


@settings(FUZZ, max_examples=120)
@given(data=st.data())
def test_mutated_annotations_compile_or_fail_cleanly(corpus_copy: Path, ontology_graph: object,
                                                    data: st.DataObject) -> None:
    """``kg build`` up to the SHACL step: the compiler raises KGError and nothing else."""
    index = data.draw(st.integers(0, len(YAML_FILES) - 1), label="file")
    source = YAML_FILES[index]
    target = ([corpus_copy / "entities.yaml"] + [corpus_copy / "articles" / SEED.name / name
                                                 for name in ("meta.yaml", "annotation.yaml")])[index]
    text = data.draw(mutated_yaml(source.read_text(encoding="utf-8")), label="content")
    target.write_text(text, encoding="utf-8")
    try:
        compile_corpus(read_corpus(corpus_copy), ontology_graph)  # type: ignore[arg-type]
        event("compiled")
    except KGError as error:
        event("refused")
        assert error.exit_code in (1, 2), error.one_line()
        line = error.one_line()
        assert "\n" not in line and "Traceback" not in line
    finally:
        shutil.copy2(source, target)


# ---------------------------------------------------------------------------- kg serve

ALLOWED_STATUSES = {200, 400, 403, 404, 405, 406, 411, 413, 415, 421, 429, 503}
SPARQL_BITS = ["SELECT * WHERE { ?s ?p ?o } LIMIT 3", "ASK { ?s ?p ?o }",
               "CONSTRUCT WHERE { ?s ?p ?o } LIMIT 2", "DESCRIBE <http://example.org/a>",
               "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }", "INSERT DATA { <a> <b> <c> }",
               "SELECT * { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
               "SELECT * FROM <file:///etc/passwd> { ?s ?p ?o }", "LOAD <file:///etc/passwd>",
               "SELECT * WHERE { FILTER(" + "(" * 60 + "1" + ")" * 60 + ") }",
               "SELECT * WHERE { ?s ?p ?o", "PREFIX : <x> SELECT", "}", "\x00", "é", "%ZZ"]


@st.composite
def http_requests(draw: st.DrawFn) -> bytes:
    import urllib.parse

    usual = draw(st.integers(0, 5)) > 0  # mostly what a SPARQL client sends
    method = draw(st.sampled_from(["GET", "POST"] if usual else
                                  ["HEAD", "PUT", "DELETE", "OPTIONS", "PATCH"]))
    path = draw(st.sampled_from(["/sparql"] * 8 + ["/", "/graph", "/queries.json",
                                                   "/static/../../../etc/passwd",
                                                   "/static/%2e%2e/kg/server.py", "/nothing",
                                                   "//sparql", "/sparql/../sparql"]))
    params: list[tuple[str, str]] = []
    for _ in range(draw(st.sampled_from([1, 1, 1, 0, 2, 3]))):
        name = draw(st.sampled_from(["query", "query", "query", "update", "format", "default-graph-uri",
                                     "named-graph-uri", "timeout", "x"]))
        value = draw(st.one_of(st.sampled_from([*SPARQL_BITS, "json", "csv", "xml", "turtle",
                                                "nonsense", "http://e/g"]),
                               st.text(max_size=30)))
        params.append((name, value))
    target = path + ("?" + urllib.parse.urlencode(params) if params else "")
    if draw(st.booleans()):
        target += draw(st.sampled_from(["", "&", "%", "%FF", "?a=%ZZ", ";", "#frag"]))
    headers = {"Host": draw(st.sampled_from(["127.0.0.1"] * 8 + ["localhost", "evil.example"]))}
    if draw(st.booleans()):
        headers["Accept"] = draw(st.sampled_from([
            "application/sparql-results+json", "text/csv", "text/turtle", "image/png", "*/*",
            "application/sparql-results+xml;q=0.1, text/tab-separated-values", ";;;"]))
    body = b""
    if method in ("POST", "PUT", "PATCH"):
        headers["Content-Type"] = draw(st.sampled_from([
            "application/sparql-query", "application/x-www-form-urlencoded",
            "application/sparql-update", "text/plain", "application/sparql-query; charset=latin1",
            "multipart/form-data; boundary=x"]))
        body = draw(st.one_of(st.sampled_from(SPARQL_BITS).map(str.encode),
                              st.binary(max_size=64),
                              st.sampled_from(SPARQL_BITS).map(
                                  lambda q: urllib.parse.urlencode({"query": q}).encode())))
        length = draw(st.sampled_from(["ok", "ok", "ok", "missing", "bad", "huge"]))
        if length == "ok":
            headers["Content-Length"] = str(len(body))
        elif length == "bad":
            headers["Content-Length"] = "-1"
        elif length == "huge":
            headers["Content-Length"] = "99999999999"
            body = body[:10]
    head = f"{method} {target} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return head.encode("utf-8", "replace") + b"Connection: close\r\n\r\n" + body


@pytest.fixture(scope="module")
def served(scratch: Path) -> Iterator[tuple[str, int]]:
    server = pytest.importorskip("kg.server", reason="kg serve is not available")
    from kg.store import open_backend

    graph = scratch / "served.nt"
    graph.write_text("<http://example.org/a> <http://example.org/p> \"v\" .\n"
                     "<http://example.org/a> <http://example.org/q> <http://example.org/b> .\n",
                     encoding="utf-8")
    backend = open_backend("rdflib", graph)
    config = server.ServerConfig(quiet=True, timeout=5, max_body=1_000, max_concurrent=2)
    with server.running(backend, config=config) as srv:
        host, port = srv.server_address[:2]
        yield str(host), int(port)


def _exchange(address: tuple[str, int], request: bytes) -> bytes:
    with socket.create_connection(address, timeout=30) as conn:
        with contextlib.suppress(ConnectionError):
            conn.sendall(request)
        chunks = []
        with contextlib.suppress(ConnectionError):
            while chunk := conn.recv(65536):
                chunks.append(chunk)
    return b"".join(chunks)


PATH_LEAK = re.compile(rb"/(?:work|tmp|home|root|usr)/|site-packages|\.py\b|Traceback|File \"")


@settings(FUZZ, max_examples=200)
@given(request=http_requests())
def test_kg_serve_answers_random_requests_with_a_documented_status(
        served: tuple[str, int], scratch: Path, request: bytes) -> None:
    response = _exchange(served, request)
    status_line, _, rest = response.partition(b"\r\n")
    match = re.match(rb"HTTP/1\.[01] (\d{3}) ", status_line)
    assert match, (request, response[:200])
    status = int(match.group(1))
    assert status in ALLOWED_STATUSES, (request, response[:300])
    event(f"status {status}")
    _headers, _, body = rest.partition(b"\r\n\r\n")
    if request.startswith(b"GET / ") or (b"/static/" in request.split(b"\r\n")[0] and status == 200):
        return  # the explorer page and its assets are our own files, not error text
    assert not PATH_LEAK.search(body), (request, body[:300])
    assert str(scratch).encode() not in body and str(ROOT).encode() not in body
