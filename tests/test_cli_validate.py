"""``kg validate FILE...``: exit 0 conforms, 1 does not conform (readable report), 2 unreadable
or invalid syntax (one line on stderr: file, line, column, problem)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kg.build import BuiltGraph
from kg.cli import main
from kg.export import RDF_EXPORTS
from tests.conftest import ONTOLOGY, W3C

RDF11 = W3C / "rdf11"
SUITES = ("rdf-turtle", "rdf-trig", "rdf-n-triples", "rdf-n-quads")
POSITION = re.compile(r"^kg validate: (?P<file>.+?):(?P<line>\d+):(?P<column>\d+): invalid syntax: .+$")


def validate(capsys: pytest.CaptureFixture[str], *files: Path) -> tuple[int, str, str]:
    code = main(["validate", "--ontology", str(ONTOLOGY), *map(str, files)])
    out, err = capsys.readouterr()
    return code, out, err




def test_export_formats_validate_in_one_call(built: BuiltGraph, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    """Turtle, N-Triples, N-Quads and JSON-LD exports parse and conform (one SHACL run)."""
    paths = []
    for name in sorted(RDF_EXPORTS):
        if not name.endswith(".trig"):
            paths.append(tmp_path / name)
            paths[-1].write_bytes(RDF_EXPORTS[name](built.dataset))
    assert {p.suffix for p in paths} == {".ttl", ".nt", ".nq", ".jsonld"}
    code, out, err = validate(capsys, *paths)
    assert (code, err) == (0, "")
    assert "conforms" in out


def test_trig_export_validates(built: BuiltGraph, tmp_path: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "diplo-kg.trig"
    path.write_bytes(RDF_EXPORTS["diplo-kg.trig"](built.dataset))
    code, out, err = validate(capsys, path)
    assert (code, err) == (0, ""), out[:500]


def test_non_conforming_data_exits_1_with_a_readable_report(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.ttl"
    path.write_text("@prefix dkg: <https://w3id.org/diplo-kg/ontology#> .\n"
                    "<https://w3id.org/diplo-kg/id/claim/x/c1> a dkg:Claim .\n", encoding="utf-8")
    code, out, err = validate(capsys, path)
    assert code == 1, err
    lines = out.strip().splitlines()
    assert lines and all(line.startswith(("Violation: ", "Warning: ", "Info: ")) for line in lines)
    assert any("ClaimShape on <https://w3id.org/diplo-kg/id/claim/x/c1>" in line for line in lines)


def test_syntax_error_is_one_line_with_file_line_and_column(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "broken.ttl"
    path.write_text("@prefix : <http://example.org/> .\n:a :b :c .\n:d :e \"open\n", encoding="utf-8")
    code, out, err = validate(capsys, path)
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and "Traceback" not in err
    match = POSITION.match(err.strip())
    assert match, err
    assert (match["file"], match["line"], match["column"]) == (str(path), "3", "7")


@pytest.mark.parametrize(("name", "content", "problem"), [
    ("missing.ttl", None, "cannot read file"),
    ("data.csv", "a,b\n", "unsupported RDF file type '.csv'"),
    ("empty-dir.ttl", "DIR", "cannot read file"),
    ("latin1.nt", b'<http://a/s> <http://a/p> "caf\xe9" .\n', "invalid syntax"),
    ("graph.nt", "<http://a/s> <http://a/p> <http://a/o> <http://a/g> .\n", "invalid syntax"),
    ("remote.jsonld", '{"@context": "http://127.0.0.1:9/ctx", "@id": "http://a/s"}', "invalid"),
    ("trunc.jsonld", '{"@id": "http://a/s", ', "invalid JSON"),
])
def test_unreadable_or_invalid_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                            name: str, content: str | bytes | None,
                                            problem: str) -> None:
    path = tmp_path / name
    if content == "DIR":
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content, encoding="utf-8")
    code, out, err = validate(capsys, path)
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and err.startswith(f"kg validate: {path}")
    assert problem in err


def test_first_bad_file_stops_before_shacl(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.nt"
    good.write_text("<http://a/s> <http://a/p> <http://a/o> .\n", encoding="utf-8")
    bad = tmp_path / "bad.nt"
    bad.write_text("<http://a/s> <http://a/p> .\n", encoding="utf-8")
    code, _out, err = validate(capsys, good, bad)
    assert code == 2 and str(bad) in err and str(good) not in err


def test_relative_iris_resolve_against_the_file(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "relative.ttl"
    path.write_text("<#a> <p> <../o> .\n", encoding="utf-8")
    code, out, err = validate(capsys, path)
    assert (code, err) == (0, ""), err
    assert "conforms" in out


@pytest.mark.w3c
@pytest.mark.skipif(not RDF11.is_dir(), reason=f"W3C RDF 1.1 tests not found at {RDF11}")
def test_w3c_negative_syntax_files_exit_2_with_a_position(
        capsys: pytest.CaptureFixture[str]) -> None:
    from tests.support import manifest_tests

    negatives = [action for suite in SUITES for kind, _n, action, _r in manifest_tests(suite)
                 if kind == "NegativeSyntax"]
    assert len(negatives) == 94 + 115 + 29 + 34
    wrong = []
    for path in negatives:
        code, out, err = validate(capsys, path)
        match = POSITION.match(err.strip())
        if code != 2 or out or err.count("\n") != 1 or not match or match["file"] != str(path):
            wrong.append((path.name, code, err))
    assert not wrong, wrong[:5]


@pytest.mark.w3c
@pytest.mark.skipif(not RDF11.is_dir(), reason=f"W3C RDF 1.1 tests not found at {RDF11}")
def test_w3c_positive_syntax_files_validate_in_one_call(
        capsys: pytest.CaptureFixture[str]) -> None:
    from tests.support import manifest_tests

    positives = [action for suite in SUITES for kind, _n, action, _r in manifest_tests(suite)
                 if kind == "PositiveSyntax"]
    assert len(positives) == 74 + 98 + 41 + 53
    code, out, err = validate(capsys, *positives)
    assert (code, err) == (0, ""), err
    assert "conforms" in out


def test_ill_typed_literals_print_no_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                               caplog: pytest.LogCaptureFixture) -> None:
    """Regression: rdflib logged a full traceback for each literal it could not convert
    ("abc"^^xsd:integer, a 6,000-digit integer past Python's int limit, bad rdf:XMLLiteral)
    and warned on a "weird boolean". Ill-typed literals are valid RDF: no noise, exit 0."""
    xsd = "http://www.w3.org/2001/XMLSchema#"
    rdf = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
    values = [("1" * 6000, f"{xsd}integer"), ("abc", f"{xsd}integer"), ("x", f"{xsd}boolean"),
              ("99999-01-01", f"{xsd}date"), ("<a>", f"{rdf}XMLLiteral"), ("<a", f"{rdf}HTML")]
    path = tmp_path / "typed.nt"
    path.write_text("".join(f'<http://a/s> <http://a/p> "{v}"^^<{t}> .\n' for v, t in values),
                    encoding="utf-8")
    code, _out, err = validate(capsys, path)
    assert (code, err) == (0, "")
    assert not [r for r in caplog.records if r.exc_info or "Traceback" in r.getMessage()]
